"""serve = the Oxigraph server on a graftkg store, behind a small gate that keeps it safe to expose.

The SPARQL work is Oxigraph's (``oxigraph serve`` from PyPI ``oxigraph``): SPARQL 1.1 Query, Update
and Graph Store protocols, JSON/XML/CSV/TSV results, Turtle/N-Triples for CONSTRUCT, the service
description, CORS and the query page at ``/``. It listens on a private port on 127.0.0.1; the gate in
front of it adds what a public endpoint needs and Oxigraph does not have:

* read-only unless a write token is set: ``/update`` and writes to ``/store`` need
  ``Authorization: Bearer <token>``;
* a bound on result size (``max_result_mb``); Oxigraph bounds query time (``timeout_s``).

While it runs, the store folder holds ``.graftkg-serve.json`` (mode 0600) so that ``graftkg load``
and ``graftkg unload`` on the same folder write through the server, and queries keep answering.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from graftkg.errors import GraftkgError
from graftkg.load import DEFAULT_STORE, SERVER_FILE, release

DEFAULT_PORT = 7878
DEFAULT_TIMEOUT_S = 30
DEFAULT_MAX_RESULT_MB = 64
_CANCELLED = b"The SPARQL operation has been cancelled"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}


class ServeError(GraftkgError):
    """The server could not start or stopped unexpectedly."""


def oxigraph_binary() -> str:
    """The ``oxigraph`` server executable: next to this Python, or on ``PATH``.

    Example:
        >>> Path(oxigraph_binary()).name
        'oxigraph'
    """
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        raise ServeError("the Oxigraph server is not installed: pip install oxigraph")
    return found


def free_port() -> int:
    """A free TCP port on 127.0.0.1.

    Example:
        >>> 1024 < free_port() < 65536
        True
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_write(method: str, path: str) -> bool:
    """Whether a request would change the store (SPARQL Update, or a Graph Store write).

    Example:
        >>> is_write("POST", "/update"), is_write("GET", "/store?graph=x"), is_write("DELETE", "/store?graph=x")
        (True, False, True)
    """
    route = path.split("?", 1)[0].rstrip("/")
    if route == "/update":
        return True
    return route == "/store" and method not in ("GET", "HEAD", "OPTIONS")


