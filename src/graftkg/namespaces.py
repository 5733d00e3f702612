"""The namespaces graftkg names terms in (:mod:`graftkg.rdf` re-exports every name)."""

from __future__ import annotations

from rdflib import Namespace
from rdflib import namespace as _rdflib

GK = Namespace("https://w3id.org/graftkg/")
# open namespaces of the same IRIs as rdflib's closed ones (which warn at any other name looked up)
RDF = Namespace(str(_rdflib.RDF))
RDFS = Namespace(str(_rdflib.RDFS))
OWL = Namespace(str(_rdflib.OWL))
XSD = Namespace(str(_rdflib.XSD))
SKOS = Namespace(str(_rdflib.SKOS))
ID = Namespace("https://w3id.org/graftkg/id/")
DCTERMS = Namespace("http://purl.org/dc/terms/")

__all__ = ["DCTERMS", "GK", "ID", "OWL", "RDF", "RDFS", "SKOS", "XSD"]
