"""The per-transplant report: the paper's advice for its patients, evidence numbers, formats, errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from graftkg.cli import main
from graftkg.rdf import GK
from graftkg.reporting.report import build_report, key_points, render_report, svg_plot
from graftkg.semantics.definitions import Definitions

from conftest import EXAMPLES, ROOT

PAPER = [EXAMPLES / "paper-patients" / "csv"]
COHORT = [ROOT / "tests" / "cases" / "queries" / "cohort"]


def _codes(report: object) -> list[str]:
    return [r.code for r in report.recommendations]  # type: ignore[attr-defined]


def test_patient_1_gets_the_papers_advice() -> None:
    """Salvage HSCT from a different haploidentical donor (DSA negative) leads; fludarabine-based RIC is
    among the options (the review reports it used with success, without preferring it)."""
    report = build_report(PAPER, "P1-T1")
    key = [r.code for r in key_points(report)]
    for code in ("salvage_hsct", "different_haploidentical_donor"):
        assert code in key
    ric = next(r for r in report.recommendations if r.code == "fludarabine_based_ric")
    assert ric.strength == "option" and "fludarabine_based_ric" not in key
    assert "donor_without_dsa" not in _codes(report)
    infection = next(c for c in report.contraindications if c.code == "uncontrolled_infection")
    assert infection.status == "recorded" and "BK" in infection.detail  # BK virus haemorrhagic cystitis


def test_dsa_positive_graft_failure_gets_a_donor_without_dsa() -> None:
    report = build_report(COHORT, "C6")
    assert report.classification["findings"] == ["graft_rejection"]
    codes = _codes(report)
    assert "donor_without_dsa" in codes and "different_haploidentical_donor" not in codes
    rec = next(r for r in report.recommendations if r.code == "donor_without_dsa")
    nordlander = next(e for e in rec.evidence_for if e["evidence"] == "nordlander_dsa")
    assert (nordlander["estimate"], nordlander["comparator_estimate"]) == (75, 5)


def test_autologous_reconstitution_gets_no_salvage_transplant() -> None:
    for tid in ("P4-T1", "P5-T1"):
        codes = _codes(build_report(PAPER, tid))
        assert "salvage_hsct" not in codes and "fludarabine_based_ric" not in codes
        assert "await_autologous_recovery" in codes and "mrd_monitoring_after_autologous_recovery" in codes


def test_secondary_graft_failure_adds_dli() -> None:
    assert "donor_lymphocyte_infusion" in _codes(build_report(PAPER, "P2-T1"))
    assert "donor_lymphocyte_infusion" not in _codes(build_report(PAPER, "P1-T1"))


def test_engrafted_transplant_gets_no_recommendation_and_says_why() -> None:
    report = build_report(PAPER, "P1-T2")
    assert report.recommendations == [] and report.note and "engrafted" in report.note
    assert "none applies" in render_report(report, "markdown")


def test_evidence_numbers_and_conflicts_are_shown() -> None:
    text = render_report(build_report(PAPER, "P1-T1"), "markdown")
    assert "hazard ratio 2.9 (95% CI 1.07-7.92), P = 0.037" in text
    assert "relative risk 0.38 (95% CI 0.19-0.76), P = 0.01" in text
    assert "overall survival < 10%" in text
    assert "doi:10.1016/j.bbmt.2010.02.013" in text
    timing = text.split("### Timing of the salvage transplant")[1]
    assert "against: relative risk 0.38" in timing  # the early re-transplant preference keeps its counter-evidence


def test_plot_thresholds_and_window_come_from_the_ontology() -> None:
    report = build_report(PAPER, "P1-T1")
    defs = Definitions("paper")
    assert report.thresholds["ANC"] == defs.bound(GK.EngraftmentANC)
    assert report.thresholds["PLT"] == defs.bound(GK.PlateletRecoveryCount)
    assert report.thresholds["donor_chimerism_pct"] == defs.bound(GK.FullDonorChimerism)
    assert report.window_last_day == 28
    assert build_report(PAPER, "P1-T1", profile="astct-2021").window_last_day == 30
    svg = ET.fromstring(svg_plot(report))
    titles = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert "threshold 0.5 x10^9/L" in titles and "engraftment window" in titles
    assert sum(1 for t in titles if t and t.startswith("day ")) == sum(len(s) for s in report.series.values())


@pytest.mark.parametrize("fmt", ["markdown", "html", "json"])
def test_cli_report_formats(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(PAPER[0]), "--transplant", "P3-T1", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        doc = json.loads(out)
        assert doc["classification"]["outcome"] == "secondary_graft_failure"
        assert doc["series"]["ANC"] and doc["recommendations"]
    elif fmt == "html":
        assert out.startswith("<!doctype html>") and "<svg" in out and "secondary graft failure" in out
    else:
        assert out.startswith("# Transplant P3-T1") and "## Contraindications checked" in out


def test_cli_report_unknown_transplant_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(PAPER[0]), "--transplant", "P9-T9"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "P9-T9" in captured.err


def test_cli_report_writes_file(tmp_path: object) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "p1.html"
    assert main(["report", str(PAPER[0]), "--transplant", "P1-T1", "--format", "html", "--output", str(out)]) == 0
    assert "<svg" in out.read_text(encoding="utf-8")
