"""The importer on the real KMsurv ``bmt`` data set (Klein & Moeschberger): mapping, read-back, the
per-transplant classification notes, the command, and bad files."""

from __future__ import annotations

import csv
import dataclasses
import socket
from collections import Counter
from pathlib import Path

import pytest

from graftkg import Engine, read
from graftkg.cli import main
from graftkg.errors import InputError
from graftkg.model import Observation, TransplantRecord
from graftkg.readers import read_inputs
from graftkg.readers.kmsurv_bmt import MAPPED, SOURCE_COLUMNS, UNMAPPED, import_kmsurv_bmt

from conftest import SHARED

BMT = SHARED / "datasets" / "kmsurv-bmt" / "bmt.csv"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert BMT.is_file(), f"the KMsurv data set is missing: {BMT}"
    out = tmp_path_factory.mktemp("kmsurv")
    summary = import_kmsurv_bmt(BMT, out)
    assert summary.transplants == 137
    assert summary.outcomes == {"not_evaluable": 137}
    assert summary.not_evaluable == {"neutrophil_data_missing": 137}
    return out


def _source() -> list[dict[str, str]]:
    with BMT.open(newline="") as f:
        return list(csv.DictReader(f))


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["transplant_id"]: r for r in rows}


def test_counts(bundle: Path) -> None:
    assert len(_source()) == 137
    assert len(_csv(bundle / "transplants.csv")) == 137
    assert len(_csv(bundle / "unmapped.csv")) == 137
    assert len(_csv(bundle / "classification-notes.csv")) == 137
    observations = _csv(bundle / "observations.csv")
    # one chronic GvHD observation per dc = 1, but row 127's (day 200, after death on day 168)
    assert len(observations) == sum(r["dc"] == "1" for r in _source()) - 1 == 60
    assert {o["measure"] for o in observations} == {"gvhd"} and {o["value"] for o in observations} == {"0"}
    assert (bundle / "import-notes.txt").read_text().count("\n") > 20


def test_row_1_by_hand(bundle: Path) -> None:
    # bmt.csv row 1: 1,1,2081,2081,0,0,0,67,1,121,1,13,1,26,33,1,0,1,1,98,0,1,0
    t = _by_id(_csv(bundle / "transplants.csv"))["KM-1"]
    assert t["patient_id"] == "KM-P1" and t["diagnosis"] == "ALL"
    assert t["last_follow_up_day"] == "2081" and t["death_day"] == "" and t["relapse_day"] == ""
    assert t["reported_platelet_normal_recovery_day"] == "13" and t["reported_platelet_recovery_day"] == ""
    assert t["recipient_age_years"] == "26" and t["donor_age_years"] == "33"
    assert (t["recipient_sex"], t["donor_sex"], t["recipient_cmv"], t["donor_cmv"]) == ("M", "F", "pos", "pos")
    assert t["gvhd_prophylaxis"] == ""  # z10 = 0: no methotrexate, which is not "no prophylaxis"
    assert t["asserted_risk_factors"] == "gvhd"  # acute GvHD (da = 1), grade not given
    assert t["graft_source"] == "BM" and t["donor_type"] == "" and t["conditioning_intensity"] == ""
    assert [o for o in _csv(bundle / "observations.csv") if o["transplant_id"] == "KM-1"] == [
        {"transplant_id": "KM-1", "day": "121", "measure": "gvhd", "value": "0"}  # chronic GvHD (dc = 1)
    ]
    u = _by_id(_csv(bundle / "unmapped.csv"))["KM-1"]
    assert (u["ta"], u["da"], u["dc"], u["group"], u["disease_group"]) == ("67", "1", "1", "1", "ALL")
    assert (u["z7"], u["z8"], u["z9"], u["hospital"], u["z10"], u["not_imported"]) == (
        "98",
        "0",
        "1",
        "Ohio State",
        "0",
        "",
    )


