"""FHIR R4 in and out: the paper's patients round-trip through a FHIR Bundle and NDJSON and give
Table 4 as from CSV; the CIBMTR Reporting IG's own example instances are read; every written
resource is valid against the ``fhir.resources`` (R4B) models; bad input is one located line."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graftkg import Engine
from graftkg.cli import main
from graftkg.errors import InputError
from graftkg.model import Observation, TransplantRecord
from graftkg.readers import read_inputs
from graftkg.readers.fhir import CODE_SYSTEM, ICD10PCS, LOINC, SNOMED, procedure_codes
from graftkg.readers.units import units
from graftkg.reporting.fhir import DEFAULT_DAY0, WRITTEN_LOINC, records_to_fhir

from conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
CSV = EXAMPLES / "paper-patients" / "csv"
FHIR = EXAMPLES / "paper-patients" / "fhir" / "paper-patients.json"
IG = ROOT / "tests" / "fhir" / "cibmtr-ig"


def _comparable(records: list[TransplantRecord]) -> list[dict[str, Any]]:
    """The records' fields, without where they were read."""
    out = []
    for r in records:
        fields = dataclasses.asdict(r)
        for key in ("source", "line"):
            fields.pop(key, None)
        for obs in fields["observations"]:
            obs.pop("source", None)
            obs.pop("line", None)
            if obs["unit"] is None:  # a value without a unit is in its measure's, which FHIR states
                obs["unit"] = units().unit_of.get(obs["measure"])
        # the order of one transplant's observations is no data (NDJSON files hold a type each)
        fields["observations"].sort(key=lambda o: json.dumps(o, sort_keys=True, default=str))
        out.append(fields)
    return out


def test_the_example_bundle_is_what_convert_writes() -> None:
    assert FHIR.read_text(encoding="utf-8") == Engine.convert(read_inputs([CSV]), "fhir")


def test_the_paper_patients_round_trip_through_fhir_and_reproduce_table_4() -> None:
    from_csv, from_fhir = read_inputs([CSV]), read_inputs([FHIR])
    assert _comparable(from_fhir) == _comparable(from_csv)
    # FHIR states dates: the Procedures are placed at a day 0 marked as a placeholder, read back as none
    assert {r.infusion_date for r in from_fhir} == {None}
    procedures = [e["resource"] for e in json.loads(FHIR.read_text(encoding="utf-8"))["entry"]]
    procedures = [p for p in procedures if p["resourceType"] == "Procedure"]
    assert {p["performedDateTime"] for p in procedures} == {DEFAULT_DAY0.isoformat()}
    assert all(p["_performedDateTime"]["extension"][0]["valueBoolean"] is True for p in procedures)
    engine = Engine()
    plain = [(c.transplant_id, c.outcome, c.findings, c.chimerism, c.risk_factors) for c in engine.classify(from_csv)]
    assert [
        (c.transplant_id, c.outcome, c.findings, c.chimerism, c.risk_factors) for c in engine.classify(from_fhir)
    ] == plain
    # Table 4 of the review: graft failure in patients 1 to 5
    assert dict((t, o) for t, o, *_ in plain)["P4-T1"] == "primary_graft_failure"


