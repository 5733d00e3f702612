"""graftkg: an ontology-backed reasoner for graft failure after allogeneic HSCT."""

__version__ = "0.1.0"
