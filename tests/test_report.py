"""The per-transplant report: the paper's advice for its patients, evidence numbers, formats, errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from graftkg.cli import main
from graftkg.model import Observation, TransplantRecord
from graftkg.rdf import GK
from graftkg.readers import read_inputs
from graftkg.reporting.report import Report, ReportBuilder, build_report, key_points, render_report, svg_plot
from graftkg.semantics.classify import classify_records
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
    assert "threshold 0.5 x10^9/L" in titles and "engraftment window, to day 28" in titles
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


def _comparable(report: Report) -> dict[str, object]:
    doc = report.as_json()
    del doc["generated"]
    return doc


def test_reports_built_together_equal_reports_built_alone(tmp_path: object) -> None:
    """The builder runs the transplant queries once per signature (classes and asserted risk factors);
    every report it builds that way equals the one built for that transplant alone, on the paper's
    patients, the query cohort and 120 synthetic transplants."""
    from pathlib import Path

    from graftkg.synthetic import write_bundle

    bundle = write_bundle(Path(str(tmp_path)) / "synth", n=120, seed=5)
    defs = Definitions("paper")
    shared = ReportBuilder(defs)
    compared = 0
    for paths in (PAPER, COHORT, [bundle]):
        records = read_inputs(paths)
        results = classify_records(records, definitions=defs)
        for record, result in zip(records, results, strict=True):
            together = shared.report(record, result)
            alone = ReportBuilder(defs).report(record, result)
            assert _comparable(together) == _comparable(alone), record.transplant_id
            compared += 1
    assert compared > 130 and shared.queried < compared / 2  # the sharing is real


def test_report_header_names_fields_by_their_labels_and_says_what_made_it() -> None:
    report = build_report(PAPER, "P4-T1")
    page = render_report(report, "html")
    assert "cd34_dose_1e6_per_kg" not in page and "CD34+ cell dose (10^6/kg)" in page
    assert "matched unrelated (MUD)" in page and "None" not in page
    assert f"graftkg {report.graftkg_version}, ontology {report.ontology_version}" in page
    assert report.ontology_version and report.generated and "Intended use" in page
    text = render_report(report, "markdown")
    assert "- CD34+ cell dose (10^6/kg): 3" in text and "not a medical device" in text


def test_contraindications_come_before_the_recommendations() -> None:
    report = build_report(PAPER, "P1-T1")
    for fmt, first, then in (
        ("html", 'id="contraindications"', 'id="recommendations"'),
        ("markdown", "## Contraindications checked", "## Recommendations"),
    ):
        page = render_report(report, fmt)
        assert page.index(first) < page.index(then)
    html_page = render_report(report, "html")
    section = html_page.split('id="contraindications"')[1].split("</ul>")[0]
    statuses = [s.split('"')[0] for s in section.split('class="ci-')[1:]]
    assert statuses[0] == "recorded" and statuses == sorted(
        statuses, key=("recorded", "check-clinically", "not-recorded").index
    )


def test_long_follow_up_keeps_the_first_weeks_readable() -> None:
    """Patient 4 is followed to day 1,095: the axis changes scale after the first three months instead of
    squeezing them into a sliver (linear, days -2 to 90 would take 8 % of the width)."""
    report = build_report(PAPER, "P4-T1")
    svg = ET.fromstring(svg_plot(report))
    ns = "{http://www.w3.org/2000/svg}"
    assert any("scale changes after day" in (t.text or "") for t in svg.iter(f"{ns}title"))
    panel = next(g for g in svg.iter(f"{ns}g") if g.get("data-measure") == "ANC")
    early = [
        float(c.get("cx") or 0)
        for c, (day, _) in zip(panel.iter(f"{ns}circle"), report.series["ANC"], strict=True)
        if day <= 90
    ]
    assert max(early) - min(early) > 0.6 * (float(svg.get("width") or 0) - 72)  # the plot's width: 72 px of margins


def test_a_single_low_chimerism_point_is_visible_and_labelled() -> None:
    record = TransplantRecord(
        "T1",
        graft_source="PB",
        conditioning_intensity="MAC",
        last_follow_up_day=40,
        observations=[Observation(30, "donor_chimerism_pct", 2.0), Observation(10, "ANC", 0.1)],
    )
    [result] = classify_records([record])
    report = ReportBuilder(Definitions()).report(record, result)
    svg = ET.fromstring(svg_plot(report))
    ns = "{http://www.w3.org/2000/svg}"
    panel = next(g for g in svg.iter(f"{ns}g") if g.get("data-measure") == "donor_chimerism_pct")
    frame = next(r for r in panel.iter(f"{ns}rect") if r.get("fill") == "none")
    bottom = float(frame.get("y") or 0) + float(frame.get("height") or 0)
    [point] = list(panel.iter(f"{ns}circle"))
    assert float(point.get("r") or 0) >= 3 and bottom - float(point.get("cy") or 0) >= 6  # clear of the frame
    assert any((t.text or "").startswith("day 30: 2") for t in panel.iter(f"{ns}text"))
