"""serve = a graftkg store as a SPARQL 1.1 endpoint that is safe to expose.

graftkg serves the SPARQL 1.1 Protocol itself (Starlette on uvicorn) over pyoxigraph, with each
request run in a worker process (:mod:`graftkg.store.endpoint`). What it guarantees:

* **read-only by construction** without a write token: the workers open the store with
  ``Store.read_only`` and there is no write worker, so nothing listening can change the store,
  whatever the request target, method or encoding. With a token (from ``GRAFTKG_WRITE_TOKEN`` or a
  file, never the command line), ``/update`` and the Graph Store writes need it;
* **no server-side requests**: ``SERVICE`` and ``LOAD`` are refused (400) unless their IRI starts with
  a prefix given to ``allow_service``; the workers run without sockets (seccomp) unless such a prefix
  is given;
* **limits that stop work**: a request past its time limit has its worker process killed; each
  worker's heap is capped; request bodies and results are bounded;
* **no cross-origin reads** unless origins are named (``cors``); ``Host`` must name this server when
  it listens on a loopback address (DNS rebinding);
* **a clean stop** on SIGTERM, SIGINT and SIGHUP (:meth:`Server.run_until_signalled`): workers
  ended, state file removed. A state file whose process is gone is removed by the next command.

While it runs, the store folder holds ``.graftkg-serve.json`` (mode 0600: URL, process id, the write
token) so that ``graftkg load`` and ``graftkg unload`` on the same folder write through the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import shutil
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from graftkg.errors import GraftkgError
from graftkg.store.load import DEFAULT_STORE, SERVER_FILE, release, remove_server_file, server_info, write_server_file

DEFAULT_PORT = 7878
DEFAULT_TIMEOUT_S = 30
DEFAULT_MAX_RESULT_MB = 64
DEFAULT_MAX_BODY_MB = 1
DEFAULT_MAX_UPDATE_MB = 1024
DEFAULT_UPDATE_TIMEOUT_S = 1800
DEFAULT_MEMORY_MB = 2048
DEFAULT_UPDATE_MEMORY_MB = 8192
DEFAULT_MAX_CONNECTIONS = 1024
TOKEN_VARIABLE = "GRAFTKG_WRITE_TOKEN"


class ServeError(GraftkgError):
    """The server could not start, or its settings are unusable."""


def oxigraph_binary() -> str:
    """The ``oxigraph`` server executable (PyPI ``oxigraph``): next to this Python, or on ``PATH``.

    graftkg serves its store itself; the Oxigraph server is what the tests and the README start as a
    stand-in for another site's store.

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


def read_token(path: str | Path | None = None) -> str | None:
    """The write token: from the file ``path`` if given, else ``$GRAFTKG_WRITE_TOKEN``; ``None`` if neither.

    The file's first line is the token. Empty or blank tokens are refused (:class:`ServeError`).

    Example:
        >>> import os
        >>> os.environ.pop("GRAFTKG_WRITE_TOKEN", None) and None
        >>> read_token() is None
        True
    """
    if path is not None:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ServeError(f"{path}: cannot read the write token: {getattr(exc, 'strerror', None) or exc}") from None
        token = lines[0] if lines else ""
        where = str(path)
    elif TOKEN_VARIABLE in os.environ:
        token, where = os.environ[TOKEN_VARIABLE], TOKEN_VARIABLE
    else:
        return None
    token = token.strip()
    if not token:
        raise ServeError(f"{where}: the write token is empty; give a long random one (e.g. openssl rand -hex 32)")
    return token


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    return False


