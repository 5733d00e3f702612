"""A query (or write) worker: one process, one store handle, one request at a time, in a sandbox.

Started by the server as ``python -m graftkg.store.endpoint.worker``; it first limits itself (no sockets,
a heap cap, death with its parent: :mod:`graftkg.store.endpoint.sandbox`), then opens the store: read-only
(``Store.read_only``: a snapshot that no request can change) or, for the one write worker of a server
started with a write token, read-write. It answers frames (:mod:`graftkg.store.endpoint.protocol`) until
its input closes. A request that runs too long is not its concern: the server kills the process.

Operations (header ``op``): ``query`` and ``update`` (the text is the frame's body), ``graph-get``,
``graph-put`` and ``graph-post`` (the data is the body), ``graph-delete``, and for the write worker
``snapshot`` (a RocksDB checkpoint of the store, hard links, for the read workers to open). Replies carry ``status``,
``type`` and, on refusals, ``message``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, Any, cast

from graftkg.store.endpoint import sandbox
from graftkg.store.endpoint.protocol import Closed, read_frame, write_frame

SOLUTION_TYPES = {
    "application/sparql-results+json": "JSON",
    "application/json": "JSON",
    "application/sparql-results+xml": "XML",
    "application/xml": "XML",
    "text/xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
}
GRAPH_TYPES = {
    "text/turtle": "TURTLE",
    "application/x-turtle": "TURTLE",
    "application/n-triples": "N_TRIPLES",
    "text/plain": "N_TRIPLES",
    "application/rdf+xml": "RDF_XML",
    "application/xml": "RDF_XML",
    "application/ld+json": "JSON_LD",
    "application/json": "JSON_LD",
    "application/n-quads": "N_QUADS",
    "application/trig": "TRIG",
}
# what */* gives: the first of each
DEFAULT_SOLUTIONS = "application/sparql-results+json"
DEFAULT_GRAPH = "text/turtle"


class _TooLarge(Exception):
    pass


class _Bounded:
    """A write-only byte sink that refuses to grow past ``limit`` (the result size bound)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size, self.parts = limit, 0, list[bytes]()

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _TooLarge
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.parts)


def choose(accept: list[str], offered: dict[str, str], default: str) -> str | None:
    """The first media type of the client's ranked list that ``offered`` has (``*/*``: ``default``).

    Example:
        >>> choose(["text/turtle", "*/*"], SOLUTION_TYPES, DEFAULT_SOLUTIONS)
        'application/sparql-results+json'
        >>> choose(["text/csv"], SOLUTION_TYPES, DEFAULT_SOLUTIONS), choose(["image/png"], GRAPH_TYPES, DEFAULT_GRAPH)
        ('text/csv', None)
    """
    for media in accept or ["*/*"]:
        if media in offered:
            return media
        if media in ("*/*", "application/*", "text/*"):
            return default
    return None


