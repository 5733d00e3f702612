"""The namespaces graftkg names terms in (:mod:`graftkg.rdf` re-exports every name)."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import OWL as _OWL
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import SKOS as _SKOS
from rdflib.namespace import XSD as _XSD

GK = Namespace("https://w3id.org/graftkg/")
# open namespaces of the same IRIs as rdflib's closed ones (which warn at any other name looked up)
RDF = Namespace(str(_RDF))
RDFS = Namespace(str(_RDFS))
OWL = Namespace(str(_OWL))
XSD = Namespace(str(_XSD))
SKOS = Namespace(str(_SKOS))
ID = Namespace("https://w3id.org/graftkg/id/")
DCTERMS = Namespace("http://purl.org/dc/terms/")

__all__ = ["DCTERMS", "GK", "ID", "OWL", "RDF", "RDFS", "SKOS", "XSD"]
