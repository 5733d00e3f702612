"""The embedded triple store (pyoxigraph): the knowledge base plus classified submissions.

Queries read the union of the store's graphs. The knowledge base (ontology, evidence,
recommendations) and each submission's data with its inferred classes go in as RDF; the classified
triples come from :func:`graftkg.semantics.classify.to_graph`, the same triples ``classify --format turtle``
prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from graftkg.model import TransplantRecord
from graftkg.rdf import GK
from graftkg.semantics.classify import Classification
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.ontology import DEFAULT_PROFILE

#: Named graph of the knowledge base (ontology, evidence, recommendations).
KNOWLEDGE_GRAPH = str(GK["graph/knowledge-base"])


def add_graph(store: ox.Store, graph: Graph, name: str | None = None) -> int:
    """Add the triples of an rdflib ``graph`` to ``store`` (in named graph ``name``); return their number.

    Example:
        >>> from rdflib import Literal, URIRef
        >>> g = Graph(); _ = g.add((URIRef("urn:a"), URIRef("urn:b"), Literal(1)))
        >>> add_graph(ox.Store(), g, "urn:g")
        1
    """
    data = graph.serialize(format="nt", encoding="utf-8")
    target = ox.NamedNode(name) if name else ox.DefaultGraph()
    store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=target)
    return len(graph)


def open_store(path: str | Path) -> ox.Store:
    """Open a store folder made by ``graftkg load`` for queries (the handle ``load`` uses, in this process).

    Example:
        >>> import tempfile
        >>> from graftkg.store.load import load
        >>> where = Path(tempfile.mkdtemp()) / "s"
        >>> _ = load("examples/paper-patients/csv", store=where)
        >>> len(open_store(where)) > 5000
        True
    """
    from graftkg.errors import GraftkgError
    from graftkg.store.load import EmbeddedTarget, open_target, server_info

    folder = Path(path)
    if server_info(folder) is not None:
        raise GraftkgError(f"{folder} is being served: query the server with --endpoint <its URL>/query")
    if not folder.is_dir():
        raise GraftkgError(f"{folder}: no such store (make one with 'graftkg load')")
    target = open_target(folder)
    assert isinstance(target, EmbeddedTarget)
    return target.store


def knowledge_store(profile: str = DEFAULT_PROFILE, *, definitions: Definitions | None = None) -> ox.Store:
    """A new in-memory store holding the knowledge base of ``definitions`` (without them, that of
    ``profile``, read for this call).

    Example:
        >>> len(knowledge_store()) > 5000
        True
    """
    store = ox.Store()
    add_graph(store, (definitions or Definitions(profile)).knowledge_base, KNOWLEDGE_GRAPH)
    return store


def store_with_data(
    paths: Sequence[str | Path], profile: str = DEFAULT_PROFILE, *, definitions: Definitions | None = None
) -> ox.Store:
    """A new in-memory store with the knowledge base and the classified records read from ``paths``,
    classified under ``definitions`` (without them, those of ``profile``, read for this call).

    Each input path becomes one named graph (``https://w3id.org/graftkg/graph/data/<n>``).

    Example:
        >>> store = store_with_data(["examples/paper-patients/csv"])
        >>> len(store) > len(knowledge_store())
        True
    """
    from graftkg.readers import read_inputs
    from graftkg.semantics.classify import classify_records

    defs = definitions or Definitions(profile)
    store = knowledge_store(definitions=defs)
    for n, path in enumerate(paths, start=1):
        records = read_inputs([path])
        results = classify_records(records, definitions=defs)
        add_classified(store, records, results, defs.profile, str(GK[f"graph/data/{n}"]))
    return store


def add_classified(
    store: ox.Store,
    records: Sequence[TransplantRecord],
    results: Sequence[Classification],
    profile: str,
    name: str,
) -> int:
    """Add classified ``records`` (data, derived facts, inferred classes, explanations) as graph ``name``.

    Example:
        >>> from graftkg.semantics.classify import classify_records
        >>> rs = [TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=12)]
        >>> add_classified(ox.Store(), rs, classify_records(rs), "paper", "urn:g") > 5
        True
    """
    from graftkg.semantics.classify import to_graph

    return add_graph(store, to_graph(records, results, profile), name)