@dataclass
class Settings:
    """How the endpoint is exposed, and its limits (see `docs/deploying-the-endpoint.md`)."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    write_token: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_result_mb: float = DEFAULT_MAX_RESULT_MB
    max_body_mb: float = DEFAULT_MAX_BODY_MB
    max_update_mb: float = DEFAULT_MAX_UPDATE_MB
    update_timeout_s: float = DEFAULT_UPDATE_TIMEOUT_S
    memory_mb: float = DEFAULT_MEMORY_MB
    update_memory_mb: float = DEFAULT_UPDATE_MEMORY_MB
    workers: int = field(default_factory=lambda: max(2, min(4, os.cpu_count() or 2)))
    allow_service: tuple[str, ...] = ()
    cors: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    max_connections: int = DEFAULT_MAX_CONNECTIONS

    def check(self) -> None:
        """Refuse unusable settings with a one-line :class:`ServeError`.

        Example:
            >>> Settings(write_token="  ").check()
            Traceback (most recent call last):
            graftkg.store.serve.ServeError: the write token is empty or blank: give a long random one
            >>> Settings(allow_service=("http://",)).check()
            Traceback (most recent call last):
            graftkg.store.serve.ServeError: --allow-service 'http://': give an http(s) IRI prefix with a host and a path
        """
        if self.write_token is not None and not self.write_token.strip():
            raise ServeError("the write token is empty or blank: give a long random one")
        for name in ("timeout_s", "max_result_mb", "max_body_mb", "max_update_mb", "update_timeout_s"):
            if not getattr(self, name) > 0:
                raise ServeError(f"{name.replace('_', '-')} must be positive")
        for name in ("memory_mb", "update_memory_mb"):
            if not getattr(self, name) >= 256:
                raise ServeError(f"{name.replace('_', '-')} must be at least 256 (a worker needs it to start)")
        if not 1 <= self.workers <= 64:
            raise ServeError("workers must be between 1 and 64")
        if not 0 <= self.port <= 65535:
            raise ServeError(f"port {self.port} is not a TCP port")
        for prefix in self.allow_service:
            scheme, _, rest = prefix.partition("://")
            host, slash, _ = rest.partition("/")
            if scheme.lower() not in ("http", "https") or not host or not slash:
                raise ServeError(f"--allow-service {prefix!r}: give an http(s) IRI prefix with a host and a path")
        for origin in self.cors:
            scheme, _, rest = origin.partition("://")
            if origin == "*" or scheme not in ("http", "https") or not rest or "/" in rest:
                raise ServeError(f"--cors {origin!r}: name an origin, e.g. https://registry.example.org")

    def hosts(self) -> list[str]:
        """The ``Host`` header values accepted (``*``: any).

        Example:
            >>> Settings().hosts()
            ['127.0.0.1', 'localhost', '[::1]']
            >>> Settings(host="0.0.0.0").hosts(), Settings(host="127.0.0.2").hosts()[-1]
            (['*'], '127.0.0.2')
        """
        if self.allowed_hosts:
            return list(self.allowed_hosts)
        if _loopback(self.host):
            names = ["127.0.0.1", "localhost", "[::1]"]
            return names if self.host in names else [*names, self.host]
        return ["*"]


class Server:
    """The endpoint on ``store``: its listening socket, event loop thread and workers (a context manager).

    Example (starts real processes; see ``tests/test_serve.py``)::

        with Server("graftkg-store", Settings(port=0)) as server:
            print(server.url)
    """

    def __init__(self, store: str | Path = DEFAULT_STORE, settings: Settings | None = None) -> None:
        self.store = Path(store)
        self.settings = settings or Settings()
        self.sandboxed = False
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._uvicorn: object | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        """The endpoint's base URL (queries at ``/query``)."""
        host = self.settings.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        port = self._socket.getsockname()[1] if self._socket else self.settings.port
        return f"http://{host}:{port}"

    def _prepare_store(self) -> None:
        info = server_info(self.store)  # removes a state file whose process is gone
        if info is not None:
            raise ServeError(f"{self.store / SERVER_FILE}: a server already runs on this store at {info['url']}")
        if self.store.exists() and not self.store.is_dir():
            raise ServeError(f"{self.store}: not a store folder")
        release(self.store)
        import pyoxigraph as ox

        try:  # made if missing; and refused now, not in a worker, if another process has it open to write
            probe = ox.Store(str(self.store))
        except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: a corrupt store (RocksDB)
            if "lock" in str(exc).lower():
                raise ServeError(f"{self.store}: the store is in use by another process (a load?)") from None
            raise ServeError(f"{self.store}: cannot open the store: {str(exc).splitlines()[0]}") from None
        del probe
        import gc

        gc.collect()

    def start(self) -> Server:
        """Check the settings, open the socket, start the workers, then accept requests."""
        self.settings.check()
        self._prepare_store()
        family = socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.settings.host, self.settings.port))
            sock.listen(2048)
        except OSError as exc:
            sock.close()
            raise ServeError(f"cannot listen on {self.settings.host}:{self.settings.port}: {exc.strerror}") from None
        sock.setblocking(False)
        self._socket = sock
        self._thread = threading.Thread(target=self._run, name="graftkg-serve", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join(10)
            self._close_socket()
            error, self._error = self._error, None
            raise ServeError(f"the endpoint could not start: {error}") from None
        write_server_file(self.store, self.url, self.settings.write_token)
        return self

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        import uvicorn
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.middleware.cors import CORSMiddleware
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        from graftkg.store.endpoint.app import Endpoint, Limits, http_error, routes

        s = self.settings
        limits = Limits(
            s.timeout_s,
            s.update_timeout_s,
            int(s.max_body_mb * 1024 * 1024),
            int(s.max_update_mb * 1024 * 1024),
            s.max_result_mb,
            s.memory_mb,
            s.update_memory_mb,
        )
        endpoint = Endpoint(str(self.store), limits, workers=s.workers, token=s.write_token, allow=s.allow_service)
        try:
            await endpoint.start()
        except Exception as exc:
            endpoint.close()
            self._error = exc
            self._ready.set()
            return
        self.sandboxed = endpoint.sandboxed
        middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=s.hosts())]
        if s.cors:
            middleware.append(
                Middleware(
                    CORSMiddleware,
                    allow_origins=list(s.cors),
                    allow_methods=["GET", "HEAD", "POST"],
                    allow_headers=["Accept", "Content-Type", "Authorization"],
                    max_age=600,
                )
            )
        app = Starlette(
            routes=routes(endpoint), middleware=middleware, exception_handlers={404: http_error, 405: http_error}
        )
        app.router.redirect_slashes = False  # one name per resource: /update/ is a 404, not a redirect
        config = uvicorn.Config(
            app,
            http="h11",
            loop="asyncio",
            lifespan="off",
            ws="none",
            log_level="critical" if not os.environ.get("GRAFTKG_SERVE_LOG") else "info",
            access_log=bool(os.environ.get("GRAFTKG_SERVE_LOG")),
            server_header=False,
            limit_concurrency=s.max_connections,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=5,
            h11_max_incomplete_event_size=16 * 1024,
            backlog=2048,
        )
        server = uvicorn.Server(config)
        self._uvicorn = server
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        try:
            assert self._socket is not None
            await server.serve(sockets=[self._socket])
        finally:
            endpoint.close()

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def stop(self) -> None:
        """Stop accepting, end the workers and remove the state file."""
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True  # type: ignore[attr-defined]
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        self._uvicorn = None
        self._close_socket()
        remove_server_file(self.store)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def running(self) -> bool:
        """Whether the server still accepts requests."""
        return self._thread is not None and self._thread.is_alive()

    def run_until_signalled(self) -> int:
        """Serve until SIGTERM, SIGINT or SIGHUP (main thread only), then stop cleanly; return 0.

        Returns 1 if the server stopped by itself.
        """
        stop = threading.Event()
        received: list[int] = []

        def handler(number: int, frame: FrameType | None) -> None:
            received.append(number)
            stop.set()

        wanted = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]
        previous = {number: signal.signal(number, handler) for number in wanted}
        try:
            while not stop.wait(0.5):
                if not self.running():
                    return 1
            return 0
        finally:
            self.stop()
            for number, old in previous.items():
                signal.signal(number, old)


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


__all__ = [
    "DEFAULT_PORT",
    "TOKEN_VARIABLE",
    "ServeError",
    "Server",
    "Settings",
    "free_port",
    "oxigraph_binary",
    "read_token",
    "serving",
]
