"""Pausing Python's cyclic garbage collector while graftkg builds millions of small objects.

Reading a registry and building each transplant's facts create millions of lists, dicts and
records that never form reference cycles. Every few thousand new objects the collector walks all
of them: on 20,000 synthetic transplants those walks were a quarter of a validation run. Reference
counting still frees everything as usual while the collector is paused; cycles (rare here) are
collected when it resumes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the ``with`` block (nesting is fine), then restore it.

    Example:
        >>> with paused():
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


__all__ = ["paused"]
