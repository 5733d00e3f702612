"""convert: registry records to RDF in the ontology's terms (raw data only, nothing inferred)."""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import Graph

from graftkg.derive import Derived
from graftkg.facts import add_to_graph, build_facts
from graftkg.model import TransplantRecord
from graftkg.ontology import load_ontology
from graftkg.rdf import GK, ID
from graftkg.vocabulary import vocabulary


def records_to_graph(records: Sequence[TransplantRecord]) -> Graph:
    """The RDF graph of ``records``' raw data: what a registry submission in Turtle or JSON-LD holds.

    Example:
        >>> g = records_to_graph([TransplantRecord("T1", graft_source="PB")])
        >>> len(g)
        5
    """
    graph = Graph()
    graph.bind("gk", GK)
    graph.bind("id", ID)
    vocab, ontology = vocabulary(), load_ontology()
    for record in records:
        tf = build_facts(record, Derived(), vocab, observations=True)
        add_to_graph(graph, tf.facts, ontology, close=False)
    return graph
