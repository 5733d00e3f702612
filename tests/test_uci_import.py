"""The importer on the real UCI paediatric HSCT dataset, then validation and classification of its output."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from graftkg.cli import main
from graftkg.readers import read_inputs
from graftkg.readers.uci_bmt import import_uci_bmt
from graftkg.semantics.classify import classify_records
from graftkg.validation.validate import validate_paths

from conftest import SHARED

ARFF = SHARED / "datasets" / "uci-bmt-children" / "bone-marrow.arff"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("uci")
    assert import_uci_bmt(ARFF, out).transplants == 187
    return out


def _arff_rows() -> list[dict[str, str]]:
    lines = ARFF.read_text().splitlines()
    names = [line.split()[1] for line in lines if line.lower().startswith("@attribute")]
    data = lines[[line.lower() for line in lines].index("@data") + 1 :]
    return [dict(zip(names, row, strict=True)) for row in csv.reader(x for x in data if x.strip())]


def test_recovery_codes_are_mapped_not_conflated(bundle: Path) -> None:
    raw = _arff_rows()
    rows = list(csv.DictReader((bundle / "transplants.csv").open()))
    assert len(rows) == len(raw) == 187
    for src, row in zip(raw, rows, strict=True):
        anc, plt = src["ANC_recovery"], src["PLT_recovery"]
        assert row["reported_neutrophil_recovery_day"] == (
            "never" if anc.startswith("1000000") else str(round(float(anc)))
        )
        assert row["reported_platelet_50_recovery_day"] == (
            "never" if plt.startswith("1000000") else str(round(float(plt)))
        )
        assert "reported_platelet_recovery_day" not in row  # the 20 x 10^9/L recovery is not in the data
        assert row["death_day"] == (row["last_follow_up_day"] if src["survival_status"] == "1" else "")
        assert row["donor_type"] == ("MUD" if src["HLA_match"] == "10/10" else "MMUD")
    unmapped = list(csv.DictReader((bundle / "unmapped.csv").open()))
    assert len(unmapped) == 187 and {"relapse", "risk_group", "CD3_x1e8_per_kg"} <= set(unmapped[0])


def test_missing_values_stay_missing(bundle: Path) -> None:
    raw = _arff_rows()
    rows = list(csv.DictReader((bundle / "transplants.csv").open()))
    for src, row in zip(raw, rows, strict=True):
        if src["CD34_x1e6_per_kg"] == "?":
            assert row["cd34_dose_1e6_per_kg"] == ""
        if src["recipient_CMV"] == "?":
            assert row["recipient_cmv"] == ""


def test_classification_of_the_real_data(bundle: Path) -> None:
    records = read_inputs([bundle])
    results = classify_records(records)
    outcomes = Counter(r.outcome for r in results)
    assert outcomes == {"engrafted": 182, "not_evaluable": 5}
    never = {r.transplant_id for r in records if r.reported_neutrophil_never}
    for r in results:
        if r.outcome == "not_evaluable":
            # no recovery, and the patient died before the window closed: nothing more can be said
            assert r.transplant_id in never and "window_not_reached" in r.findings
    assert all(r.platelet_recovery_day is None for r in results), "50 x 10^9/L recovery is not platelet recovery"


def test_validation_of_the_real_data(bundle: Path) -> None:
    report = validate_paths([bundle])
    rules = Counter(f.rule for f in report.findings)
    assert rules["ConditioningIntensityRequired"] == 187  # the dataset has no conditioning regimen
    assert not report.conforms()


def test_cli_import_and_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "uci-bmt", str(ARFF), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "import-notes.txt").is_file()
    assert "imported 187 transplants" in capsys.readouterr().err
    bad = tmp_path / "bad.arff"
    bad.write_text("not an arff file\n")
    assert main(["import", "uci-bmt", str(bad), str(tmp_path / "out2")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.arff" in err[0]
