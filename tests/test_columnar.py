"""The columnar engine (definitions compiled to SQL on DuckDB) against the record path, which stays the
plain reference: the same derived facts, classes, outcomes, findings, days, risk factors and
explanations, on every case file, the paper's patients, the edge-heavy generated records, both real
data sets and synthetic bundles, under both definition profiles."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graftkg.columnar.engine import ColumnarEngine
from graftkg.model import TransplantRecord
from graftkg.readers import read_inputs
from graftkg.semantics.classify import Classification, classify_records
from graftkg.semantics.derive import derive
from test_reference import records as edge_records

from conftest import EXAMPLES, SHARED, classify_cases, definitions, record_from_case

PROFILES = ["paper", "astct-2021"]


@cache
def engine(profile: str) -> ColumnarEngine:
    return ColumnarEngine(definitions(profile))


def _same(records: list[TransplantRecord], profile: str) -> None:
    """The columnar engine classifies ``records`` exactly as the record path does."""
    defs = definitions(profile)
    want = classify_records(records, definitions=defs, workers=1)
    got = engine(profile).classify(records)
    assert len(got) == len(want)
    for record, w, g in zip(records, want, got, strict=True):
        assert isinstance(g, Classification)
        assert g.as_json() == w.as_json(), (profile, record.transplant_id)
        assert g.classes == w.classes, (profile, record.transplant_id, g.classes ^ w.classes)
        assert g.derived == w.derived, (profile, record.transplant_id)
    derived = engine(profile).derived(records)
    for record, d in zip(records, derived, strict=True):
        assert d == derive(record, defs), (profile, record.transplant_id)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_case_file(profile: str) -> None:
    cases = [record_from_case(path)[0] for path in classify_cases()]
    assert len(cases) > 40
    _same(cases, profile)


@pytest.mark.parametrize("profile", PROFILES)
def test_the_paper_patients(profile: str) -> None:
    records = read_inputs([EXAMPLES / "paper-patients" / "csv"])
    assert len(records) >= 5
    _same(records, profile)


@st.composite
def batches(draw: st.DrawFn) -> list[TransplantRecord]:
    """Edge-heavy records (those the reference test draws), several to a batch, each its own identifier."""
    from dataclasses import replace

    drawn = draw(st.lists(edge_records(), min_size=1, max_size=40))
    return [replace(r, transplant_id=f"R{i}") for i, r in enumerate(drawn)]


@pytest.mark.parametrize("profile", PROFILES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(records=batches())
def test_edge_heavy_generated_records(profile: str, records: list[TransplantRecord]) -> None:
    _same(records, profile)


@pytest.mark.parametrize("profile", PROFILES)
def test_the_real_data_sets(profile: str, tmp_path: Path) -> None:
    from graftkg.readers.kmsurv_bmt import import_kmsurv_bmt
    from graftkg.readers.uci_bmt import import_uci_bmt

    import_uci_bmt(SHARED / "datasets" / "uci-bmt-children" / "bone-marrow.arff", tmp_path / "uci")
    import_kmsurv_bmt(SHARED / "datasets" / "kmsurv-bmt" / "bmt.csv", tmp_path / "kmsurv")
    for folder, count in (("uci", 187), ("kmsurv", 137)):
        records = read_inputs([tmp_path / folder])
        assert len(records) == count
        _same(records, profile)


@pytest.mark.parametrize("profile", PROFILES)
def test_synthetic_bundles(profile: str, tmp_path: Path) -> None:
    from graftkg.synthetic import write_bundle

    records = read_inputs([write_bundle(tmp_path / "bundle", n=20_000, seed=7, profile=profile)])
    assert len(records) == 20_000
    _same(records, profile)


def test_the_generated_sql_transpiles_to_spark() -> None:
    """The same query trees print as Spark SQL, which sqlglot's Spark parser reads back."""
    import sqlglot

    from graftkg.columnar.derive import derive_query

    e = engine("paper")
    for query in (derive_query(e.defs), e.facts_query(explain=True)):
        spark = query.sql("spark")
        assert "ROW_NUMBER() OVER" in spark or "EXISTS" in spark
        assert sqlglot.parse_one(spark, read="spark") is not None