def test_ndjson_files_read_as_the_bundle(tmp_path: Path) -> None:
    """Bulk Data $export: one resource type a file, one resource a line, read together from a folder."""
    bundle = json.loads(FHIR.read_text(encoding="utf-8"))
    by_type: dict[str, list[str]] = {}
    for entry in bundle["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(json.dumps(entry["resource"]))
    folder = tmp_path / "export"
    folder.mkdir()
    for kind, lines in by_type.items():
        (folder / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _comparable(read_inputs([folder])) == _comparable(read_inputs([FHIR]))


def test_every_written_resource_is_valid_fhir() -> None:
    from fhir.resources.R4B.bundle import Bundle

    bundle = json.loads(FHIR.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)  # raises on any invalid element
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "Procedure", "Observation", "Condition"}  # GvHD is a Condition


def test_the_written_loinc_codes_are_codes_the_reader_reads_for_their_measure() -> None:
    codes = procedure_codes()
    assert all(codes.loinc[code] == measure for measure, code in WRITTEN_LOINC.items())
    # every code of the CIBMTR priority-variables value set for the four counts (the value set's file)
    value_set = (IG / "cibmtr-pv-valueset-2022.fsh").read_text(encoding="utf-8")
    for code in ("751-8", "753-4", "26499-4", "777-3", "778-1", "26515-7", "49497-1", "718-7", "59260-0"):
        assert f"$LNC#{code}" in value_set and code in codes.loinc, code
    assert {(SNOMED, "234336002"), (ICD10PCS, "30233G2"), (ICD10PCS, "30243X3")} <= codes.procedures


def _procedure(pid: str, patient: str, code: tuple[str, str], performed: str) -> dict[str, Any]:
    """A completed transplant Procedure coded ``(system, code)``."""
    return {
        "resourceType": "Procedure",
        "id": pid,
        "status": "completed",
        "code": {"coding": [{"system": code[0], "code": code[1]}]},
        "subject": {"reference": f"Patient/{patient}"},
        "performedDateTime": performed,
    }


def _ig_export(tmp_path: Path, *, procedure: bool = True) -> Path:
    """The CIBMTR IG's example patient 6 and its observations, with a transplant of ours 20 days
    before them (the IG has no Procedure example), as one folder."""
    folder = tmp_path / "ig"
    folder.mkdir()
    for path in sorted(IG.glob("*.json")):
        (folder / path.name).write_bytes(path.read_bytes())
    if procedure:
        procedure = _procedure("hsct", "PatientExample6", (ICD10PCS, "30233Y3"), "2020-07-01")
        (folder / "Procedure-hsct.json").write_text(json.dumps(procedure), encoding="utf-8")
    return folder


def test_the_cibmtr_ig_examples_are_read_with_their_units(tmp_path: Path) -> None:
    notes: list[str] = []
    [record] = read_inputs([_ig_export(tmp_path)], notes=notes)
    assert (record.transplant_id, record.patient_id, record.infusion_date) == (
        "hsct",
        "PatientExample6",
        date(2020, 7, 1),
    )
    counts = {(o.measure, o.day, o.value, o.unit) for o in record.observations}
    ig = {json.loads(p.read_text())["id"]: json.loads(p.read_text()) for p in IG.glob("Observation-*.json")}
    hb, wbc = ig["HemoglobinObservation"]["valueQuantity"], ig["LeukocytesObservation"]["valueQuantity"]
    assert hb["code"] == "g/dL" and wbc["code"] == "10*9/L"
    assert counts == {("HB", 20, round(hb["value"] * 10, 9), "g/L"), ("WBC", 20, wbc["value"], "10*9/L")}
    # the neutrophil example is a cord blood count (74398-9): not a peripheral count graftkg reads
    assert any("Observation (a code graftkg does not read)" in n for n in notes)
    assert any("MedicationAdministration" in n for n in notes)
    # everything else is counted: the 5 patients without a transplant, the other observations, the medications
    assert sum(int(n.split()[2]) for n in notes) == len(list(IG.glob("*.json"))) - 1 - 2  # less patient 6, HB, WBC
    assert any("Patient (no transplant Procedure)" in n for n in notes)


def test_observations_without_a_transplant_are_one_located_error(tmp_path: Path) -> None:
    folder = _ig_export(tmp_path, procedure=False)
    with pytest.raises(InputError) as info:
        read_inputs([folder])
    message = str(info.value)
    assert "has no transplant Procedure read" in message and "Observation.subject" in message
    assert "\n" not in message


def _bundle_with(change: Any) -> dict[str, Any]:
    bundle = json.loads(FHIR.read_text(encoding="utf-8"))
    change(bundle)
    return bundle


def _first(bundle: dict[str, Any], kind: str, measure: str | None = None) -> dict[str, Any]:
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] == kind and (
            measure is None
            or any(c["code"] == measure for c in res["code"]["coding"] if c["system"] == CODE_SYSTEM + "measure")
        ):
            return res  # type: ignore[no-any-return]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda b: _first(b, "Observation", "ANC")["valueQuantity"].update(code="K/uL"), "field 'unit'"),
        (
            lambda b: _first(b, "Observation", "ANC")["valueQuantity"].update(system="http://example.org"),
            "valueQuantity.system",
        ),
        (
            lambda b: _first(b, "Observation", "ANC").update(effectiveDateTime="yesterday"),
            "Observation.effectiveDateTime",
        ),
        (lambda b: _first(b, "Observation", "ANC")["valueQuantity"].update(value="0.5"), "Observation.value[x]"),
        (lambda b: _first(b, "Procedure").pop("performedDateTime"), "Procedure.performed[x]"),
        (
            lambda b: _first(b, "Procedure")["extension"][0].update(
                url=b["entry"][1]["resource"]["extension"][0]["url"] + "x"
            ),
            "extension[0].url",
        ),
        (
            lambda b: _first(b, "Observation", "ANC")["partOf"][0].update(reference="Procedure/nowhere"),
            "Observation.partOf",
        ),
    ],
)
def test_each_bad_element_is_one_error_naming_the_resource_and_element(
    tmp_path: Path, change: Any, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bundle_with(change)), encoding="utf-8")
    assert main(["classify", str(path), "--fail-fast"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and expected in err, err


def test_a_bad_line_of_ndjson_is_located_to_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    bundle = json.loads(FHIR.read_text(encoding="utf-8"))
    lines = [json.dumps(e["resource"]) for e in bundle["entry"]]
    lines[5] = lines[5][:-3]  # a line cut short
    (folder / "all.ndjson").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_inputs([folder])
    assert str(info.value).startswith(f"{folder / 'all.ndjson'}:6: not JSON")


def test_a_procedure_of_another_kind_is_left_out_and_counted(tmp_path: Path) -> None:
    def other(bundle: dict[str, Any]) -> None:
        extra = copy.deepcopy(_first(bundle, "Procedure"))
        extra.update(id="appendectomy", code={"coding": [{"system": SNOMED, "code": "80146002"}]})
        extra.pop("identifier")
        bundle["entry"].append({"resource": extra})

    path = tmp_path / "more.json"
    path.write_text(json.dumps(_bundle_with(other)), encoding="utf-8")
    notes: list[str] = []
    assert len(read_inputs([path], notes=notes)) == 8
    assert notes == [
        "left out 1 Procedure (neither an allogeneic HSCT nor a transfusion graftkg reads) resource(s): graftkg does not read them"
    ]


def test_validate_reads_fhir_and_reports_as_for_csv() -> None:
    fhir, csv = Engine().validate(FHIR), Engine().validate(CSV)
    assert fhir.counts() == csv.counts() and fhir.conforms() == csv.conforms()
    assert [(f.transplant_id, f.rule, f.value) for f in fhir.findings] == [
        (f.transplant_id, f.rule, f.value) for f in csv.findings
    ]


def test_a_placeholder_day_0_is_no_infusion_date_and_a_real_one_is_kept(tmp_path: Path) -> None:
    """A record without an infusion date is written at a placeholder day 0 (marked so) and read back
    without one: no made-up date reaches the recovery dates, nor puts a second transplant on its
    prior's day. A dated record keeps its date, unmarked; a bad mark is an error naming the element."""
    records = [
        TransplantRecord(
            "A", patient_id="P", graft_source="PB", transplant_number=1, observations=[Observation(14, "ANC", 0.6)]
        ),
        TransplantRecord("B", patient_id="P", graft_source="PB", transplant_number=2, prior_transplant_id="A"),
        TransplantRecord("C", patient_id="Q", graft_source="PB", infusion_date=date(2021, 3, 1)),
    ]
    bundle = records_to_fhir(records)
    procedures = {
        e["resource"]["id"]: e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"
    }
    assert "_performedDateTime" in procedures["A"] and "_performedDateTime" not in procedures["C"]
    path = tmp_path / "three.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    read = {r.transplant_id: r for r in read_inputs([path])}
    assert [read[t].infusion_date for t in "ABC"] == [None, None, date(2021, 3, 1)]
    assert [o.day for o in read["A"].observations] == [14]
    report = Engine().validate(path)
    assert "PriorTransplantInfusedEarlier" not in {f.rule for f in report.findings}
    procedures["A"]["_performedDateTime"]["extension"][0]["valueBoolean"] = "yes"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    with pytest.raises(InputError, match=r"three\.json.*Procedure\._performedDateTime\.extension\[0\].*valueBoolean"):
        read_inputs([path])


def test_a_second_transplant_follows_from_the_order_of_the_procedures(tmp_path: Path) -> None:
    """Without the graftkg extensions, a patient's transplants are numbered by date, each naming the one before."""
    records = [
        TransplantRecord("A", patient_id="P", graft_source="PB", infusion_date=date(2021, 1, 1)),
        TransplantRecord("B", patient_id="P", graft_source="PB", infusion_date=date(2021, 3, 1)),
    ]
    bundle = records_to_fhir(records)
    path = tmp_path / "two.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    first, second = read_inputs([path])
    assert (second.transplant_number, second.prior_transplant_id) == (2, "A")
    assert first.transplant_number is None


def test_lab_codes_are_loinc_in_what_is_written() -> None:
    bundle = json.loads(FHIR.read_text(encoding="utf-8"))
    anc = _first(bundle, "Observation", "ANC")
    assert anc["code"]["coding"][0] == {"system": LOINC, "code": "26499-4"}
    assert anc["valueQuantity"]["system"] == "http://unitsofmeasure.org"


def test_the_published_extensions_are_current_and_cover_every_extension_written() -> None:
    from graftkg.reporting.fhir import extensions_fsh

    published = (ROOT / "ontology" / "fhir" / "graftkg.fsh").read_text(encoding="utf-8")
    assert published == extensions_fsh()
    bundle = json.loads(FHIR.read_text(encoding="utf-8"))
    written = {ext["url"] for e in bundle["entry"] for ext in e["resource"].get("extension", [])}
    ours = {url for url in written if url.startswith("https://w3id.org/graftkg/")}
    assert ours and all(f'* ^url = "{url}"' in published for url in ours)
    # the others are HL7's own (a GvHD Condition's cause)
    assert written - ours == {"http://hl7.org/fhir/StructureDefinition/condition-dueTo"}


def test_the_command_line_notes_what_it_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", str(_ig_export(tmp_path)), "--format", "json"]) == 0
    captured = capsys.readouterr()
    notes = captured.err.strip().splitlines()
    assert notes and all(n.startswith("graftkg: note: left out ") for n in notes)
    assert any("MedicationRequest" in n for n in notes)
    assert json.loads(captured.out)[0]["transplant_id"] == "hsct"


def test_classify_writes_the_derived_answers_and_the_graft_failures_as_valid_fhir(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fhir.resources.R4B.bundle import Bundle

    assert main(["classify", str(CSV), "--format", "fhir"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    Bundle.model_validate(bundle)
    resources = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"] for e in bundle["entry"]}
    results = {c.transplant_id: c for c in Engine().classify(read_inputs([CSV]))}
    records = {r.transplant_id: r for r in read_inputs([CSV])}
    for tid, c in results.items():
        outcome = resources[f"Observation/{tid}-outcome"]
        assert outcome["valueCodeableConcept"]["coding"][0]["code"] == c.outcome
        assert [n["text"] for n in outcome["note"]] == c.explanation
        assert [x["valueCodeableConcept"]["coding"][0]["code"] for x in outcome.get("component", [])] == c.findings
        anc = resources[f"Observation/{tid}-neutrophil-recovery"]
        assert anc["valueBoolean"] == (c.neutrophil_recovery_day is not None)
        if c.neutrophil_recovery_day is not None:
            assert anc["component"][0]["valueInteger"] == c.neutrophil_recovery_day
        for ref in anc.get("derivedFrom", []):  # the evidence: this transplant's ANC observations
            source = resources[ref["reference"]]
            assert (
                source["partOf"][0]["reference"] == f"Procedure/{tid}"
                and source["code"]["coding"][0]["code"] == "26499-4"
            )
        failure = resources.get(f"Condition/{tid}-graft-failure")
        assert (failure is not None) == c.outcome.endswith("graft_failure")
        if failure is not None:
            icd = failure["code"]["coding"][1]["code"]
            assert icd == ("T86.02" if records[tid].graft_source == "BM" else "T86.5")
    # patient 4's bone marrow graft failure is the ICD-10-CM bone marrow transplant failure
    assert resources["Condition/P4-T1-graft-failure"]["code"]["coding"][1]["code"] == "T86.02"


def test_validate_writes_an_operation_outcome_of_its_findings(capsys: pytest.CaptureFixture[str]) -> None:
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    folder = EXAMPLES / "invalid-submission"
    main(["validate", str(folder), "--format", "fhir"])
    outcome = json.loads(capsys.readouterr().out)
    OperationOutcome.model_validate(outcome)
    findings = Engine().validate(folder).findings
    assert len(outcome["issue"]) == len(findings)
    severity = {"violation": "error", "warning": "warning", "info": "information"}
    assert [(i["severity"], i["details"]["coding"][0]["code"]) for i in outcome["issue"]] == [
        (severity[f.severity], f.rule) for f in findings
    ]


def _local_chimerism(folder: Path, *, lineage_in_map: bool) -> list[TransplantRecord]:
    """The paper's bundle with each chimerism assay coded by a site's own code (one per lineage),
    without graftkg's code, in ``folder``; the records read from the original bundle."""
    bundle = json.loads(FHIR.read_text(encoding="utf-8"))
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] == "Observation" and _measure_of_resource(res) == "donor_chimerism_pct":
            lineage = next(e["valueCode"] for e in res["extension"] if e["url"].endswith("/lineage"))
            res["code"] = {"coding": [{"system": "http://hospital.example.org/lab", "code": f"CHIM-{lineage}"}]}
            if lineage_in_map:
                res.pop("extension")
    folder.mkdir()
    (folder / "bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    return read_inputs([FHIR])


def _measure_of_resource(res: dict[str, Any]) -> str | None:
    return next((c["code"] for c in res["code"]["coding"] if c["system"] == CODE_SYSTEM + "measure"), None)


@pytest.mark.parametrize("lineage_in_map", [False, True])
def test_a_site_s_own_chimerism_codes_are_read_through_its_code_map(tmp_path: Path, lineage_in_map: bool) -> None:
    folder = tmp_path / "site"
    original = _local_chimerism(folder, lineage_in_map=lineage_in_map)
    lineages = sorted({o.lineage for r in original for o in r.observations if o.lineage})
    notes: list[str] = []
    without = read_inputs([folder], notes=notes)
    assert not any(o.measure == "donor_chimerism_pct" for r in without for o in r.observations)
    assert any("a code graftkg does not read" in n for n in notes)
    rows = ["system,code,measure,lineage"] + [
        f"http://hospital.example.org/lab,CHIM-{x},donor_chimerism_pct,{x if lineage_in_map else ''}" for x in lineages
    ]
    (folder / "code-map.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert _comparable(read_inputs([folder])) == _comparable(original)
    assert _comparable(read_inputs([folder / "bundle.json"])) == _comparable(original)  # a file: the map beside it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("system,code\n", ":1: the header must be system,code,measure,lineage"),
        ("system,code,measure\nhttp://x,C1,chimerism\n", ":2: field 'measure': unknown measure 'chimerism'"),
        (
            "system,code,measure,lineage\nhttp://x,C1,donor_chimerism_pct,spleen\n",
            ":2: field 'lineage': unknown lineage",
        ),
        ("system,code,measure\n,C1,ANC\n", ":2: field 'system': a row gives a system and a code"),
    ],
)
def test_a_bad_code_map_is_one_located_error(tmp_path: Path, text: str, expected: str) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "bundle.json").write_bytes(FHIR.read_bytes())
    (folder / "code-map.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_inputs([folder])
    assert str(info.value).startswith(str(folder / "code-map.csv")) and expected in str(info.value)


def test_the_documented_loinc_codes_are_the_codes_read() -> None:
    import re

    page = (ROOT / "docs" / "fhir.md").read_text(encoding="utf-8")
    documented = {
        code: measure
        for measure, codes in re.findall(r"^\| `(ANC|PLT|HB|WBC|neutrophil_pct)` \| (.+) \|$", page, re.M)
        for code in re.findall(r"\b\d{3,5}-\d\b", codes)
    }
    assert documented == procedure_codes().loinc


# --- an ANC calculated from a differential: neutrophils per 100 leukocytes x the leukocyte count ---

NEUTROPHIL_PCT, LEUKOCYTES = "770-8", "6690-2"


def _lab(oid: str, code: str, value: float, unit: str, when: str, like: dict[str, Any]) -> dict[str, Any]:
    """A laboratory Observation coded by LOINC only, of the patient and procedure of ``like``."""
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": like["subject"],
        "partOf": like["partOf"],
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "system": UCUM_SYSTEM, "code": unit},
    }


UCUM_SYSTEM = "http://unitsofmeasure.org"


def _differentials(bundle: dict[str, Any]) -> set[tuple[str, str]]:
    """Replace each ANC of the bundle on a time without a leukocyte count by a differential (25 %
    neutrophils) and a leukocyte count of four times the ANC at that time; return the (procedure,
    time) pairs replaced."""
    wbc_times = {
        (r["partOf"][0]["reference"], r["effectiveDateTime"])
        for r in (e["resource"] for e in bundle["entry"])
        if r["resourceType"] == "Observation" and _measure_of_resource(r) == "WBC"
    }
    entries, replaced = [], set()
    for entry in bundle["entry"]:
        res = entry["resource"]
        key = (res.get("partOf", [{}])[0].get("reference"), res.get("effectiveDateTime"))
        if res["resourceType"] == "Observation" and _measure_of_resource(res) == "ANC" and key not in wbc_times:
            value = res["valueQuantity"]["value"]
            when = res["effectiveDateTime"]
            entries.append({"resource": _lab(res["id"] + "-pct", NEUTROPHIL_PCT, 25, "%", when, res)})
            entries.append({"resource": _lab(res["id"] + "-wbc", LEUKOCYTES, value * 4, "10*9/L", when, res)})
            replaced.add((key[0].removeprefix("Procedure/"), when))
        else:
            entries.append(entry)
    bundle["entry"] = entries
    return replaced


def test_an_anc_calculated_from_a_differential_classifies_as_the_count_and_says_so(tmp_path: Path) -> None:
    bundle = json.loads(FHIR.read_text(encoding="utf-8"))
    replaced = _differentials(bundle)
    path = tmp_path / "differentials.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    original, calculated = read_inputs([FHIR]), read_inputs([path])

    def ancs(records: list[TransplantRecord]) -> dict[str, list[tuple[int | None, float | None]]]:
        return {
            r.transplant_id: sorted((o.day, o.value) for o in r.observations if o.measure == "ANC") for r in records
        }

    assert ancs(calculated) == ancs(original)  # 25 % of four times the count: the count, exactly
    methods = {(r.transplant_id, o.method) for r in calculated for o in r.observations if o.measure == "ANC"}
    assert ("P1-T2", "neutrophil_pct_x_wbc") in methods and len(replaced) > 50
    engine = Engine()
    before = {c.transplant_id: c for c in engine.classify(original)}
    for c in engine.classify(calculated):
        was = before[c.transplant_id]
        assert (c.outcome, c.findings, c.chimerism, c.neutrophil_recovery_day) == (
            was.outcome,
            was.findings,
            was.chimerism,
            was.neutrophil_recovery_day,
        )
        said = [s for s in c.explanation if "calculated as neutrophils per 100 leukocytes x leukocyte count" in s]
        assert bool(said) == any(tid == c.transplant_id for tid, _ in replaced), c.transplant_id
        assert [s for s in c.explanation if s not in said] == was.explanation


def _one_transplant(*observations: dict[str, Any]) -> dict[str, Any]:
    procedure = _procedure("t1", "p1", (SNOMED, "234336002"), "2024-03-01")
    entries = [{"resource": {"resourceType": "Patient", "id": "p1"}}, {"resource": procedure}]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries + [{"resource": o} for o in observations]}


_LIKE = {"subject": {"reference": "Patient/p1"}, "partOf": [{"reference": "Procedure/t1"}]}
_AT = "2024-03-15T08:00:00Z"  # day 14


@pytest.mark.parametrize(
    ("observations", "anc", "note"),
    [
        # the fraction in %, or as a pure number; the count in 10*9/L or in cells per microlitre
        (
            [("pct", NEUTROPHIL_PCT, 45, "%"), ("wbc", LEUKOCYTES, 1.2, "10*9/L")],
            [(14, 0.54, "neutrophil_pct_x_wbc")],
            None,
        ),
        ([("pct", "26511-6", 0.45, "1"), ("wbc", "26464-8", 1200, "/uL")], [(14, 0.54, "neutrophil_pct_x_wbc")], None),
        ([("pct", "23761-0", 0, "%"), ("wbc", "804-5", 0.9, "10*3/uL")], [(14, 0.0, "neutrophil_pct_x_wbc")], None),
        # no leukocyte count of its time: nothing calculated, and said
        ([("pct", NEUTROPHIL_PCT, 45, "%")], [], "neutrophil_pct with no WBC of the same time"),
        # a measured ANC of the same time is read, not the calculation
        (
            [("pct", NEUTROPHIL_PCT, 45, "%"), ("wbc", LEUKOCYTES, 1.2, "10*9/L"), ("anc", "751-8", 0.6, "10*9/L")],
            [(14, 0.6, None)],
            "neutrophil_pct, with a measured ANC of the same time, which is read",
        ),
    ],
)
def test_a_differential_and_a_leukocyte_count_of_one_time_give_an_anc(
    tmp_path: Path,
    observations: list[tuple[str, str, float, str]],
    anc: list[tuple[int, float, str | None]],
    note: str | None,
) -> None:
    bundle = _one_transplant(*(_lab(i, code, v, unit, _AT, _LIKE) for i, code, v, unit in observations))
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    notes: list[str] = []
    [record] = read_inputs([path], notes=notes)
    assert [(o.day, o.value, o.method) for o in record.observations if o.measure == "ANC"] == anc
    assert [n for n in notes if "neutrophil_pct" in n] == (
        [f"left out 1 Observation ({note}) resource(s): graftkg does not read them"] if note else []
    )


@pytest.mark.parametrize(
    ("observations", "expected"),
    [
        (
            [("pct", NEUTROPHIL_PCT, 45, "%"), ("w1", LEUKOCYTES, 1.2, "10*9/L"), ("w2", "26464-8", 1.5, "10*9/L")],
            "Observation/pct Observation.effective[x]': the WBC counts Observation/w1 and Observation/w2 of its time",
        ),
        (
            [("pct", NEUTROPHIL_PCT, 145, "%"), ("wbc", LEUKOCYTES, 1.2, "10*9/L")],
            "145 % is not a fraction of the leukocytes",
        ),
        ([("pct", NEUTROPHIL_PCT, 45, "g/L"), ("wbc", LEUKOCYTES, 1.2, "10*9/L")], "Observation.valueQuantity.code"),
    ],
)
def test_a_differential_that_cannot_give_an_anc_is_one_located_error(
    tmp_path: Path, observations: list[tuple[str, str, float, str]], expected: str
) -> None:
    bundle = _one_transplant(*(_lab(i, code, v, unit, _AT, _LIKE) for i, code, v, unit in observations))
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_inputs([path])
    message = str(info.value)
    assert expected in message and message.startswith(str(path)) and "\n" not in message


def test_a_calculated_anc_keeps_its_calculation_through_csv_rdf_and_fhir(tmp_path: Path) -> None:
    from graftkg.readers.csv_bundle import write_bundle_records

    bundle = _one_transplant(
        _lab("pct", NEUTROPHIL_PCT, 45, "%", _AT, _LIKE), _lab("wbc", LEUKOCYTES, 1.2, "10*9/L", _AT, _LIKE)
    )
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    records = read_inputs([path])
    ttl, fhir = tmp_path / "t.ttl", tmp_path / "again.json"
    ttl.write_text(Engine.convert(records, "turtle"), encoding="utf-8")
    fhir.write_text(Engine.convert(records, "fhir"), encoding="utf-8")
    assert "gk:calculatedBy gk:ANCFromDifferential" in ttl.read_text(encoding="utf-8")
    csv_folder = write_bundle_records(records, tmp_path / "csv")
    assert "neutrophil_pct_x_wbc" in (csv_folder / "observations.csv").read_text(encoding="utf-8")
    for again in (read_inputs([ttl]), read_inputs([fhir]), read_inputs([csv_folder])):
        assert sorted((o.measure, o.day, o.value, o.method) for r in again for o in r.observations) == sorted(
            (o.measure, o.day, o.value, o.method) for r in records for o in r.observations
        )


# --- GvHD as a Condition (the CIBMTR IG's GvHD value sets), not only as graftkg's coded Observation ---


def _condition(cid: str, system: str, code: str, **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        **more,
    }


ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
GRADE = CODE_SYSTEM + "gvhd-grade"
DUE_TO = "http://hl7.org/fhir/StructureDefinition/condition-dueTo"


@pytest.mark.parametrize(
    ("conditions", "gvhd", "notes"),
    [
        # acute GvHD by ICD-10-CM, onset day 20, grade 2; chronic by SNOMED CT's GvHD, ungraded, day 120
        (
            [
                _condition(
                    "c1",
                    ICD10CM_SYSTEM,
                    "D89.810",
                    onsetDateTime="2024-03-21",
                    stage=[{"summary": {"coding": [{"system": GRADE, "code": "2"}]}}],
                ),
                _condition("c2", SNOMED, "234646005", onsetPeriod={"start": "2024-06-29T10:00:00Z"}),
            ],
            [(20, 2.0), (120, None)],
            [],
        ),
        # refuted, or not GvHD (a graft failure, as graftkg classify writes one): left out and counted
        (
            [
                _condition(
                    "c3",
                    ICD10CM_SYSTEM,
                    "D89.811",
                    onsetDateTime="2024-03-21",
                    verificationStatus={"coding": [{"code": "refuted"}]},
                ),
                _condition("c4", ICD10CM_SYSTEM, "T86.5", onsetDateTime="2024-03-21"),
            ],
            [],
            ["left out 1 Condition (neither GvHD nor an infection graftkg reads)", "left out 1 Condition (refuted)"],
        ),
    ],
)
def test_gvhd_conditions_are_read_as_gvhd_episodes(
    tmp_path: Path, conditions: list[dict[str, Any]], gvhd: list[tuple[int | None, float | None]], notes: list[str]
) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_one_transplant(*conditions)), encoding="utf-8")
    said: list[str] = []
    [record] = read_inputs([path], notes=said)
    assert [(o.day, o.value) for o in record.observations if o.measure == "gvhd"] == gvhd
    assert [n.removesuffix(" resource(s): graftkg does not read them") for n in said] == notes
    if gvhd:
        (result,) = Engine().classify([record])
        assert "gvhd" in result.risk_factors


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            _condition(
                "c1",
                ICD10CM_SYSTEM,
                "D89.81",
                onsetDateTime="2024-03-21",
                stage=[{"summary": {"coding": [{"system": GRADE, "code": "severe"}]}}],
            ),
            "Condition/c1 Condition.stage.summary",
        ),
        (_condition("c1", ICD10CM_SYSTEM, "D89.81", onsetDateTime="soon"), "Condition/c1 Condition.onsetDateTime"),
        (_condition("c1", ICD10CM_SYSTEM, "D89.813"), "Condition/c1 Condition.onset[x]': has no onset[x] date"),
        (
            _condition(
                "c1",
                ICD10CM_SYSTEM,
                "D89.81",
                onsetDateTime="2024-03-21",
                extension=[{"url": DUE_TO}],
            ),
            "Condition/c1 Condition.extension[0].valueReference",
        ),
    ],
)
def test_a_bad_gvhd_condition_is_one_located_error(tmp_path: Path, condition: dict[str, Any], expected: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_one_transplant(condition)), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_inputs([path])
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_gvhd_is_written_as_a_condition_of_its_transplant_and_read_back(tmp_path: Path) -> None:
    from fhir.resources.R4B.condition import Condition

    records = read_inputs([CSV])
    bundle = json.loads(Engine.convert(records, "fhir"))
    conditions = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"]
    gvhd = [(r.transplant_id, o.value) for r in records for o in r.observations if o.measure == "gvhd"]
    assert len(conditions) == len(gvhd) > 0
    for res in conditions:
        Condition.model_validate(res)
        assert res["code"]["coding"][0] == {"system": SNOMED, "code": "234646005"}
    # a second transplant's GvHD stays with it, whatever its date
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    again = read_inputs([path])
    assert [(r.transplant_id, o.value) for r in again for o in r.observations if o.measure == "gvhd"] == gvhd


