"""The SPARQL 1.1 Protocol over HTTP: queries, updates, the Graph Store Protocol, the query page.

Routes (anything else is a 404, whatever its method):

* ``/query`` - GET (``?query=``), POST (form or ``application/sparql-query``); without a query, the
  service description. ``default-graph-uri`` / ``named-graph-uri`` pick the dataset; otherwise the
  default graph is the union of the store's graphs.
* ``/update`` - POST (form or ``application/sparql-update``), with ``Authorization: Bearer <token>``.
* ``/store`` - the Graph Store Protocol: GET/HEAD read, PUT/POST/DELETE write (with the token).
* ``/replace`` - POST ``?graph=<IRI>&graph=<IRI>`` with an N-Quads body, with the token: those named
  graphs then hold exactly the body's quads, in one transaction (how ``graftkg load`` writes through
  a server: a reload sends only what changed to the store).
* ``/`` - a query page that talks to ``/query`` on its own origin.

What may change the store is decided by route and method before the body is read: only ``/update``,
``/replace`` and the write methods of ``/store`` reach the write worker, and only with the token; a server started
without a token has no write worker at all, and its read workers open the store read-only.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import shutil
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graftkg.store.endpoint.pool import Busy, Pool, Reply, WorkerFailed, WorkerSpec

_SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
_FORM = "application/x-www-form-urlencoded"
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")


@dataclass(frozen=True)
class Limits:
    """The limits the application enforces (derived from ``graftkg.store.serve.Settings``)."""

    timeout_s: float
    update_timeout_s: float
    max_body_bytes: int
    max_update_bytes: int
    max_result_mb: float
    memory_mb: float
    update_memory_mb: float


class HTTPRefusal(Exception):
    """A request refused before it reached a worker: status and a one-line message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def refusal(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A plain-text error response of one line.

    Example:
        >>> r = refusal(400, "no query")
        >>> r.status_code, r.body, r.headers["content-type"]
        (400, b'no query\\n', 'text/plain; charset=utf-8')
    """
    return Response(
        message.replace("\n", " ") + "\n",
        status_code=status,
        media_type="text/plain; charset=utf-8",
        headers={**_SECURITY_HEADERS, **(headers or {})},
    )


def parameters(raw: bytes, where: str) -> dict[str, list[str]]:
    """Decode ``application/x-www-form-urlencoded`` data strictly (bad UTF-8 or escapes: 400).

    Example:
        >>> parameters(b"query=ASK%7B%7D&default-graph-uri=urn%3Ag", "the URL")
        {'query': ['ASK{}'], 'default-graph-uri': ['urn:g']}
    """
    try:
        text = raw.decode("utf-8")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise HTTPRefusal(400, f"{where} is not valid form data (UTF-8, percent-encoded)") from None
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def ranked(accept: str | None) -> list[str]:
    """The media types of an ``Accept`` header, best first (``q=0`` dropped; ties keep their order).

    Example:
        >>> ranked("text/csv;q=0.5, application/sparql-results+json, image/png;q=0")
        ['application/sparql-results+json', 'text/csv']
    """
    if not accept:
        return []
    scored: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")[:64]):
        media, *options = (p.strip() for p in part.split(";"))
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            scored.append((-quality, index, media.lower()))
    return [media for _, _, media in sorted(scored)]


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise HTTPRefusal(400, f"'{name}' is given {len(values)} times: give it once")
    return values[0] if values else None


def _media(request: Request) -> str:
    header: str = request.headers.get("content-type", "")  # Any to mypy (starlette is typed as missing)
    return header.split(";", 1)[0].strip().lower()


_PAGE_SCRIPT = """
const form = document.getElementById('f');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const out = document.getElementById('out');
  out.textContent = '…';
  const body = new URLSearchParams({query: document.getElementById('q').value});
  const response = await fetch('query', {method: 'POST', body,
    headers: {Accept: document.getElementById('format').value}});
  out.textContent = response.status + '\\n' + await response.text();
});
"""
_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>graftkg SPARQL endpoint</title></head>
<body><h1>graftkg SPARQL endpoint</h1>
<p>SPARQL 1.1 queries at <code>query</code> (GET or POST). The default graph is the union of the graphs.</p>
<form id="f"><textarea id="q" rows="12" cols="100">SELECT ?g (COUNT(*) AS ?triples) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}
GROUP BY ?g ORDER BY ?g</textarea><br>
<select id="format"><option>application/sparql-results+json</option><option>text/csv</option>
<option>application/sparql-results+xml</option><option>text/turtle</option></select>
<button type="submit">Run</button></form><pre id="out"></pre>
<script>{_PAGE_SCRIPT}</script></body></html>
"""
_PAGE_CSP = (
    "default-src 'none'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; "
    f"script-src 'sha256-{base64.b64encode(hashlib.sha256(_PAGE_SCRIPT.encode()).digest()).decode()}'"
)


