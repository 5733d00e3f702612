"""Namespaces and small RDF helpers shared by every module."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from urllib.parse import quote

from rdflib import Literal, URIRef

from graftkg.namespaces import DCTERMS, GK, ID, OWL, RDF, RDFS, SKOS, XSD

__all__ = [
    "DCTERMS",
    "GK",
    "ID",
    "OWL",
    "RDF",
    "RDFS",
    "SKOS",
    "XSD",
    "Value",
    "decimal_lexical",
    "to_literal",
    "to_python",
    "trusted_iri",
]

#: A data value as graftkg holds it in memory (a date is an ``xsd:date``, e.g. an infusion date).
Value = int | float | bool | str | date


def decimal_lexical(value: float) -> str:
    """The ``xsd:decimal`` lexical form graftkg writes for a float: exact, with a fraction part.

    Example:
        >>> decimal_lexical(0.5), decimal_lexical(40.0), decimal_lexical(1e-7)
        ('0.5', '40.0', '0.0000001')
    """
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def to_literal(value: Value) -> Literal:
    """Turn an in-memory value into a typed RDF literal (floats become exact ``xsd:decimal``).

    Example:
        >>> to_literal(0.5).n3()
        '"0.5"^^<http://www.w3.org/2001/XMLSchema#decimal>'
    """
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    if isinstance(value, float):
        return Literal(decimal_lexical(value), datatype=XSD.decimal)
    return Literal(value)


def to_python(literal: Literal) -> Value:
    """Turn an RDF literal into the in-memory value graftkg compares (numbers as int or float).

    Example:
        >>> to_python(Literal("2.0", datatype=XSD.decimal)), to_python(Literal("2024-02-29", datatype=XSD.date))
        (2.0, datetime.date(2024, 2, 29))
    """
    value = literal.toPython()
    if isinstance(value, bool | int | str):
        return value
    if type(value) is date and literal.datatype == XSD.date:
        return value
    if isinstance(value, Decimal | float):
        return float(value)
    return str(literal)


def trusted_iri(text: str) -> URIRef:
    """Make a URIRef from ``text`` already known to be a valid IRI (built from :func:`node_id` parts).

    rdflib checks every new IRI character by character; data nodes minted here are valid by
    construction, and millions of observation nodes make the check a measurable cost.

    Example:
        >>> trusted_iri(str(ID) + "observation/T1/0") == ID["observation/T1/0"]
        True
    """
    return str.__new__(URIRef, text)


def node_id(kind: str, *parts: str) -> URIRef:
    """Mint the IRI of a data node from its kind and identifiers.

    Example:
        >>> str(node_id("transplant", "P1-T1"))
        'https://w3id.org/graftkg/id/transplant/P1-T1'
    """
    # percent-encoded parts hold only unreserved characters, '%' and hex digits: a valid IRI by
    # construction. Parts that are already unreserved (most identifiers) are what quote() returns.
    return trusted_iri(_ID + kind + "/" + "/".join(p if _UNRESERVED(p) else quote(p, safe="") for p in parts))


_ID = str(ID)
#: what urllib.parse.quote never encodes
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+").fullmatch
