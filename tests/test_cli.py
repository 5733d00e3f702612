"""The command line, run in-process: formats, exit codes; and the example commands README and docs/ show
with their output, run and compared with what is shown."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from graftkg.cli import main
from graftkg.rdf import GK

from conftest import EXAMPLES, ROOT

CSV = str(EXAMPLES / "paper-patients" / "csv")


def test_classify_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", CSV, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["transplant_id"] for d in data][:2] == ["P1-T1", "P1-T2"]
    keys = {
        "transplant_id",
        "outcome",
        "findings",
        "chimerism",
        "neutrophil_recovery_day",
        "platelet_recovery_day",
        "infusion_date",
        "neutrophil_recovery_date",
        "platelet_recovery_date",
        "risk_factors",
        "explanation",
    }
    assert all(set(d) == keys for d in data)
    p4 = next(d for d in data if d["transplant_id"] == "P4-T1")
    assert p4["neutrophil_recovery_day"] == 57 and isinstance(p4["neutrophil_recovery_day"], int)


def test_classify_turtle_has_inferred_triples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", CSV, "--format", "turtle", "--definitions", "astct-2021"]) == 0
    graph = Graph().parse(data=capsys.readouterr().out, format="turtle")
    primary = set(graph.subjects(None, GK.PrimaryGraftFailure))
    assert len(primary) == 3
    assert len(list(graph.objects(None, GK.explanation))) > 10


def test_classify_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", CSV]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["transplant", "outcome"]
    assert "P4-T1       primary_graft_failure    autologous_reconstitution" in out


def test_unknown_profile_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["classify", CSV, "--definitions", "nope"])
    assert info.value.code == 2


def test_synth_then_classify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--n", "40", "--seed", "3", str(tmp_path)]) == 0
    assert main(["classify", str(tmp_path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 40


def _output_after(page: str, command: str) -> str:
    """The output block shown right after ``command``'s block on ``page`` (README.md or a docs/ page)."""
    text = (ROOT / page).read_text()
    shown = "```sh\n" + command + "\n```\n```\n"
    assert shown in text, f"{page} no longer shows `{command}` with its output"
    start = text.index(shown) + len(shown)
    return text[start : text.index("```", start)]


def _run(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graftkg", *command.split()[1:]], cwd=ROOT, capture_output=True, text=True
    )


def test_readme_example_command_runs_as_documented() -> None:
    """README's first command (after install) prints the five patients' classification, as shown."""
    command = "graftkg classify examples/paper-patients/csv"
    run = _run(command)
    assert run.returncode == 0, run.stderr
    assert run.stdout == _output_after("README.md", command)


def test_readme_template_validates_as_shown() -> None:
    """README's quick start: the template for one's own data passes every check, as shown."""
    command = "graftkg validate examples/template"
    run = _run(command)
    assert run.returncode == 0, run.stderr
    assert run.stdout == _output_after("README.md", command)


