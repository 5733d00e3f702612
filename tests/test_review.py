"""Reviewing a whole submission: the dashboard's figures against validate's, thresholds, denominators,
acknowledgements (CSV and Turtle), history between submissions, and the pages written."""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from graftkg import Engine
from graftkg.cli import main
from graftkg.errors import InputError, OntologyError
from graftkg.readers import read_inputs
from graftkg.readers.csv_bundle import write_bundle_records
from graftkg.reporting.acknowledgements import (
    Acknowledgement,
    Acknowledgements,
    read_acknowledgements,
    write_acknowledgements,
)
from graftkg.reporting.dashboard import open_findings_csv
from graftkg.reporting.review import report_name
from graftkg.synthetic import write_bundle
from graftkg.synthetic.mutate import inject

from conftest import EXAMPLES

INVALID = EXAMPLES / "invalid-submission"
PAPER = EXAMPLES / "paper-patients" / "csv"


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 synthetic transplants over five centres, an error injected into one in ten."""
    root = tmp_path_factory.mktemp("review")
    records = read_inputs([write_bundle(root / "clean", n=300, seed=11)], lenient=True)
    inject(records, 0.1, seed=11)
    return write_bundle_records(records, root / "injected")


def _validate_json(path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    main(["validate", str(path), "--format", "json"])
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


@pytest.mark.parametrize("which", ["invalid", "injected"])
def test_the_dashboard_counts_equal_validate_json(
    which: str, injected: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dashboard's findings are validate's, finding for finding; each check's failing transplants
    are the transplants validate reports for its rule."""
    path = INVALID if which == "invalid" else injected
    expected = _validate_json(path, capsys)
    assert main(["review", str(path), "--output", str(tmp_path / "dash")]) == 1
    doc = json.loads((tmp_path / "dash" / "review.json").read_text(encoding="utf-8"))
    key = ("severity", "transplant_id", "rule", "field", "location", "message")
    assert Counter(tuple(f[k] for k in key) for f in doc["findings"]) == Counter(
        tuple(f[k] for k in key) for f in expected
    )
    assert {s: c["all"] for s, c in doc["counts"].items()} == {
        s: sum(1 for f in expected if f["severity"] == s) for s in ("violation", "warning", "info")
    }
    by_rule: dict[str, set[str]] = {}
    for f in expected:
        if f["transplant_id"]:
            by_rule.setdefault(str(f["rule"]), set()).add(str(f["transplant_id"]))
    checks = {c["rule"]: c for c in doc["checks"]}
    for rule, tids in by_rule.items():
        assert checks[rule]["failing"] == len(tids), rule
    assert all(c["failing"] == 0 for r, c in checks.items() if r not in by_rule)
    page = (tmp_path / "dash" / "index.html").read_text(encoding="utf-8")
    for severity, counts in doc["counts"].items():
        assert re.search(rf"<th>{severity}</th><td class=\"n\">{counts['all']:,}</td>", page)


def test_a_check_fails_above_its_threshold_over_the_transplants_it_applies_to(injected: Path) -> None:
    review = Engine().review(injected)
    records = read_inputs([injected], lenient=True)
    checks = {c.rule: c for c in review.checks}
    # every transplant has a graft; only those with a DSA test meet the DSA shapes
    assert checks["GraftSourceRequired"].applies_to == len(records) == review.transplants
    with_dsa = sum(
        1 for r in records if any(o.measure == "dsa_mfi" for o in r.observations) or r.dsa_max_mfi is not None
    )
    assert 0 < checks["DSAValueRequired"].applies_to <= with_dsa < len(records)
    for c in review.checks:
        if c.applies_to == 0:
            assert c.status == "not applicable" and c.percent is None
        else:
            assert c.percent == pytest.approx(100 * c.failing / c.applies_to)
            assert c.status == ("fail" if c.percent > c.threshold else "pass")
        assert c.kahn_category in ("conformance", "completeness", "plausibility"), c.rule
    assert {c.threshold for c in review.checks if c.severity == "violation"} == {0.0}
    assert any(c.status == "fail" for c in review.checks) and any(c.status == "pass" for c in review.checks)