@dataclass
class Settings:
    """How the endpoint is exposed."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    write_token: str | None = None
    timeout_s: int = DEFAULT_TIMEOUT_S
    max_result_mb: float = DEFAULT_MAX_RESULT_MB


class _Gate(BaseHTTPRequestHandler):
    upstream: tuple[str, int] = ("127.0.0.1", 0)
    settings: Settings = Settings()
    protocol_version = "HTTP/1.1"
    server_version = "graftkg"

    def log_message(self, format: str, *args: object) -> None:
        if os.environ.get("GRAFTKG_SERVE_LOG"):
            super().log_message(format, *args)

    def _refuse(self, code: int, message: str) -> None:
        body = (message + "\n").encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def _forward(self) -> None:
        if is_write(self.command, self.path):
            token = self.settings.write_token
            if token is None:
                self._refuse(403, "read-only endpoint: start graftkg serve with --write-token to accept writes")
                return
            given = self.headers.get("Authorization", "")
            if not secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
                self._refuse(401, "writes need the write token: Authorization: Bearer <token>")
                return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP | {"host", "authorization"}}
        connection = http.client.HTTPConnection(*self.upstream, timeout=self.settings.timeout_s + 30)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            limit = int(self.settings.max_result_mb * 1024 * 1024)
            data = response.read(limit + 1)
            if len(data) > limit:
                self._refuse(
                    413,
                    f"the result is larger than this endpoint's limit of {self.settings.max_result_mb:g} MB: "
                    "add LIMIT to the query, or ask for a server started with a higher --max-result-mb",
                )
                return
            if _CANCELLED in data[-200:]:
                # Oxigraph streams results: a query that hits the time limit ends its 200 body with this
                self._refuse(
                    503,
                    f"the query ran longer than this endpoint's limit of {self.settings.timeout_s} s and was "
                    "stopped: narrow it, or ask for a server started with a higher --timeout",
                )
                return
            self.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP | {"content-length", "server", "date"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except (OSError, http.client.HTTPException) as exc:
            self._refuse(502, f"the SPARQL server did not answer: {exc}")
        finally:
            connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _forward


class Server:
    """Oxigraph on ``store`` plus the gate, started and stopped together (a context manager).

    Example (starts real processes; see ``tests/test_serve.py``)::

        with Server("graftkg-store", Settings(port=7878)) as server:
            print(server.url)
    """

    def __init__(self, store: str | Path = DEFAULT_STORE, settings: Settings | None = None) -> None:
        self.store = Path(store)
        self.settings = settings or Settings()
        self._process: subprocess.Popen[bytes] | None = None
        self._gate: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The endpoint's base URL (queries at ``/query``)."""
        host = self.settings.host if self.settings.host not in ("0.0.0.0", "") else "127.0.0.1"
        port = self._gate.server_address[1] if self._gate else self.settings.port
        return f"http://{host}:{port}"

    def start(self) -> Server:
        """Start Oxigraph on a private port, wait until it answers, then open the gate."""
        marker = self.store / SERVER_FILE
        if marker.exists():
            raise ServeError(f"{marker} exists: a server already runs on this store (remove the file if it does not)")
        self.store.mkdir(parents=True, exist_ok=True)
        release(self.store)
        port = free_port()
        command = [
            oxigraph_binary(),
            "serve",
            "--location",
            str(self.store),
            "--bind",
            f"127.0.0.1:{port}",
            "--cors",
            "--union-default-graph",
            "--timeout-s",
            str(self.settings.timeout_s),
        ]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_until_up(self._process, port)
        handler = type("Gate", (_Gate,), {"upstream": ("127.0.0.1", port), "settings": self.settings})
        try:
            self._gate = ThreadingHTTPServer((self.settings.host, self.settings.port), handler)
        except OSError as exc:
            self.stop()
            raise ServeError(f"cannot listen on {self.settings.host}:{self.settings.port}: {exc.strerror}") from None
        self._gate.daemon_threads = True
        self._thread = threading.Thread(target=self._gate.serve_forever, daemon=True)
        self._thread.start()
        info = {"url": f"http://127.0.0.1:{self._gate.server_address[1]}", "write_token": self.settings.write_token}
        marker.write_text(json.dumps(info), encoding="utf-8")
        marker.chmod(0o600)
        return self

    def stop(self) -> None:
        """Close the gate, stop Oxigraph and remove the server file."""
        if self._gate is not None:
            self._gate.shutdown()
            self._gate.server_close()
            self._gate = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
        with contextlib.suppress(FileNotFoundError):
            (self.store / SERVER_FILE).unlink()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self) -> int:
        """Block until Oxigraph exits (or Ctrl-C); return its exit code."""
        assert self._process is not None
        return self._process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = (process.stderr.read() if process.stderr else b"").decode("utf-8", "replace").strip().splitlines()
            reason = next((line.strip() for line in error if "rror" in line), error[0] if error else process.returncode)
            raise ServeError(f"the Oxigraph server stopped: {reason}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    process.kill()
    raise ServeError(f"the Oxigraph server did not start within {timeout:.0f} s")


@contextlib.contextmanager
def serving(store: str | Path, settings: Settings | None = None) -> Iterator[Server]:
    """Run a server for the duration of a ``with`` block.

    Example (starts real processes)::

        with serving("graftkg-store", Settings(port=0)) as server:
            run_endpoint(server.url + "/query", "list-outcomes")
    """
    server = Server(store, settings).start()
    try:
        yield server
    finally:
        server.stop()


__all__ = ["DEFAULT_PORT", "ServeError", "Server", "Settings", "free_port", "is_write", "oxigraph_binary", "serving"]