def test_row_104_by_hand(bundle: Path) -> None:
    # bmt.csv row 104: 104,3,491,422,1,1,1,491,0,180,1,491,0,22,21,0,0,0,0,210,1,1,0
    t = _by_id(_csv(bundle / "transplants.csv"))["KM-104"]
    assert (t["death_day"], t["last_follow_up_day"], t["relapse_day"]) == ("491", "491", "422")
    assert t["reported_platelet_normal_recovery_day"] == "never"  # dp = 0
    assert t["diagnosis"] == "AML" and t["asserted_risk_factors"] == ""
    assert (t["recipient_sex"], t["donor_sex"], t["recipient_cmv"], t["donor_cmv"]) == ("F", "F", "neg", "neg")
    u = _by_id(_csv(bundle / "unmapped.csv"))["KM-104"]
    assert (u["group"], u["disease_group"], u["z8"]) == ("3", "AML high risk", "1")
    assert [o["day"] for o in _csv(bundle / "observations.csv") if o["transplant_id"] == "KM-104"] == ["180"]


def test_an_event_after_death_is_not_written_but_named(bundle: Path) -> None:
    # bmt.csv row 127: chronic GvHD on day 200 (tc), death on day 168 (t1)
    assert not [o for o in _csv(bundle / "observations.csv") if o["transplant_id"] == "KM-127"]
    assert _by_id(_csv(bundle / "unmapped.csv"))["KM-127"]["not_imported"] == "tc=200: after death on day 168 (t1)"
    notes = (bundle / "import-notes.txt").read_text()
    assert "row 127" in notes and "Row 38" in notes


def test_every_row_against_the_source(bundle: Path) -> None:
    transplants = _by_id(_csv(bundle / "transplants.csv"))
    unmapped = _by_id(_csv(bundle / "unmapped.csv"))
    gvhd = Counter(o["transplant_id"] for o in _csv(bundle / "observations.csv"))
    for src in _source():
        tid = f"KM-{src['rownames']}"
        t, u = transplants[tid], unmapped[tid]
        assert t["diagnosis"] == {"1": "ALL", "2": "AML", "3": "AML"}[src["group"]]
        assert t["last_follow_up_day"] == src["t1"]
        assert t["death_day"] == (src["t1"] if src["d1"] == "1" else "")
        assert t["relapse_day"] == (src["t2"] if src["d2"] == "1" else "")
        assert t["reported_platelet_normal_recovery_day"] == (src["tp"] if src["dp"] == "1" else "never")
        assert t["reported_platelet_recovery_day"] == "" and t["reported_neutrophil_recovery_day"] == ""
        assert t["recipient_sex"] == {"1": "M", "0": "F"}[src["z3"]]
        assert t["donor_sex"] == {"1": "M", "0": "F"}[src["z4"]]
        assert t["recipient_cmv"] == {"1": "pos", "0": "neg"}[src["z5"]]
        assert t["donor_cmv"] == {"1": "pos", "0": "neg"}[src["z6"]]
        assert t["gvhd_prophylaxis"] == ("methotrexate" if src["z10"] == "1" else "")
        assert t["asserted_risk_factors"] == ("gvhd" if src["da"] == "1" else "")
        assert gvhd[tid] == (1 if src["dc"] == "1" and int(src["tc"]) <= int(src["t1"]) else 0)
        assert all(u[name] == src[name] for name in UNMAPPED)


def test_every_source_column_is_mapped_or_unmapped(bundle: Path) -> None:
    with BMT.open(newline="") as f:
        header = next(csv.reader(f))
    with (bundle / "unmapped.csv").open(newline="") as f:
        kept = set(next(csv.reader(f)))
    assert header == SOURCE_COLUMNS
    assert all(c in MAPPED or c in kept for c in header), [c for c in header if c not in MAPPED and c not in kept]
    assert {"z7", "z8", "z9", "d3"} <= kept - set(MAPPED)  # what has no column at all
    assert {"group", "t2", "d2", "ta", "da", "dc", "z10"} <= kept & set(MAPPED)  # what a column states in part