def test_failure_thresholds_are_data_beside_the_shapes() -> None:
    from rdflib import Graph, Literal, URIRef

    from graftkg.rdf import GK
    from graftkg.validation.shacl import SH, _failure_threshold, load_shapes

    shapes = load_shapes()
    assert shapes.default_thresholds == {"Violation": 0.0, "Warning": 5.0, "Info": 25.0}
    assert {(s.severity, s.failure_threshold) for s in shapes if not s.own_threshold} == {
        ("Violation", 0.0),
        ("Warning", 5.0),
        ("Info", 25.0),
    }
    g = Graph()
    shape = URIRef("urn:shape")
    g.add((SH.Warning, GK.defaultFailureThreshold, Literal(5)))
    assert _failure_threshold(g, shape, SH.Warning) == (5.0, False)
    g.add((shape, GK.failureThreshold, Literal(12.5)))
    assert _failure_threshold(g, shape, SH.Warning) == (12.5, True)
    with pytest.raises(OntologyError, match="no gk:failureThreshold"):
        _failure_threshold(Graph(), shape, SH.Info)
    g.set((shape, GK.failureThreshold, Literal(150)))
    with pytest.raises(OntologyError, match="not a percentage"):
        _failure_threshold(g, shape, SH.Warning)


def test_outcomes_by_profile_centre_and_refused(injected: Path) -> None:
    review = Engine().review(injected)
    assert set(review.outcomes_by_profile) == {"paper", "astct-2021"}
    for counts in review.outcomes_by_profile.values():
        assert sum(counts.values()) == review.transplants
    assert review.outcomes["refused"] == len(review.refused) > 0
    kept = [r for r in read_inputs([injected], lenient=True) if r.transplant_id not in review.refused]
    for profile in ("paper", "astct-2021"):
        found = Counter(f for c in Engine(profile=profile).classify(kept) for f in c.findings)
        assert {k: v for k, v in review.classification_findings[profile].items() if v} == dict(found), profile
    assert [c["centre"] for c in review.centres] == ["C01", "C02", "C03", "C04", "C05"]
    assert sum(c["transplants"] for c in review.centres) == review.transplants
    open_by_severity = {s: sum(c[s] for c in review.centres) for s in ("violation", "warning", "info")}
    assert open_by_severity == {
        s: review.counts[s]["open"]
        - sum(
            1
            for r in review.findings
            if r.finding.severity == s and r.acknowledgement is None and not r.finding.transplant_id
        )
        for s in open_by_severity
    }


def test_refused_transplants_are_those_classify_refuses(injected: Path, capsys: pytest.CaptureFixture[str]) -> None:
    review = Engine().review(injected)
    main(["classify", str(injected), "--format", "json"])
    classified = {c["transplant_id"] for c in json.loads(capsys.readouterr().out)}
    all_ids = {r.transplant_id for r in read_inputs([injected], lenient=True)}
    assert set(review.refused) == all_ids - classified


def test_published_incidences_are_compared_with_the_submission(injected: Path) -> None:
    from graftkg.rdf import GK

    engine = Engine()
    review = engine.review(injected)
    records = read_inputs([injected], lenient=True)
    results = {
        c.transplant_id: c for c in engine.classify([r for r in records if r.transplant_id not in review.refused])
    }
    ucb = next(i for i in review.incidences if i.evidence == "incidence_cord_blood")
    members = [c for c in results.values() if c.outcome != "not_evaluable" and GK.CordBloodGraftRisk in c.classes]
    assert ucb.transplants == len(members) > 0 and ucb.published == 20
    assert ucb.events == sum(1 for c in members if c.outcome in ("primary_graft_failure", "secondary_graft_failure"))
    assert ucb.ci_low is not None and ucb.ci_high is not None and ucb.ci_low <= (ucb.percent or 0) <= ucb.ci_high
    assert any("Beijing" in label for label in review.not_compared)  # no class for its population


