"""Laboratory units: a value in another UCUM unit is converted into its measure's unit on reading,
whatever the format; a unit that is not UCUM, or does not convert, is one located error.

The expected values are laboratory arithmetic written out here (1,200 cells/uL are 1.2 x 10^9/L;
10 g/dL are 100 g/L; 1 g/dL of haemoglobin is 0.6206 mmol/L, the ICSH factor), not the library's."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest

from graftkg import Engine
from graftkg.errors import InputError
from graftkg.model import TransplantRecord
from graftkg.rdf import DCTERMS, GK
from graftkg.readers import read_inputs
from graftkg.readers.csv_bundle import write_bundle_records
from graftkg.readers.units import units
from graftkg.reporting.convert import records_to_graph
from graftkg.semantics.ontology import load_ontology
from graftkg.validation.shacl import load_shapes

from conftest import EXAMPLES

BUNDLE = EXAMPLES / "paper-patients" / "csv"

#: (measure, value, unit) -> the value in the measure's unit, by hand
CONVERSIONS = [
    ("ANC", 1200.0, "/uL", 1.2),
    ("ANC", 1200.0, "/mm3", 1.2),
    ("ANC", 1.2, "10*3/uL", 1.2),
    ("ANC", 1.2, "10*3/mm3", 1.2),
    ("ANC", 1.2, "10*9/L", 1.2),
    ("ANC", 1200.0, "10*6/L", 1.2),
    ("PLT", 45.0, "10*3/uL", 45.0),
    ("PLT", 45000.0, "/uL", 45.0),
    ("WBC", 3.1, "10*3/uL", 3.1),
    ("HB", 9.5, "g/dL", 95.0),
    ("HB", 95.0, "g/L", 95.0),
    ("HB", 9500.0, "mg/dL", 95.0),
    ("donor_chimerism_pct", 0.97, "1", 97.0),
    ("donor_chimerism_pct", 97.0, "%", 97.0),
]


@pytest.mark.parametrize(("measure", "value", "unit", "expected"), CONVERSIONS)
def test_a_value_in_another_ucum_unit_converts_into_its_measure_s(
    measure: str, value: float, unit: str, expected: float
) -> None:
    converted = units().converter()(measure, value, unit)
    assert converted == (expected, units().unit_of[measure])


def test_haemoglobin_in_mmol_per_litre_converts_through_the_ontology_s_molar_mass() -> None:
    """ICSH: 1 g/dL of haemoglobin (monomer) is 0.6206 mmol/L; the molar mass and its source are data."""
    onto = load_ontology()
    assert float(onto.value(GK.HB, GK.molarMass)) == 16114.5  # type: ignore[arg-type]
    assert (GK.HB, DCTERMS.source, GK.ICSH1995Haemoglobinometry) in onto
    converted = units().converter()("HB", 6.206, "mmol/L")
    assert converted is not None and converted[1] == "g/L"
    assert converted[0] == pytest.approx(100.0, abs=0.01)


@pytest.mark.parametrize(
    ("measure", "unit", "why"),
    [
        ("ANC", "K/uL", "does not convert to 10*9/L"),  # UCUM reads K as kelvin
        ("ANC", "g/L", "does not convert to 10*9/L"),
        ("PLT", "x10^9/L", "is not a UCUM unit"),
        ("HB", "10*12/L", "does not convert to g/L"),
        ("HB", "g/100 mL", "is not a UCUM unit"),
        ("WBC", "%", "does not convert to 10*9/L"),
        ("donor_chimerism_pct", "10*9/L", "does not convert to %"),
    ],
)
def test_a_unit_that_is_not_ucum_or_does_not_convert_is_kept_for_the_rules(measure: str, unit: str, why: str) -> None:
    assert units().converter()(measure, 1.0, unit) is None
    problem = units().problem(measure, unit)
    assert problem is not None and why in problem and f"'{unit}'" in problem


def test_measures_without_a_unit_of_their_own_keep_theirs() -> None:
    convert = units().converter()
    assert convert("dsa_mfi", 3000.0, "MFI") == (3000.0, "MFI")
    assert units().problem("dsa_mfi", "MFI") is None


def test_each_unit_shape_states_its_measure_s_unit_from_the_ontology() -> None:
    """The unit shapes and the ontology's gk:unit say the same unit (the ontology is the one the
    readers convert into)."""
    by_shape = {
        "ANCUnit": "ANC",
        "PLTUnit": "PLT",
        "HBUnit": "HB",
        "WBCUnit": "WBC",
        "ChimerismUnit": "donor_chimerism_pct",
    }
    shapes = {str(s.iri).rsplit("/", 1)[1]: s for s in load_shapes()}
    for rule, measure in by_shape.items():
        assert dict(shapes[rule].constraints)["in"] == frozenset({("str", units().unit_of[measure])}), rule


def _in_lab_units(records: list[TransplantRecord]) -> list[TransplantRecord]:
    """The records with counts per microlitre, platelets in 10*3/uL and haemoglobin in g/dL."""
    scale = {"ANC": (1000.0, "/uL"), "WBC": (1000.0, "/uL"), "PLT": (1.0, "10*3/uL"), "HB": (0.1, "g/dL")}
    out = []
    for record in records:
        observations = []
        for o in record.observations:
            if o.measure in scale and o.value is not None:
                factor, unit = scale[o.measure]
                o = dataclasses.replace(o, value=round(o.value * factor, 6), unit=unit)
            observations.append(o)
        out.append(dataclasses.replace(record, observations=observations))
    return out


def _values(records: list[TransplantRecord]) -> list[tuple[object, ...]]:
    """The values of the observations of measures with a unit (counts, chimerism), with their units."""
    return [
        (r.transplant_id, o.day, o.measure, None if o.value is None else round(o.value, 9), o.unit)
        for r in records
        for o in r.observations
        if o.measure in units().unit_of
    ]


def test_a_bundle_in_the_lab_s_units_reads_and_classifies_as_in_the_measures_units(tmp_path: Path) -> None:
    original = read_inputs([BUNDLE])
    lab = _in_lab_units(original)
    assert sum(o.unit == "/uL" for r in lab for o in r.observations) > 20
    folder = write_bundle_records(lab, tmp_path / "lab")
    read = read_inputs([folder])
    got = _values(read)
    assert [g[:4] for g in got] == [e[:4] for e in _values(original)]
    converted = [g for g, o in zip(got, _values(lab), strict=True) if o[4] is not None]
    assert converted and all(g[4] == units().unit_of[g[2]] for g in converted)
    engine = Engine()
    assert [c.as_json() for c in engine.classify(read)] == [c.as_json() for c in engine.classify(original)]


def test_a_unit_in_turtle_is_read_and_converted_as_in_csv(tmp_path: Path) -> None:
    """gk:unitCode is read from RDF (it was once dropped): a unit that converts gives the measure's
    unit and value, as in CSV, and a round trip through Turtle keeps every unit."""
    lab = _in_lab_units(read_inputs([BUNDLE]))
    folder = write_bundle_records(lab, tmp_path / "lab")
    from_csv = read_inputs([folder])
    turtle = tmp_path / "lab.ttl"
    records_to_graph(lab).serialize(turtle, format="turtle")
    from_rdf = read_inputs([turtle])
    assert sorted(_values(from_rdf), key=repr) == sorted(_values(from_csv), key=repr)
    again = tmp_path / "again.ttl"
    records_to_graph(from_csv).serialize(again, format="turtle")
    assert sorted(_values(read_inputs([again])), key=repr) == sorted(_values(from_csv), key=repr)


def _with_unit(tmp_path: Path, unit: str) -> tuple[Path, int, str]:
    """The paper's bundle with one ANC row given in ``unit``: the folder, the row's line, its transplant."""
    out = tmp_path / "bundle"
    import shutil

    shutil.copytree(BUNDLE, out)
    text = (out / "observations.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    if "unit" not in header:
        header.append("unit")
        rows = [header] + [[*row, ""] for row in rows[1:]]
    i_measure, i_unit = header.index("measure"), header.index("unit")
    n = next(i for i, row in enumerate(rows) if i and row[i_measure] == "ANC")
    rows[n][i_unit] = unit
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (out / "observations.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return out, n + 1, rows[n][header.index("transplant_id")]


def test_a_unit_that_does_not_convert_refuses_its_transplant_with_one_located_error(tmp_path: Path) -> None:
    folder, line, tid = _with_unit(tmp_path, "K/uL")
    with pytest.raises(InputError) as info:
        read_inputs([folder])
    message = str(info.value)
    assert message.startswith(f"{folder / 'observations.csv'}:{line}: field 'unit': 'K/uL' does not convert")
    assert "\n" not in message
    report = Engine().validate(folder)
    [finding] = [f for f in report.findings if f.field == "unit"]
    assert (finding.rule, finding.severity, finding.transplant_id) == ("ANCUnit", "violation", tid)
    assert finding.location == f"{folder / 'observations.csv'}:{line}"


def test_a_unit_that_converts_is_no_finding(tmp_path: Path) -> None:
    folder, _, _ = _with_unit(tmp_path, "10*3/uL")  # the same number: 10*3/uL is 10*9/L
    assert Engine().validate(folder).conforms("info") == Engine().validate(BUNDLE).conforms("info")
    assert not [f for f in Engine().validate(folder).findings if f.field == "unit"]


def test_the_documented_conversions_are_what_reading_gives() -> None:
    """Each row of the table in docs/input.md#units, converted as a reader converts it."""
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "input.md").read_text(encoding="utf-8")
    section = text.split("### Units", 1)[1].split("\n#", 1)[0]
    names = {"chimerism": "donor_chimerism_pct"}
    rows = re.findall(r"^\| (\w+) `([\d.]+)` `([^`]+)`(?: \(or `([^`]+)`\))? \| `([\d.]+)`", section, re.M)
    assert len(rows) == 5
    for measure, value, unit, other, expected in rows:
        for given in filter(None, (unit, other)):
            converted = units().converter()(names.get(measure, measure), float(value), given)
            assert converted is not None and converted[0] == float(expected), (measure, given)
