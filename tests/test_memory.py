"""Memory is bounded by the work, not by how rows spread over transplants: a bundle whose rows all
belong to one transplant (a million values for one patient) is read, validated and classified under a
hard memory cap, because a transplant may hold at most MAX_OBSERVATIONS observations."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from graftkg.readers.csv_bundle import MAX_OBSERVATIONS

from conftest import EXAMPLES, ROOT

#: the data segment a run may use (RLIMIT_DATA: heap and private mappings, where Python allocates)
CAP_BYTES = 900 * 1024 * 1024
ROWS = 3_000_000  # one transplant's rows: ~1.5 GB as records and facts without the bound


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (CAP_BYTES, CAP_BYTES))


@pytest.fixture(scope="module")
def one_huge_series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("huge")
    (folder / "transplants.csv").write_text((EXAMPLES / "paper-patients" / "csv" / "transplants.csv").read_text())
    with (folder / "observations.csv").open("w") as f:
        f.write("transplant_id,day,measure,value\n")
        block = "".join(f"P1-T1,{1 + i % 3000},ANC,{(i % 37) / 10}\n" for i in range(100_000))
        for _ in range(ROWS // 100_000):
            f.write(block)
    return folder


@pytest.mark.parametrize("verb", ["validate", "classify"])
def test_one_huge_series_is_handled_under_a_memory_cap(verb: str, one_huge_series: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "graftkg", verb, str(one_huge_series)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_capped,
    )
    assert "MemoryError" not in run.stderr and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.returncode == 1, run.stderr[-2000:]
    assert f"has more than {MAX_OBSERVATIONS:,} observations" in (run.stdout + run.stderr)


def test_the_cap_is_real(one_huge_series: Path, tmp_path: Path) -> None:
    """The same cap stops a run that holds every row in memory (here: the rows as Python lists)."""
    code = (
        "rows = [line.split(',') for line in open(" + repr(str(one_huge_series / "observations.csv")) + ")]\n"
        "print(len(rows))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, preexec_fn=_capped)
    assert run.returncode != 0 and "MemoryError" in run.stderr