def test_every_command_and_option_is_in_the_docs() -> None:
    """Each command of ``graftkg`` is shown in the docs, and each of its long options named there;
    the synopses of ``classify`` and ``validate`` list every option they take."""
    import argparse
    import re

    from graftkg.cli import build_parser

    docs = "\n".join(p.read_text() for p in sorted((ROOT / "docs").rglob("*.md")))
    docs += (ROOT / "README.md").read_text()
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing: list[str] = []
    for name, parser in commands.choices.items():
        options = [o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
        if f"graftkg {name}" not in docs:
            missing.append(name)
        missing += [f"{name} {o}" for o in options if o not in docs]
        if name in ("classify", "validate"):
            page = (ROOT / "docs" / "guide" / f"{name}.md").read_text()
            synopsis = re.search(rf"^graftkg {name} PATH\.\.\. .*$", page, re.MULTILINE)
            assert synopsis is not None, name
            missing += [f"{name} {o} (synopsis)" for o in options if o not in synopsis.group()]
    assert missing == []


def test_docs_classify_json_example_is_current() -> None:
    page = ROOT / "docs" / "guide" / "classify.md"
    command = "graftkg classify examples/paper-patients/csv --format json"
    text = page.read_text()
    shown = "```sh\n" + command + "\n```\n"
    assert shown in text
    start = text.index("```json\n", text.index(shown)) + len("```json\n")
    run = _run(command)
    assert run.returncode == 0, run.stderr
    assert json.loads(text[start : text.index("```", start)]) == json.loads(run.stdout)[0]


def test_docs_query_example_is_current() -> None:
    command = (
        "graftkg query graft-failure-after-haploidentical-with-dsa --data examples/paper-patients/csv "
        "--data tests/cases/queries/cohort"
    )
    run = _run(command)
    assert run.returncode == 0, run.stderr
    assert run.stdout == _output_after("docs/guide/queries.md", command)


def _excerpt_matches(excerpt: str, output: str) -> bool:
    """Whether ``excerpt``'s lines are consecutive lines of ``output``, where ``...`` in a line stands
    for text left out of that line, and a last line of only ``...`` for the lines that follow."""
    lines = excerpt.rstrip("\n").splitlines()
    if lines and lines[-1].strip() == "...":
        lines = lines[:-1]
    patterns = [re.compile(".*".join(re.escape(part) for part in line.split("...")) + "$") for line in lines]
    out = output.splitlines()
    return any(
        all(p.match(o) for p, o in zip(patterns, out[i : i + len(patterns)], strict=True))
        for i in range(len(out) - len(patterns) + 1)
    )


def test_docs_report_examples_are_current() -> None:
    command = "graftkg report examples/paper-patients/csv --transplant P1-T1"
    run = _run(command)
    assert run.returncode == 0, run.stderr
    assert _output_after("docs/guide/report.md", command) in run.stdout
    page = (ROOT / "docs" / "guide" / "report.md").read_text()
    lead = 'under "Salvage donor", each piece of advice with its evidence'
    start = page.index("```\n", page.index(lead)) + len("```\n")
    excerpt = page[start : page.index("```", start)]
    assert len(excerpt.splitlines()) >= 5 and _excerpt_matches(excerpt, run.stdout)
    assert not _excerpt_matches(excerpt.replace("P = 0.02", "P = 0.03"), run.stdout)


def test_docs_validate_example_is_current() -> None:
    command = "graftkg validate examples/invalid-submission"
    run = _run(command)
    assert run.returncode == 1
    assert run.stdout == _output_after("docs/guide/validate.md", command)


def test_docs_classify_refusal_example_is_current() -> None:
    command = "graftkg classify examples/invalid-submission"
    run = _run(command)
    assert run.returncode == 1
    assert run.stderr == _output_after("docs/guide/classify.md", command)
    assert [line.split()[0] for line in run.stdout.splitlines()[1:]] == ["P1-T1", "P1-T2", "P3-T1", "P4-T1", "P5-T1"]


def test_docs_qc_example_is_current() -> None:
    command = "graftkg qc --no-owl-profile"
    run = _run(command)
    assert run.returncode == 0, run.stderr
    excerpt = _output_after("docs/guide/ontology-tools.md", command)
    assert excerpt.splitlines()[0] == run.stdout.splitlines()[0]
    assert _excerpt_matches(excerpt, run.stdout)


def test_csv_formats_for_spreadsheets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import csv
    import io
    import shutil

    folder = tmp_path / "b"
    shutil.copytree(EXAMPLES / "paper-patients" / "csv", folder)
    text = (folder / "transplants.csv").read_text().replace("P5-T1", "=HYPERLINK(1)")
    (folder / "transplants.csv").write_text(text)
    (folder / "observations.csv").write_text(
        (folder / "observations.csv").read_text().replace("P5-T1", "=HYPERLINK(1)")
    )
    # a formula-looking identifier is quoted; the CSV needs quoting itself for its comma-free text
    assert main(["classify", str(folder), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["transplant_id"] for r in rows][-1] == "'=HYPERLINK(1)"
    first = rows[0]
    assert (
        first["outcome"] == "primary_graft_failure" and first["risk_factors"] == "haploidentical_donor; viral_infection"
    )
    assert first["explanation"].startswith("primary graft failure: ") and " | " in first["explanation"]
    assert main(["validate", str(EXAMPLES / "invalid-submission"), "--format", "csv"]) == 1
    found = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {"severity", "transplant_id", "rule", "location"} <= set(found[0])
    assert ("violation", "P2-T2", "ChimerismPossible") in {
        (f["severity"], f["transplant_id"], f["rule"]) for f in found
    }


def test_mappings_never_rewrites_an_installed_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import graftkg.assets
    from graftkg.ontology_tools.mappings import mappings_ttl

    monkeypatch.setattr(graftkg.assets, "checkout_dir", lambda name: None)  # as installed
    assert main(["mappings"]) == 2
    assert "give --output PATH" in capsys.readouterr().err
    out = tmp_path / "m.ttl"
    assert main(["mappings", "--output", str(out)]) == 0
    assert out.read_text() == mappings_ttl()


def test_qc_without_java_names_the_way_out(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["qc"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--no-owl-profile" in err


def test_a_definitions_profile_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--definitions PATH.ttl: a centre's own windows, in a file that states only them."""
    from graftkg.readers.csv_bundle import write_bundle_records

    from conftest import CASES, record_from_case

    paper = (ROOT / "ontology" / "profiles" / "paper.ttl").read_text()
    own = paper.replace("maxInclusive 28", "maxInclusive 35").replace('gk:code "paper"', 'gk:code "my-centre"')
    assert own != paper
    profile = tmp_path / "my-centre.ttl"
    profile.write_text(own)
    record, _ = record_from_case(CASES / "classify" / "day31-recovery-pbbm.json")
    bundle = write_bundle_records([record], tmp_path / "b")
    outcomes = {}
    for definitions in ("paper", str(profile)):
        assert main(["classify", str(bundle), "--definitions", definitions, "--format", "json"]) == 0
        outcomes[definitions] = json.loads(capsys.readouterr().out)[0]["outcome"]
    assert outcomes["paper"] != "engrafted" and outcomes[str(profile)] == "engrafted"
    # a profile file may not restate the rest of the definitions
    bad = tmp_path / "bad.ttl"
    bad.write_text(own + '\ngk:FullDonorChimerism rdfs:label "anything"@en .\n')
    assert main(["classify", str(bundle), "--definitions", str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "may state only its gk:DefinitionProfile" in err
