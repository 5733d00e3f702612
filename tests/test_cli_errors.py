"""Every verb, given bad arguments, bad paths or malformed input, exits 2 with one line and no traceback.

Bad paths: missing, a folder where a file belongs, a FIFO (which would block a reader), a file the
system refuses to read, a loop of symbolic links, and a link to a system file (whose first line must
not be echoed). The commands run in a child process, as a user runs them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import graftkg.errors
from graftkg.cli import main

from conftest import EXAMPLES, ROOT

BUNDLE = EXAMPLES / "paper-patients" / "csv"
PASSWD_FIRST_LINE = Path("/etc/passwd").read_text().splitlines()[0] if Path("/etc/passwd").is_file() else None


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graftkg", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _one_line_error(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    lines = [line for line in run.stderr.splitlines() if not line.startswith("reading ")]  # load's progress
    assert len(lines) == 1, run.stderr
    assert "error:" in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad")
    paths = {
        "missing": root / "missing.ttl",
        "folder": root / "folder.ttl",
        "fifo": root / "fifo.ttl",
        "loop": root / "loop.ttl",
    }
    paths["folder"].mkdir()
    os.mkfifo(paths["fifo"])
    (root / "loop-b.ttl").symlink_to(paths["loop"])
    paths["loop"].symlink_to(root / "loop-b.ttl")
    if PASSWD_FIRST_LINE is not None:
        for suffix in (".ttl", ".nt", ".jsonld"):
            link = root / f"system{suffix}"
            link.symlink_to("/etc/passwd")
            paths[f"system{suffix}"] = link
        bundle = root / "system-bundle"
        bundle.mkdir()
        (bundle / "transplants.csv").symlink_to("/etc/passwd")
        (bundle / "observations.csv").write_text((BUNDLE / "observations.csv").read_text())
        paths["system bundle"] = bundle
    fifo_bundle = root / "fifo-bundle"
    fifo_bundle.mkdir()
    os.mkfifo(fifo_bundle / "transplants.csv")
    (fifo_bundle / "observations.csv").write_text("transplant_id,day,measure,value\n")
    paths["fifo bundle"] = fifo_bundle
    return paths


KINDS = [
    "missing",
    "folder",
    "fifo",
    "loop",
    "system.ttl",
    "system.nt",
    "system.jsonld",
    "system bundle",
    "fifo bundle",
]


def _verbs(path: Path, tmp: Path) -> list[list[str]]:
    return [
        ["classify", str(path)],
        ["convert", str(path)],
        ["validate", str(path)],
        ["report", str(path), "--transplant", "P1-T1"],
        ["query", "risk-factors-for-transplant", "--data", str(path), "--param", "transplant_id=P1-T1"],
        ["load", str(path), "--store", str(tmp / "store")],
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_every_reading_verb_refuses_a_bad_path_in_one_line(kind: str, bad: dict[str, Path], tmp_path: Path) -> None:
    if kind not in bad:
        pytest.fail("/etc/passwd is missing: the system-file cases cannot be built")
    for args in _verbs(bad[kind], tmp_path):
        line = _one_line_error(_run(*args))
        if PASSWD_FIRST_LINE is not None:
            assert PASSWD_FIRST_LINE not in line and "root:x" not in line, line


def test_import_refuses_bad_paths(bad: dict[str, Path], tmp_path: Path) -> None:
    for kind in ("missing", "folder", "fifo", "loop"):
        _one_line_error(_run("import", "uci-bmt", str(bad[kind]), str(tmp_path / kind)))


def test_an_unreadable_file_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file the system refuses. As root no permission stops a read, so the refusal is made by the
    one place every reader opens an input (graftkg.errors.read_input_bytes); as another user, a real
    chmod 000 too."""
    path = tmp_path / "locked.ttl"
    path.write_text((EXAMPLES / "paper-patients" / "paper-patients.ttl").read_text())

    def refused(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(args[0]))

    monkeypatch.setattr(graftkg.errors, "open", refused, raising=False)
    for verb in (["classify"], ["convert"], ["validate"]):
        assert main([*verb, str(path)]) == 2
        err = capsys.readouterr().err
        assert err == f"graftkg: error: {path}: cannot be read: Permission denied\n"
    monkeypatch.undo()
    if os.geteuid() != 0:
        path.chmod(0)
        try:
            assert "cannot be read: Permission denied" in _one_line_error(_run("classify", str(path)))
        finally:
            path.chmod(0o600)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["nope"],
        ["classify"],
        ["classify", "x", "--format", "nope"],
        ["classify", "x", "--definitions", "nope"],
        ["classify", "x", "--definitions", str(EXAMPLES.parent / "ontology" / "risk-factors.ttl")],  # not a profile
        ["query"],
        ["query", "no-such-query", "--data", str(BUNDLE)],
        ["query", "risk-factors-for-transplant", "--data", str(BUNDLE), "--param", "nonsense"],
        ["query", "risk-factors-for-transplant", "--data", str(BUNDLE), "--param", "nope=1"],
        ["query", "risk-factors-for-transplant", "--data", str(BUNDLE), "--param", "transplant_id=\udcff"],
        ["query", "risk-factors-for-transplant", "--data", str(BUNDLE), "--param", "transplant_id=a\x1b[31m"],
        ["synth", "--n", "-5", "out"],
        ["synth", "--n", "0", "out"],
        ["synth", "--n", "3", str(BUNDLE / "transplants.csv")],
        ["report", str(BUNDLE), "--transplant", "P1-T1", "--output", "no/such/folder/r.html"],
        ["report", str(BUNDLE), "--transplant", "NOBODY"],
        ["serve", "--store", str(BUNDLE / "transplants.csv")],
        ["load", "--store", str(BUNDLE / "transplants.csv"), str(BUNDLE)],
        ["serve", "--port", "not-a-port"],
        ["import", "nope", "a", "b"],
    ],
    ids=lambda a: " ".join(a)[:60] or "(nothing)",
)
def test_bad_arguments_are_one_line(args: list[str], tmp_path: Path) -> None:
    line = _one_line_error(_run(*args, cwd=tmp_path) if args[:1] == ["synth"] else _run(*args))
    assert "\x1b" not in line and "\udcff" not in line