def test_acknowledged_findings_do_not_count_and_come_back_when_the_value_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    acks = tmp_path / "acks.csv"
    engine = Engine()
    assert main(["review", str(INVALID), "--format", "json", "--fail-on", "warning"]) == 1
    capsys.readouterr()
    added = engine.acknowledge(
        INVALID,
        acks,
        transplant_id="P1-T1",
        rule="CD34DosePlausible",
        reason="verified_against_source",
        by="A. Reviewer",
        comment="lab report checked",
        on="2026-12-06",
    )
    assert [(a.field, a.value) for a in added] == [("cd34_dose_1e6_per_kg", "630")]
    review = engine.review(INVALID, acknowledgements=acks, fail_on="warning")
    acked = [r for r in review.findings if r.acknowledgement]
    assert [r.finding.rule for r in acked] == ["CD34DosePlausible"]
    assert review.counts["warning"]["acknowledged"] == 1 and review.counts["warning"]["open"] == 2
    check = next(c for c in review.checks if c.rule == "CD34DosePlausible")
    assert (check.failing, check.acknowledged, check.status) == (0, 1, "pass")
    validated = engine.validate(INVALID, acknowledgements=acks)
    assert len(validated.acknowledged) == 1 and "acknowledged: verified_against_source" in validated.render()
    as_json = json.loads(validated.render("json"))
    assert [f["acknowledged"]["by"] for f in as_json if f["acknowledged"]] == ["A. Reviewer"]
    assert len(as_json) == sum(validated.counts().values())
    # acknowledging every warning but the cross-check leaves the submission failing at level warning;
    # a warning acknowledged no longer counts against --fail-on
    for tid, rule in (("P5-T1", "ANCPlausible"), ("P4-T1", "ReportedOutcomeAgrees")):
        engine.acknowledge(INVALID, acks, transplant_id=tid, rule=rule, reason="agreed_with_registry", by="me")
    assert main(["validate", str(INVALID), "--fail-on", "warning", "--acknowledgements", str(acks)]) == 1  # violations
    capsys.readouterr()
    warnings_only = engine.review(INVALID, acknowledgements=acks, fail_on="warning")
    assert warnings_only.counts["warning"]["open"] == 0
    # the value changes: the acknowledgement no longer matches, the finding is open again
    bundle = tmp_path / "changed"
    bundle.mkdir()
    (bundle / "observations.csv").write_bytes((INVALID / "observations.csv").read_bytes())
    text = (INVALID / "transplants.csv").read_text(encoding="utf-8")
    (bundle / "transplants.csv").write_text(text.replace(",630,", ",631,"), encoding="utf-8")
    again = engine.review(bundle, acknowledgements=acks)
    assert [r.finding.rule for r in again.findings if r.acknowledgement] == ["ReportedOutcomeAgrees", "ANCPlausible"]
    assert [a.value for a in again.unmatched_acknowledgements] == ["630"]


