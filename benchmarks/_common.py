"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import resource


def peak_mb() -> tuple[float, float]:
    """Peak resident memory in MB: this process, and the largest of its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children
