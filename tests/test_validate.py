"""Validation: every injected error is found by its shape, located, and the fast evaluator reports
exactly what pySHACL reports on the same shapes and data."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from graftkg.cli import main
from graftkg.errors import InputError
from graftkg.model import TransplantRecord
from graftkg.rdf import GK, RDF, node_id
from graftkg.readers import read_inputs
from graftkg.semantics.classify import classify_records
from graftkg.semantics.facts import add_to_graph
from graftkg.synthetic.generate import write_bundle
from graftkg.synthetic.mutate import MUTATIONS
from graftkg.validation.shacl import load_shapes
from graftkg.validation.validate import (
    TransplantIndex,
    ValidationReport,
    check_partitions,
    transplant_index,
    validate_paths,
    validate_records,
    validation_facts,
)
from reference_shacl import run_pyshacl

from conftest import EXAMPLES, serial_validation

#: Shapes only RDF input can trip: a CSV read already rejects these (a cell that is not a number, an
#: unknown measure) as unusable input. The comparison with pySHACL trips them on facts directly.
RDF_ONLY = {
    "TransplantIdentifier",
    "RecipientAgeConformance",
    "DonorAgeConformance",
    "CD34DoseConformance",
    "TNCDoseConformance",
    "CryopreservedConformance",
    "LabMeasureValueSet",
    "SupportKindValueSet",
    "LastFollowUpDayConformance",
    "DeathDayConformance",
    "RelapseDayConformance",
    "ReportedNeutrophilRecoveryDayConformance",
    "ReportedPlateletRecoveryDayConformance",
    "ReportedPlatelet50RecoveryDayConformance",
}


@pytest.fixture(scope="module")
def mutated(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[TransplantRecord], dict[str, str]]:
    """Synthetic records, one per mutation (each a copy of an engrafted record with full series)."""
    bundle = write_bundle(tmp_path_factory.mktemp("bundle") / "b", n=120, seed=5)
    records = read_inputs([bundle], lenient=True)
    base = [
        r
        for r in records
        if r.reported_outcome == "engrafted"
        and {"ANC", "PLT", "HB", "donor_chimerism_pct"} <= {o.measure for o in r.observations}
    ]
    assert len(base) >= 10
    spares = [copy.deepcopy(b) for b in base[:3]]
    for k, spare in enumerate(spares):
        spare.transplant_id, spare.patient_id, spare.prior_transplant_id = f"S{k}", f"SP{k}", None
    out, applied = list(spares), {}
    import random

    for i, (name, (_rule, mutation)) in enumerate(MUTATIONS.items()):
        r = copy.deepcopy(base[i % len(base)])
        r.transplant_id, r.patient_id, r.prior_transplant_id = f"M{i:03d}", f"MP{i:03d}", None
        mutation(r, spares, random.Random(i))
        out.append(r)
        applied[r.transplant_id] = name
    return out, applied


def test_every_mutation_is_found_by_its_shape(mutated: tuple[list[TransplantRecord], dict[str, str]]) -> None:
    records, applied = mutated
    report = validate_records(records)
    found = {(f.transplant_id, f.rule) for f in report.findings}
    missing = [
        (tid, name, MUTATIONS[name][0]) for tid, name in applied.items() if (tid, MUTATIONS[name][0]) not in found
    ]
    assert not missing, missing
    covered = {MUTATIONS[name][0] for name in applied.values()}
    assert covered | RDF_ONLY == {str(s.iri).rsplit("/", 1)[1] for s in load_shapes()}


def _datatype_errors(facts: dict[URIRef, dict[URIRef, list[object]]]) -> None:
    """Errors a CSV read cannot carry: wrong datatypes, unknown measure and support IRIs, no identifier."""
    t = next(n for n, p in facts.items() if GK.Transplant in p.get(RDF.type, []))
    facts[t][GK.identifier] = []
    facts[t][GK.recipientAgeYears] = ["ten"]
    facts[t][GK.lastFollowUpDay] = ["late"]
    facts[t][GK.deathDay] = [40.5]
    facts[t][GK.relapseDay] = ["soon"]
    facts[t][GK.reportedNeutrophilRecoveryDay] = [12.5]
    facts[t][GK.reportedPlateletRecoveryDay] = ["x"]
    facts[t][GK.reportedPlatelet50RecoveryDay] = [1.5]
    for props in facts.values():
        types = props.get(RDF.type, [])
        if GK.Donor in types:
            props[GK.donorAgeYears] = ["forty"]
        if GK.Graft in types:
            props[GK.cd34DosePerKg] = ["a lot"]
            props[GK.tncDosePerKg] = ["n/a"]
            props[GK.cryopreserved] = ["maybe"]
    lab = next(n for n, p in facts.items() if GK.LabObservation in p.get(RDF.type, []))
    facts[lab] = dict(facts[lab])  # a count's facts are shared by equal counts: change a copy
    facts[lab][GK.measured] = [GK.Ferritin]
    support = next(n for n, p in facts.items() if GK.SupportEvent in p.get(RDF.type, []))
    facts[support][GK.support] = [GK.Aspirin]


def test_fast_evaluator_matches_pyshacl(mutated: tuple[list[TransplantRecord], dict[str, str]]) -> None:
    records, _ = mutated
    records = records + read_inputs([EXAMPLES / "paper-patients" / "csv"], lenient=True)
    results = classify_records(records)
    partitions = [validation_facts(r, c).facts for r, c in zip(records, results, strict=True)]
    target = next(p for p in partitions if any(GK.SupportEvent in props.get(RDF.type, []) for props in p.values()))
    _datatype_errors(target)  # type: ignore[arg-type]
    fast = check_partitions(partitions, transplant_index(records))
    graph = Graph()
    for facts in partitions:
        add_to_graph(graph, facts)
    reference = run_pyshacl(graph)

    def key(r: object) -> tuple[str, str, str, str]:
        return (str(r.focus), str(r.shape), r.component, "" if r.value is None else str(r.value))  # type: ignore[attr-defined]

    got = Counter(key(r) for _, r in fast)
    expected = Counter(key(r) for r in reference)
    assert got == expected, (sorted((got - expected).elements())[:5], sorted((expected - got).elements())[:5])
    fired = {str(r.shape).rsplit("/", 1)[1] for r in reference}
    assert fired == {str(s.iri).rsplit("/", 1)[1] for s in load_shapes()}, "the sample must trip every shape"
    assert len(reference) > 100


def test_the_index_made_node_by_node_is_the_whole_index() -> None:
    """Validation asks a TransplantIndex for the nodes it meets; each answer is transplant_index's."""
    odd = ["T 1/ä", "A%41", "AA?", "x#y"]  # identifiers whose nodes are percent-encoded
    records = [
        TransplantRecord(tid, patient_id=f"P{k // 2} é", recipient_sex="FM"[k % 2], transplant_number=k)
        for k, tid in enumerate(odd)
    ]
    records.append(TransplantRecord("T9", prior_transplant_id="T8", recipient_cmv="pos"))
    whole = transplant_index(records)
    lazy = TransplantIndex(records)
    assert len(whole) == len(odd) + 1 + 2
    for node, props in reversed(whole.items()):  # in any order
        assert lazy.get(node) == props
    assert whole[node_id("patient", "P0 é")][GK.sex] == [GK.Female, GK.Male]  # merged over P0's transplants
    for absent in (
        node_id("transplant", "AA"),  # "A%41" is not "AA"
        node_id("transplant", "T8"),  # a prior transplant not submitted
        node_id("patient", "P9"),
        node_id("donor", "T9"),
        URIRef(str(node_id("transplant", "T9")) + "/x"),
        "T9",
    ):
        assert absent not in whole and lazy.get(absent) is None
        assert lazy.lookup(absent) == {}


