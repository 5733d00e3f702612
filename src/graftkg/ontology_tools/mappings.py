"""Mappings to standard terminologies: a reviewable SSSOM table, and the SKOS RDF generated from it.

``ontology/mappings/graftkg.sssom.tsv`` is the source (SSSOM: one row per mapping, with its
justification, confidence and a comment saying where it was verified). ``ontology/mappings.ttl`` is
generated from it by :func:`write_mappings_ttl` (``graftkg mappings``) and is part of the ontology;
a test keeps it current. Rows with a confidence below :data:`MIN_CONFIDENCE` are left out.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from graftkg.assets import asset_dir
from graftkg.errors import OntologyError

MIN_CONFIDENCE = 0.9
PREDICATES = {"skos:exactMatch", "skos:closeMatch", "skos:broadMatch", "skos:narrowMatch", "skos:relatedMatch"}
_CURIE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*):(\S+)$")


@dataclass(frozen=True)
class Mapping:
    """One row of the SSSOM table."""

    subject: str
    predicate: str
    object: str
    object_label: str
    confidence: float
    comment: str


def sssom_path() -> Path:
    """The SSSOM table's path."""
    return asset_dir("ontology") / "mappings" / "graftkg.sssom.tsv"


def read_sssom(path: Path | None = None) -> tuple[dict[str, str], list[Mapping]]:
    """Read the SSSOM table: its CURIE map and its rows. Errors name the file, line and column.

    Example:
        >>> curies, rows = read_sssom()
        >>> curies["NCIT"], len(rows) > 20
        ('http://purl.obolibrary.org/obo/NCIT_', True)
    """
    source = path or sssom_path()
    text = source.read_text(encoding="utf-8")
    curies: dict[str, str] = {}
    body: list[str] = []
    in_map = False
    for line in text.splitlines():
        if line.startswith("#"):
            if line.strip() == "# curie_map:":
                in_map = True
            elif in_map and line.startswith("#   "):
                prefix, _, iri = line[4:].partition(":")
                curies[prefix.strip()] = iri.strip()
            else:
                in_map = False
        else:
            body.append(line)
    header_lines = text.count("\n", 0, text.index(body[0])) if body else 0
    rows = []
    for n, row in enumerate(csv.DictReader(io.StringIO("\n".join(body)), delimiter="\t"), start=header_lines + 2):
        where = f"{source}:{n}"
        if row.get("predicate_id") not in PREDICATES:
            raise OntologyError(f"{where}: predicate_id '{row.get('predicate_id')}' is not a SKOS mapping property")
        try:
            confidence = float(row["confidence"])
        except (KeyError, TypeError, ValueError):
            raise OntologyError(f"{where}: confidence '{row.get('confidence')}' is not a number") from None
        for column in ("subject_id", "object_id"):
            m = _CURIE.match(row.get(column) or "")
            if m is None or m.group(1) not in curies:
                raise OntologyError(f"{where}: {column} '{row.get(column)}' is not a CURIE of the curie_map")
        rows.append(
            Mapping(
                row["subject_id"],
                row["predicate_id"],
                row["object_id"],
                row["object_label"],
                confidence,
                row["comment"],
            )
        )
    return curies, rows


def expand(curie: str, curies: dict[str, str]) -> URIRef:
    """Expand a CURIE with the table's CURIE map: the prefix's IRI followed by the local part, nothing
    added (SSSOM/JSON-LD CURIE expansion), so the RDF states the IRIs the curie_map declares.

    Example:
        >>> expand("HP:0001875", {"HP": "http://purl.obolibrary.org/obo/HP_"})
        rdflib.term.URIRef('http://purl.obolibrary.org/obo/HP_0001875')
        >>> expand("LOINC:751-8", {"LOINC": "https://loinc.org/"})
        rdflib.term.URIRef('https://loinc.org/751-8')
    """
    prefix, _, local = curie.partition(":")
    return URIRef(curies[prefix] + local)


def mappings_graph(path: Path | None = None) -> Graph:
    """The SKOS statements of the verified rows (confidence >= 0.9), each object labelled.

    Example:
        >>> from graftkg.rdf import GK, SKOS
        >>> (GK.ALL, SKOS.exactMatch, URIRef("http://purl.obolibrary.org/obo/MONDO_0004967")) in mappings_graph()
        True
    """
    curies, rows = read_sssom(path)
    graph = Graph()
    graph.bind("skos", "http://www.w3.org/2004/02/skos/core#")
    graph.bind("gk", curies["gk"])
    for row in rows:
        if row.confidence < MIN_CONFIDENCE:
            continue
        subject, obj = expand(row.subject, curies), expand(row.object, curies)
        predicate = expand(row.predicate, curies)
        graph.add((subject, predicate, obj))
    return graph


def mappings_ttl(path: Path | None = None) -> str:
    """The text of ``ontology/mappings.ttl`` (generated; do not edit)."""
    head = (
        "# GENERATED from ontology/mappings/graftkg.sssom.tsv by 'graftkg mappings': do not edit.\n"
        "# Verified mappings only (confidence >= 0.9); see the table for where each was verified.\n"
    )
    return head + mappings_graph(path).serialize(format="turtle")


def write_mappings_ttl(target: Path | None = None) -> Path:
    """Regenerate the mappings' RDF from the SSSOM table into ``target``; return its path.

    Without ``target``, into ``ontology/mappings.ttl`` of the source checkout graftkg runs from; an
    installed graftkg never rewrites its own files, so it needs ``target``.
    """
    if target is None:
        from graftkg.assets import checkout_dir

        checkout = checkout_dir("ontology")
        if checkout is None:
            from graftkg.errors import GraftkgError

            raise GraftkgError(
                "this graftkg is installed, not run from a source checkout: it does not rewrite its own "
                "ontology; give --output PATH"
            )
        target = checkout / "mappings.ttl"
    target.write_text(mappings_ttl(), encoding="utf-8")
    return target


def unverified() -> list[Mapping]:
    """The rows left out of the RDF (confidence below 0.9), for review.

    Example:
        >>> sorted(m.object for m in unverified())
        ['NCIT:C93150', 'SCTID:444360002']
    """
    return [m for m in read_sssom()[1] if m.confidence < MIN_CONFIDENCE]


__all__ = [
    "MIN_CONFIDENCE",
    "Mapping",
    "expand",
    "mappings_graph",
    "mappings_ttl",
    "read_sssom",
    "unverified",
    "write_mappings_ttl",
]
