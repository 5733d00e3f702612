"""Loading the ontology (core modules plus one definition profile) as an rdflib graph."""

from __future__ import annotations

from functools import lru_cache

from rdflib import Graph
from rdflib.exceptions import ParserError

from graftkg.assets import ontology_files, profiles
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
        try:
            graph.parse(path, format="turtle")
        except (ParserError, SyntaxError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise OntologyError(f"{path}: not valid Turtle: {first}") from exc
    return graph
