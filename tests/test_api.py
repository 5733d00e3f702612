"""The public API, used as a library user would: only the names ``graftkg.__all__`` lists."""

from __future__ import annotations

import pickle
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

import graftkg

from conftest import EXAMPLES

PAPER = EXAMPLES / "paper-patients" / "csv"
PUBLIC = {
    "Classification",
    "Engine",
    "Finding",
    "GraftkgError",
    "InputError",
    "LoadReport",
    "Observation",
    "QueryResult",
    "Refusals",
    "Report",
    "TransplantRecord",
    "ValidationReport",
    "__version__",
    "read",
}


def test_the_public_names_are_exactly_these_and_resolve() -> None:
    assert set(graftkg.__all__) == PUBLIC
    for name in graftkg.__all__:
        assert getattr(graftkg, name) is not None, name
    assert set(dir(graftkg)) >= PUBLIC
    with pytest.raises(AttributeError):
        graftkg.classify_records  # type: ignore[attr-defined]  # noqa: B018


def test_importing_graftkg_is_cheap_and_the_package_is_typed() -> None:
    code = "import sys, graftkg; print(sorted(m for m in ('rdflib', 'pyoxigraph', 'owlready2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert files("graftkg").joinpath("py.typed").is_file()


def test_a_user_classifies_validates_reports_queries_and_loads_through_the_api(tmp_path: Path) -> None:
    records = graftkg.read(PAPER)
    assert all(isinstance(r, graftkg.TransplantRecord) for r in records)
    assert all(isinstance(o, graftkg.Observation) for r in records for o in r.observations)
    engine = graftkg.Engine(profile="paper")
    results = engine.classify(records)
    assert all(isinstance(c, graftkg.Classification) for c in results)
    outcomes = {c.transplant_id: c.outcome for c in results}
    assert outcomes["P1-T1"] == "primary_graft_failure" and outcomes["P2-T1"] == "secondary_graft_failure"
    assert outcomes["P1-T2"] == "engrafted"
    # validation from paths and from records gives the same findings
    from_paths = engine.validate(PAPER)
    assert isinstance(from_paths, graftkg.ValidationReport) and from_paths.conforms()
    assert engine.validate(records).findings == from_paths.findings
    invalid = engine.validate(EXAMPLES / "invalid-submission")
    assert not invalid.conforms() and all(isinstance(f, graftkg.Finding) for f in invalid.findings)
    report = engine.report(PAPER, "P1-T1")
    assert isinstance(report, graftkg.Report) and report.classification["outcome"] == "primary_graft_failure"
    rows = engine.query("recommendations-for-transplant", {"transplant_id": "P1-T1"}, data=PAPER)
    assert isinstance(rows, graftkg.QueryResult) and "salvage_hsct" in [r["recommendation"] for r in rows.rows]
    loaded = engine.load(PAPER, store=tmp_path / "store", name="paper")
    assert isinstance(loaded, graftkg.LoadReport) and loaded.transplants == len(records)
    assert len(engine.to_graph(records, results)) > 1000


def test_bad_input_and_bad_settings_are_graftkg_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(graftkg.InputError, match=r"bad\.ttl"):
        graftkg.read(bad)
    with pytest.raises(graftkg.GraftkgError, match="unknown definitions profile"):
        graftkg.Engine(profile="nope")
    with pytest.raises(graftkg.GraftkgError, match="unknown reasoner"):
        graftkg.Engine(reasoner="nope")
    assert issubclass(graftkg.InputError, graftkg.GraftkgError)


def test_engines_are_independent_values() -> None:
    """Two engines under different profiles, used in turn, give what each gives alone; an engine
    pickles (it crosses process boundaries) and holds no data."""
    records = graftkg.read(PAPER)
    paper, astct = graftkg.Engine(profile="paper"), graftkg.Engine(profile="astct-2021")
    alone = [c.outcome for c in astct.classify(records)]
    paper.classify(records)
    assert [c.outcome for c in astct.classify(records)] == alone
    assert pickle.loads(pickle.dumps(astct)) == astct
    own = graftkg.Engine(profile=str(Path("ontology/profiles/astct-2021.ttl").resolve()))
    assert [c.outcome for c in own.classify(records)] == alone