def test_the_bundle_reads_back_and_validates(bundle: Path) -> None:
    records = read_inputs([bundle])
    assert len(records) == 137
    source = {f"KM-{s['rownames']}": s for s in _source()}
    for r in records:
        s = source[r.transplant_id]
        if s["dp"] == "1":
            assert r.reported_platelet_normal_recovery_day == int(s["tp"]) and not r.reported_platelet_normal_never
        else:
            assert r.reported_platelet_normal_recovery_day is None and r.reported_platelet_normal_never
        assert r.reported_platelet_recovery_day is None and not r.reported_platelet_never
        assert r.graft_source == "BM" and r.donor_type is None and r.conditioning_intensity is None
    report = Engine().validate(bundle)
    assert report.transplants == 137
    rules = Counter(f.rule for f in report.findings)
    assert rules["ConditioningIntensityRequired"] == rules["DonorTypeRequired"] == 137  # not in the data set
    assert "ReportedPlateletNormalRecoveryDayPlausible" not in rules


def test_classification_notes(bundle: Path) -> None:
    notes = _csv(bundle / "classification-notes.csv")
    assert [n["transplant_id"] for n in notes] == [f"KM-{s['rownames']}" for s in _source()]
    results = {c.transplant_id: c for c in Engine().classify(read(bundle))}
    for n in notes:
        c = results[n["transplant_id"]]
        assert n["outcome"] == c.outcome == "not_evaluable"
        assert n["findings"] == "neutrophil_data_missing"
        assert n["reason"].startswith("no ANC series and no reported neutrophil recovery day")
        assert not any(part.startswith("not ") for part in n["reason"].split("; "))
        assert c.platelet_recovery_day is None, "platelets 'to normal' are not the 20 x 10^9/L recovery"


def _variants() -> list[TransplantRecord]:
    anc = [Observation(d, "ANC", v) for d, v in ((2, 0.1), (16, 0.6), (17, 0.8), (18, 1.0))]
    plt = [Observation(d, "PLT", v) for d, v in ((2, 5.0), (24, 25.0), (25, 30.0), (26, 40.0))]
    return [
        TransplantRecord("A", graft_source="BM", last_follow_up_day=400),
        TransplantRecord("B", graft_source="BM", last_follow_up_day=400, observations=anc),
        TransplantRecord("C", graft_source="BM", last_follow_up_day=400, observations=anc + plt),
        TransplantRecord("D", graft_source="PB", last_follow_up_day=20, death_day=20, reported_neutrophil_never=True),
        TransplantRecord("E", graft_source="BM", last_follow_up_day=400, reported_neutrophil_recovery_day=18),
    ]


@pytest.mark.parametrize(
    "normal", [{"reported_platelet_normal_recovery_day": 13}, {"reported_platelet_normal_never": True}]
)
def test_platelets_to_normal_do_not_feed_the_classification(normal: dict[str, object]) -> None:
    without = Engine().classify(_variants())
    with_normal = Engine().classify([dataclasses.replace(r, **normal) for r in _variants()])  # type: ignore[arg-type]
    for a, b in zip(without, with_normal, strict=True):
        assert (a.outcome, a.findings, a.neutrophil_recovery_day, a.platelet_recovery_day) == (
            b.outcome,
            b.findings,
            b.neutrophil_recovery_day,
            b.platelet_recovery_day,
        )
        assert (a.chimerism, a.risk_factors, a.explanation) == (b.chimerism, b.risk_factors, b.explanation)
    assert {c.outcome for c in without} >= {"engrafted", "not_evaluable"}


