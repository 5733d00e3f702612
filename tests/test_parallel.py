"""One parallel runner (graftkg.parallel) under both start methods: the same answers as one process,
workers that die or fail stop the run, and two validations can run at once in one process."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graftkg.parallel import WorkerDied, ranges, run, start_method
from graftkg.readers import read_inputs
from graftkg.semantics.classify import classify_records
from graftkg.synthetic.generate import write_bundle
from graftkg.validation.validate import validate_paths, validate_records


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 synthetic transplants, a quarter of them with an injected error of each kind."""
    from graftkg.readers.csv_bundle import write_bundle_records
    from graftkg.synthetic.mutate import inject

    clean = write_bundle(tmp_path_factory.mktemp("parallel") / "b", n=120, seed=21)
    records = read_inputs([clean], lenient=True)
    inject(records, 0.25, seed=3)
    return write_bundle_records(records, tmp_path_factory.mktemp("parallel-mutated"))


def _findings(report: object) -> list[tuple[object, ...]]:
    return sorted(
        (f.severity, str(f.transplant_id), f.field, f.rule, str(f.value), str(f.location), f.message)  # type: ignore[attr-defined]
        for f in report.findings  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_classify_and_validate_give_one_process_s_answers(
    bundle: Path, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAFTKG_START_METHOD", method)
    assert start_method() == method
    records = read_inputs([bundle], lenient=True)
    alone = classify_records(records, workers=1)
    shared = classify_records(records, workers=2)
    assert [(c.transplant_id, c.outcome, sorted(c.classes), c.explanation) for c in shared] == [
        (c.transplant_id, c.outcome, sorted(c.classes), c.explanation) for c in alone
    ]
    lenient = read_inputs([bundle], lenient=True)
    serial = _findings(validate_records(lenient, workers=1))
    assert len({f[3] for f in serial}) > 5, "the injected errors are found"
    assert _findings(validate_records(lenient, workers=2)) == serial
    assert _findings(validate_paths([bundle], workers=2)) == _findings(validate_paths([bundle], workers=1))


def _die(state: int, chunk: int) -> int:
    if chunk == state:
        os.kill(os.getpid(), signal.SIGKILL)
    return chunk


def _fail(state: int, chunk: int) -> int:
    if chunk == state:
        raise ZeroDivisionError("a bug in a worker")
    return chunk


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_worker_that_dies_or_fails_stops_the_run(method: str) -> None:
    with pytest.raises(WorkerDied, match="died before finishing"):
        list(run(_die, 3, list(range(6)), workers=2, method=method))
    with pytest.raises(RuntimeError, match="ZeroDivisionError: a bug in a worker"):
        list(run(_fail, 3, list(range(6)), workers=2, method=method))
    assert list(run(_fail, 99, list(range(6)), workers=2, method=method)) == list(range(6))


def test_two_validations_run_at_once_in_one_process(bundle: Path, tmp_path: Path) -> None:
    other = write_bundle(tmp_path / "other", n=80, seed=22, profile="astct-2021")
    a, b = read_inputs([bundle], lenient=True), read_inputs([other], lenient=True)
    alone = (_findings(validate_records(a, workers=1)), _findings(validate_records(b, profile="astct-2021", workers=1)))
    with ThreadPoolExecutor(2) as pool:
        fa = pool.submit(validate_records, a, workers=1)
        fb = pool.submit(validate_records, b, profile="astct-2021", workers=1)
        together = (_findings(fa.result()), _findings(fb.result()))
    assert together == alone


def test_ranges_cover_every_record_once() -> None:
    for total in (0, 1, 7, 100, 5001):
        for workers in (1, 2, 3):
            covered = [i for start, end in ranges(total, workers) for i in range(start, end)]
            assert covered == list(range(total))


@pytest.mark.reasoner
def test_hermit_batches_on_spawned_workers_agree_with_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """HermiT's command-line batches on spawned workers (each builds its own reasoner from the profile;
    the persistent Java processes run on threads and are held to the command line elsewhere)."""
    from graftkg.semantics.classify import prepare
    from graftkg.semantics.definitions import Definitions
    from graftkg.semantics.reason import FastReasoner, HermitReasoner

    from conftest import EXAMPLES

    monkeypatch.setenv("GRAFTKG_START_METHOD", "spawn")
    defs = Definitions("paper")
    facts = [tf for tf, _ in prepare(read_inputs([EXAMPLES / "paper-patients" / "csv"]), defs)]
    fast = FastReasoner(defs)
    hermit = HermitReasoner(defs, batch_size=3, workers=2, persistent=False)
    assert hermit.classify_many(facts) == [fast.classify(tf) for tf in facts]


def test_no_cache_is_keyed_by_id_and_only_the_worker_initialiser_sets_a_global() -> None:
    """Run state lives in no module: ``id()`` appears only in text (a debug file's name), and the one
    ``global`` statement is the worker processes' initialiser in :mod:`graftkg.parallel`."""
    import ast

    src = Path(__file__).resolve().parents[1] / "src" / "graftkg"
    ids, globals_ = [], []
    for path in sorted(src.rglob("*.py")):
        tree = ast.parse(path.read_text())
        in_text = {id(n) for s in ast.walk(tree) if isinstance(s, ast.JoinedStr) for n in ast.walk(s)}
        for node in ast.walk(tree):
            name = str(path.relative_to(src))
            called = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "id"
            if called and id(node) not in in_text:
                ids.append(f"{name}:{node.lineno}")
            if isinstance(node, ast.Global):
                globals_.append(f"{name}:{','.join(node.names)}")
    assert ids == []
    assert globals_ == ["parallel.py:_TASK"]