class Worker:
    """The store and the limits of one worker process (constructed after the sandbox is in place)."""

    def __init__(self, store: Any, max_result: int, allow: list[str]) -> None:
        self.store, self.max_result, self.allow = store, max_result, allow

    def handle(self, header: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
        from graftkg.store.endpoint.guard import Refused

        op = header.get("op")
        try:
            if op == "query":
                return self.query(header, body.decode("utf-8"))
            if op == "update":
                return self.update(header, body.decode("utf-8"))
            if op == "graph-get":
                return self.graph_get(header)
            if op in ("graph-put", "graph-post"):
                return self.graph_write(header, body, replace=op == "graph-put")
            if op == "graph-delete":
                return self.graph_delete(header)
            if op == "replace":
                return self.replace(header, body)
            if op == "snapshot":
                self.store.backup(str(header["path"]))
                return {"status": 204, "type": None}, b""
        except Refused as exc:
            return _refusal(400, str(exc))
        except MemoryError:
            return _refusal(503, "memory")
        except _TooLarge:
            return _refusal(413, "result-too-large")
        except SyntaxError as exc:
            return _refusal(400, f"invalid SPARQL: {_first_line(exc)}")
        except (ValueError, TypeError) as exc:
            return _refusal(400, _first_line(exc))
        except PermissionError as exc:
            return _refusal(400, f"refused: {_first_line(exc)}")
        except OSError as exc:
            return _refusal(500, f"the store failed: {_first_line(exc)}")
        except RuntimeError as exc:  # e.g. a write sent to a read-only store
            return _refusal(500, f"the store refused: {_first_line(exc)}")
        except Exception as exc:
            return _refusal(500, f"the request failed: {_first_line(exc)}")
        except BaseException as exc:  # a panic in the query engine: answer, then end this process
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            reply, data = _refusal(500, f"the query engine failed: {_first_line(exc)}")
            return {**reply, "retire": True}, data
        return _refusal(400, f"unknown operation {op!r}")

    def _graphs(self, names: list[str] | None) -> list[Any] | None:
        import pyoxigraph as ox

        return None if names is None else [ox.NamedNode(n) for n in names]

    def query(self, header: dict[str, Any], text: str) -> tuple[dict[str, Any], bytes]:
        import pyoxigraph as ox

        from graftkg.store.endpoint.guard import check

        check(text, update=False, allow=self.allow)
        default_graphs = self._graphs(header.get("default_graphs"))
        named_graphs = self._graphs(header.get("named_graphs"))
        result = self.store.query(
            text,
            base_iri=header.get("base"),
            use_default_graph_as_union=default_graphs is None,
            default_graph=default_graphs,
            named_graphs=named_graphs,
        )
        accept = list(header.get("accept") or [])
        sink = _Bounded(self.max_result)
        out = cast("IO[bytes]", sink)  # pyoxigraph needs only write()
        if isinstance(result, ox.QueryTriples):
            media = choose(accept, GRAPH_TYPES, DEFAULT_GRAPH)
            if media is None:
                return _not_acceptable(GRAPH_TYPES)
            result.serialize(out, getattr(ox.RdfFormat, GRAPH_TYPES[media]))
        else:
            media = choose(accept, SOLUTION_TYPES, DEFAULT_SOLUTIONS)
            if media is None:
                return _not_acceptable(SOLUTION_TYPES)
            result.serialize(out, getattr(ox.QueryResultsFormat, SOLUTION_TYPES[media]))
        return {"status": 200, "type": _with_charset(media)}, sink.value()

    def update(self, header: dict[str, Any], text: str) -> tuple[dict[str, Any], bytes]:
        from graftkg.store.endpoint.guard import check

        check(text, update=True, allow=self.allow)
        self.store.update(text, base_iri=header.get("base"))
        self.store.flush()
        return {"status": 204, "type": None}, b""

    def _graph(self, header: dict[str, Any]) -> Any:
        import pyoxigraph as ox

        name = header.get("graph")
        return ox.DefaultGraph() if name is None else ox.NamedNode(str(name))

    def graph_get(self, header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        import pyoxigraph as ox

        graph = self._graph(header)
        if isinstance(graph, ox.NamedNode) and not self.store.contains_named_graph(graph):
            return _refusal(404, f"no graph <{graph.value}> in this store")
        media = choose(list(header.get("accept") or []), GRAPH_TYPES, DEFAULT_GRAPH)
        if media is None:
            return _not_acceptable(GRAPH_TYPES)
        sink = _Bounded(self.max_result)
        self.store.dump(cast("IO[bytes]", sink), getattr(ox.RdfFormat, GRAPH_TYPES[media]), from_graph=graph)
        return {"status": 200, "type": _with_charset(media)}, sink.value()

    def graph_write(self, header: dict[str, Any], body: bytes, *, replace: bool) -> tuple[dict[str, Any], bytes]:
        import pyoxigraph as ox

        graph = self._graph(header)
        media = str(header.get("content_type") or "")
        name = GRAPH_TYPES.get(media)
        if name is None or name in ("N_QUADS", "TRIG"):
            return _refusal(415, f"cannot read {media or 'a body without a Content-Type'} as a graph")
        try:
            triples = [q.triple for q in ox.parse(body, getattr(ox.RdfFormat, name), base_iri=header.get("base"))]
        except SyntaxError as exc:
            return _refusal(400, f"the body is not valid {media}: {_first_line(exc)}")
        existed = isinstance(graph, ox.DefaultGraph) or self.store.contains_named_graph(graph)
        # one update, so that a reader sees the old graph or the new one; terms written by pyoxigraph
        target = "DEFAULT" if isinstance(graph, ox.DefaultGraph) else f"GRAPH {graph}"
        data = " .\n".join(f"{t.subject} {t.predicate} {t.object}" for t in triples)
        inner = data if isinstance(graph, ox.DefaultGraph) else f"GRAPH {graph} {{ {data} }}"
        operations = [f"DROP SILENT {target}"] if replace else []
        if triples:
            operations.append(f"INSERT DATA {{ {inner} }}")
        elif not isinstance(graph, ox.DefaultGraph):
            operations.append(f"CREATE SILENT {target}")
        self.store.update(" ;\n".join(operations))
        self.store.flush()
        return {"status": 204 if existed else 201, "type": None}, b""

    def replace(self, header: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
        """Make the named graphs ``header["graphs"]`` hold exactly the N-Quads of ``body`` (one transaction)."""
        import json

        from graftkg.store.replace import replace_graphs

        try:
            done = replace_graphs(self.store, list(header["graphs"]), body)
        except SyntaxError as exc:
            return _refusal(400, f"the body is not valid N-Quads: {_first_line(exc)}")
        answer = {"existed": done.existed, "deleted": done.deleted, "inserted": done.inserted}
        return {"status": 200, "type": "application/json"}, json.dumps(answer).encode()

    def graph_delete(self, header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        import pyoxigraph as ox

        graph = self._graph(header)
        if isinstance(graph, ox.NamedNode):
            if not self.store.contains_named_graph(graph):
                return _refusal(404, f"no graph <{graph.value}> in this store")
            self.store.remove_graph(graph)
        else:
            self.store.clear_graph(graph)
        self.store.flush()
        return {"status": 204, "type": None}, b""


def _with_charset(media: str) -> str:
    return media + "; charset=utf-8" if media.startswith("text/") else media


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__


def _refusal(status: int, message: str) -> tuple[dict[str, Any], bytes]:
    return {"status": status, "type": "text/plain; charset=utf-8", "message": message}, b""


def _not_acceptable(offered: dict[str, str]) -> tuple[dict[str, Any], bytes]:
    return _refusal(406, "none of the Accept header's media types fits this result; offered: " + ", ".join(offered))


def serve(stdin: IO[bytes], stdout: IO[bytes], worker: Worker) -> None:
    """Answer frames until the input closes."""
    while True:
        try:
            header, body = read_frame(stdin)
        except Closed:
            return
        reply, data = worker.handle(header, body)
        write_frame(stdout, reply, data)
        if reply.get("retire"):
            return


def main(argv: list[str] | None = None) -> int:
    """Entry point of a worker process (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="graftkg-endpoint-worker")
    parser.add_argument("--store", required=True)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--memory-mb", type=float, required=True)
    parser.add_argument("--max-result-bytes", type=int, required=True)
    parser.add_argument("--allow", action="append", default=[])
    parser.add_argument("--network", action="store_true", help="keep sockets (only with --allow prefixes)")
    parser.add_argument("--parent", type=int, required=True, help="the server's process id")
    args = parser.parse_args(argv)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the pipe
    sandbox.die_with_parent()
    if os.getppid() != args.parent:  # the server ended before the death signal was set
        return 1
    sandboxed = False if args.network else sandbox.deny_sockets()
    sandbox.cap_memory(args.memory_mb)
    try:
        import pyoxigraph as ox

        store = ox.Store(args.store) if args.write else ox.Store.read_only(args.store)
    except Exception as exc:  # a missing, locked or unreadable store: said in the ready frame
        write_frame(stdout, {"ready": False, "message": _first_line(exc)})
        return 1
    write_frame(stdout, {"ready": True, "sandboxed": sandboxed})
    serve(stdin, stdout, Worker(store, args.max_result_bytes, args.allow))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
