"""The SPARQL endpoint as an attacker on the same network sees it: raw HTTP over sockets, real processes.

Each attack that worked against the earlier gate in front of the Oxigraph server is a test here:
gate bypasses by request target, the private port, server-side requests (SERVICE, LOAD), time limits
that did not stop aggregates and sorts, empty tokens, connection resets under load, unbounded
bodies and bad headers, children left running after SIGTERM, CORS for every origin, and the token on
the command line. Requests are written byte by byte where an HTTP client library would normalise them.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graftkg.cli import main
from graftkg.store.endpoint.guard import Refused, check, keywords
from graftkg.store.endpoint.pool import Process, WorkerSpec
from graftkg.store.load import SERVER_FILE, load, submissions
from graftkg.store.serve import ServeError, Server, Settings, free_port, read_token

from conftest import EXAMPLES

PAPER = EXAMPLES / "paper-patients" / "csv"
TOKEN = "s3cret-token-for-tests"
SANDBOX_ARCH = platform.machine() in ("x86_64", "aarch64") and sys.platform.startswith("linux")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


# ------------------------------------------------------------------------------------ helpers


def raw(port: int, request: bytes, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as it is; return status, headers and body of the answer (read to the close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    assert data, "no answer"
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split(" ", 2)[1]), headers, body


def request(target: str, method: str = "GET", body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """An HTTP/1.1 request, byte for byte, closing the connection after the answer."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def port_of(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def count(port: int) -> int:
    status, _, body = raw(
        port,
        request(
            "/query",
            "POST",
            COUNT.encode(),
            {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        ),
    )
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def workers(pid: int) -> list[int]:
    return [c for c in children(pid) if b"graftkg.store.endpoint.worker" in _cmdline(c)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def wait_for_workers_to_exit(server: int, known: set[int], timeout: float = 10) -> None:
    """Wait until the server's children (``known``, taken before it stopped) and any worker started
    late (it names its server: ``--parent PID``) have exited; fail after ``timeout`` seconds.

    An exiting process shows no command line but may still hold the store's files, so each process
    stays watched, once seen, until every thread of it has exited.
    """
    parent = b"--parent\x00" + str(server).encode() + b"\x00"
    seen = set(known)
    deadline = time.monotonic() + timeout
    while True:
        seen |= {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and parent in _cmdline(int(p.name))}
        if not any(_running(p) for p in seen):
            return
        assert time.monotonic() < deadline, "workers outlived their server"
        time.sleep(0.1)


def _running(pid: int) -> bool:
    """Whether any thread of process ``pid`` has not exited yet (until the last has, its files are open:
    a process whose main thread is a zombie may still have threads closing the store)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for task in tasks:
        try:
            if (task / "stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                return True
        except OSError:
            continue
    return False


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection; answers with SPARQL JSON results."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.seen: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        body = json.dumps(
            {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "remote"}}]}}
        )
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    self.seen.append(connection.recv(65536))
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nConnection: close\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    it = Listener()
    yield it
    it.close()


@pytest.fixture(scope="module")
def paper_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("serve") / "store"
    load(PAPER, store=store, name="paper")
    from graftkg.store.load import release

    release(store)
    return store


@pytest.fixture
def copy(tmp_path: Path, paper_store: Path) -> Path:
    """A store of its own for a test's second server (one server per store)."""
    import shutil

    shutil.copytree(paper_store, tmp_path / "copy", ignore=shutil.ignore_patterns(SERVER_FILE))
    return tmp_path / "copy"


@pytest.fixture(scope="module")
def readonly(paper_store: Path) -> Iterator[Server]:
    with Server(paper_store, Settings(port=0, timeout_s=3, memory_mb=512, max_body_mb=1, workers=2)) as server:
        yield server


@pytest.fixture
def writable(tmp_path: Path) -> Iterator[Server]:
    store = tmp_path / "store"
    load(PAPER, store=store, name="paper")
    from graftkg.store.load import release

    release(store)
    with Server(store, Settings(port=0, write_token=TOKEN, timeout_s=5, workers=2)) as server:
        yield server


# ------------------------------------------------------------------ 1. the read-only gate

UPDATE = {"Content-Type": "application/sparql-update"}
TRIPLES = {"Content-Type": "application/n-triples"}
QUADS = {"Content-Type": "application/n-quads"}
DROP = b"DROP ALL"
ONE = b"<urn:x> <urn:y> <urn:z> ."
EMPTY_EVIDENCE = "/replace?graph=https%3A%2F%2Fw3id.org%2Fgraftkg%2Fgraph%2Fevidence"
BYPASSES = [
    ("POST", EMPTY_EVIDENCE, b"", QUADS),
    ("POST", "/replace/?graph=urn:g", ONE[:-1] + b"<urn:g> .", QUADS),
    ("PUT", "/replace?graph=urn:g", ONE[:-1] + b"<urn:g> .", QUADS),
    ("GET", "/replace?graph=urn:g", b"", {}),
    ("POST", "/update#x", DROP, UPDATE),
    ("POST", "http://127.0.0.1:{port}/update", DROP, UPDATE),
    ("POST", "/store/x", ONE, TRIPLES),
    ("PUT", "/store#x", ONE, TRIPLES),
    ("PUT", "/store?default", ONE, TRIPLES),
    ("POST", "/store?graph=urn:g", ONE, TRIPLES),
    ("DELETE", "/store?graph=https://w3id.org/graftkg/graph/evidence", b"", {}),
    ("POST", "/update/", DROP, UPDATE),
    ("POST", "//update", DROP, UPDATE),
    ("POST", "/%75pdate", DROP, UPDATE),
    ("POST", "/UPDATE", DROP, UPDATE),
    ("POST", "/update?x=1", DROP, UPDATE),
    ("POST", "/update", b"update=DROP+ALL", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("POST", "/update", DROP, {"Content-Type": "text/plain"}),
    ("POST", "/query", DROP, {"Content-Type": "application/sparql-query"}),
    ("POST", "/query", b"update=DROP+ALL", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("POST", "/query", DROP, UPDATE),
    ("GET", "/query?query=DROP%20ALL", b"", {}),
    ("GET", "/query?update=DROP%20ALL", b"", {}),
]


@pytest.fixture
def request_fixture(request: pytest.FixtureRequest) -> pytest.FixtureRequest:
    """pytest's ``request`` (this module's ``request`` builds HTTP requests)."""
    return request


def _refused(target: str, status: int, answer: bytes) -> None:
    if target == "/query?update=DROP%20ALL":  # a GET without a query: the service description
        assert status == 200 and b"sd:Service" in answer
    else:
        assert status >= 400, answer


@pytest.mark.parametrize("kind", ["read-only", "with a token"])
@pytest.mark.parametrize("method, target, body, headers", BYPASSES)
def test_no_request_target_writes_without_the_token(
    request_fixture: pytest.FixtureRequest, kind: str, method: str, target: str, body: bytes, headers: dict[str, str]
) -> None:
    server: Server = request_fixture.getfixturevalue("readonly" if kind == "read-only" else "writable")
    port = port_of(server)
    before = count(port)
    wrong = ["Bearer ", "Bearer wrong", f"bearer {TOKEN}", TOKEN, f"Bearer {TOKEN}x", f"Basic {TOKEN}"]
    for authorization in [None, *wrong]:
        sent = dict(headers)
        if authorization is not None:
            sent["Authorization"] = authorization
        status, _, answer = raw(port, request(target.format(port=port), method, body, sent))
        _refused(target, status, answer)
    assert count(port) == before


def test_with_the_token_every_write_path_works_and_readers_see_it(writable: Server) -> None:
    port = port_of(writable)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = count(port)
    status, _, _ = raw(
        port, request("/update", "POST", b"INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> 1 } }", {**UPDATE, **auth})
    )
    assert status == 204 and count(port) == before + 1
    status, _, _ = raw(
        port, request("/store?graph=urn:h", "PUT", ONE + b'\n<urn:x> <urn:y> "2" .', {**TRIPLES, **auth})
    )
    assert status == 201 and count(port) == before + 3
    status, _, _ = raw(port, request("/store?graph=urn:h", "PUT", ONE, {**TRIPLES, **auth}))
    assert status == 204 and count(port) == before + 2  # PUT replaces
    status, _, _ = raw(port, request("/store?graph=urn:h", "POST", b"<urn:q> <urn:r> <urn:s> .", {**TRIPLES, **auth}))
    assert status == 204 and count(port) == before + 3
    status, _, body = raw(port, request("/store?graph=urn:h", "GET", headers={"Accept": "application/n-triples"}))
    assert status == 200 and b"<urn:q> <urn:r> <urn:s> ." in body
    status, _, _ = raw(port, request("/store?graph=urn:h", "DELETE", headers=auth))
    assert status == 204 and count(port) == before + 1
    status, _, _ = raw(
        port,
        request(
            "/update",
            "POST",
            b"update=CLEAR+GRAPH+%3Curn%3Ag%3E",
            {"Content-Type": "application/x-www-form-urlencoded", **auth},
        ),
    )
    assert status == 204 and count(port) == before


def test_replace_writes_only_named_graphs_and_refuses_anything_else_whole(writable: Server) -> None:
    """``POST /replace``: with the token, the named graphs then hold exactly the body's quads; a quad
    outside them, malformed N-Quads, a missing or extra parameter or another media type is refused
    and changes nothing."""
    port = port_of(writable)
    auth = {"Authorization": f"Bearer {TOKEN}", **QUADS}
    before = count(port)
    body = b'<urn:a> <urn:p> "1" <urn:g1> .\n<urn:b> <urn:p> "2" <urn:g2> .\n'
    status, _, answer = raw(port, request("/replace?graph=urn:g1&graph=urn:g2", "POST", body, auth))
    assert status == 200 and json.loads(answer) == {"existed": False, "deleted": 0, "inserted": 2}
    assert count(port) == before + 2
    body = b'<urn:a> <urn:p> "1" <urn:g1> .\n<urn:c> <urn:p> "3" <urn:g2> .\n'
    status, _, answer = raw(port, request("/replace?graph=urn:g1&graph=urn:g2", "POST", body, auth))
    assert status == 200 and json.loads(answer) == {"existed": True, "deleted": 1, "inserted": 1}
    refused = [
        ("/replace?graph=urn:g1", b'<urn:a> <urn:p> "9" <urn:g1> .\n<urn:x> <urn:p> "1" <urn:other> .\n', auth, 400),
        ("/replace?graph=urn:g1", b'<urn:a> <urn:p> "9" <urn:g1> .\n<urn:a> <urn:p> broken <urn:g1> .\n', auth, 400),
        ("/replace?graph=urn:g1", b'<urn:a> <urn:p> "9" .\n', auth, 400),  # the default graph is not named
        ("/replace", b"", auth, 400),
        ("/replace?graph=urn:g1&default", b"", auth, 400),
        ("/replace?graph=not%20an%20iri", b"", auth, 400),
        ("/replace?graph=urn:g1", b'<urn:a> <urn:p> "9" <urn:g1> .', {**auth, **TRIPLES}, 415),
    ]
    for target, sent, headers, expected in refused:
        status, _, answer = raw(port, request(target, "POST", sent, headers))
        assert status == expected, (target, answer)
        assert b"Traceback" not in answer and len(answer.decode().strip().splitlines()) == 1
    assert count(port) == before + 2
    status, _, body = raw(port, request("/store?graph=urn:g2", "GET", headers={"Accept": "application/n-triples"}))
    assert status == 200 and body.strip() == b'<urn:c> <urn:p> "3" .'


def test_readers_never_see_a_write_half_done_or_fail_while_writes_go_on(tmp_path: Path) -> None:
    """Many writes while a reader queries without pause: every read answers, counts only grow, and the
    checkpoints the readers opened are removed once their workers end (and all of them at stop)."""
    store = tmp_path / "store"
    load(PAPER, store=store, name="paper")
    from graftkg.store.load import release

    release(store)
    snapshots = tmp_path / ".store.graftkg-snapshots"
    with Server(store, Settings(port=0, write_token=TOKEN, workers=2)) as server:
        port = port_of(server)
        before = count(port)
        seen: list[int] = []
        failures: list[str] = []
        done = threading.Event()

        def reader() -> None:
            while not done.is_set():
                try:
                    seen.append(count(port))
                except AssertionError as exc:
                    failures.append(str(exc)[:200])

        thread = threading.Thread(target=reader)
        thread.start()
        auth = {"Authorization": f"Bearer {TOKEN}", **UPDATE}
        try:
            for n in range(12):
                triples = " ".join(f"<urn:s{n}_{k}> <urn:p> {k} ." for k in range(20000))
                update = f"INSERT DATA {{ GRAPH <urn:g{n}> {{ {triples} }} }}".encode()
                status, _, body = raw(port, request("/update", "POST", update, auth))
                assert status == 204, body
        finally:
            done.set()
            thread.join()
        assert not failures, failures[:3]
        assert len(seen) > 10 and seen == sorted(seen) and seen[-1] <= before + 12 * 20000
        assert count(port) == before + 12 * 20000
        assert len(list(snapshots.iterdir())) <= 4  # the current checkpoint, and those still being read
    assert not snapshots.exists()


def test_without_a_token_there_is_no_write_worker_and_readers_cannot_write(readonly: Server, paper_store: Path) -> None:
    running = workers(os.getpid())
    assert running, "the endpoint's workers run as child processes"
    for pid in running:
        if paper_store.name.encode() in _cmdline(pid) and str(paper_store).encode() in _cmdline(pid):
            assert b"--write" not in _cmdline(pid).split(b"\0")
    # a read worker handed an update directly (as if a route had been missed) cannot write
    worker = Process(WorkerSpec(str(paper_store), False, 512, 1 << 20))
    try:
        worker.wait_ready()
        before = count(port_of(readonly))
        reply = worker.call({"op": "update"}, DROP)
        assert reply.status >= 400
        reply = worker.call({"op": "graph-delete", "graph": "https://w3id.org/graftkg/graph/evidence"}, b"")
        assert reply.status >= 400
    finally:
        worker.kill()
    with Server(paper_store.parent / "copy", Settings(port=0)) as other:
        assert count(port_of(other)) == 0
    assert count(port_of(readonly)) == before


# ----------------------------------------------------------------------- 2. no private port


def _listening(pids: list[int]) -> set[int]:
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _sockets(pid: int) -> int:
    n = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            n += os.readlink(fd).startswith("socket:")
    return n


@pytest.fixture
def cli_server(tmp_path: Path, paper_store: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    """``graftkg serve`` as its own process (the write token from the environment)."""
    import shutil

    store = tmp_path / "store"
    shutil.copytree(paper_store, store, ignore=shutil.ignore_patterns(SERVER_FILE))
    port = free_port()
    env = {**os.environ, "GRAFTKG_WRITE_TOKEN": TOKEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "graftkg", "serve", "--store", str(store), "--port", str(port), "--timeout", "3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not (store / SERVER_FILE).exists():
        assert process.poll() is None, process.stderr.read() if process.stderr else b""
        assert time.monotonic() < deadline
        time.sleep(0.1)
    yield process, port, store
    if process.poll() is None:
        process.kill()
        process.wait()


def test_only_the_endpoint_listens_and_workers_hold_no_sockets(
    cli_server: tuple[subprocess.Popen[bytes], int, Path],
) -> None:
    process, port, _ = cli_server
    running = workers(process.pid)
    assert len(running) >= 3  # the read workers and the write worker
    assert _listening([process.pid, *running]) == {port}
    if SANDBOX_ARCH:
        assert all(_sockets(pid) == 0 for pid in running)
    status, _, body = raw(port, request("/query?query=SELEC", headers={}))
    assert status == 400 and b"127.0.0.1" not in body


def test_the_token_is_not_on_any_command_line(cli_server: tuple[subprocess.Popen[bytes], int, Path]) -> None:
    process, port, _ = cli_server
    for pid in [process.pid, *workers(process.pid)]:
        assert TOKEN.encode() not in _cmdline(pid)
    auth = {"Authorization": f"Bearer {TOKEN}", **UPDATE}
    assert raw(port, request("/update", "POST", b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", auth))[0] == 204


# -------------------------------------------------------------- 3. no server-side requests

SSRF = [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "PREFIX x: <http://127.0.0.1:{port}/> SELECT * WHERE {{ OPTIONAL {{ SERVICE x:sparql {{ ?s ?p ?o }} }} }}",
    "BASE <http://127.0.0.1:{port}/> select * where {{ {{ select * where {{ service <sparql> {{ ?s ?p ?o }} }} }} }}",
    'SELECT * WHERE {{ BIND("\\u0022" AS ?a) SERVICE <http://127.0.0.1:{port}/> {{ }} BIND("\\u0022" AS ?b) }}',
    "SELECT * WHERE {{ VALUES ?e {{ <http://127.0.0.1:{port}/sparql> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "ASK {{ FILTER EXISTS {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "DESCRIBE ?s WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE <file:///etc/passwd> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?a ?b ?c }} # {port}\nSERVICE <http://127.0.0.1:{port}/sparql> {{ }}",
]


@pytest.mark.parametrize("query", SSRF)
def test_service_is_refused_and_nothing_is_fetched(readonly: Server, listener: Listener, query: str) -> None:
    text = query.format(port=listener.port)
    port = port_of(readonly)
    for sent in (
        request("/query?" + urllib.parse.urlencode({"query": text})),
        request("/query", "POST", text.encode(), {"Content-Type": "application/sparql-query"}),
        request(
            "/query",
            "POST",
            urllib.parse.urlencode({"query": text}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
    ):
        status, _, body = raw(port, sent)
        assert status == 400, body
        assert body[-1:] == b"\n" and body.count(b"\n") == 1
    time.sleep(0.3)
    assert listener.seen == []


@pytest.mark.parametrize(
    "update",
    [
        "LOAD <http://127.0.0.1:{port}/data.ttl>",
        "LOAD SILENT <http://127.0.0.1:{port}/data.ttl> INTO GRAPH <urn:g>",
        "LOAD <file:///etc/passwd>",
        "PREFIX x: <http://127.0.0.1:{port}/> INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE x:q {{ ?s ?p ?o }} }}",
        "CLEAR SILENT GRAPH <urn:g> ; load <http://127.0.0.1:{port}/d>",
    ],
)
def test_load_is_refused_and_nothing_is_fetched(writable: Server, listener: Listener, update: str) -> None:
    port = port_of(writable)
    before = count(port)
    auth = {"Authorization": f"Bearer {TOKEN}", **UPDATE}
    status, _, body = raw(port, request("/update", "POST", update.format(port=listener.port).encode(), auth))
    assert status == 400, body
    time.sleep(0.3)
    assert listener.seen == [] and count(port) == before


def test_words_like_load_and_service_elsewhere_are_not_refused(readonly: Server) -> None:
    port = port_of(readonly)
    query = 'PREFIX load: <urn:l#> SELECT ?service WHERE { ?service load:service "LOAD SERVICE" } # service'
    status, _, body = raw(port, request("/query?" + urllib.parse.urlencode({"query": query})))
    assert status == 200, body


@pytest.mark.skipif(not SANDBOX_ARCH, reason="the seccomp filter is written for Linux on x86-64 and AArch64")
def test_a_worker_cannot_open_a_socket_even_if_the_check_were_skipped(listener: Listener) -> None:
    code = (
        "from graftkg.store.endpoint.sandbox import deny_sockets; import pyoxigraph as ox, sys\n"
        "assert deny_sockets()\n"
        "try:\n"
        f"    list(ox.Store().query('SELECT * {{ SERVICE <http://127.0.0.1:{listener.port}/s> {{ ?s ?p ?o }} }}'))\n"
        "except OSError as e:\n    print('refused', e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "refused" in done.stdout, done.stderr
    time.sleep(0.3)
    assert listener.seen == []


def test_allowed_service_prefixes_are_fetched_and_others_are_not(copy: Path, listener: Listener) -> None:
    allowed = f"http://127.0.0.1:{listener.port}/sparql"
    with Server(copy, Settings(port=0, allow_service=(allowed,), workers=1)) as server:
        port = port_of(server)
        query = f"SELECT ?x WHERE {{ SERVICE <{allowed}> {{ ?x ?p ?o }} }}"
        status, _, body = raw(
            port,
            request(
                "/query?" + urllib.parse.urlencode({"query": query}),
                headers={"Accept": "application/sparql-results+json"},
            ),
        )
        assert status == 200 and b"remote" in body, body
        other = f"SELECT ?x WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/other> {{ ?x ?p ?o }} }}"
        status, _, _ = raw(port, request("/query?" + urllib.parse.urlencode({"query": other})))
        assert status == 400
    assert len(listener.seen) == 1 and b"/sparql" in listener.seen[0]


def test_the_guard_reads_keywords_as_sparql_does() -> None:
    assert keywords('SELECT ?load { ?s <urn:service> "LOAD" ; ex:service ?o ; ex:a\\#b ?x } # SERVICE') == 0
    assert keywords("select * { Service <x:y> {} } ; LoAd <a:b>") == 2
    with pytest.raises(Refused):
        check('SELECT * { ?s ?p """x""" . SERVICE <http://h/> {} }', update=False)
    check("SELECT * WHERE { ?s ?p ?o }", update=False)


# -------------------------------------------------------------------- 4. limits that stop work


def _worker_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(p) for p in pids)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f ?a ?d",
    ],
    ids=["count", "order-by"],
)
def test_a_query_past_its_limits_stops_using_cpu_and_memory(readonly: Server, query: str) -> None:
    port = port_of(readonly)
    peak = [0.0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], max((rss_mb(p) for p in workers(os.getpid())), default=0.0))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        status, _, body = raw(
            port, request("/query", "POST", query.encode(), {"Content-Type": "application/sparql-query"})
        )
    finally:
        elapsed = time.monotonic() - started
        done.set()
        watcher.join()
    assert status == 503 and (b"limit of 3 s" in body or b"limit of 512 MB" in body), body
    assert elapsed < 3 + 3
    assert peak[0] < 512 + 300, f"a worker reached {peak[0]:.0f} MB"
    time.sleep(1.0)  # the replacement worker has started; nothing is still computing
    pids = workers(os.getpid())
    before = _worker_cpu(pids)
    time.sleep(2.0)
    assert _worker_cpu(pids) - before < 0.5
    assert count(port) > 0  # and the endpoint answers


def test_results_and_bodies_are_bounded(readonly: Server, copy: Path) -> None:
    port = port_of(readonly)
    with Server(copy, Settings(port=0, max_result_mb=0.05, workers=1)) as small:
        status, _, body = raw(
            port_of(small), request("/query?" + urllib.parse.urlencode({"query": "SELECT * { GRAPH ?g { ?s ?p ?o } }"}))
        )
        assert status == 413 and b"limit of 0.05 MB" in body
    status, _, body = raw(
        port, request("/query", "POST", b"#" * (2 << 20), {"Content-Type": "application/sparql-query"})
    )
    assert status == 413, body
    # a declared body over the limit is refused before it is sent
    head = b"POST /query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\nContent-Length: 1000000000000\r\n\r\n"
    assert raw(port, head)[0] == 413


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Length: 1e12",
        b"Content-Length: abc",
        b"Content-Length: -1",
        b"Content-Length: 5\r\nContent-Length: 6",
        b"Bad header line without a colon",
        b"Content-Length: 5\r\nTransfer-Encoding: chunked",
        b"Transfer-Encoding: gzip",
    ],
)
def test_malformed_headers_get_400(readonly: Server, head: bytes) -> None:
    data = b"POST /query HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + head + b"\r\n\r\nASK{}"
    status, _, _ = raw(port_of(readonly), data, timeout=20)
    assert status == 400


def test_large_chunked_bodies_do_not_grow_the_server(cli_server: tuple[subprocess.Popen[bytes], int, Path]) -> None:
    process, port, _ = cli_server
    before = rss_mb(process.pid, "VmHWM")
    chunk = b"#" * (1 << 20)
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(
                b"POST /query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            )
            try:
                for _ in range(50):
                    s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            except OSError:
                pass  # the server answered and closed
            answer = s.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert rss_mb(process.pid, "VmHWM") - before < 40


def test_host_must_name_this_server(readonly: Server) -> None:
    data = b"GET /query?query=ASK%7B%7D HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"
    assert raw(port_of(readonly), data)[0] == 400


# ------------------------------------------------------------------------------ 5. tokens


def test_empty_or_blank_tokens_are_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for token in ("", " ", "\t\n"):
        with pytest.raises(ServeError, match="empty"):
            Server(tmp_path / "s", Settings(port=0, write_token=token)).start()
        monkeypatch.setenv("GRAFTKG_WRITE_TOKEN", token)
        with pytest.raises(ServeError, match="empty"):
            read_token()
        (tmp_path / "token").write_text(token)
        with pytest.raises(ServeError, match="empty"):
            read_token(tmp_path / "token")
    monkeypatch.setenv("GRAFTKG_WRITE_TOKEN", " ")
    assert main(["serve", "--store", str(tmp_path / "s"), "--port", "0"]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["serve", "--store", str(tmp_path / "s"), "--port", "0", "--write-token", "x"]) == 2
    err = capsys.readouterr().err
    assert "GRAFTKG_WRITE_TOKEN" in err and err.count("\n") == 1
    assert not (tmp_path / "s" / SERVER_FILE).exists()


# ------------------------------------------------------------------------- 6. concurrency


def test_two_hundred_concurrent_light_queries_are_all_answered(readonly: Server) -> None:
    port = port_of(readonly)
    query = urllib.parse.urlencode({"query": "SELECT ?g WHERE { GRAPH ?g { } } LIMIT 3"})

    def one(_: int) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", "/query?" + query, headers={"Accept": "application/sparql-results+json"})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    with ThreadPoolExecutor(200) as pool:
        statuses = list(pool.map(one, range(200)))
    assert statuses == [200] * 200


# ---------------------------------------------------------------------------- 7. stopping


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["TERM", "INT", "HUP"])
def test_a_signal_stops_the_server_and_its_workers(
    cli_server: tuple[subprocess.Popen[bytes], int, Path], number: int
) -> None:
    process, port, store = cli_server
    running = workers(process.pid)
    assert running and count(port) > 0
    known = set(children(process.pid))
    process.send_signal(number)
    assert process.wait(timeout=30) == 0
    wait_for_workers_to_exit(process.pid, known)
    assert not (store / SERVER_FILE).exists()
    assert submissions(store)  # the store opens: nothing holds it


def test_a_killed_server_leaves_no_worker_and_its_state_file_is_cleaned(
    cli_server: tuple[subprocess.Popen[bytes], int, Path],
) -> None:
    process, _, store = cli_server
    deadline = time.monotonic() + 30
    while len(workers(process.pid)) < 3:  # the read workers and the write worker are up
        assert time.monotonic() < deadline
        time.sleep(0.1)
    known = set(children(process.pid))
    process.kill()
    process.wait()
    wait_for_workers_to_exit(process.pid, known)
    assert (store / SERVER_FILE).exists()  # stale: its process is gone
    assert [s["name"] for s in submissions(store)] == ["paper"]
    assert not (store / SERVER_FILE).exists()
    with Server(store, Settings(port=0)) as again:
        assert count(port_of(again)) > 0


# --------------------------------------------------------------------------------- 8. CORS


def test_cors_is_off_unless_origins_are_named(readonly: Server, copy: Path) -> None:
    origin = {"Origin": "https://registry.example.org"}
    _, headers, _ = raw(port_of(readonly), request("/query?query=ASK%7B%7D", headers=origin))
    assert "access-control-allow-origin" not in headers
    assert (
        raw(
            port_of(readonly), request("/query", "OPTIONS", headers={**origin, "Access-Control-Request-Method": "POST"})
        )[0]
        == 405
    )
    with Server(copy, Settings(port=0, cors=("https://registry.example.org",), workers=1)) as server:
        port = port_of(server)
        _, headers, _ = raw(port, request("/query?query=ASK%7B%7D", headers=origin))
        assert headers.get("access-control-allow-origin") == "https://registry.example.org"
        _, headers, _ = raw(port, request("/query?query=ASK%7B%7D", headers={"Origin": "https://evil.example"}))
        assert "access-control-allow-origin" not in headers
        status, headers, _ = raw(
            port, request("/query", "OPTIONS", headers={**origin, "Access-Control-Request-Method": "POST"})
        )
        assert status == 200 and headers.get("access-control-allow-origin") == "https://registry.example.org"
    with pytest.raises(ServeError):
        Server(copy, Settings(port=0, cors=("*",))).start()


def test_the_query_page_needs_no_cross_origin_access(readonly: Server) -> None:
    status, headers, body = raw(port_of(readonly), request("/"))
    assert status == 200 and b"<html" in body and "connect-src 'self'" in headers["content-security-policy"]
