"""The paper's five patients reproduce Table 4, from the CSV bundle and from Turtle."""

from __future__ import annotations

import pytest
from rdflib.compare import isomorphic

from graftkg.classify import classify_records
from graftkg.convert import records_to_graph
from graftkg.readers import read_inputs

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