# --- conditioning agents and GvHD prophylaxis from MedicationAdministration / MedicationRequest ---

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PROFILE = "http://fhir.nmdp.org/ig/cibmtr-reporting/StructureDefinition/"


def _given(mid: str, when: str, rxnorm: str | None = None, **more: Any) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": mid,
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
        **more,
    }
    if rxnorm is not None:
        res["medicationCodeableConcept"] = {"coding": [{"system": RXNORM, "code": rxnorm}]}
    return res


def test_medications_given_are_read_as_conditioning_and_gvhd_prophylaxis(tmp_path: Path) -> None:
    """Day 0 is 2024-03-01 (``_one_transplant``)."""
    atg = {
        "resourceType": "Medication",
        "id": "atg",
        "meta": {"profile": [PROFILE + "cibmtr-gvhd-prophylaxis-medication"]},
        "code": {"coding": [{"system": RXNORM, "code": "225741"}]},  # Thymoglobulin
    }
    resources = [
        _given("bu", "2024-02-25", "1828"),  # busulfan, day -5
        _given(
            "flu",
            "2024-02-24T09:00:00Z",
            medicationReference={"reference": "#f"},
            contained=[
                {"resourceType": "Medication", "id": "f", "code": {"coding": [{"system": RXNORM, "code": "24698"}]}}
            ],
        ),
        _given("cy-1", "2024-02-26", "3002"),  # cyclophosphamide, day -4: conditioning
        _given("cy-2", "2024-03-04", "202589"),  # Cytoxan, day +3: post-transplant cyclophosphamide
        _given("atg-1", "2024-02-28", medicationReference={"reference": "Medication/atg"}),  # its profile: prophylaxis
        {
            "resourceType": "MedicationRequest",
            "id": "mel",
            "status": "completed",
            "intent": "order",
            "subject": {"reference": "Patient/p1"},
            "authoredOn": "2024-02-27",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "6718"}]},
        },
        _given("eto", "2024-02-25", "4179"),  # etoposide: not an agent graftkg records
        _given("csa", "2024-02-29", "1156186"),  # cyclosporine Injectable Product, day -1: prophylaxis
        _given("mtx", "2024-03-02", "1162235"),  # methotrexate Injectable Product, day +1
        _given("eye", "2024-04-01", "1093174"),  # cyclosporine ophthalmic ointment: not prophylaxis
        _given("bu-2", "2024-02-25", "1828", status="not-done"),
        _given("x", "2024-02-25", medicationReference={"reference": "Medication/elsewhere"}),
        atg,
        {**atg, "id": "unused"},
    ]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_one_transplant(*resources)), encoding="utf-8")
    notes: list[str] = []
    [record] = read_inputs([path], notes=notes)
    assert record.conditioning_agents == ["busulfan", "fludarabine", "cyclophosphamide", "melphalan"]
    assert record.gvhd_prophylaxis == ["PTCy", "ATG", "cyclosporine", "methotrexate"]
    assert [n.removesuffix(" resource(s): graftkg does not read them") for n in notes] == [
        "left out 1 Medication (named by no medication use graftkg reads)",
        "left out 2 MedicationAdministration (a medication graftkg does not read)",
        "left out 1 MedicationAdministration (its Medication is not in the export)",
        "left out 1 MedicationAdministration (not-done)",
    ]
    (result,) = Engine().classify([record])
    assert result.outcome  # classified with them


