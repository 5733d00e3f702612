"""Reporting: what a person or another tool reads.

* :mod:`~graftkg.reporting.report` - one transplant's report (HTML or Markdown) with its plot;
* :mod:`~graftkg.reporting.convert` - records as RDF (Turtle, JSON-LD) in the ontology's terms.
"""
