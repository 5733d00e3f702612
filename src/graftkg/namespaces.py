"""The namespaces graftkg names terms in, with their attribute terms made once.

A module of its own, never compiled: ``_CachedNamespace`` subclasses rdflib's ``Namespace`` (a ``str``),
which a compiled class cannot; :mod:`graftkg.rdf` re-exports every name.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import OWL as _OWL
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import SKOS as _SKOS
from rdflib.namespace import XSD as _XSD


class _CachedNamespace(Namespace):
    """A namespace whose terms are made once (rdflib builds a new URIRef on every access).

    ``GK.x`` and ``GK["x"]`` give the same object, so that dict lookups by term skip rdflib's
    ``__eq__``; a name that is not an identifier (``GK["graph/data/x"]``) is made anew each time.

    Example:
        >>> GK["Transplant"] is GK.Transplant
        True
    """

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):
            raise AttributeError(name)
        term = self.term(name)
        object.__setattr__(self, name, term)
        return term

    def __getitem__(self, key: str) -> URIRef:  # type: ignore[override]
        return getattr(self, key) if key.isidentifier() and not key.startswith("__") else self.term(key)


GK = _CachedNamespace("https://w3id.org/graftkg/")
# rdflib's closed namespaces build a new term on every attribute access: cache them too (same IRIs).
RDF = _CachedNamespace(str(_RDF))
RDFS = _CachedNamespace(str(_RDFS))
OWL = _CachedNamespace(str(_OWL))
XSD = _CachedNamespace(str(_XSD))
SKOS = _CachedNamespace(str(_SKOS))
ID = _CachedNamespace("https://w3id.org/graftkg/id/")
DCTERMS = Namespace("http://purl.org/dc/terms/")

__all__ = ["DCTERMS", "GK", "ID", "OWL", "RDF", "RDFS", "SKOS", "XSD"]
