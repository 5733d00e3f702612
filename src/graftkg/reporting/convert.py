"""convert: registry records to RDF in the ontology's terms (raw data only, nothing inferred)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rdflib import Graph

from graftkg.assets import asset_dir
from graftkg.model import TransplantRecord
from graftkg.rdf import GK, ID
from graftkg.semantics.derive import Derived
from graftkg.semantics.facts import add_to_graph, build_facts
from graftkg.semantics.vocabulary import vocabulary


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
    vocab = vocabulary()
    for record in records:
        tf = build_facts(record, Derived(), vocab, observations=True)
        add_to_graph(graph, tf.facts)
    return graph


#: The published JSON-LD context; readers use the copy in ``ontology/context.jsonld`` instead of fetching it.
CONTEXT_URL = "https://w3id.org/graftkg/context.jsonld"


def context() -> dict[str, Any]:
    """The JSON-LD ``@context`` object of graftkg's terms.

    Example:
        >>> context()["graftSource"]
        {'@id': 'gk:graftSource', '@type': '@vocab'}
    """
    data: dict[str, Any] = json.loads((asset_dir("ontology") / "context.jsonld").read_text())
    return dict(data["@context"])


def to_jsonld(graph: Graph) -> str:
    """Serialise ``graph`` as compact JSON-LD with graftkg's context written out in it, so that any
    JSON-LD processor reads it without a network (the published copy is at :data:`CONTEXT_URL`).

    Example:
        >>> doc = json.loads(to_jsonld(records_to_graph([TransplantRecord("T1", graft_source="PB")])))
        >>> doc["@context"]["graftSource"], doc["@graph"][0]["graftSource"]
        ({'@id': 'gk:graftSource', '@type': '@vocab'}, 'PB')
    """
    ctx = context()
    doc = json.loads(graph.serialize(format="json-ld", context=ctx, auto_compact=True))
    doc["@context"] = ctx
    if isinstance(doc.get("@graph"), list):
        doc["@graph"].sort(key=lambda node: str(node.get("@id", "")))
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
