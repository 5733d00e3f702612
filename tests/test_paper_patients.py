"""The paper's five patients reproduce Table 4, from the CSV bundle and from Turtle."""

from __future__ import annotations

import pytest
from rdflib.compare import isomorphic

from graftkg.readers import read_inputs
from graftkg.reporting.convert import records_to_graph
from graftkg.semantics.classify import classify_records

from conftest import EXAMPLES

CSV = EXAMPLES / "paper-patients" / "csv"
TTL = EXAMPLES / "paper-patients" / "paper-patients.ttl"
JSONLD = EXAMPLES / "paper-patients" / "paper-patients.jsonld"

# Table 4 of the source review: type of GF and approach for each patient's first transplant.
TABLE_4 = {
    "P1-T1": ("primary_graft_failure", set()),
    "P2-T1": ("secondary_graft_failure", set()),
    "P3-T1": ("secondary_graft_failure", set()),
    "P4-T1": ("primary_graft_failure", {"autologous_reconstitution"}),
    "P5-T1": ("primary_graft_failure", {"autologous_reconstitution"}),
}


@pytest.mark.parametrize("source", [CSV, TTL, JSONLD], ids=["csv", "turtle", "json-ld"])
@pytest.mark.parametrize("profile", ["paper", "astct-2021"])
def test_table_4(source: object, profile: str) -> None:
    results = {r.transplant_id: r for r in classify_records(read_inputs([source]), profile=profile)}
    for tid, (outcome, findings) in TABLE_4.items():
        assert results[tid].outcome == outcome, results[tid].explanation
        assert findings <= set(results[tid].findings)
        assert ("autologous_reconstitution" in results[tid].findings) == bool(findings)
    # the salvage transplants of patients 1-3 engrafted, with full donor chimerism
    for tid in ("P1-T2", "P2-T2", "P3-T2"):
        assert results[tid].outcome == "engrafted"
        assert results[tid].chimerism == "full_donor"


def test_patient_1_explanation_names_window_and_chimerism() -> None:
    (p1,) = [r for r in classify_records(read_inputs([CSV])) if r.transplant_id == "P1-T1"]
    text = " | ".join(p1.explanation)
    assert "day-28 PB/BM engraftment window" in text
    assert "donor chimerism by the engraftment window 2%" in text
    assert "haploidentical_donor" in p1.risk_factors


def test_reported_outcomes_agree_with_classification() -> None:
    for record, result in zip(records := read_inputs([CSV]), classify_records(records), strict=True):
        assert record.reported_outcome == result.outcome


def test_turtle_example_is_current() -> None:
    """The committed Turtle example is the conversion of the CSV bundle (regenerate with graftkg convert)."""
    from rdflib import Graph

    committed = Graph().parse(TTL)
    assert isomorphic(committed, records_to_graph(read_inputs([CSV]))), (
        "examples/paper-patients/paper-patients.ttl is stale: "
        "graftkg convert examples/paper-patients/csv > examples/paper-patients/paper-patients.ttl"
    )


def test_jsonld_example_is_current() -> None:
    """The committed JSON-LD example is the conversion of the CSV bundle, under the published context."""
    from rdflib import Graph

    from graftkg.readers.rdf_input import _parse_jsonld

    committed = Graph()
    _parse_jsonld(committed, JSONLD, JSONLD.read_text(encoding="utf-8"))
    assert isomorphic(committed, records_to_graph(read_inputs([CSV]))), (
        "examples/paper-patients/paper-patients.jsonld is stale: "
        "graftkg convert examples/paper-patients/csv --to json-ld > examples/paper-patients/paper-patients.jsonld"
    )


# ------------------------------------------------------- which values the review states (provenance.csv)

PROVENANCE = EXAMPLES / "paper-patients" / "provenance.csv"
REVIEW = (EXAMPLES.parent / ".." / "shared" / "paper" / "graft-failure-review.txt").resolve()


def _letters(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]", "", text.lower())


def _provenance() -> list[dict[str, str]]:
    import csv

    with PROVENANCE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_patient_value_says_whether_the_review_states_it() -> None:
    """provenance.csv has one row per value of the bundle: each non-empty transplant cell, and each
    observation (by transplant, measure and day, or '*' for the rest of a series), with its basis."""
    import csv

    rows = _provenance()
    assert {r["basis"] for r in rows} <= {"stated", "reading", "reconstructed"}
    cells = {(r["transplant_id"], r["field"]): r for r in rows if r["day"] == ""}
    assert len(cells) == len([r for r in rows if r["day"] == ""]), "one row per cell"
    with (CSV / "transplants.csv").open(newline="", encoding="utf-8") as handle:
        transplants = list(csv.DictReader(handle))
    expected = {
        (t["transplant_id"], f): v
        for t in transplants
        for f, v in t.items()
        if v and f not in ("transplant_id", "patient_id")
    }
    assert set(cells) == set(expected)
    assert all(cells[k]["value"] == v for k, v in expected.items())
    with (CSV / "observations.csv").open(newline="", encoding="utf-8") as handle:
        observations = list(csv.DictReader(handle))
    series = {(r["transplant_id"], r["field"], r["day"]): r for r in rows if r["day"]}
    for o in observations:
        exact = series.get((o["transplant_id"], o["measure"], o["day"]))
        assert exact is not None or (o["transplant_id"], o["measure"], "*") in series, o
        if exact is not None:
            assert exact["value"] == o["value"], o
    used = {(o["transplant_id"], o["measure"], o["day"]) for o in observations}
    used |= {(o["transplant_id"], o["measure"], "*") for o in observations}
    assert set(series) <= used, set(series) - used


@pytest.mark.skipif(not REVIEW.is_file(), reason="the review's text is not beside the checkout")
def test_stated_values_quote_the_review_and_the_rest_say_why() -> None:
    review = _letters(REVIEW.read_text(encoding="utf-8"))
    for row in _provenance():
        where = f"{row['transplant_id']} {row['field']} {row['day']}"
        if row["basis"] in ("stated", "reading"):
            assert row["quote"] and _letters(row["quote"]) in review, where
        if row["basis"] in ("reading", "reconstructed"):
            assert row["note"], where


def test_the_reconstructions_the_review_leaves_open_are_marked() -> None:
    """The values an audit found the review does not state are marked as such."""
    basis = {(r["transplant_id"], r["field"]): r["basis"] for r in _provenance() if r["day"] == ""}
    assert basis[("P5-T1", "disease_status")] == "reading"  # "with BM relapse": status at transplant not stated
    assert basis[("P5-T1", "conditioning_agents")] == "reconstructed"
    assert basis[("P5-T1", "gvhd_prophylaxis")] == "reconstructed"
    assert basis[("P2-T1", "reported_neutrophil_recovery_day")] == "reconstructed"
    assert basis[("P3-T2", "death_day")] == "reconstructed"
    assert {b for (t, f), b in basis.items() if f == "hla_match" and t != "P4-T1"} == {"reconstructed"}
    # the first transplant's follow-up ends the day before the second: 37, 52 and 78 days (Table 4)
    rows = {(r["transplant_id"], r["field"]): r["value"] for r in _provenance() if r["day"] == ""}
    assert [rows[(t, "last_follow_up_day")] for t in ("P1-T1", "P2-T1", "P3-T1")] == ["36", "51", "77"]
