"""Validation and classification on the SQL backend against the record path on 20,000 synthetic
transplants under both definition profiles, 1 % of them with submission errors: of the kinds a bundle
DuckDB reads straight can carry (validated in SQL), and of every kind (those DuckDB does not read as
the record reader does validated and classified on the record path, in the same run). The helpers are
``test_columnar_validate.py``'s; these tests are a file of their own because they are among the
longest, and the parallel run gives each worker whole files (docs/development.md): apart, the two
halves run side by side."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from graftkg import Engine
from graftkg.errors import InputError
from graftkg.readers import read_inputs
from graftkg.readers.csv_bundle import write_bundle_records
from graftkg.synthetic.mutate import MUTATIONS
from test_columnar_validate import PROFILES, _readable_errors, _validated, engine

from conftest import definitions


def _synthetic_with_errors(tmp_path: Path, profile: str, names: list[str], *, seed: int) -> Path:
    """A bundle of 20,000 synthetic transplants, 200 of them (1 %) with an error of the kinds ``names``."""
    from graftkg.synthetic import write_bundle

    records = read_inputs([write_bundle(tmp_path / "clean", n=20_000, seed=seed, profile=profile)], lenient=True)
    rng = random.Random(seed)
    alive = [i for i, r in enumerate(records) if r.death_day is None and i > 0]
    for k, i in enumerate(sorted(rng.sample(alive, 200))):
        MUTATIONS[names[k % len(names)]][1](records[i], records, rng)
    return write_bundle_records(records, tmp_path / "mutated")


@pytest.mark.parametrize("profile", PROFILES)
def test_synthetic_bundles_with_errors(profile: str, tmp_path: Path) -> None:
    """20,000 synthetic transplants, 1 % of them with a submission error of a kind DuckDB reads."""
    report = _validated(_synthetic_with_errors(tmp_path, profile, _readable_errors(tmp_path), seed=7), profile)
    assert report is not None
    assert len({f.rule for f in report.findings}) >= 30


@pytest.mark.parametrize("profile", PROFILES)
def test_synthetic_bundles_with_every_kind_of_error(profile: str, tmp_path: Path) -> None:
    """20,000 synthetic transplants, 1 % of them with a submission error of any kind: those DuckDB
    does not read as the record reader does, and the transplants of their patients, validated (and
    classified) on the record path, the rest in SQL; the report, the classifications and the
    refusals the record path's."""
    from graftkg.columnar.bundle import drop_loaded, load_partly

    folder = _synthetic_with_errors(tmp_path, profile, list(MUTATIONS), seed=5)
    con = engine(profile).fresh().con
    left = load_partly(con, folder / "transplants.csv", folder / "observations.csv")
    assert left is not None and 50 <= len(left.transplants) <= 1_000, left and len(left.transplants)
    drop_loaded(con)
    report = _validated(folder, profile)
    assert report is not None and report.transplants == 20_000
    assert len({f.rule for f in report.findings}) >= 40
    # classified in part too: the transplants left read with the record reader's refusals, and
    # classified on the record path, each in its place
    from graftkg import Refusals
    from graftkg.semantics.classify import classify_records

    want_refusals, got_refusals = Refusals(), Refusals()
    want = classify_records(read_inputs([folder], refusals=want_refusals), definitions=definitions(profile))
    got = Engine(profile=profile, backend="sql").classify(folder, refusals=got_refusals)
    assert [g.as_json() for g in got] == [w.as_json() for w in want]
    assert got_refusals.lines() == want_refusals.lines() and want_refusals.refused
    with pytest.raises(InputError) as raised:
        read_inputs([folder])
    with pytest.raises(InputError) as sql_raised:
        Engine(profile=profile, backend="sql").classify(folder)
    assert str(sql_raised.value) == str(raised.value)
