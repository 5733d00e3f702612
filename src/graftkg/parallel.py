"""Work spread over processes: one runner for classification, validation and HermiT's batches.

:func:`run` applies ``function(state, chunk)`` to each chunk and yields the results in the chunks'
order. ``state`` is what every chunk reads (the records, the profile): it goes to each worker process
once, when the process starts - inherited without copying where processes fork, pickled where they
spawn - and ``chunk`` is small (a range of indices, a batch). With one worker the function runs here,
in this process, with the same ``state``: nothing is kept in a module global of the calling process,
so two runs can go on side by side.

The start method is ``fork`` where the platform has it (Linux: the workers share the parent's pages,
so large inputs cost no copy) and ``spawn`` elsewhere (macOS, Windows); ``GRAFTKG_START_METHOD``
chooses (``fork``, ``spawn`` or ``forkserver``), and the tests run both. A worker that dies (killed,
out of memory) stops the run with :class:`WorkerDied` instead of leaving it waiting; an error a
worker raises reaches the caller (a :class:`~graftkg.errors.GraftkgError` as it is, any other as a
``RuntimeError`` carrying the worker's traceback).

Example:
    >>> list(run(lambda offset, chunk: [x + offset for x in chunk], 10, [[1, 2], [3]], workers=1))
    [[11, 12], [13]]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from graftkg.errors import GraftkgError

S = TypeVar("S")
C = TypeVar("C")
R = TypeVar("R")

#: inputs larger than this many records are spread over every core unless told otherwise
PARALLEL_THRESHOLD = 5000
START_METHODS = ("fork", "spawn", "forkserver")


class WorkerDied(GraftkgError):
    """A worker process ended without finishing its work (killed, or out of memory)."""


def start_method() -> str:
    """The start method of worker processes: ``GRAFTKG_START_METHOD``, else ``fork`` where available.

    Example:
        >>> start_method() in START_METHODS
        True
    """
    import multiprocessing

    chosen = os.environ.get("GRAFTKG_START_METHOD")
    if chosen:
        if chosen not in START_METHODS:
            raise GraftkgError(f"GRAFTKG_START_METHOD={chosen!r}: expected one of {', '.join(START_METHODS)}")
        return chosen
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def worker_count(items: int, workers: int | None) -> int:
    """How many processes to use for ``items`` records: ``workers`` if given, else every core above
    :data:`PARALLEL_THRESHOLD` records and one below.

    Example:
        >>> worker_count(10, None), worker_count(10, 3)
        (1, 3)
    """
    if workers is None:
        return (os.cpu_count() or 1) if items > PARALLEL_THRESHOLD else 1
    return max(1, workers)


def ranges(total: int, workers: int, per_worker: int = 8) -> list[tuple[int, int]]:
    """``[start, end)`` ranges covering ``range(total)``: about ``per_worker`` for each worker, so that a
    slow range does not hold the others up.

    Example:
        >>> ranges(10, 1, per_worker=3)
        [(0, 4), (4, 8), (8, 10)]
    """
    size = max(1, -(-total // max(1, workers * per_worker)))
    return [(i, min(i + size, total)) for i in range(0, total, size)]


#: in a worker process only: the function and the state it was started with (see :func:`_start`)
_TASK: tuple[Callable[[Any, Any], Any], Any] | None = None


def _start(function: Callable[[Any, Any], Any], state: Any) -> None:
    global _TASK
    _TASK = (function, state)


def _call(chunk: Any) -> Any:
    assert _TASK is not None, "a worker process runs only after _start"
    function, state = _TASK
    return function(state, chunk)


def run(
    function: Callable[[S, C], R],
    state: S,
    chunks: Sequence[C],
    *,
    workers: int,
    method: str | None = None,
) -> Iterator[R]:
    """``function(state, chunk)`` for each chunk, in order, on up to ``workers`` processes.

    ``function`` must be a module-level function (it is named, not pickled, where processes fork);
    under ``spawn`` ``state`` and the results must pickle.
    """
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield function(state, chunk)
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    context = get_context(method or start_method())
    with ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)), mp_context=context, initializer=_start, initargs=(function, state)
    ) as pool:
        try:
            yield from pool.map(_call, chunks)
        except BrokenProcessPool:
            raise WorkerDied(
                "a worker process died before finishing (killed, or out of memory): nothing was produced"
            ) from None
        except GraftkgError:
            raise  # bad input found by a worker: reported as it would be here
        except Exception as exc:  # a bug: the parent raises it with the worker's traceback
            remote = getattr(exc.__cause__, "tb", "")
            raise RuntimeError(f"a worker process failed: {exc!r}\n{remote}") from None


__all__ = ["PARALLEL_THRESHOLD", "START_METHODS", "WorkerDied", "ranges", "run", "start_method", "worker_count"]
