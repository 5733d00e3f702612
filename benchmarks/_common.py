"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

# the tests' reference implementations (tests/reference_*.py: pySHACL on graftkg's shapes, ...) are
# importable by the benchmarks that compare with them
sys.path.append(str(Path(__file__).resolve().parent.parent / "tests"))


def peak_mb() -> tuple[float, float]:
    """Peak resident memory in MB: this process, and the largest of its finished child processes.

    This process's own peak is read from ``/proc/self/status`` (``VmHWM``) where there is one: Linux
    carries ``ru_maxrss`` over an ``exec``, so a benchmark started by a large process would report
    that process's peak as its own.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1]) / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children