def test_a_patient_is_checked_over_all_its_transplants(tmp_path: Path) -> None:
    """Two transplants of one patient, checked in different ranges (and by different workers), that
    state different sexes: the patient's facts are merged, and its maxCount finding reported once."""
    from graftkg.readers.csv_bundle import write_bundle_records

    records = read_inputs([EXAMPLES / "paper-patients" / "csv"], lenient=True)
    first, second = (r for r in records if r.patient_id == records[0].patient_id)
    for sexes, expected in ((("F", "M"), 1), (("F", "F"), 0)):
        first.recipient_sex, second.recipient_sex = sexes
        folder = write_bundle_records(records, tmp_path / "".join(sexes))
        for report in (validate_records(records, workers=1), validate_paths([folder], workers=2)):
            found = [f for f in report.findings if f.rule == "PatientSexValueSet"]
            assert len(found) == expected and all(f.value is None for f in found), found  # sh:maxCount 1


def test_paper_patients_conform() -> None:
    report = validate_records(read_inputs([EXAMPLES / "paper-patients" / "csv"], lenient=True))
    assert report.conforms("warning"), [f for f in report.findings if f.at_least("warning")]


def test_cross_check_message_states_both_values_and_the_reasons() -> None:
    records = read_inputs([EXAMPLES / "paper-patients" / "csv"], lenient=True)
    records[1].reported_outcome = "primary_graft_failure"  # P1-T2 engrafted on day 11
    records[1].reported_neutrophil_recovery_day = 20
    findings = {f.rule: f for f in validate_records(records).findings if f.transplant_id == "P1-T2"}
    outcome = findings["ReportedOutcomeAgrees"]
    assert outcome.severity == "warning" and outcome.value == "primary_graft_failure"
    assert "reported primary_graft_failure, but the definitions give engrafted" in outcome.message
    assert "11" in outcome.message and "not primary graft failure" in outcome.message
    day = findings["ReportedNeutrophilDayAgrees"]
    assert "reported neutrophil recovery day 20, but the ANC series gives day 11" in day.message
    assert day.location and day.location.endswith("transplants.csv:3")