def test_a_corrupt_store_is_one_line(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "CURRENT").write_text("garbage\n")
    (store / "MANIFEST-000001").write_text("junk\n")
    for args in (
        ["query", "risk-factors-for-transplant", "--store", str(store), "--param", "transplant_id=X"],
        ["load", str(BUNDLE), "--store", str(store)],
        ["serve", "--store", str(store)],
    ):
        assert "cannot open the store" in _one_line_error(_run(*args))


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("1" + "0" * 400, "has too many digits"),  # would be infinite as a float
        ("9" * 4400, "has too many digits"),  # beyond Python's int digit limit
        ("1e999", "is not a number"),
    ],
)
def test_numbers_too_long_or_infinite_are_located_errors(cell: str, problem: str, tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "transplants.csv").write_text((BUNDLE / "transplants.csv").read_text())
    (folder / "observations.csv").write_text(f"transplant_id,day,measure,value\nP1-T1,3,ANC,{cell}\n")
    line = _one_line_error(_run("classify", str(folder), "--fail-fast"))
    assert "observations.csv:2: field 'value': '" in line and problem in line and len(line) < 300


@pytest.mark.parametrize("literal", ['"NaN"^^xsd:double', '"INF"^^xsd:double', '"-INF"^^xsd:double'])
def test_non_finite_turtle_values_are_refused(literal: str, tmp_path: Path) -> None:
    text = (EXAMPLES / "paper-patients" / "paper-patients.ttl").read_text()
    path = tmp_path / "in.ttl"
    path.write_text(text.replace("gk:donorChimerismPct 2.0 ;", f"gk:donorChimerismPct {literal} ;", 1))
    line = _one_line_error(_run("classify", str(path), "--fail-fast"))
    assert "is not a finite number" in line


def test_a_day_beyond_the_int_digit_limit_in_turtle(tmp_path: Path) -> None:
    text = (EXAMPLES / "paper-patients" / "paper-patients.ttl").read_text()
    path = tmp_path / "in.ttl"
    path.write_text(text.replace("gk:day 14 ;", "gk:day " + "9" * 4400 + " ;", 1))
    assert "gk:day " + "9" * 10 in path.read_text()
    line = _one_line_error(_run("classify", str(path), "--fail-fast"))
    assert "9" * 100 not in line


def test_identifiers_with_control_characters_are_printed_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    rows = (BUNDLE / "transplants.csv").read_text().splitlines()
    rows[1] = '"P1\x1b[31m\nT1"' + rows[1][len("P1-T1") :]
    (folder / "transplants.csv").write_text("\n".join(rows) + "\n")
    obs = (BUNDLE / "observations.csv").read_text().splitlines()
    (folder / "observations.csv").write_text(
        "\n".join([obs[0], *(r for r in obs[1:] if not r.startswith("P1-T1,"))]) + '\n"P1\x1b[31m\nT1",5,ANC,x,,\n'
    )
    run = _run("classify", str(folder))
    assert run.returncode == 1 and "\x1b" not in run.stderr and "\x1b" not in run.stdout
    assert "transplant P1\\x1b[31m\\nT1: " in run.stderr


def test_a_transplant_query_without_data_says_what_is_missing() -> None:
    line = _one_line_error(_run("query", "transplants-by-outcome", "--param", "outcome=engrafted"))
    assert "reads transplant data: give --data PATH, --store DIR or --endpoint URL" in line
    knowledge = _run("query", "conflicting-claims", "--format", "csv")  # the knowledge base answers it alone
    assert knowledge.returncode == 0 and len(knowledge.stdout.splitlines()) > 1


def test_queries_lists_parameters_with_allowed_values() -> None:
    run = _run("queries")
    assert run.returncode == 0
    assert (
        "--param outcome=...  (one of engrafted, not_evaluable, poor_graft_function, primary_graft_failure, "
        in run.stdout
    )
    assert "reads: knowledge" in run.stdout and "reads: transplants" in run.stdout
