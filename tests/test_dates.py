"""Calendar dates in the CSV bundle: ``infusion_date`` in transplants.csv, ``date`` in observations.csv.

A bundle whose observations give dates reads to exactly the records of the same bundle giving days;
each misuse of a date is one error located to its row and field.
"""

from __future__ import annotations

import csv
import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest

from graftkg.errors import InputError
from graftkg.model import TransplantRecord
from graftkg.readers import read_inputs
from graftkg.readers.csv_bundle import read_observations, read_transplants, write_bundle_records
from graftkg.readers.refusals import Refusals

from conftest import EXAMPLES, paper_bundle

BUNDLE = EXAMPLES / "paper-patients" / "csv"


def _dated_records() -> list[TransplantRecord]:
    """The paper's transplants, each with an infusion date (one on a leap day, one near a year's end)."""
    records = read_inputs([BUNDLE])
    starts = [date(2024, 2, 29), date(2023, 12, 20), date(2019, 6, 1), date(2021, 3, 28), date(2020, 1, 1)]
    for i, record in enumerate(records):
        record.infusion_date = starts[i % len(starts)]
    return records


def _write_by_date(records: list[TransplantRecord], folder: Path, by_date: set[str], *, day_column: bool) -> Path:
    """``records`` as a bundle: the transplants in ``by_date`` give their observations by date, the others
    by day (``day_column`` false: the file has no day column, so every transplant must be by date)."""
    out = write_bundle_records(records, folder)
    rows = list(csv.reader((out / "observations.csv").open(encoding="utf-8")))
    header, body = rows[0], rows[1:]
    i_day = header.index("day")
    infusion = {r.transplant_id: r.infusion_date for r in records}
    columns = (
        [*header[: i_day + 1], "date", *header[i_day + 1 :]]
        if day_column
        else [
            *header[:i_day],
            "date",
            *header[i_day + 1 :],
        ]
    )
    written = [columns]
    for row in body:
        tid, day = row[0], row[i_day]
        when = ""
        if tid in by_date and day:
            start = infusion[tid]
            assert start is not None
            when, day = (start + timedelta(days=int(day))).isoformat(), ""
        if day_column:
            written.append([*row[:i_day], day, when, *row[i_day + 1 :]])
        else:
            assert not day, "a transplant by day in a file without a day column"
            written.append([*row[:i_day], when, *row[i_day + 1 :]])
    with (out / "observations.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(written)
    return out


def _without_source(records: list[TransplantRecord]) -> list[TransplantRecord]:
    """``records`` as read, less the file they came from (their lines are compared)."""
    out = []
    for r in records:
        obs = [dataclasses.replace(o, source=None) for o in r.observations]
        out.append(dataclasses.replace(r, source=None, observations=obs))
    return out


@pytest.mark.parametrize(
    ("by_date", "day_column"),
    [("all", False), ("all", True), ("some", True)],
    ids=["date-column-only", "both-columns-all-by-date", "mixed-transplants"],
)
def test_a_bundle_by_dates_reads_to_the_records_of_the_bundle_by_days(
    tmp_path: Path, by_date: str, day_column: bool
) -> None:
    records = _dated_records()
    ids = [r.transplant_id for r in records]
    chosen = set(ids) if by_date == "all" else set(ids[::2])
    assert by_date == "all" or 0 < len(chosen) < len(ids)
    by_days = read_inputs([write_bundle_records(records, tmp_path / "days")])
    by_dates = read_inputs([_write_by_date(records, tmp_path / "dates", chosen, day_column=day_column)])
    assert _without_source(by_dates) == _without_source(by_days)
    assert [r.infusion_date for r in by_dates] == [r.infusion_date for r in records]
    assert sum(len(r.observations) for r in by_dates) == sum(len(r.observations) for r in records)


def test_a_worker_reading_its_share_of_a_dated_file_reads_the_same_days(tmp_path: Path) -> None:
    records = _dated_records()
    ids = [r.transplant_id for r in records]
    folder = _write_by_date(records, tmp_path / "dates", set(ids[::2]), day_column=True)
    tpath, opath = folder / "transplants.csv", folder / "observations.csv"
    whole = read_transplants(tpath, opath)
    read_observations(opath, whole)
    share = read_transplants(tpath, opath)
    read_observations(opath, share, owned={ids[0], ids[1]})
    for tid in ids[:2]:
        assert [o.day for o in share[tid].observations] == [o.day for o in whole[tid].observations]
    assert share[ids[2]].observations == []


def test_a_date_before_the_infusion_is_a_negative_day(tmp_path: Path) -> None:
    path = paper_bundle(
        tmp_path,
        "transplant_id,graft_source,infusion_date\nA,PB,2024-03-01\n",
        "transplant_id,date,measure,value\nA,2024-02-28,ANC,0.5\nA,2024-03-01,ANC,0.2\nA,2025-03-01,PLT,90\n",
    )
    (record,) = read_inputs([path])
    assert [o.day for o in record.observations] == [-2, 0, 365]
    assert record.infusion_date == date(2024, 3, 1)


@pytest.mark.parametrize(
    ("transplants", "observations", "expected"),
    [
        (
            "transplant_id,graft_source\nA,PB\n",
            "transplant_id,date,measure,value\nA,2024-03-05,ANC,0.6\n",
            "observations.csv:2: field 'date': transplant 'A' has no infusion_date in transplants.csv",
        ),
        (
            "transplant_id,infusion_date\nA,2024-02-20\n",
            "transplant_id,day,date,measure,value\nA,14,2024-03-05,ANC,0.6\n",
            "observations.csv:2: field 'date': give the day or the date, not both",
        ),
        (
            "transplant_id,infusion_date\nA,2024-02-20\n",
            "transplant_id,date,measure,value\nA,2024-03-05,ANC,0.6\nA,2023-02-29,ANC,0.7\n",
            "observations.csv:3: field 'date': '2023-02-29' is not a date (YYYY-MM-DD)",
        ),
        (
            "transplant_id,infusion_date\nA,2024-02-20\n",
            "transplant_id,date,measure,value\nA,05/03/2024,ANC,0.6\n",
            "observations.csv:2: field 'date': '05/03/2024' is not a date (YYYY-MM-DD)",
        ),
        (
            "transplant_id,infusion_date\nA,2024-02-20\n",
            "transplant_id,day,date,measure,value\nA,13,,ANC,0.6\nA,,2024-03-05,ANC,0.6\n",
            "observations.csv:3: field 'date': transplant 'A' gives its observations by day (line 2): "
            "this row gives a date",
        ),
        (
            "transplant_id,infusion_date\nA,2024-02-20\n",
            "transplant_id,day,date,measure,value\nA,,2024-03-05,ANC,0.6\nA,15,,ANC,0.6\n",
            "observations.csv:3: field 'day': transplant 'A' gives its observations by date (line 2)",
        ),
        (
            "transplant_id,infusion_date\nA,2024-02-20\nB,20240220\n",
            "transplant_id,day,measure,value\n",
            "transplants.csv:3: field 'infusion_date': '20240220' is not a date (YYYY-MM-DD)",
        ),
        (
            "transplant_id,infusion_date\nA,2024-13-01\n",
            "transplant_id,day,measure,value\n",
            "transplants.csv:2: field 'infusion_date': '2024-13-01' is not a date (YYYY-MM-DD)",
        ),
        (
            "transplant_id,infusion_date\nA,2024-02-20\n",
            "transplant_id,measure,value\n",
            "observations.csv:1: field 'day': required column missing",
        ),
    ],
    ids=[
        "date-without-infusion-date",
        "day-and-date",
        "not-a-leap-day",
        "not-iso",
        "date-after-days",
        "day-after-dates",
        "bad-infusion-date-compact",
        "bad-infusion-date-month",
        "neither-column",
    ],
)
def test_each_misused_date_is_one_located_error(
    tmp_path: Path, transplants: str, observations: str, expected: str
) -> None:
    path = paper_bundle(tmp_path, transplants, observations)
    with pytest.raises(InputError) as info:
        read_inputs([path])
    message = str(info.value)
    assert expected in message and "\n" not in message


def test_an_undated_row_is_either_form(tmp_path: Path) -> None:
    path = paper_bundle(
        tmp_path,
        "transplant_id,infusion_date\nA,2024-02-20\n",
        "transplant_id,day,date,measure,value\nA,,,dsa_mfi,3000\nA,,2024-03-05,ANC,0.6\nA,,,dsa_mfi,2000\n",
    )
    (record,) = read_inputs([path])
    assert [(o.day, o.measure) for o in record.observations] == [(None, "dsa_mfi"), (14, "ANC"), (None, "dsa_mfi")]


def test_a_bad_date_refuses_only_its_transplant(tmp_path: Path) -> None:
    path = paper_bundle(
        tmp_path,
        "transplant_id,graft_source,infusion_date\nA,PB,2024-02-20\nB,PB,\nC,PB,2024-01-01\n",
        "transplant_id,day,date,measure,value\n"
        "A,,2024-03-05,ANC,0.6\n"
        "B,,2024-03-05,ANC,0.6\n"
        "C,3,2024-01-04,ANC,0.6\n"
        "A,,2024-03-06,ANC,0.8\n",
    )
    refusals = Refusals()
    records = read_inputs([path], refusals=refusals)
    assert [(r.transplant_id, [o.day for o in r.observations]) for r in records] == [("A", [14, 15])]
    assert sorted(refusals.refused) == ["B", "C"]
    lines = refusals.lines()
    assert any("observations.csv:3: field 'date': transplant 'B' has no infusion_date" in x for x in lines), lines
    assert any("observations.csv:4: field 'date': give the day or the date, not both" in x for x in lines), lines


def test_an_infusion_date_is_an_xsd_date_in_rdf(tmp_path: Path) -> None:
    from rdflib import Graph, Literal

    from graftkg.rdf import GK, XSD
    from graftkg.reporting.convert import records_to_graph

    record = TransplantRecord("T1", infusion_date=date(2024, 2, 29))
    graph = records_to_graph([record])
    (value,) = graph.objects(None, GK.infusionDate)
    assert value.datatype == XSD.date and str(value) == "2024-02-29"
    graph.serialize(tmp_path / "t.ttl", format="turtle")
    (back,) = read_inputs([tmp_path / "t.ttl"])
    assert back.infusion_date == date(2024, 2, 29)
    bad = Graph().parse(tmp_path / "t.ttl", format="turtle")
    bad.set((next(bad.subjects(GK.infusionDate, None)), GK.infusionDate, Literal("2024-02-30", datatype=XSD.date)))
    bad.serialize(tmp_path / "bad.ttl", format="turtle")
    with pytest.raises(InputError, match=r"bad\.ttl: field 'infusionDate': .*'2024-02-30' is not an xsd:date"):
        read_inputs([tmp_path / "bad.ttl"])


def test_the_infusion_date_is_an_annotation_outside_the_logic() -> None:
    """OWL 2 has no xsd:date datatype (HermiT refuses one in an axiom): the infusion date is an
    annotation property, which no definition, and no reasoner, reads."""
    from graftkg.rdf import GK, OWL, RDF
    from graftkg.semantics.definitions import Definitions

    defs = Definitions()
    assert set(defs.graph.objects(GK.infusionDate, RDF.type)) == {OWL.AnnotationProperty}
    assert all(GK.infusionDate not in props for props in defs.closable.values())


@pytest.mark.reasoner
def test_hermit_classifies_dated_transplants_as_the_fast_path_does() -> None:
    from graftkg.semantics.classify import classify_records

    records = _dated_records()
    fast = classify_records(records, explain=False)
    hermit = classify_records(records, reasoner="hermit", explain=False)
    assert [c.outcome for c in hermit] == [c.outcome for c in fast]
    assert [c.classes for c in hermit] == [c.classes for c in fast]


def test_outputs_give_recovery_dates_beside_days_where_the_infusion_date_is_known(tmp_path: Path) -> None:
    """classify (json, csv, table) and the report give each recovery day's date, counted from the
    infusion date of the record (written as dates in the observations, read back as days); a record
    without an infusion date keeps its days and gives no date."""
    import json

    from graftkg import Engine

    records = _dated_records()
    folder = _write_by_date(records, tmp_path / "dated", {r.transplant_id for r in records}, day_column=False)
    engine = Engine()
    dated, undated = engine.classify(read_inputs([folder])), engine.classify(read_inputs([BUNDLE]))
    assert [(c.neutrophil_recovery_day, c.platelet_recovery_day) for c in dated] == [
        (c.neutrophil_recovery_day, c.platelet_recovery_day) for c in undated
    ]
    start = {r.transplant_id: r.infusion_date for r in records}
    shown = 0
    for c in dated:
        for day, when in (
            (c.neutrophil_recovery_day, c.neutrophil_recovery_date),
            (c.platelet_recovery_day, c.platelet_recovery_date),
        ):
            assert when == (None if day is None else (start[c.transplant_id] + timedelta(days=day)).isoformat())
            shown += when is not None
    assert shown >= 4
    assert all(c.neutrophil_recovery_date is None and c.platelet_recovery_date is None for c in undated)

    as_json = json.loads(engine.render(dated, "json"))
    assert as_json[0]["infusion_date"] == start[dated[0].transplant_id].isoformat()  # type: ignore[union-attr]
    rows = list(csv.DictReader(engine.render(dated, "csv").splitlines()))
    assert [r["neutrophil_recovery_date"] for r in rows] == [c.neutrophil_recovery_date or "" for c in dated]
    engrafted = next(c for c in dated if c.neutrophil_recovery_date)
    line = next(x for x in engine.render(dated, "table").splitlines() if x.startswith(engrafted.transplant_id + " "))
    assert f"{engrafted.neutrophil_recovery_day} ({engrafted.neutrophil_recovery_date})" in line

    report = engine.report(folder, engrafted.transplant_id)
    assert report.facts["infusion_date"] == start[engrafted.transplant_id].isoformat()  # type: ignore[union-attr]
    text = report.render("markdown")
    assert (
        f"neutrophil recovery day: {engrafted.neutrophil_recovery_day} ({engrafted.neutrophil_recovery_date})" in text
    )
    assert json.loads(report.render("json"))["classification"]["neutrophil_recovery_date"] == (
        engrafted.neutrophil_recovery_date
    )
