"""Loading the ontology (core modules plus one definition profile) as an rdflib graph."""

from __future__ import annotations

from functools import lru_cache

from rdflib import Graph
from rdflib.exceptions import ParserError

from graftkg.assets import knowledge_files, ontology_files, profiles
from graftkg.errors import OntologyError

DEFAULT_PROFILE = "paper"


@lru_cache(maxsize=8)
def load_ontology(profile: str = DEFAULT_PROFILE) -> Graph:
    """Return the merged ontology graph under definition ``profile`` (cached; do not mutate).

    Example:
        >>> len(load_ontology("paper")) > 1000
        True
    """
    if profile not in profiles():
        raise OntologyError(f"unknown definitions profile '{profile}' (choose from: {', '.join(profiles())})")
    graph = Graph()
    for path in ontology_files(profile):
        parse_into(graph, path)
    return graph


@lru_cache(maxsize=8)
def load_knowledge_base(profile: str = DEFAULT_PROFILE) -> Graph:
    """Return the ontology under ``profile`` with the knowledge base: cited evidence and recommendations.

    The definitions the reasoners classify with are :func:`load_ontology`; the knowledge base adds the
    statements about studies, claims and recommendations that queries and reports read.

    Example:
        >>> from graftkg.rdf import GK, RDF
        >>> kb = load_knowledge_base()
        >>> (GK.RecSalvageHSCT, RDF.type, GK.Recommendation) in kb
        True
    """
    graph = Graph()
    graph += load_ontology(profile)
    for path in knowledge_files():
        parse_into(graph, path)
    return graph


def parse_into(graph: Graph, path: object) -> None:
    """Parse the Turtle file ``path`` into ``graph``; a syntax error becomes an :class:`OntologyError` naming the file.

    Example:
        >>> from graftkg.assets import knowledge_files
        >>> g = Graph(); parse_into(g, knowledge_files()[0]); len(g) > 100
        True
    """
    try:
        graph.parse(path, format="turtle")  # type: ignore[arg-type]
    except (ParserError, SyntaxError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OntologyError(f"{path}: not valid Turtle: {first}") from exc
