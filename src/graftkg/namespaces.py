"""The namespaces graftkg names terms in (:mod:`graftkg.rdf` re-exports every name)."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import OWL as _OWL
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import SKOS as _SKOS
from rdflib.namespace import XSD as _XSD

GK = Namespace("https://w3id.org/graftkg/")
RDF = _RDF
RDFS = _RDFS
OWL = _OWL
XSD = _XSD
SKOS = _SKOS
ID = Namespace("https://w3id.org/graftkg/id/")
DCTERMS = Namespace("http://purl.org/dc/terms/")

__all__ = ["DCTERMS", "GK", "ID", "OWL", "RDF", "RDFS", "SKOS", "XSD"]
