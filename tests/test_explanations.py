"""Every explanation line is a plain sentence that is true of its record; reasons for not_evaluable
appear only beside not_evaluable.

Read over every classification case file, the paper's patients and a synthetic bundle, under both
profiles, plus records built to reach the clauses that once read badly ("no has graft"; a reported
"never" explained as "neither an ANC series nor a reported neutrophil recovery").
"""

from __future__ import annotations

import re

import pytest

from graftkg.model import Observation, TransplantRecord
from graftkg.readers import read_inputs
from graftkg.semantics.classify import classify_records
from graftkg.synthetic.generate import write_bundle

from conftest import EXAMPLES, classify_cases, record_from_case

NOT_EVALUABLE_REASONS = {
    "window_not_reached",
    "chimerism_not_assessed",
    "graft_source_missing",
    "neutrophil_data_missing",
    "outside_definitions",
}
BAD = [
    re.compile(r"\bno has\b"),
    re.compile(r"\b(None|nan|inf)\b"),
    re.compile(r"  "),
    re.compile(r"\bnot not\b"),
    re.compile(r"^\W"),
]


def _records(tmp_path_factory: pytest.TempPathFactory) -> list[TransplantRecord]:
    bundle = tmp_path_factory.mktemp("synth")
    write_bundle(bundle, n=300, seed=23)
    records = read_inputs([bundle]) + read_inputs([EXAMPLES / "paper-patients" / "csv"])
    records += [record_from_case(p)[0] for p in classify_cases()]
    records += [
        TransplantRecord("never-no-follow-up", graft_source="PB", reported_neutrophil_never=True),
        TransplantRecord("no-source", conditioning_intensity="MAC", reported_neutrophil_recovery_day=35),
        TransplantRecord("no-source-early", reported_neutrophil_recovery_day=10),
        TransplantRecord("no-data", graft_source="UCB"),
        TransplantRecord(
            "no-chimerism", graft_source="PB", observations=[Observation(d, "ANC", 0.1) for d in range(2, 40, 3)]
        ),
    ]
    return records


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[TransplantRecord]:
    return _records(tmp_path_factory)


@pytest.mark.parametrize("profile", ["paper", "astct-2021"])
def test_explanations_read_as_sentences_true_of_the_record(records: list[TransplantRecord], profile: str) -> None:
    problems = []
    for record, result in zip(records, classify_records(records, profile=profile), strict=True):
        if not result.explanation:
            problems.append((record.transplant_id, "no explanation"))
        for line in result.explanation:
            for pattern in BAD:
                if pattern.search(line):
                    problems.append((record.transplant_id, line))
            if record.reported_neutrophil_never and "nor a reported neutrophil recovery" in line:
                problems.append((record.transplant_id, line))
            if record.graft_source and "graft source not reported" in line:
                problems.append((record.transplant_id, line))
    assert not problems, problems[:10]


@pytest.mark.parametrize("profile", ["paper", "astct-2021"])
def test_reasons_for_not_evaluable_appear_only_beside_it(records: list[TransplantRecord], profile: str) -> None:
    results = classify_records(records, profile=profile)
    misplaced = [
        (r.transplant_id, r.outcome, sorted(set(r.findings) & NOT_EVALUABLE_REASONS))
        for r in results
        if r.outcome != "not_evaluable" and set(r.findings) & NOT_EVALUABLE_REASONS
    ]
    assert not misplaced, misplaced[:10]
    # and every not-evaluable transplant says why
    unexplained = [
        r.transplant_id for r in results if r.outcome == "not_evaluable" and not set(r.findings) & NOT_EVALUABLE_REASONS
    ]
    assert not unexplained, unexplained[:10]
    assert any(r.outcome == "not_evaluable" and "outside_definitions" in r.findings for r in results)


def test_no_graft_source_explains_the_case_analysis(records: list[TransplantRecord]) -> None:
    by_id = {r.transplant_id: r for r in classify_records(records)}
    early = by_id["no-source-early"]
    assert early.outcome == "engrafted" and early.explanation[0].startswith("graft source not reported")
    assert not any("peripheral blood" in line or "cord blood" in line for line in early.explanation)
    assert by_id["no-source"].outcome == "not_evaluable" and "graft_source_missing" in by_id["no-source"].findings
