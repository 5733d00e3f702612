"""Impossible values are refused on reading; one bad record does not stop a run; validate reports every bad cell.

The limits come from the shapes marked ``gk:refusedOnReading`` (see graftkg.readers.limits): each
case of ``tests/cases/refused/`` is refused by classify with its rule and located error, and reported
by validate as a violation of the same rule; a hypothesis test holds the reader's checks to the SHACL
evaluator on generated records.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graftkg.cli import main
from graftkg.errors import InputError
from graftkg.model import Observation, TransplantRecord
from graftkg.readers import Refusals, read_inputs
from graftkg.readers.csv_bundle import write_bundle_records
from graftkg.readers.limits import impossible_values, limits
from graftkg.validation.shacl import load_shapes
from graftkg.validation.validate import READABLE_INPUT, validate_paths, validate_records

from conftest import CASES, EXAMPLES, definitions, paper_bundle, record_from_case, shapes

BUNDLE = EXAMPLES / "paper-patients" / "csv"
REFUSED_CASES = sorted((CASES / "refused").glob("*.json"))
REFUSING_RULES = {str(s.iri).rsplit("/", 1)[1] for s in load_shapes() if s.refused_on_reading}


def _case_bundle(path: Path, tmp_path: Path) -> tuple[Path, TransplantRecord, dict[str, str]]:
    record, expect = record_from_case(path)
    good = TransplantRecord("GOOD", graft_source="PB", conditioning_intensity="MAC", last_follow_up_day=60)
    good.observations = [Observation(d, "ANC", v) for d, v in ((5, 0.1), (12, 0.7), (13, 0.9), (14, 1.1))]
    return write_bundle_records([good, record], tmp_path / path.stem), record, expect


def test_every_refusing_shape_has_a_case() -> None:
    covered = {json.loads(p.read_text())["expect"]["rule"] for p in REFUSED_CASES}
    assert covered == REFUSING_RULES


def test_the_limits_are_the_refusing_shapes() -> None:
    assert {x.rule for x in limits()} == REFUSING_RULES
    assert {
        "ChimerismPossible",
        "LabValuePossible",
        "ObservationDayPossible",
        "ObservationsBeforeDeath",
    } <= REFUSING_RULES


@pytest.mark.parametrize("path", REFUSED_CASES, ids=lambda p: p.stem)
def test_refused_case(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle, record, expect = _case_bundle(path, tmp_path)
    rule, field = expect["rule"], expect["field"]
    # the reader's own check names exactly this rule
    assert {str(e).rsplit("(rule ", 1)[1].rstrip(")") for e in impossible_values(record)} == {rule}
    # classify: the other transplant is classified, this one is listed with its located error, exit 1
    assert main(["classify", str(bundle), "--format", "json"]) == 1
    out, err = capsys.readouterr()
    assert [r["transplant_id"] for r in json.loads(out)] == ["GOOD"]
    refused = [line for line in err.splitlines() if line.startswith("graftkg: refused:")]
    assert len(refused) == 1, err
    assert (
        f"transplant {path.stem}: " in refused[0]
        and f"field '{field}'" in refused[0]
        and f"(rule {rule})" in refused[0]
    )
    file = "observations.csv" if field in ("day", "value") else "transplants.csv"
    assert f"{file}:" in refused[0]
    assert "1 transplant(s) refused, 1 classified" in err
    # --fail-fast: today's stop, one line, exit 2
    assert main(["classify", str(bundle), "--fail-fast"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and f"(rule {rule})" in err
    # the library reader raises the same located error
    with pytest.raises(InputError, match=rf"field '{field}'.*\(rule {rule}\)"):
        read_inputs([bundle])
    # validate: a violation of the same rule, located to the same file
    report = validate_paths([bundle])
    found = [f for f in report.findings if f.rule == rule]
    assert found and all(f.severity == "violation" and f.transplant_id == path.stem for f in found)
    assert any(f.location and f.location.split("/")[-1].startswith(file) for f in found)
    assert not report.conforms()


def test_refused_in_turtle_too(tmp_path: Path) -> None:
    ttl = (EXAMPLES / "paper-patients" / "paper-patients.ttl").read_text()
    assert "gk:donorChimerismPct 2.0 ;" in ttl
    path = tmp_path / "bad.ttl"
    path.write_text(ttl.replace("gk:donorChimerismPct 2.0 ;", "gk:donorChimerismPct 150.0 ;", 1))
    with pytest.raises(InputError, match=r"bad\.ttl: field 'value': donor chimerism outside 0-100 %: 150 \(rule Chim"):
        read_inputs([path])
    refusals = Refusals()
    records = read_inputs([path], refusals=refusals)
    assert len(refusals.refused) == 1 and len(records) == 7


# ----------------------------------------------------------------- the reader against the SHACL evaluator

_DAY = st.one_of(st.integers(-36530, -36520), st.integers(-40, 120), st.integers(36520, 36530))
_MEASURES = ["ANC", "PLT", "HB", "WBC", "donor_chimerism_pct", "dsa_mfi", "platelet_transfusion", "gvhd"]


@st.composite
def _records(draw: st.DrawFn) -> TransplantRecord:
    observations = []
    for _ in range(draw(st.integers(0, 6))):
        measure = draw(st.sampled_from(_MEASURES))
        value: float | None
        if measure == "platelet_transfusion":
            value = None
        elif measure == "gvhd":
            value = float(draw(st.integers(0, 4)))
        else:
            value = draw(st.sampled_from([-0.001, -3.0, 0.0, 0.4, 5.0, 99.9, 100.0, 100.001, 150.0]))
        observations.append(Observation(draw(_DAY), measure, value))
    optional_day = st.one_of(st.none(), _DAY)
    return TransplantRecord(
        "T1",
        graft_source="PB",
        conditioning_intensity="MAC",
        last_follow_up_day=draw(optional_day),
        death_day=draw(optional_day),
        relapse_day=draw(optional_day),
        reported_neutrophil_recovery_day=draw(optional_day),
        reported_platelet_recovery_day=draw(optional_day),
        reported_platelet50_recovery_day=draw(optional_day),
        dsa_max_mfi=draw(st.one_of(st.none(), st.sampled_from([-1.0, 0.0, 2000.0]))),
        observations=observations,
    )


@settings(max_examples=150, deadline=None)
@given(_records())
def test_reader_refuses_exactly_what_the_shapes_find(record: TransplantRecord) -> None:
    reader = {str(e).rsplit("(rule ", 1)[1].rstrip(")") for e in impossible_values(record)}
    report = validate_records([record], workers=1, definitions=definitions(), shapes=shapes())
    found = {f.rule for f in report.findings if f.rule in REFUSING_RULES}
    assert reader == found


# ----------------------------------------------------------------------------- going on past bad records


_bundle = paper_bundle


def _with_rows(tmp_path: Path, transplants: dict[int, str], extra_observations: list[str]) -> Path:
    """The paper bundle with some transplants.csv lines replaced and observation rows added."""
    lines = (BUNDLE / "transplants.csv").read_text().splitlines()
    for n, text in transplants.items():
        lines[n - 1] = text
    obs = (BUNDLE / "observations.csv").read_text().rstrip("\n").splitlines()
    width = obs[0].count(",") + 1
    obs += [row + "," * (width - 1 - row.count(",")) for row in extra_observations]
    return _bundle(tmp_path, "\n".join(lines) + "\n", "\n".join(obs) + "\n")


def _replace_cell(line: str, column: str, value: str) -> str:
    header = (BUNDLE / "transplants.csv").read_text().splitlines()[0].split(",")
    cells = line.split(",")
    cells[header.index(column)] = value
    return ",".join(cells)


def test_classify_goes_on_past_bad_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = (BUNDLE / "transplants.csv").read_text().splitlines()
    bad_row = _replace_cell(_replace_cell(original[2], "death_day", "forty"), "graft_source", "PBSC")
    bundle = _with_rows(
        tmp_path,
        {3: bad_row},  # P1-T2: two bad cells
        [
            "P2-T1,12,ANC,oops",  # a bad cell refuses its transplant
            "P2-T1,13,ANC,alsobad",  # ... whose other rows are passed over
            "NOPE,1,ANC,1.0",  # a row naming no transplant
            ",1,ANC,1.0",  # a row naming none at all
            "P3-T1,30,donor_chimerism_pct,-3",  # impossible
        ],
    )
    assert main(["classify", str(bundle), "--format", "json"]) == 1
    out, err = capsys.readouterr()
    classified = [r["transplant_id"] for r in json.loads(out)]
    assert classified == ["P1-T1", "P2-T2", "P3-T2", "P4-T1", "P5-T1"]
    refused = [line.removeprefix("graftkg: refused: ") for line in err.splitlines() if "refused:" in line]
    n = len((BUNDLE / "observations.csv").read_text().splitlines())
    assert refused == [
        f"transplant P2-T1: {bundle}/observations.csv:{n + 1}: field 'value': 'oops' is not a number",
        f"row: {bundle}/observations.csv:{n + 3}: field 'transplant_id': transplant_id 'NOPE' is not in transplants.csv",
        f"row: {bundle}/observations.csv:{n + 4}: field 'transplant_id': transplant_id is empty",
        f"transplant P3-T1: {bundle}/observations.csv:{n + 5}: field 'value': donor chimerism outside 0-100 %: -3 "
        "(rule ChimerismPossible)",
        f"transplant P1-T2: {bundle}/transplants.csv:3: field 'death_day': 'forty' is not a whole number",
    ]  # P1-T2's unknown graft source is a problem of content: a row that cannot be read is not checked further
    assert err.splitlines()[-1] == "graftkg: 3 transplant(s) refused, 5 classified; 5 error(s) listed above"
    assert "Traceback" not in err


def test_duplicate_identifiers_refuse_both_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = (BUNDLE / "transplants.csv").read_text().splitlines()
    bundle = _bundle(tmp_path, "\n".join([*original, original[1]]) + "\n")
    assert main(["classify", str(bundle), "--format", "json"]) == 1
    out, err = capsys.readouterr()
    assert "P1-T1" not in [r["transplant_id"] for r in json.loads(out)]
    assert f"transplants.csv:{len(original) + 1}: field 'transplant_id': duplicate transplant_id 'P1-T1'" in err


def test_an_unusable_file_still_stops_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = _bundle(tmp_path, observations="transplant_id;day;measure;value\n")
    assert main(["classify", str(bundle)]) == 2
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "wrong delimiter" in err


def test_refused_records_are_never_partly_kept(tmp_path: Path) -> None:
    bundle = _with_rows(tmp_path, {}, ["P4-T1,200,ANC,-1"])
    refusals = Refusals()
    records = read_inputs([bundle], refusals=refusals)
    assert refusals.refused == {"P4-T1"} and "P4-T1" not in {r.transplant_id for r in records}
    whole = {r.transplant_id: r for r in read_inputs([BUNDLE])}
    for r in records:  # the others are read exactly as without the bad row
        assert [(o.day, o.measure, o.value) for o in r.observations] == [
            (o.day, o.measure, o.value) for o in whole[r.transplant_id].observations
        ]


@pytest.mark.parametrize("workers", [1, 2])
def test_validate_reports_every_bad_cell(tmp_path: Path, workers: int) -> None:
    original = (BUNDLE / "transplants.csv").read_text().splitlines()
    bad_row = _replace_cell(_replace_cell(original[2], "death_day", "forty"), "recipient_age_years", "nine")
    bundle = _with_rows(
        tmp_path,
        {3: bad_row},
        ["P2-T1,12,ANC,oops", "P2-T1,x,ANC,alsobad", "NOPE,1,ANC,1.0", "P3-T1,4,XYZ,1"],
    )
    report = validate_paths([bundle], workers=workers)
    unreadable = sorted(
        (f.transplant_id or "", f.field, f.message) for f in report.findings if f.rule == READABLE_INPUT
    )
    assert unreadable == [
        ("", "transplant_id", "transplant_id 'NOPE' is not in transplants.csv"),
        ("P1-T2", "death_day", "'forty' is not a whole number"),
        ("P1-T2", "recipient_age_years", "'nine' is not a number"),
        ("P2-T1", "day", "'x' is not a whole number"),
        ("P2-T1", "value", "'alsobad' is not a number"),
        ("P2-T1", "value", "'oops' is not a number"),
        (
            "P3-T1",
            "measure",
            "unknown measure 'XYZ' (known: ANC, HB, PLT, WBC, donor_chimerism_pct, dsa_mfi, "
            "gcsf, gvhd, infection, platelet_transfusion, rbc_transfusion)",
        ),
    ]
    assert all(f.severity == "violation" and f.location for f in report.findings if f.rule == READABLE_INPUT)
    assert report.transplants == 8 and not report.conforms()


def test_validate_reports_whatever_classify_refuses(tmp_path: Path) -> None:
    """One set of reading rules: every error classify lists is a violation of validate at the same
    place, whether a shape reports it (an unknown graft source) or no shape does (a lineage on an
    ANC row: only the chimerism shapes read lineages)."""
    original = (BUNDLE / "transplants.csv").read_text().splitlines()
    rows = {
        3: _replace_cell(original[2], "graft_source", "PBSC"),
        4: _replace_cell(original[3], "hla_match", "ten of ten"),
        5: _replace_cell(original[4], "gvhd_prophylaxis", "CsA;aspirin"),
    }
    bundle = _with_rows(
        tmp_path,
        rows,
        [
            "P3-T1,3,ANC,0.2,spleen",  # a lineage no shape reads on a count
            "P3-T2,,ANC,0.4",  # no day
            "P4-T1,12,PLT,",  # no value
            "P4-T1,14,infection,martian",
            "P5-T1,30,donor_chimerism_pct,101",
            "P1-T1,20,HB,-1",
        ],
    )
    refusals = Refusals()
    read_inputs([bundle], refusals=refusals)
    assert len(refusals.errors) == 9 and len(refusals.refused) == 8
    report = validate_paths([bundle])
    violations = {(f.transplant_id, f.location) for f in report.findings if f.severity == "violation"}
    missing = []
    for tid, error in refusals.errors:
        if (tid, f"{error.path}:{error.line}") not in violations:
            missing.append(str(error))
    assert not missing, missing
    lineage = [f for f in report.findings if f.field == "lineage"]
    assert [(f.rule, f.severity) for f in lineage] == [(READABLE_INPUT, "violation")]