def test_every_medication_code_read_is_a_code_of_the_ig_value_set_of_its_agent() -> None:
    """The codes come from the copied value sets: a per-drug one, named in its title, or the GvHD
    prophylaxis one, where the code's RxNorm name names the agent and no non-systemic form; no code
    is of two agents; each agent is one of the ontology's."""
    import csv
    import re

    from graftkg.readers.fhir import medication_codes
    from graftkg.semantics.vocabulary import vocabulary

    folder = ROOT / "ontology" / "mappings" / "cibmtr-medications"
    expected: dict[str, tuple[str, str]] = {}
    with (folder / "agents.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        text = (folder / row["value_set"]).read_text(encoding="utf-8")
        listed = re.findall(r'^\* \$RXN#(\S+)\s+"([^"]*)"', text, re.M)
        assert vocabulary().code_for("gvhd_prophylaxis", row["agent"]) == row["agent"]
        assert row["role"] in ("conditioning_agents", "gvhd_prophylaxis", "by_day")
        if not row["display"]:  # a drug's own value set: every code
            [title] = re.findall(r'^Title:\s+"RxNorm - (.+)"$', text, re.M)
            assert vocabulary().code_for("conditioning_agents", title) == row["agent"], title
        for code, display in listed:
            name = display.lower()
            named = re.search(rf"\b{re.escape(row['display'])}\b", name)  # temsirolimus is not sirolimus
            if row["display"] and (not named or "ophthalmic" in name or "topical" in name):
                continue
            assert expected.setdefault(code, (row["agent"], row["role"]))[0] == row["agent"], code
    assert medication_codes() == expected
    # the IG's prophylaxis value set gives each of these drugs by name, with its systemic forms
    agents = Counter(agent for agent, role in expected.values() if role == "gvhd_prophylaxis")
    assert set(agents) == {"cyclosporine", "tacrolimus", "methotrexate", "MMF", "sirolimus"}
    assert min(agents.values()) >= 10, agents


# --- the graft as the PanCareSurPass IG gives it: a BiologicallyDerivedProduct the Procedure names ---

PCSP = "http://hl7.eu/fhir/ig/pcsp/"


def _product(pid: str, source: str | None, donor: str | None) -> dict[str, Any]:
    extensions = [
        {
            "url": PCSP + "StructureDefinition/" + url,
            "valueCodeableConcept": {"coding": [{"system": PCSP + "CodeSystem/cs-generic-eu-pcsp", "code": code}]},
        }
        for url, code in (("sct-source-type", source), ("sct-donor-type", donor))
        if code is not None
    ]
    return {
        "resourceType": "BiologicallyDerivedProduct",
        "id": pid,
        "productCategory": "cells",
        "extension": extensions,
    }


def _with_graft(bundle: dict[str, Any], reference: str, **procedure: Any) -> dict[str, Any]:
    res = bundle["entry"][1]["resource"]
    used = {"url": PCSP + "StructureDefinition/procedure-usedReference", "valueReference": {"reference": reference}}
    res["extension"] = [*procedure.pop("extension", []), used]
    res.update(procedure)
    return bundle


@pytest.mark.parametrize(
    ("bundle", "fields", "notes"),
    [
        (
            _with_graft(
                _one_transplant(_product("g1", "sct-pbsc", "sct-haplo-identical")), "BiologicallyDerivedProduct/g1"
            ),
            ("PB", "haploidentical"),
            [],
        ),
        (  # contained; the sibling code holds an en dash, as the IG spells it
            _with_graft(
                _one_transplant(), "#g", contained=[_product("g", "sct-cord", "sct-matched-related\u2013sibling")]
            ),
            ("UCB", "MSD"),
            [],
        ),
        (  # graftkg's own extension says the graft source first; a donor type graftkg has no code for is counted
            _with_graft(
                _one_transplant(
                    _product("g1", "sct-pbsc", "sct-matched-related\u2013parent"),
                    _product("g2", "sct-bone-marrow", None),
                ),
                "BiologicallyDerivedProduct/g1",
                extension=[
                    {"url": "https://w3id.org/graftkg/fhir/StructureDefinition/graft_source", "valueCode": "BM"}
                ],
            ),
            ("BM", None),
            [
                "left out 1 BiologicallyDerivedProduct (named by no transplant Procedure)",
                "left out 1 BiologicallyDerivedProduct code sct-matched-related\u2013parent (no graftkg code for it)",
            ],
        ),
        (
            _with_graft(_one_transplant(), "BiologicallyDerivedProduct/elsewhere"),
            (None, None),
            ["left out 1 Procedure graft (its BiologicallyDerivedProduct is not in the export)"],
        ),
    ],
)
def test_the_graft_is_read_from_the_product_the_procedure_names(
    tmp_path: Path, bundle: dict[str, Any], fields: tuple[str | None, str | None], notes: list[str]
) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    said: list[str] = []
    [record] = read_inputs([path], notes=said)
    assert (record.graft_source, record.donor_type) == fields
    assert [n.removesuffix(" resource(s): graftkg does not read them") for n in said] == notes


def test_a_pcsp_gvhd_condition_gives_its_transplant_and_acute_grade(tmp_path: Path) -> None:
    condition = _condition(
        "c1",
        SNOMED,
        "402355000",  # acute GvHD
        onsetDateTime="2024-03-21",
        extension=[{"url": DUE_TO, "valueReference": {"reference": "Procedure/t1"}}],
        stage=[{"summary": {"coding": [{"system": PCSP + "CodeSystem/cs-generic-eu-pcsp", "code": "Gvhd-acute-3"}]}}],
    )
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_one_transplant(condition)), encoding="utf-8")
    [record] = read_inputs([path])
    assert [(o.measure, o.day, o.value) for o in record.observations] == [("gvhd", 20, 3.0)]