def test_a_finding_classify_refuses_cannot_be_acknowledged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for tid, rule in (("P2-T2", "ChimerismPossible"), ("P3-T2", "RelapseBeforeDeath")):
        code = main(
            [
                "acknowledge",
                str(INVALID),
                "--acknowledgements",
                str(tmp_path / "a.csv"),
                "--transplant",
                tid,
                "--rule",
                rule,
                "--reason",
                "verified_against_source",
                "--by",
                "me",
            ]
        )
        err = capsys.readouterr().err
        assert code == 2 and "correct it instead" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "a.csv").exists()
    # nor does a file that names one acknowledge it
    write_acknowledgements(
        tmp_path / "a.csv",
        Acknowledgements(
            [
                Acknowledgement(
                    "RelapseBeforeDeath",
                    "P3-T2",
                    "relapse_day",
                    "420",
                    "verified_against_source",
                    "",
                    "me",
                    "2026-12-06",
                )
            ]
        ),
    )
    review = Engine().review(INVALID, acknowledgements=tmp_path / "a.csv")
    assert not any(r.acknowledgement for r in review.findings) and "RelapseBeforeDeath" in review.unacknowledgeable
    assert "RelapseBeforeDeath" not in open_findings_csv(review.findings, review.unacknowledgeable)
    code = main(
        [
            "acknowledge",
            str(INVALID),
            "--acknowledgements",
            str(tmp_path / "b.csv"),
            "--transplant",
            "P2-T2",
            "--rule",
            "NoSuchRule",
            "--reason",
            "not_collected",
            "--by",
            "me",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "no finding of rule 'NoSuchRule'" in err and "ChimerismPossible" in err


@pytest.mark.parametrize("suffix", [".csv", ".ttl"])
def test_acknowledgement_files_round_trip(tmp_path: Path, suffix: str) -> None:
    items = [
        Acknowledgement(
            "CD34DosePlausible",
            "T1",
            "cd34_dose_1e6_per_kg",
            "630",
            "verified_against_source",
            'lab report, "page 2"; =checked',
            "Dr O'Brien",
            "2026-12-06",
        ),
        Acknowledgement("ABORecommended", "T 2/x", "abo_match", "", "not_collected", "", "me", "2026-01-31"),
    ]
    path = write_acknowledgements(tmp_path / f"acks{suffix}", Acknowledgements(items))
    assert read_acknowledgements(path).items == sorted(items)
    assert not list(tmp_path.glob(".acks*"))  # no temporary file left


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (
            "rule,transplant_id,field,value,reason,comment,by,date\nR,T1,f,,not_collected,,me,06/12/2026\n",
            "acks.csv:2: field 'date'",
        ),
        (
            "rule,transplant_id,field,value,reason,comment,by,date\nR,T1,f,,not_collected,,,2026-12-06\n",
            "acks.csv:2: field 'by'",
        ),
        (
            "rule,transplant_id,field,value,reason,comment,by,date\nR,T1,f,,,,me,2026-12-06\n",
            "acks.csv:2: field 'reason'",
        ),
        ("rule,transplant,field\n", "acks.csv:1"),
        ("rule,transplant_id,field,value,reason,comment,by,date\nR,T1,f\n", "acks.csv:2"),
    ],
)
def test_a_bad_acknowledgements_file_is_one_located_line(
    tmp_path: Path, content: str, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "acks.csv"
    path.write_text(content, encoding="utf-8")
    assert main(["review", str(INVALID), "--output", str(tmp_path / "d"), "--acknowledgements", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and where in err and "Traceback" not in err
    assert not (tmp_path / "d").exists()  # nothing written from a run that stopped
    with pytest.raises(InputError):
        read_acknowledgements(path)


def test_diff_shows_new_resolved_and_changed_outcomes_with_both_explanations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(INVALID), str(PAPER), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["new"] == [] and {f["rule"] for f in doc["resolved"]} >= {"RelapseBeforeDeath", "CD34DosePlausible"}
    assert doc["added"] == [] and doc["removed"] == [] and len(doc["still_open"]) == 5
    refused_before = next(c for c in doc["outcome_changes"] if c["transplant_id"] == "P3-T2")
    assert refused_before["before"] == "refused" and refused_before["explanation_after"]
    # a later submission: P1-T2's neutrophils never recover, P1-T1 dropped, NEW-1 added
    records = read_inputs([PAPER])
    p1t2 = next(r for r in records if r.transplant_id == "P1-T2")
    for o in p1t2.observations:
        if o.measure == "ANC" and o.value is not None and o.day is not None and o.day > 0:
            o.value = 0.1
    later = write_bundle_records(
        [r for r in records if r.transplant_id != "P1-T1"] + [type(records[0])("NEW-1", graft_source="PB")],
        tmp_path / "later",
    )
    assert main(["diff", str(PAPER), str(later), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    [change] = [c for c in doc["outcome_changes"] if c["transplant_id"] == "P1-T2"]
    assert change["before"] == "engrafted" and change["after"] != "engrafted"
    assert change["explanation_before"][0].startswith("engrafted") and change["explanation_after"]
    assert doc["added"] == ["NEW-1"] and doc["removed"] == ["P1-T1"]
    assert main(["diff", str(PAPER), str(later)]) == 0
    out = capsys.readouterr().out
    assert "transplants added: NEW-1" in out and "transplants removed: P1-T1" in out and "P1-T2: engrafted ->" in out


def test_the_dashboard_with_history_links_each_report_and_every_link_resolves(tmp_path: Path) -> None:
    out = tmp_path / "dash"
    assert main(["review", str(INVALID), "--previous", str(PAPER), "--output", str(out)]) == 1
    page = (out / "index.html").read_text(encoding="utf-8")
    assert (
        'id="history"' in page
        and "<script" not in page
        and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    )
    hrefs = set(re.findall(r'href="([^"]+)"', page))
    ids = set(re.findall(r'id="([^"]+)"', page))
    for href in hrefs:
        if href.startswith("#"):
            assert href[1:] in ids, href
        else:
            assert (out / href).is_file(), href
    reports = list((out / "reports").glob("*.html"))
    assert len(reports) == 8 and any("Not classified" in p.read_text(encoding="utf-8") for p in reports)
    assert (out / "open-findings.csv").read_text(encoding="utf-8").startswith("rule,transplant_id,field,value,reason")


def test_reports_none_and_all(tmp_path: Path) -> None:
    assert main(["review", str(PAPER), "--output", str(tmp_path / "none"), "--reports", "none"]) == 0
    assert not (tmp_path / "none" / "reports").exists()
    assert main(["review", str(PAPER), "--output", str(tmp_path / "all"), "--reports", "all"]) == 0
    assert len(list((tmp_path / "all" / "reports").glob("*.html"))) == 8


def test_review_json_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(PAPER), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["conforms"] is True and doc["transplants"] == 8 and doc["profile"] == "paper"
    assert doc["outcomes"]["primary_graft_failure"] >= 1 and doc["checks"]


def test_html_without_output_folder_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(PAPER)]) == 2
    assert "--output DIR" in capsys.readouterr().err


def test_report_file_names_are_safe_and_distinct() -> None:
    names = {report_name(t) for t in ("a_b", "a/b", "a b", "a.b", "..", "A", "a")}
    assert len(names) == 7
    for name in names:
        stem = name.removeprefix("reports/").removesuffix(".html")
        assert re.fullmatch(r"[A-Za-z0-9_-]+", stem), name


def test_an_empty_submission_reviews_without_error(tmp_path: Path) -> None:
    bundle = tmp_path / "empty"
    bundle.mkdir()
    (bundle / "transplants.csv").write_text("transplant_id,graft_source\n", encoding="utf-8")
    (bundle / "observations.csv").write_text("transplant_id,day,measure,value\n", encoding="utf-8")
    assert main(["review", str(bundle), "--output", str(tmp_path / "dash")]) == 0
    doc = json.loads((tmp_path / "dash" / "review.json").read_text(encoding="utf-8"))
    assert doc["transplants"] == 0 and doc["conforms"] is True
    assert all(c["status"] == "not applicable" for c in doc["checks"])
    assert all(i["percent"] is None for i in doc["incidences"])
    assert "<h1>Submission review: empty</h1>" in (tmp_path / "dash" / "index.html").read_text(encoding="utf-8")


def test_identifiers_are_escaped_on_every_page(tmp_path: Path) -> None:
    records = read_inputs([PAPER])
    records[0].transplant_id = '<script>alert("x")</script>'
    records[0].centre = "<b>C1</b>"
    bundle = write_bundle_records(records, tmp_path / "hostile")
    main(["review", str(bundle), "--output", str(tmp_path / "dash")])
    for page in (tmp_path / "dash").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text and "<b>C1" not in text, page


def test_a_second_review_into_the_same_folder_leaves_no_stale_report(tmp_path: Path) -> None:
    out = tmp_path / "dash"
    assert main(["review", str(INVALID), "--output", str(out)]) == 1
    records = [r for r in read_inputs([PAPER]) if r.transplant_id != "P1-T1"]
    later = write_bundle_records(records, tmp_path / "later")
    assert main(["review", str(later), "--output", str(out), "--reports", "flagged"]) == 0
    written = {p.name for p in (out / "reports").glob("*.html")}
    page = (out / "index.html").read_text(encoding="utf-8") + (out / "transplants.html").read_text(encoding="utf-8")
    assert written and "P1-T1.html" not in written
    assert all(f"reports/{name}" in page for name in written)


def test_unusable_input_or_output_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dash"
    assert main(["review", str(tmp_path / "no-such"), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no-such" in err and not out.exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["review", str(PAPER), "--output", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "a-file" in err and "Traceback" not in err


def test_a_turtle_acknowledgement_with_an_unknown_reason_is_one_located_error(tmp_path: Path) -> None:
    path = tmp_path / "acks.ttl"
    path.write_text(
        "@prefix gk: <https://w3id.org/graftkg/> . @prefix dcterms: <http://purl.org/dc/terms/> .\n"
        '<urn:ack:1> a gk:FindingAcknowledgement ; gk:acknowledgedRule "R" ; gk:acknowledgedTransplant "T1" ;\n'
        '  gk:acknowledgedField "f" ; gk:acknowledgedValue "" ; gk:acknowledgementReason gk:BecauseISaidSo ;\n'
        '  dcterms:creator "me" ; dcterms:date "2026-12-06" .\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"acknowledgement <urn:ack:1>.*field 'reason'.*BecauseISaidSo"):
        read_acknowledgements(path)


def _review_json(engine: Engine, path: Path | str, previous: Path | str | None = None) -> dict[str, object]:
    doc = json.loads(engine.review(path, previous=previous, reports="none").render_json())
    assert isinstance(doc, dict) and doc.pop("generated")
    return doc


@pytest.mark.parametrize("which", ["invalid", "injected", "turtle", "profiles-differ"])
def test_a_review_a_diff_and_an_acknowledgement_are_the_same_on_both_backends(
    which: str, injected: Path, tmp_path: Path
) -> None:
    """Reviewing on the SQL backend (the records read, then checked and classified by the shapes and
    definitions compiled to SQL, under every profile) gives the record path's dashboard, history and
    acknowledgements: a submission with unreadable cells and errors, one with an error in one
    transplant in ten, the paper's patients as Turtle, and a synthetic one (an error in one transplant
    in twenty) that the two profiles classify differently."""
    if which == "profiles-differ":
        records = read_inputs([write_bundle(tmp_path / "astct", n=300, seed=11, profile="astct-2021")], lenient=True)
        inject(records, 0.05, seed=11)
        path = write_bundle_records(records, tmp_path / "injected")
    else:
        turtle = EXAMPLES / "paper-patients" / "paper-patients.ttl"
        path = {"invalid": INVALID, "injected": injected, "turtle": turtle}[which]
    record, sql = Engine(backend="record"), Engine(backend="sql")
    got = _review_json(sql, path, previous=PAPER)
    assert got == _review_json(record, path, previous=PAPER)
    assert sql.diff(PAPER, path).as_json() == record.diff(PAPER, path).as_json()
    assert sql.diff(path, INVALID).as_json() == record.diff(path, INVALID).as_json()
    if which == "profiles-differ":  # each profile's own definitions, not the first one's twice
        beside = got["classification_findings"]
        assert isinstance(beside, dict) and beside["paper"] != beside["astct-2021"]
    findings = got["findings"]
    assert isinstance(findings, list) and findings
    first = next(f for f in findings if f["transplant_id"] and f["rule"] != "ReadableInput")
    written = []
    folder = Path(tempfile.mkdtemp())
    for engine in (record, sql):
        file = folder / f"acks-{engine.backend}.csv"
        added = engine.acknowledge(
            path,
            file,
            transplant_id=first["transplant_id"],
            rule=first["rule"],
            reason="verified_against_source",
            by="A. Reviewer",
            on="2026-01-02",
        )
        assert added
        written.append(file.read_text(encoding="utf-8"))
    assert written[0] == written[1]


def test_auto_reviews_a_large_bundle_on_the_sql_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``auto`` reads a submission whole for a review on the backend ``validate`` would take: SQL for a
    CSV bundle of more than SQL_VALIDATE_FROM_BYTES of observations, the record path for a small one
    and for other inputs; ``--backend`` on the command line decides it too."""
    from graftkg.api import SQL_VALIDATE_FROM_BYTES

    big = write_bundle(tmp_path / "big", n=40, seed=3)
    observations = big / "observations.csv"
    rows = observations.read_text(encoding="utf-8").splitlines(keepends=True)
    with observations.open("a", encoding="utf-8") as out:  # past the threshold: the same rows again and again
        while observations.stat().st_size <= SQL_VALIDATE_FROM_BYTES:
            out.writelines(rows[1:])
    auto = Engine()
    assert auto._checkers([big]) != (None, None)
    assert auto._checkers([PAPER]) == (None, None)
    assert auto._checkers([EXAMPLES / "paper-patients" / "paper-patients.ttl"]) == (None, None)
    assert Engine(backend="sql")._checkers([PAPER]) != (None, None)
    outs = []
    for backend in ("record", "sql"):
        assert main(["review", str(INVALID), "--format", "json", "--reports", "none", "--backend", backend]) == 1
        doc = json.loads(capsys.readouterr().out)
        doc.pop("generated")
        outs.append(doc)
    assert outs[0] == outs[1]


def test_records_the_tables_cannot_keep_are_checked_on_the_record_path() -> None:
    """The SQL backend's checkers of a submission pass records the tables cannot keep exactly (a whole
    number where a decimal is declared, which a shape's sh:datatype tells apart) to the record path to
    be checked; classified in SQL, they are classified alike."""
    from graftkg.columnar.tables import kept_as_they_are
    from graftkg.model import TransplantRecord
    from graftkg.semantics.classify import classify_records
    from graftkg.validation.validate import validate_records

    records = [TransplantRecord("T1", graft_source="PB", recipient_age_years=12, reported_neutrophil_recovery_day=15)]
    assert not kept_as_they_are(records)
    engine = Engine(backend="sql")
    validate, classify = engine._checkers([PAPER])
    assert validate is not None and classify is not None
    defs = engine._definitions
    assert [c.as_json() for c in classify(records, defs)] == [
        c.as_json() for c in classify_records(records, definitions=defs)
    ]
    assert validate(records, []).findings == validate_records(records, definitions=defs).findings


def test_the_page_of_a_refused_transplant_lists_its_own_findings_and_no_others(tmp_path: Path) -> None:
    """A transplant ``classify`` refuses gets a page of why: each of its findings, none of another's."""
    from html import escape

    review = Engine().review(INVALID)
    submission = review.extra["submission"]
    assert submission.refused
    review.write(tmp_path)
    for tid in sorted(submission.refused):
        page = (tmp_path / report_name(tid)).read_text(encoding="utf-8")
        assert "Not classified" in page
        own = [f for f in submission.report.findings if f.transplant_id == tid]
        assert own and page.count("<li>") == len(own), tid
        for f in own:
            assert escape(f.message) in page and f"({escape(f.rule)}" in page, (tid, f.rule)
