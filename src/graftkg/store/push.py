"""push = copy a store's graphs, one by one, into any store that speaks the standard protocols.

With a SPARQL 1.1 Graph Store HTTP Protocol address each graph is sent with ``PUT`` (which replaces
it); without one, each graph is replaced with SPARQL 1.1 Update: ``DROP SILENT GRAPH``, then ``INSERT
DATA`` in chunks of 1,000 triples, and the triples that share blank nodes together in ``INSERT {...}
WHERE {}`` templates of about 200 (Virtuoso refuses blank nodes in ``INSERT DATA`` and compiles each
update to SQL of bounded length). Either way a second push of the same store changes nothing.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from graftkg.errors import GraftkgError
from graftkg.store.http import send
from graftkg.store.load import DEFAULT_STORE, server_info

CHUNK_TRIPLES = 1_000  # Virtuoso compiles each update to SQL and refuses very long ones
TEMPLATE_TRIPLES = 200
_BNODE = re.compile(r"_:[A-Za-z0-9][A-Za-z0-9_.-]*")


class PushError(GraftkgError):
    """The target store refused or could not be reached."""


@dataclass
class Remote:
    """A store reached over HTTP: its SPARQL query and update addresses, Graph Store address, credentials."""

    update: str
    graph_store: str | None = None
    query: str | None = None
    token: str | None = None
    user: str | None = None
    password: str | None = None

    def _headers(self, content_type: str, accept: str) -> dict[str, str]:
        headers = {"Content-Type": content_type, "Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.user is not None:
            pair = f"{self.user}:{self.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return headers

    def send(self, method: str, url: str, body: bytes | None, content_type: str, accept: str = "*/*") -> bytes:
        """Send one request; a refusal becomes a :class:`PushError` naming the address and status."""
        return send(method, url, body, self._headers(content_type, accept), PushError)

    def run_update(self, text: str) -> None:
        """Run a SPARQL update (form-encoded ``update=``, as the protocol defines)."""
        body = urllib.parse.urlencode({"update": text}).encode()
        self.send("POST", self.update, body, "application/x-www-form-urlencoded")

    def put_graph(self, graph: str, ntriples: bytes) -> None:
        """Replace ``graph`` with the N-Triples ``ntriples`` (Graph Store Protocol ``PUT``)."""
        assert self.graph_store is not None
        separator = "&" if "?" in self.graph_store else "?"
        url = f"{self.graph_store}{separator}{urllib.parse.urlencode({'graph': graph})}"
        self.send("PUT", url, ntriples, "application/n-triples")


def bnode_chunks(lines: list[str], size: int) -> list[list[str]]:
    """Group N-Triples lines so that the triples sharing a blank node stay in one group of about ``size``.

    Example:
        >>> bnode_chunks(["<a> <p> _:x .", "_:x <q> _:y .", "_:y <r> <b> .", "<c> <p> _:z ."], 2)
        [['<a> <p> _:x .', '_:x <q> _:y .', '_:y <r> <b> .'], ['<c> <p> _:z .']]
    """
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    labels = [_BNODE.findall(line) for line in lines]
    for found in labels:
        for other in found[1:]:
            parent[root(other)] = root(found[0])
    groups: dict[str, list[str]] = {}
    for line, found in zip(lines, labels, strict=True):
        groups.setdefault(root(found[0]) if found else line, []).append(line)
    chunks: list[list[str]] = []
    for group in groups.values():
        if chunks and len(chunks[-1]) + len(group) <= size:
            chunks[-1].extend(group)
        else:
            chunks.append(list(group))
    return chunks


def local_graphs(store: str | Path = DEFAULT_STORE) -> dict[str, bytes]:
    """Every named graph of ``store`` as N-Triples bytes (through its server if ``graftkg serve`` runs on it).

    Example:
        >>> import tempfile
        >>> from graftkg.store.load import load
        >>> where = Path(tempfile.mkdtemp()) / "s"
        >>> _ = load("examples/paper-patients/csv", store=where, name="p")
        >>> sorted(g.rsplit("/", 2)[-2] for g in local_graphs(where))
        ['graph', 'graph', 'inferred', 'submission']
    """
    import pyoxigraph as ox

    path = Path(store)
    info = server_info(path)
    if info is not None:
        url = str(info["url"])
        served = Remote(update=url + "/update")
        listing = served.send(
            "POST",
            url + "/query",
            b"SELECT DISTINCT ?g WHERE { GRAPH ?g { } }",
            "application/sparql-query",
            "text/csv",
        )
        names = [line.strip() for line in listing.decode().splitlines()[1:] if line.strip()]
        return {
            g: served.send(
                "GET",
                url + "/store?" + urllib.parse.urlencode({"graph": g}),
                None,
                "text/plain",
                "application/n-triples",
            )
            for g in names
        }
    if not path.is_dir():
        raise PushError(f"{path}: no such store (load a submission first)")
    from graftkg.store.embedded import open_store

    local = open_store(path)
    out: dict[str, bytes] = {}
    for graph in local.named_graphs():
        out[graph.value] = local.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""
    return out


def push(
    store: str | Path,
    remote: Remote,
    *,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Copy every named graph of ``store`` to ``remote``, replacing graphs of the same name there.

    Returns the number of triples sent per graph. Example (needs a running server; see tests)::

        push("graftkg-store", Remote(update="http://127.0.0.1:7879/update",
                                     graph_store="http://127.0.0.1:7879/store"))
    """
    say = progress or (lambda message: None)
    sent: dict[str, int] = {}
    graphs = local_graphs(store)
    for n, (graph, data) in enumerate(sorted(graphs.items()), start=1):
        lines = [line for line in data.decode("utf-8").splitlines() if line.strip()]
        say(f"graph {n} of {len(graphs)}: {graph} ({len(lines):,} triples)")
        if remote.graph_store:
            remote.put_graph(graph, data)
        else:
            remote.run_update(f"DROP SILENT GRAPH <{graph}>")
            plain = [line for line in lines if "_:" not in line]
            for start in range(0, len(plain), CHUNK_TRIPLES):
                chunk = "\n".join(plain[start : start + CHUNK_TRIPLES])
                remote.run_update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{chunk}\n}} }}")
            # blank nodes are scoped to one request, and some stores (Virtuoso) refuse them in INSERT
            # DATA: the triples sharing blank nodes go together, as INSERT templates (fresh blank nodes)
            for chunk_lines in bnode_chunks([line for line in lines if "_:" in line], TEMPLATE_TRIPLES):
                body = "\n".join(chunk_lines)
                remote.run_update(f"INSERT {{ GRAPH <{graph}> {{\n{body}\n}} }} WHERE {{}}")
        sent[graph] = len(lines)
    return sent


def unload_remote(remote: Remote, submission: str) -> None:
    """Remove a submission's two graphs from a remote store (what ``graftkg unload`` does locally).

    Example (needs a running server; see tests)::

        unload_remote(Remote(update="http://127.0.0.1:7879/update"), "centre-a")
    """
    from graftkg.store.load import check_id, inferred_graph, submission_graph

    check_id(submission)
    remote.run_update(
        f"DROP SILENT GRAPH <{submission_graph(submission)}> ;\nDROP SILENT GRAPH <{inferred_graph(submission)}>"
    )


__all__ = ["PushError", "Remote", "bnode_chunks", "local_graphs", "push", "unload_remote"]