def test_cli_import_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "km"
    assert main(["import", "kmsurv-bmt", str(BMT), str(out)]) == 0
    err = capsys.readouterr().err
    assert f"imported 137 transplants to {out}" in err
    assert "classified: 137 not_evaluable; not evaluable because: neutrophil_data_missing 137" in err
    assert "classification-notes.csv" in err
    assert {p.name for p in out.iterdir()} == {
        "transplants.csv",
        "observations.csv",
        "unmapped.csv",
        "import-notes.txt",
        "classification-notes.csv",
    }
    assert main(["classify", str(out), "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("not_evaluable") == 137


def test_import_opens_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the import opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert import_kmsurv_bmt(BMT, tmp_path / "out").transplants == 137


def _bad(tmp_path: Path, edit: str) -> Path:
    lines = BMT.read_text().splitlines()
    if edit == "missing column":
        rows = [",".join(c for i, c in enumerate(line.split(",")) if i != 12) for line in lines]  # drop dp
    elif edit == "not a number":
        cells = lines[3].split(",")
        cells[11] = "twelve"  # tp of row 3, line 4
        rows = [*lines[:3], ",".join(cells), *lines[4:]]
    elif edit == "not a flag":
        cells = lines[5].split(",")
        cells[4] = "2"  # d1 of row 5, line 6
        rows = [*lines[:5], ",".join(cells), *lines[6:]]
    else:  # a short row
        rows = [*lines[:7], lines[7].rsplit(",", 1)[0], *lines[8:]]
    path = tmp_path / "bmt.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("missing column", "bmt.csv:1: field 'dp': not the KMsurv bmt data set: column dp missing"),
        ("not a number", "bmt.csv:4: field 'tp': 'twelve' is not a number"),
        ("not a flag", "bmt.csv:6: field 'd1': '2' is not one of 0, 1"),
        ("short row", "bmt.csv:8: row has 22 cells, the header 23"),
    ],
)
def test_malformed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: str, expected: str) -> None:
    path = _bad(tmp_path, edit)
    with pytest.raises(InputError) as caught:
        import_kmsurv_bmt(path, tmp_path / "out")
    assert str(caught.value) == f"{path}:{expected.split(':', 1)[1]}"
    assert not (tmp_path / "out").exists(), "nothing is written from a bad file"
    assert main(["import", "kmsurv-bmt", str(path), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and expected.split(":", 1)[1] in err[0] and "Traceback" not in err[0]


def test_not_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "kmsurv-bmt", str(tmp_path / "none.csv"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "none.csv" in err[0] and "file not found" in err[0]


def test_figures_on_the_data_page_hold(bundle: Path) -> None:
    page = " ".join((Path(__file__).resolve().parent.parent / "docs" / "guide" / "data.md").read_text().split())
    outcomes = Counter(c.outcome for c in Engine().classify(read(bundle)))
    assert outcomes == {"not_evaluable": 137} and "**137 not evaluable**, each for `neutrophil_data_missing`" in page
    rules = Counter((f.severity, f.rule) for f in Engine().validate(bundle).findings)
    assert rules == {
        ("violation", "ConditioningIntensityRequired"): 137,
        ("violation", "DonorTypeRequired"): 137,
        ("violation", "NeutrophilRecoveryReportedAfterWindow"): 133,
        ("info", "ABORecommended"): 137,
        ("info", "CD34DoseRecommended"): 137,
        ("info", "DiseaseStatusRecommended"): 137,
        ("info", "TransplantNumberRecommended"): 137,
    }
    assert (
        "137 violations `ConditioningIntensityRequired` and 137 `DonorTypeRequired` (not in the data set), "
        "133 `NeutrophilRecoveryReportedAfterWindow`; info `ABORecommended`, `CD34DoseRecommended`, "
        "`DiseaseStatusRecommended`, `TransplantNumberRecommended`, 137 each." in page
    )
    factors = Counter(f for c in Engine().classify(read(bundle)) for f in c.risk_factors)
    listed = ", ".join(f"`{name}` {n}" for name, n in factors.most_common())
    assert f"risk factors found: {listed}." in page
