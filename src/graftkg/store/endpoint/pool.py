"""Worker processes as the server sees them: start, hand out, time out, kill, replace, retire.

Every request runs in a worker process (:mod:`graftkg.store.endpoint.worker`), so a request that passes
its time limit is stopped by ending its process: its CPU and memory are returned at once, whatever
the query engine was doing (a ``COUNT`` or an ``ORDER BY`` over a huge join cannot be interrupted
from inside). A killed worker is replaced in the background.

A pool is replaced whole after each write (a read-only worker sees the store as it was when it
opened it): requests already running finish on the old workers, new ones get the new workers, so a
reader sees the store before a write or after it, never between.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from graftkg.store.endpoint.protocol import Closed, read_frame, write_frame


class WorkerFailed(Exception):
    """A worker could not start, or died during a request (message: why, for the client)."""


class Busy(Exception):
    """No worker became free before the request's deadline."""


@dataclass
class Reply:
    """A worker's answer: HTTP status, content type, body and, on refusals, a one-line message."""

    status: int
    content_type: str | None
    body: bytes
    message: str = ""
    retire: bool = False


@dataclass
class WorkerSpec:
    """How to start a worker: the store, read-only or not, and its limits."""

    store: str
    write: bool
    memory_mb: float
    max_result_bytes: int
    allow: tuple[str, ...] = ()

    def argv(self) -> list[str]:
        """The command line of a worker process.

        Example:
            >>> WorkerSpec("s", False, 512, 1000).argv()[1:6]
            ['-m', 'graftkg.store.endpoint.worker', '--store', 's', '--parent']
        """
        argv = [
            sys.executable,
            "-m",
            "graftkg.store.endpoint.worker",
            "--store",
            self.store,
            "--parent",
            str(os.getpid()),
        ]
        argv += ["--memory-mb", f"{self.memory_mb:g}", "--max-result-bytes", str(self.max_result_bytes)]
        if self.write:
            argv.append("--write")
        for prefix in self.allow:
            argv += ["--allow", prefix]
        if self.allow:
            argv.append("--network")
        return argv


class Process:
    """One worker process and its pipes (blocking calls: run them in a thread)."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.process = subprocess.Popen(
            spec.argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.sandboxed = False

    def wait_ready(self) -> None:
        assert self.process.stdout is not None
        try:
            header, _ = read_frame(self.process.stdout)
        except Closed:
            self.kill()
            raise WorkerFailed(f"a query worker exited at start (exit code {self.process.wait()})") from None
        if not header.get("ready"):
            self.kill()
            raise WorkerFailed(str(header.get("message") or "a query worker could not open the store"))
        self.sandboxed = bool(header.get("sandboxed"))

    def call(self, header: dict[str, Any], body: bytes) -> Reply:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            write_frame(self.process.stdin, header, body)
            reply, data = read_frame(self.process.stdout)
        except (Closed, OSError):
            raise WorkerFailed(self._death()) from None
        message = str(reply.get("message") or "")
        return Reply(int(reply["status"]), reply.get("type"), data, message, bool(reply.get("retire")))

    def _death(self) -> str:
        code = self.process.wait()
        if code in (-6, -9, 134, 137):  # SIGABRT: an allocation over the heap cap; SIGKILL: killed
            return "memory"
        return f"exit code {code}"

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdin:
                self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdout:
                self.process.stdout.close()

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Pool:
    """``size`` workers of one kind, handed out one request at a time (FIFO among waiting requests)."""

    spec: WorkerSpec
    size: int
    executor: ThreadPoolExecutor
    on_failure: Callable[[str], None] = lambda message: None
    _idle: list[Process] = field(default_factory=list)
    _all: set[Process] = field(default_factory=set)
    _retired: bool = False
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _tasks: set[asyncio.Future[None]] = field(default_factory=set)

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _spawn(self) -> Process:
        process = Process(self.spec)  # started on the loop's thread: its death signal follows the server
        self._all.add(process)
        try:
            await asyncio.get_running_loop().run_in_executor(self.executor, process.wait_ready)
        except BaseException:
            self._all.discard(process)
            process.kill()
            raise
        return process

    async def start(self) -> Pool:
        """Start every worker and wait until each has opened the store."""
        started = await asyncio.gather(*(self._spawn() for _ in range(self.size)), return_exceptions=True)
        failed = [s for s in started if isinstance(s, BaseException)]
        if failed:
            for s in started:
                if isinstance(s, Process):
                    self._all.discard(s)
                    s.kill()
            raise failed[0]
        self._idle = [s for s in started if isinstance(s, Process)]
        return self

    @property
    def ended(self) -> bool:
        """Whether every worker of this pool has ended."""
        return not any(p.alive() for p in self._all)

    @property
    def sandboxed(self) -> bool:
        """Whether every worker runs without sockets."""
        return all(p.sandboxed for p in self._all)

    async def _replace(self, process: Process) -> None:
        self._all.discard(process)
        await asyncio.get_running_loop().run_in_executor(self.executor, process.kill)
        if self._retired:
            return
        try:
            fresh = await self._spawn()
        except (WorkerFailed, OSError) as exc:
            self.on_failure(f"a query worker could not be restarted: {exc}")
            return
        await self._give_back(fresh)

    async def _give_back(self, process: Process) -> None:
        async with self._changed:
            if self._retired:
                self._all.discard(process)
                process.kill()
                return
            self._idle.append(process)
            self._changed.notify()

    async def run(self, header: dict[str, Any], body: bytes, deadline: float) -> Reply | None:
        """Run one request before ``deadline`` (``time.monotonic``); ``None`` if this pool was retired.

        Raises :class:`Busy` if no worker is free before the deadline, ``TimeoutError`` when the
        deadline passes during the request (the worker is then killed and replaced) and
        :class:`WorkerFailed` when the worker dies (e.g. over its memory cap).
        """
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self._retired or bool(self._idle)), _left(deadline)
                )
            except TimeoutError:
                raise Busy from None
            if self._retired:
                return None
            process = self._idle.pop(0)
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(self.executor, process.call, header, body)
        try:
            reply = await asyncio.wait_for(asyncio.shield(call), _left(deadline))
        except TimeoutError:
            process.kill()  # the blocked call in its thread then ends with WorkerFailed
            with contextlib.suppress(WorkerFailed):
                await call
            self._later(self._replace(process))
            raise
        except WorkerFailed:
            self._later(self._replace(process))
            raise
        if reply.retire:
            self._later(self._replace(process))
        else:
            await self._give_back(process)
        return reply

    async def retire(self) -> None:
        """Stop handing out workers; end the idle ones now and the busy ones when they finish."""
        async with self._changed:
            self._retired = True
            idle, self._idle = self._idle, []
            self._changed.notify_all()
        for process in idle:
            self._all.discard(process)
            await asyncio.get_running_loop().run_in_executor(self.executor, process.kill)

    def kill_all(self) -> None:
        """End every worker at once (server stop)."""
        self._retired = True
        for process in list(self._all):
            process.kill()
        self._all.clear()
        self._idle.clear()


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


__all__ = ["Busy", "Pool", "Process", "Reply", "WorkerFailed", "WorkerSpec"]