def test_the_pcsp_codes_read_give_codes_of_the_ontology() -> None:
    from graftkg.readers.fhir import pcsp_codes
    from graftkg.semantics.vocabulary import vocabulary

    for code, (column, value) in pcsp_codes().items():
        if column == "gvhd_grade":
            assert code == f"Gvhd-acute-{value}" and 1 <= int(value) <= 4
        else:
            assert vocabulary().code_for(column, value) == value, code


def test_infection_conditions_are_read_with_the_pathogen_their_code_names(tmp_path: Path) -> None:
    conditions = [
        _condition("i1", ICD10CM_SYSTEM, "B25.9", onsetDateTime="2024-03-31"),  # CMV disease, day 30
        _condition("i2", ICD10CM_SYSTEM, "A49.9", onsetDateTime="2024-03-11"),  # bacterial, day 10
        _condition("i3", ICD10CM_SYSTEM, "B27.00", onsetDateTime="2024-03-11"),  # EBV mononucleosis: not mapped
    ]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_one_transplant(*conditions)), encoding="utf-8")
    notes: list[str] = []
    [record] = read_inputs([path], notes=notes)
    assert [(o.measure, o.day, o.code) for o in record.observations] == [
        ("infection", 30, "CMV"),
        ("infection", 10, "bacterial"),
    ]
    assert notes == [
        "left out 1 Condition (neither GvHD nor an infection graftkg reads) resource(s): graftkg does not read them"
    ]
    (result,) = Engine().classify([record])
    assert "viral_infection" in result.risk_factors


def test_transfusion_procedures_are_read_as_support_events(tmp_path: Path) -> None:
    def transfusion(pid: str, code: str, performed: str, **more: Any) -> dict[str, Any]:
        return {**_procedure(pid, "p1", (ICD10PCS, code), performed), **more}

    resources = [
        transfusion("plt", "30233R1", "2024-03-12T10:00:00Z"),  # platelets, day 11
        transfusion("rbc", "30243N1", "2024-03-08", partOf=[{"reference": "Procedure/t1"}]),  # red cells, day 7
        transfusion("no", "30233R1", "2024-03-13", status="not-done"),
        transfusion("ffp", "30233K1", "2024-03-13"),  # frozen plasma: not an event graftkg reads
    ]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_one_transplant(*resources)), encoding="utf-8")
    notes: list[str] = []
    [record] = read_inputs([path], notes=notes)
    assert [(o.measure, o.day) for o in record.observations] == [("platelet_transfusion", 11), ("rbc_transfusion", 7)]
    assert [n.removesuffix(" resource(s): graftkg does not read them") for n in notes] == [
        "left out 1 Procedure (neither an allogeneic HSCT nor a transfusion graftkg reads)",
        "left out 1 Procedure (not-done)",
    ]