def service_description(endpoint: str, writable: bool) -> str:
    """The SPARQL 1.1 service description of the endpoint (Turtle).

    Example:
        >>> "sd:SPARQL11Update" in service_description("http://h/query", writable=False)
        False
    """
    languages = "sd:SPARQL11Query" + (", sd:SPARQL11Update" if writable else "")
    formats = ", ".join(
        f"<http://www.w3.org/ns/formats/{f}>"
        for f in (*(f"SPARQL_Results_{r}" for r in ("JSON", "XML", "CSV", "TSV")), "Turtle", "N-Triples", "RDF_XML")
    )
    iri = endpoint.replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")
    return (
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n"
        f"[] a sd:Service ;\n  sd:endpoint <{iri}> ;\n  sd:supportedLanguage {languages} ;\n"
        f"  sd:resultFormat {formats} ;\n  sd:feature sd:UnionDefaultGraph, sd:BasicFederatedQuery ;\n"
        "  sd:defaultDataset [ a sd:Dataset ] .\n"
    )


class Endpoint:
    """The application state: the read pool (replaced after each write), the write pool, the limits."""

    def __init__(self, store: str, limits: Limits, *, workers: int, token: str | None, allow: tuple[str, ...]) -> None:
        self.store, self.limits, self.workers, self.token, self.allow = store, limits, workers, token, allow
        self.executor = ThreadPoolExecutor(max_workers=workers + 4, thread_name_prefix="graftkg-endpoint")
        self.readers: Pool | None = None
        self.writer: Pool | None = None
        self._write_lock = asyncio.Lock()
        self._pools: list[Pool] = []
        # with a writer, readers open checkpoints of the store (hard links, never changed or deleted under
        # them) instead of the live store, whose files the writer's compactions delete
        path = Path(store)
        self._snapshots = path.parent / f".{path.name}.graftkg-snapshots" if token is not None else None
        self._snapshot_count = 0
        self._current: Path | None = None
        self._retired: list[tuple[Pool, Path | None]] = []

    def _spec(self, write: bool, store: str) -> WorkerSpec:
        memory = self.limits.update_memory_mb if write else self.limits.memory_mb
        return WorkerSpec(store, write, memory, int(self.limits.max_result_mb * 1024 * 1024), self.allow)

    async def _pool(self, write: bool, store: str) -> Pool:
        pool = Pool(self._spec(write, store), 1 if write else self.workers, self.executor)
        self._pools.append(pool)
        return await pool.start()

    async def _snapshot(self) -> Path:
        """A new checkpoint of the store, made by the write worker."""
        assert self.writer is not None and self._snapshots is not None
        self._snapshot_count += 1
        path = self._snapshots / str(self._snapshot_count)
        reply = await self.writer.run({"op": "snapshot", "path": str(path)}, b"", time.monotonic() + 600)
        if reply is None or reply.status >= 300:
            raise WorkerFailed(f"the store could not be checkpointed: {reply.message if reply else 'no writer'}")
        return path

    async def start(self) -> None:
        """Start the write worker (if there is a token) and the read workers."""
        if self.token is None:
            self.readers = await self._pool(write=False, store=self.store)
            return
        assert self._snapshots is not None
        shutil.rmtree(self._snapshots, ignore_errors=True)  # a killed server's
        self._snapshots.mkdir(parents=True)
        self.writer = await self._pool(write=True, store=self.store)
        snapshot = await self._snapshot()
        self.readers = await self._pool(write=False, store=str(snapshot))
        self._current = snapshot

    def _forget_retired(self) -> None:
        """Remove the checkpoints of retired pools whose last worker has ended."""
        for pool, path in list(self._retired):
            if pool.ended:
                self._retired.remove((pool, path))
                if path is not None:
                    shutil.rmtree(path, ignore_errors=True)

    @property
    def sandboxed(self) -> bool:
        """Whether every worker runs without sockets."""
        return all(p.sandboxed for p in (self.readers, self.writer) if p is not None)

    def close(self) -> None:
        """End every worker and remove the checkpoints."""
        for pool in [*self._pools, *(retired for retired, _ in self._retired)]:
            pool.kill_all()
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self._snapshots is not None:
            shutil.rmtree(self._snapshots, ignore_errors=True)

    # ------------------------------------------------------------------ running requests

    async def _read(self, header: dict[str, Any], body: bytes = b"") -> Reply:
        deadline = time.monotonic() + self.limits.timeout_s
        while True:
            assert self.readers is not None
            reply = await self.readers.run(header, body, deadline)
            if reply is not None:
                return reply  # else the pool was replaced while this request waited: take the new one

    async def _write(self, header: dict[str, Any], body: bytes, deadline: float) -> Reply:
        assert self.writer is not None
        async with self._write_lock:
            reply = await self.writer.run(header, body, deadline)
            assert reply is not None
            if reply.status < 300:
                snapshot = await self._snapshot()
                old, old_snapshot = self.readers, self._current
                self.readers, self._current = await self._pool(write=False, store=str(snapshot)), snapshot
                if old is not None:
                    self._pools.remove(old)
                    await old.retire()
                    self._retired.append((old, old_snapshot))
                self._forget_retired()
            return reply

    def _response(self, reply: Reply, head: bool) -> Response:
        if reply.status == 413 and reply.message == "result-too-large":
            return refusal(
                413,
                f"the result is larger than this endpoint's limit of {self.limits.max_result_mb:g} MB: "
                "add LIMIT to the query, or ask for a server started with a higher --max-result-mb",
            )
        if reply.message == "memory":
            return self._memory_refusal(False)
        if reply.message:
            return refusal(reply.status, reply.message)
        response = Response(
            b"" if head else reply.body,
            status_code=reply.status,
            headers=_SECURITY_HEADERS,
            media_type=reply.content_type,
        )
        if head:
            response.headers["content-length"] = str(len(reply.body))
        return response

    def _memory_refusal(self, write: bool) -> Response:
        limit = self.limits.update_memory_mb if write else self.limits.memory_mb
        return refusal(
            503,
            f"the request needed more memory than this endpoint's limit of {limit:g} MB and was stopped: "
            "narrow it, or ask for a server started with a higher --memory-mb",
        )

    async def guarded(self, work: Callable[[], Awaitable[Response]], *, write: bool) -> Response:
        """Run ``work``, turning refusals, time-outs and worker deaths into one-line responses."""
        try:
            return await work()
        except HTTPRefusal as exc:
            return refusal(exc.status, exc.message, exc.headers)
        except Busy:
            return refusal(
                503, "every query worker stayed busy past this endpoint's time limit: try again", {"Retry-After": "5"}
            )
        except TimeoutError:
            limit = self.limits.update_timeout_s if write else self.limits.timeout_s
            return refusal(
                503,
                f"the {'update' if write else 'query'} ran longer than this endpoint's limit of {limit:g} s and was "
                "stopped: narrow it, or ask for a server started with a higher --timeout",
            )
        except WorkerFailed as exc:
            if str(exc) == "memory":
                return self._memory_refusal(write)
            return refusal(500, f"the query worker failed ({exc}); it has been restarted")

    # ------------------------------------------------------------------ routes

    async def _body(self, request: Request, limit: int, deadline: float) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and "transfer-encoding" in request.headers:
            raise HTTPRefusal(400, "a request has Content-Length or Transfer-Encoding, not both")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            if not declared.isdigit():
                raise HTTPRefusal(400, "Content-Length is not a number")
            raise HTTPRefusal(413, f"the request body is larger than this endpoint's limit of {limit:,} bytes")
        parts: list[bytes] = []
        size = 0

        async def read() -> None:
            nonlocal size
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPRefusal(413, f"the request body is larger than this endpoint's limit of {limit:,} bytes")
                parts.append(chunk)

        try:
            await asyncio.wait_for(read(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise HTTPRefusal(408, "the request body did not arrive within the time limit") from None
        return b"".join(parts)

    def _authorise(self, request: Request) -> None:
        if self.token is None:
            raise HTTPRefusal(
                403, "read-only endpoint: start graftkg serve with a write token (GRAFTKG_WRITE_TOKEN) to accept writes"
            )
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode("utf-8", "replace"), f"Bearer {self.token}".encode()):
            raise HTTPRefusal(
                401,
                "writes need the write token: Authorization: Bearer <token>",
                {"WWW-Authenticate": 'Bearer realm="graftkg"'},
            )

    @staticmethod
    def _posted(
        request: Request, url: dict[str, list[str]], body: bytes, field: str
    ) -> tuple[dict[str, list[str]], str]:
        """The parameters and the operation (``query`` or ``update``) of a POST: a form, or the body itself."""
        media = _media(request)
        if media == _FORM:
            params = parameters(body, "the form body")
            text = _one(params, field)
            if text is None:
                raise HTTPRefusal(400, f"the form has no '{field}' field")
            return params, text
        if media != f"application/sparql-{field}":
            raise HTTPRefusal(415, f"POST a {field} as application/sparql-{field} or application/x-www-form-urlencoded")
        try:
            return url, body.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPRefusal(400, f"the {field} is not UTF-8") from None

    async def query(self, request: Request) -> Response:
        async def work() -> Response:
            url = parameters(request.scope.get("query_string", b""), "the URL's query string")
            if request.method in ("GET", "HEAD"):
                params, text = url, _one(url, "query")
                if text is None:
                    return self._description(request)
            else:
                deadline = time.monotonic() + self.limits.timeout_s
                body = await self._body(request, self.limits.max_body_bytes, deadline)
                params, text = self._posted(request, url, body, "query")
            header = {
                "op": "query",
                "accept": ranked(request.headers.get("accept")),
                "default_graphs": params.get("default-graph-uri") or None,
                "named_graphs": params.get("named-graph-uri") or None,
            }
            return self._response(await self._read(header, text.encode("utf-8")), request.method == "HEAD")

        return await self.guarded(work, write=False)

    def _description(self, request: Request) -> Response:
        text = service_description(str(request.url.replace(query="", fragment="")), self.token is not None)
        accept = ranked(request.headers.get("accept"))
        media = next((m for m in accept if m in ("text/turtle", "application/n-triples", "*/*", "text/*")), None)
        if accept and media is None:
            return refusal(406, "the service description is offered as text/turtle")
        return Response(text, media_type="text/turtle; charset=utf-8", headers=_SECURITY_HEADERS)

    async def update(self, request: Request) -> Response:
        async def work() -> Response:
            self._authorise(request)
            deadline = time.monotonic() + self.limits.update_timeout_s
            url = parameters(request.scope.get("query_string", b""), "the URL's query string")
            body = await self._body(request, self.limits.max_update_bytes, deadline)
            params, text = self._posted(request, url, body, "update")
            if params.get("using-graph-uri") or params.get("using-named-graph-uri"):
                raise HTTPRefusal(
                    400, "using-graph-uri and using-named-graph-uri are not supported: use USING in the update"
                )
            reply = await self._write({"op": "update"}, text.encode("utf-8"), deadline)
            return self._response(reply, False)

        return await self.guarded(work, write=True)

    async def graph_store(self, request: Request) -> Response:
        write = request.method in ("PUT", "POST", "DELETE")

        async def work() -> Response:
            if write:
                self._authorise(request)
            url = parameters(request.scope.get("query_string", b""), "the URL's query string")
            graph = _one(url, "graph")
            if graph is None and "default" not in url:
                raise HTTPRefusal(400, "name a graph: ?graph=<IRI> or ?default")
            if graph is not None and "default" in url:
                raise HTTPRefusal(400, "give ?graph=<IRI> or ?default, not both")
            if not write:
                header = {"op": "graph-get", "graph": graph, "accept": ranked(request.headers.get("accept"))}
                return self._response(await self._read(header), request.method == "HEAD")
            deadline = time.monotonic() + self.limits.update_timeout_s
            body = (
                b"" if request.method == "DELETE" else await self._body(request, self.limits.max_update_bytes, deadline)
            )
            op = {"PUT": "graph-put", "POST": "graph-post", "DELETE": "graph-delete"}[request.method]
            header = {"op": op, "graph": graph, "content_type": _media(request)}
            return self._response(await self._write(header, body, deadline), False)

        return await self.guarded(work, write=write)

    async def replace(self, request: Request) -> Response:
        """``POST /replace?graph=G1&graph=G2`` with an N-Quads body: graphs G1, G2 ... then hold exactly
        the body's quads (each must be in one of them), in one transaction; how ``graftkg load`` writes
        through a running server."""

        async def work() -> Response:
            self._authorise(request)
            deadline = time.monotonic() + self.limits.update_timeout_s
            url = parameters(request.scope.get("query_string", b""), "the URL's query string")
            graphs = url.get("graph", [])
            if not graphs or set(url) != {"graph"}:
                raise HTTPRefusal(400, "name the graphs to replace, and nothing else: ?graph=<IRI>&graph=<IRI>")
            if any(not _ABSOLUTE.match(g) for g in graphs):
                raise HTTPRefusal(400, "each graph must be an absolute IRI")
            if _media(request) != "application/n-quads":
                raise HTTPRefusal(415, "POST the graphs' contents as application/n-quads")
            body = await self._body(request, self.limits.max_update_bytes, deadline)
            return self._response(await self._write({"op": "replace", "graphs": graphs}, body, deadline), False)

        return await self.guarded(work, write=True)

    async def page(self, request: Request) -> Response:
        return Response(
            b"" if request.method == "HEAD" else _PAGE.encode(),
            media_type="text/html; charset=utf-8",
            headers={**_SECURITY_HEADERS, "Content-Security-Policy": _PAGE_CSP},
        )


def routes(endpoint: Endpoint) -> list[Route]:
    """The application's routes over ``endpoint``."""
    return [
        Route("/", endpoint.page, methods=["GET", "HEAD"]),
        Route("/query", endpoint.query, methods=["GET", "HEAD", "POST"]),
        Route("/update", endpoint.update, methods=["POST"]),
        Route("/replace", endpoint.replace, methods=["POST"]),
        Route("/store", endpoint.graph_store, methods=["GET", "HEAD", "PUT", "POST", "DELETE"]),
    ]


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths (404) and methods (405) as one-line refusals, the same for writes as for reads."""
    if getattr(exc, "status_code", 404) == 405:
        return refusal(405, f"{request.method} is not allowed here")
    return refusal(404, "no such resource: the endpoint is at /query")


__all__ = [
    "Endpoint",
    "HTTPRefusal",
    "Limits",
    "http_error",
    "parameters",
    "ranked",
    "refusal",
    "routes",
    "service_description",
]