def test_observation_findings_point_at_their_row(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    src = EXAMPLES / "paper-patients" / "csv"
    (folder / "transplants.csv").write_text((src / "transplants.csv").read_text())
    lines = (src / "observations.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    cells = rows[4].split(",")
    cells[header.split(",").index("value")] = "250"  # ANC 250 x 10^9/L: a unit error
    rows[4] = ",".join(cells)
    (folder / "observations.csv").write_text("\n".join([header, *rows]) + "\n")
    report = validate_records(read_inputs([folder], lenient=True))
    (f,) = [f for f in report.findings if f.rule == "ANCPlausible"]
    assert f.location == f"{folder / 'observations.csv'}:6" and f.value == 250 and f.field == "value"


@pytest.mark.parametrize(("fail_on", "code"), [("violation", 0), ("warning", 0), ("info", 1)])
def test_cli_exit_codes_follow_fail_on(fail_on: str, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLES / "paper-patients" / "csv"), "--fail-on", fail_on]) == code
    assert "transplants checked" in capsys.readouterr().out


def test_cli_json_and_turtle(capsys: pytest.CaptureFixture[str]) -> None:
    csv = str(EXAMPLES / "paper-patients" / "csv")
    assert main(["validate", csv, "--format", "json", "--fail-on", "info"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert findings and set(findings[0]) == {
        "severity",
        "transplant_id",
        "field",
        "value",
        "message",
        "rule",
        "category",
        "location",
    }
    assert main(["validate", csv, "--format", "turtle"]) == 0
    graph = Graph().parse(data=capsys.readouterr().out, format="turtle")
    from graftkg.validation.shacl import SH

    (report,) = set(graph.subjects(RDF.type, SH.ValidationReport))
    assert len(set(graph.objects(report, SH.result))) == len(findings)


# ------------------------------------------------------------------ a CSV bundle read by the workers


@pytest.fixture(scope="module")
def mutated_bundle(
    mutated: tuple[list[TransplantRecord], dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The mutated records (an error of every kind) written as a CSV bundle, ordered by transplant."""
    from graftkg.readers.csv_bundle import write_bundle_records

    return write_bundle_records(mutated[0], tmp_path_factory.mktemp("mutated"))


def _as_data(report: ValidationReport) -> tuple[object, ...]:
    return [f.as_json() for f in report.findings], report.results, report.transplants


@pytest.mark.parametrize("workers", [2, 3])
def test_bundle_read_by_workers_gives_the_serial_report(mutated_bundle: Path, workers: int) -> None:
    """Workers that each read their share of observations.csv report exactly, and in the same order,
    what validating the whole read does."""
    serial = validate_records(read_inputs([mutated_bundle], lenient=True), workers=1)
    seen: list[tuple[int, int]] = []
    sharded = validate_paths([mutated_bundle], workers=workers, progress=lambda done, total: seen.append((done, total)))
    assert _as_data(sharded) == _as_data(serial)
    assert len(serial.findings) > 80
    assert seen and seen[-1] == (serial.transplants, serial.transplants)


def test_bundle_with_observations_out_of_order_gives_the_serial_report(mutated_bundle: Path, tmp_path: Path) -> None:
    """Rows of one transplant spread over the file (not grouped) are each read by the worker owning it."""
    lines = (mutated_bundle / "observations.csv").read_text().splitlines()
    shuffled = tmp_path / "b"
    shuffled.mkdir()
    (shuffled / "transplants.csv").write_text((mutated_bundle / "transplants.csv").read_text())
    (shuffled / "observations.csv").write_text("\n".join([lines[0], *lines[:0:-1]]) + "\n")  # rows reversed
    serial = validate_records(read_inputs([shuffled], lenient=True), workers=1)
    assert _as_data(validate_paths([shuffled], workers=2)) == _as_data(serial)


@pytest.mark.parametrize(
    ("where", "cell", "text"),
    [
        ("first", "value", "oops"),  # a row the first worker owns
        ("last", "value", "oops"),  # a row the last worker owns
        ("last", "transplant_id", "NOBODY"),  # a row no worker owns: every worker reads it, it is listed once
        ("last", "measure", "ferritin"),
        ("first", "day", "3.5"),
    ],
)
def test_bundle_read_by_workers_reports_every_bad_cell_as_the_serial_read(
    mutated_bundle: Path, tmp_path: Path, where: str, cell: str, text: str
) -> None:
    """A bad cell is a finding, whichever worker reads it, and the report is the serial one."""
    lines = (mutated_bundle / "observations.csv").read_text().splitlines()
    header = lines[0].split(",")
    # the first and the last neutrophil counts: rows whose value is read as a number
    counts = [i for i, line in enumerate(lines) if i and line.split(",")[header.index("measure")] == "ANC"]
    at = counts[0] if where == "first" else counts[-1]
    later = counts[-1] if where == "first" else counts[0]
    for i, column, value in [(at, cell, text), (later, "value", "later")]:
        cells = lines[i].split(",")
        cells[header.index(column)] = value
        lines[i] = ",".join(cells)
    bad = tmp_path / "b"
    bad.mkdir()
    (bad / "transplants.csv").write_text((mutated_bundle / "transplants.csv").read_text())
    (bad / "observations.csv").write_text("\n".join(lines) + "\n")
    serial = serial_validation(bad)
    unreadable = [f for f in serial.findings if f.rule == "ReadableInput"]
    assert sorted(int(str(f.location).rsplit(":", 1)[1]) for f in unreadable) == sorted({at + 1, later + 1})
    assert _as_data(validate_paths([bad], workers=2)) == _as_data(serial)


@pytest.mark.parametrize(
    ("where", "cell", "text"),
    [
        ("last", "(a cell too many)", "x"),
        ("last alone", "(a cell too many)", "x"),  # a row the first worker passes over: its owner reports it
        ("first", "(a cell too few)", ""),
    ],
)
def test_bundle_read_by_workers_raises_the_serial_error(
    mutated_bundle: Path, tmp_path: Path, where: str, cell: str, text: str
) -> None:
    """A row of the wrong width makes the file unusable: the first such row by line is reported,
    whichever worker reads it; an error in a later row read by another worker does not hide it."""
    lines = (mutated_bundle / "observations.csv").read_text().splitlines()
    at = 1 if where == "first" else len(lines) - 1
    later = len(lines) - 1 if where == "first" else 1  # a second error: later in the file, or earlier
    errors = [(at, cell, text)] + ([] if where == "last alone" else [(later, "(a cell too many)", "later")])
    for i, column, value in errors:
        cells = lines[i].split(",")
        if column == "(a cell too many)":
            cells.append(value)
        else:
            cells.pop()
        lines[i] = ",".join(cells)
    bad = tmp_path / "b"
    bad.mkdir()
    (bad / "transplants.csv").write_text((mutated_bundle / "transplants.csv").read_text())
    (bad / "observations.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as serial:
        read_inputs([bad], lenient=True)
    with pytest.raises(InputError) as sharded:
        validate_paths([bad], workers=2)
    assert str(sharded.value) == str(serial.value)
    if where == "last alone":
        assert f":{len(lines)}: row has" in str(serial.value)


def test_a_failing_worker_is_an_error_not_a_hang(mutated_bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import graftkg.validation.validate as validate

    def broken(*args: object) -> object:
        raise ZeroDivisionError("a bug in a worker")

    # a name the workers look up as they run
    monkeypatch.setattr(validate, "vocabulary", broken)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: a bug in a worker"):
        validate_paths([mutated_bundle], workers=2)


# --------------------------------------------------------------- odd lab counts


def _odd_counts(records: list[TransplantRecord]) -> list[TransplantRecord]:
    """Copies of some records with lab counts a CSV or RDF submission can carry: no day, no value, a
    unit of the wrong kind or none, values out of range, an integer value, repeats, counts after death."""
    from graftkg.model import Observation

    out = []
    for k, base in enumerate(records[:4]):
        r = copy.deepcopy(base)
        r.transplant_id, r.patient_id, r.prior_transplant_id = f"L{k}", f"LP{k}", None
        r.death_day = 40 if k % 2 else None
        r.observations += [
            Observation(None, "ANC", 0.4),
            Observation(12, "ANC", None),
            Observation(13, "PLT", 30.0, unit="g/L"),
            Observation(14, "HB", 95.0, unit="g/L"),
            Observation(15, "HB", 95.0, unit="10*9/L"),
            Observation(15, "WBC", 600.0),
            Observation(16, "ANC", -1.0),
            Observation(16, "ANC", 5),  # type: ignore[arg-type]  # an integer, as RDF input may give
            Observation(4000, "PLT", 20.0),
            Observation(60 + k, "ANC", 0.7),
            Observation(60 + k, "ANC", 0.7),
            Observation(70 + k, "PLT", 25.0),
        ]
        out.append(r)
    return out


def test_validation_gives_the_evaluator_s_results_on_the_full_facts(
    mutated: tuple[list[TransplantRecord], dict[str, str]],
) -> None:
    """A validation's results, and their order, are the evaluator's on each transplant's whole facts
    (``validation_facts``, a node per lab count, which the pySHACL test holds to pySHACL), with odd
    lab counts too."""
    records, _ = mutated
    records = records + _odd_counts(records) + read_inputs([EXAMPLES / "paper-patients" / "csv"], lenient=True)
    partitions = [validation_facts(r, c).facts for r, c in zip(records, classify_records(records), strict=True)]
    expected = [r for _, r in check_partitions(partitions, transplant_index(records))]
    got = validate_records(records, workers=1).results
    assert got == expected
    lab = Counter(str(r.shape).rsplit("/", 1)[1] for r in got if "/observation/" in str(r.focus))
    assert {"ANCPlausible", "LabObservationDayRequired", "LabValueRequired", "HBUnit", "PLTUnit"} <= set(lab)
    assert {"ObservationsBeforeDeath", "ChimerismRequiredForGraftFailure"} <= {
        str(r.shape).rsplit("/", 1)[1] for r in got
    }
