"""The ontology is consistent and coherent under HermiT, under each profile; negative fixtures fail."""

from __future__ import annotations

import pytest
from rdflib import Graph

from graftkg.errors import ReasonerError
from graftkg.semantics.ontology import load_knowledge_base, load_ontology
from graftkg.semantics.reason import check_consistency

from conftest import CASES

pytestmark = pytest.mark.reasoner


@pytest.mark.parametrize("profile", ["paper", "astct-2021"])
def test_ontology_is_consistent_and_coherent(profile: str) -> None:
    check_consistency(load_ontology(profile))


def test_knowledge_base_is_consistent_and_coherent() -> None:
    """The evidence and recommendations (individuals, typed values, functional properties) fit the ontology."""
    check_consistency(load_knowledge_base("paper"))


@pytest.mark.parametrize(("fixture", "message"), [("inconsistent", "inconsistent"), ("incoherent", "unsatisfiable")])
def test_negative_fixture_is_reported(fixture: str, message: str) -> None:
    graph = Graph()
    for triple in load_ontology("paper"):
        graph.add(triple)
    graph.parse(CASES / "reasoner" / f"{fixture}.ttl")
    with pytest.raises(ReasonerError, match=message):
        check_consistency(graph)
