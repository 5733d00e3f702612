"""Validation on the SQL backend (the shapes compiled to SQL) against the record path, which stays the
plain reference: the same findings (rule, value, message, location), in the same order, the same SHACL
results, and the same count of transplants each check applies to, on the paper's patients, every
submission error of ``graftkg.synthetic.mutate``, the case files, the edge-heavy generated records,
both real data sets and synthetic bundles (of 20,000 transplants: ``test_columnar_synthetic.py``),
under both definition profiles.

Both ways into the SQL tables are held to it: a bundle DuckDB reads straight, and records any reader
gives (read leniently, with the cells it could not read as findings)."""

from __future__ import annotations

import copy
import random
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from graftkg import Engine
from graftkg.columnar.engine import ColumnarEngine
from graftkg.errors import InputError
from graftkg.model import TransplantRecord
from graftkg.readers import read_inputs
from graftkg.readers.csv_bundle import write_bundle_records
from graftkg.synthetic.mutate import MUTATIONS
from graftkg.validation.validate import ValidationReport, render, validate_paths
from test_columnar import _bundles, batches

from conftest import EXAMPLES, SHARED, classify_cases, definitions, record_from_case, shapes

PROFILES = ["paper", "astct-2021"]


@cache
def engine(profile: str) -> ColumnarEngine:
    """The SQL backend of ``profile`` with the shapes compiled: each :meth:`~ColumnarEngine.fresh`
    engine shares them, as an Engine's do."""
    found = ColumnarEngine(definitions(profile))
    found.shape_compiler(shapes())
    return found


def _assert_same(got: ValidationReport, want: ValidationReport, what: object) -> None:
    assert [f.as_json() for f in got.findings] == [f.as_json() for f in want.findings], what
    assert got.results == want.results, what
    assert got.applicable == want.applicable, what
    assert (got.transplants, got.profile) == (want.transplants, want.profile), what
    for fmt in ("text", "json", "csv", "fhir"):
        assert render(got, fmt) == render(want, fmt), (what, fmt)


def _validated(folder: Path, profile: str) -> ValidationReport | None:
    """The SQL backend's report on the bundle at ``folder``, held to the record path's; None when the
    bundle is not one DuckDB may read at all (the record path then validates it). The transplants
    with a row DuckDB does not read as the record reader does are validated on the record path, in
    the same run (see ``validate_partly``)."""
    got = engine(profile).fresh().validate([folder], shapes())
    if got is None:
        return None
    want = validate_paths([folder], definitions=definitions(profile), shapes=shapes(), workers=1)
    _assert_same(got, want, (folder, profile))
    return got


def _validated_records(paths: list[Path], profile: str) -> ValidationReport:
    """The SQL backend's report on the records read leniently from ``paths`` (and the cells the read
    could not read), held to the record path's."""
    from graftkg.validation.validate import read_leniently

    records, refusals = read_leniently(paths)
    got = engine(profile).fresh().validate_records(records, shapes(), refusals.sorted())
    assert got is not None, paths
    want = validate_paths(paths, definitions=definitions(profile), shapes=shapes(), workers=1)
    _assert_same(got, want, (paths, profile))
    return got


@pytest.mark.parametrize("profile", PROFILES)
def test_the_paper_patients(profile: str) -> None:
    folder = EXAMPLES / "paper-patients"
    report = _validated(folder / "csv", profile)
    assert report is not None and report.transplants >= 5
    for source in (
        folder / "csv",
        folder / "paper-patients.ttl",
        folder / "paper-patients.jsonld",
        folder / "fhir" / "paper-patients.json",
    ):
        assert _validated_records([source], profile).transplants == report.transplants, source


@pytest.mark.parametrize("profile", PROFILES)
def test_a_submission_with_unreadable_cells(profile: str, tmp_path: Path) -> None:
    """Read leniently, its records validated in SQL, or, as a bundle, its transplants with a cell the
    record reader must judge validated on the record path and the others in SQL: the cells a reader
    cannot read, and the content the readers refuse, are findings, as on the record path."""
    partly = _validated(EXAMPLES / "invalid-submission", profile)
    assert partly is not None and not partly.conforms()
    assert not _validated_records([EXAMPLES / "invalid-submission"], profile).conforms()
    folder = tmp_path / "bundle"
    folder.mkdir()
    source = EXAMPLES / "paper-patients" / "csv"
    lines = (source / "transplants.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("last_follow_up_day")] = "a year"
    (folder / "transplants.csv").write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    (folder / "observations.csv").write_text((source / "observations.csv").read_text() + "P1-T1,12,ANC,lots,,\n")
    for report in (_validated_records([folder], profile), _validated(folder, profile)):
        assert report is not None
        unreadable = [f for f in report.findings if f.rule == "ReadableInput"]
        assert {f.field for f in unreadable} >= {"last_follow_up_day", "value"}, unreadable


def test_a_bundle_is_validated_in_part_where_the_record_reader_must_read_some_rows(tmp_path: Path) -> None:
    """A bad cell in one transplant leaves it, and every transplant linked to it by its patient or a
    prior transplant, to the record path; rows naming no transplant (none, or one transplants.csv does
    not have) and a repeated transplant are the record reader's to report. The rest is checked in SQL,
    and the report is the record path's, finding by finding and in order."""
    from graftkg.columnar.bundle import drop_loaded, load_partly

    source = EXAMPLES / "paper-patients" / "csv"
    tx = (source / "transplants.csv").read_text().splitlines()
    obs = (source / "observations.csv").read_text().splitlines()
    header = tx[0].split(",")
    width = len(obs[0].split(","))

    def bundle(name: str, tx_lines: list[str], obs_lines: list[str]) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "transplants.csv").write_text("\n".join(tx_lines) + "\n")
        (folder / "observations.csv").write_text("\n".join(obs_lines) + "\n")
        return folder

    bad_day = tx[2].split(",")  # P1-T2, whose prior is P1-T1, of the same patient
    bad_day[header.index("last_follow_up_day")] = "a year"
    row = lambda *cells: ",".join([*cells, *[""] * (width - len(cells))])  # noqa: E731
    cases = {
        "bad-cell": ([tx[0], tx[1], ",".join(bad_day), *tx[3:]], obs),
        "bad-observation": (tx, [*obs, row("P3-T2", "12", "ANC", "lots")]),
        "unit": (tx, [obs[0] + ",unit", *(o + "," for o in obs[1:5]), obs[5] + ",10*9/L", *(o + "," for o in obs[6:])]),
        "stray": (tx, [*obs, row("NO-SUCH", "5", "ANC", "1.0"), row("", "5", "ANC", "1.0")]),
        "repeated": ([*tx, tx[5]], obs),
        "no-identifier": ([*tx, "," + tx[5].split(",", 1)[1]], obs),
    }
    for name, (tx_lines, obs_lines) in cases.items():
        folder = bundle(name, tx_lines, obs_lines)
        con = engine("paper").fresh().con
        left = load_partly(con, folder / "transplants.csv", folder / "observations.csv")
        assert left, name
        drop_loaded(con)
        if name == "bad-cell":
            assert left.transplants == {"P1-T1", "P1-T2"}
        report = _validated(folder, "paper")
        assert report is not None and report.transplants == 8, name
        assert any(f.rule == "ReadableInput" for f in report.findings) or name == "unit", name


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bundle=_bundles(), stray=st.sampled_from(["", "orphan", "no-id", "repeated"]))
def test_a_bundle_read_in_part_gives_the_record_paths_answers(
    tmp_path: Path, bundle: tuple[str, str], stray: str
) -> None:
    """Small bundles whose cells are drawn from the readers' edge cases (some the record reader
    refuses or must convert), with a row naming no transplant or a repeated transplant now and then:
    validated and classified in part, the same report, classifications, refusals and errors as the
    record path's."""
    import tempfile

    from graftkg import Refusals
    from graftkg.columnar.bundle import drop_loaded, load_partly
    from graftkg.semantics.classify import classify_records

    transplants, observations = bundle
    width = observations.splitlines()[0].count(",") + 1
    if stray in ("orphan", "no-id"):
        tid = "NO-SUCH" if stray == "orphan" else ""
        observations += ",".join([tid, "3", "ANC", "0.2", *[""] * (width - 4)]) + "\n"
    elif stray == "repeated":
        transplants += transplants.splitlines()[1] + "\n"
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        folder = Path(tmp)
        (folder / "transplants.csv").write_bytes(transplants.encode())
        (folder / "observations.csv").write_bytes(observations.encode())
        con = engine("paper").fresh().con
        left = load_partly(con, folder / "transplants.csv", folder / "observations.csv")
        event(f"read in part: {left is not None and bool(left)}")
        if left is None:
            return
        drop_loaded(con)
        try:
            want = validate_paths([folder], definitions=definitions(), shapes=shapes(), workers=1)
        except InputError as error:  # the files themselves: DuckDB raises nothing, the record path must not
            raise AssertionError(f"the record path refused files DuckDB split: {error}") from None
        got = engine("paper").fresh().validate([folder], shapes())
        assert got is not None
        _assert_same(got, want, bundle)
        want_refusals, got_refusals = Refusals(), Refusals()
        want_results = classify_records(read_inputs([folder], refusals=want_refusals), definitions=definitions())
        got_results = _sql_engine().classify(folder, refusals=got_refusals)
        assert [g.as_json() for g in got_results] == [w.as_json() for w in want_results]
        assert got_refusals.lines() == want_refusals.lines()


def test_a_prior_transplant_of_a_patient_without_an_identifier(tmp_path: Path) -> None:
    """Without a patient identifier, a transplant's patient is a node of its own: the prior
    transplant's patient is then another node, unless the prior transplant is the transplant itself
    (found by the hypothesis test above: the SQL backend once read the prior's patient as none)."""
    folder = tmp_path / "priors"
    folder.mkdir()
    (folder / "transplants.csv").write_text(
        "transplant_id,recipient_sex,prior_transplant_id,patient_id\n"
        "T1,F,,\nT2,M,T1,\nT3,,T1,\nT4,F,T3,\nT5,F,T5,P9\nT6,F,T1,P1\nT7,F,T7,\nT8,,T8,\n"
    )
    (folder / "observations.csv").write_text("transplant_id,day,measure,value\n")
    report = _validated(folder, "paper")
    assert report is not None
    flagged = {f.transplant_id for f in report.findings if f.rule == "PriorTransplantSamePatient"}
    assert flagged == {"T2", "T4", "T6"}
    # a transplant that is its own prior, with no transplant number to show it
    itself = {f.transplant_id for f in report.findings if f.rule == "PriorTransplantIsAnother"}
    assert itself == {"T5", "T7", "T8"}


def test_records_the_tables_cannot_keep_exactly_are_checked_on_the_record_path() -> None:
    """A whole number where a decimal is declared (as an RDF input may give it) fails sh:datatype on
    the record path; a DOUBLE column would hide it, so such records are not validated in SQL."""
    records = [TransplantRecord("T1", recipient_age_years=12, graft_source="PB")]  # type: ignore[arg-type]
    assert engine("paper").fresh().validate_records(records, shapes()) is None
    report = Engine(backend="sql").validate(records)
    assert "RecipientAgeConformance" in {f.rule for f in report.findings}


def _base(tmp_path: Path, n: int = 40, seed: int = 3) -> list[TransplantRecord]:
    from graftkg.synthetic import write_bundle

    return read_inputs([write_bundle(tmp_path / "base", n=n, seed=seed)], lenient=True)


def _mutated(base: list[TransplantRecord], name: str, at: tuple[int, ...]) -> list[TransplantRecord]:
    records = copy.deepcopy(base)
    rng = random.Random(1)
    for i in at:
        MUTATIONS[name][1](records[i], records, rng)
    return records


@cache
def _sql_engine() -> Engine:
    return Engine(backend="sql")


def test_every_submission_error_the_shapes_catch(tmp_path: Path) -> None:
    """Each kind of submission error, on records of its own in one bundle: where DuckDB reads the
    bundle straight (completeness, plausibility, chronology and cross-check errors), the SQL report is
    the record path's, with each error's own rule among its findings; the errors it does not read (a
    code outside its value set, a unit, an impossible value) are validated on the record path."""
    readable = _readable_errors(tmp_path)
    assert len(readable) >= 40, readable
    others = [name for name in MUTATIONS if name not in readable]
    for names in (readable, others):
        records = _base(tmp_path / str(len(names)), n=6 * len(names) + 6)
        # on living patients' records: a day moved past a death is refused on reading (and so read
        # by the record reader)
        alive = [i for i, r in enumerate(records) if r.death_day is None and i > 0]
        rng = random.Random(1)
        for k, name in enumerate(names):
            for i in (alive[2 * k], alive[2 * k + 1]):
                MUTATIONS[name][1](records[i], records, rng)
        folder = write_bundle_records(records, tmp_path / f"errors-{len(names)}")
        report = _validated(folder, "paper")
        if names is readable:
            assert report is not None
            # (a mutation may miss on a record: one that never recovered has no platelet day to move)
            missed = {MUTATIONS[name][0] for name in names} - {f.rule for f in report.findings}
            assert len(missed) <= 3, missed
        else:  # the transplants with such an error (and those of their patients) on the record path
            assert report is not None and report.findings
            assert _validated_records([folder], "paper").findings
            want = validate_paths([folder], definitions=definitions("paper"), shapes=shapes(), workers=1)
            _assert_same(_sql_engine().validate(folder), want, names)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_case_file(profile: str, tmp_path: Path) -> None:
    cases = [record_from_case(path)[0] for path in classify_cases()]
    assert len(cases) > 40
    report = _validated(write_bundle_records(cases, tmp_path / "cases"), profile)
    assert report is not None and report.transplants == len(cases)


@pytest.mark.parametrize("profile", PROFILES)
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(records=batches())
def test_edge_heavy_generated_records(profile: str, records: list[TransplantRecord], tmp_path: Path) -> None:
    """As a bundle (validated in SQL when DuckDB reads it straight), and as the records themselves."""
    import tempfile

    from graftkg.validation.validate import validate_records

    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        report = _validated(write_bundle_records(records, tmp), profile)
    event(f"bundle validated in SQL: {report is not None}")
    got = engine(profile).fresh().validate_records(records, shapes())
    event(f"records validated in SQL: {got is not None}")
    if got is not None:
        want = validate_records(records, definitions=definitions(profile), shapes=shapes(), workers=1)
        _assert_same(got, want, profile)


@pytest.mark.parametrize("profile", PROFILES)
def test_the_real_data_sets(profile: str, tmp_path: Path) -> None:
    from graftkg.readers.kmsurv_bmt import import_kmsurv_bmt
    from graftkg.readers.uci_bmt import import_uci_bmt

    import_uci_bmt(SHARED / "datasets" / "uci-bmt-children" / "bone-marrow.arff", tmp_path / "uci")
    import_kmsurv_bmt(SHARED / "datasets" / "kmsurv-bmt" / "bmt.csv", tmp_path / "kmsurv")
    for folder, count in (("uci", 187), ("kmsurv", 137)):
        report = _validated(tmp_path / folder, profile)
        assert report is not None and report.transplants == count, folder
        assert report.findings, folder  # real registry data has gaps the shapes report


def _readable_errors(tmp_path: Path) -> list[str]:
    """The kinds of submission error a bundle still read straight by DuckDB can carry."""
    return list(_probed())


@cache
def _probed() -> tuple[str, ...]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return tuple(_probe(Path(tmp)))


def _probe(tmp_path: Path) -> list[str]:
    from graftkg.columnar.bundle import load_bundle
    from graftkg.readers import bundle_files

    base = _base(tmp_path, n=12, seed=9)
    alive = tuple(i for i, r in enumerate(base) if r.death_day is None and i > 0)[:2]
    names = []
    for name in MUTATIONS:
        folder = write_bundle_records(_mutated(base, name, alive), tmp_path / f"probe-{name}")
        files = bundle_files([folder])
        assert files is not None
        if load_bundle(engine("paper").fresh().con, *files):
            names.append(name)
    return names


def test_a_graft_without_its_source_is_classified_alike(tmp_path: Path) -> None:
    """A graft whose other details are given but not its source: a membership test on the missing
    source is false, not SQL's unknown (which a complement would have kept unknown, so that no
    outcome held)."""
    from graftkg.semantics.classify import classify_records

    records = _base(tmp_path, n=60)
    for r in records:
        r.graft_source = None
    want = classify_records(records, definitions=definitions(), workers=1)
    got = engine("paper").fresh().classify(records)
    assert [g.as_json() for g in got] == [w.as_json() for w in want]
    assert any(w.outcome != "not_evaluable" for w in want) and any(w.outcome == "not_evaluable" for w in want)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_command_line_writes_the_same_on_both_backends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """The same bytes and exit code whichever backend validates: a bundle with errors DuckDB reads
    straight, and a submission with unreadable cells (read leniently, then validated in SQL)."""
    from graftkg.cli import main

    base = _base(tmp_path)
    mutated = write_bundle_records(_mutated(base, "outcome_disagrees", (3, 7)), tmp_path / "m")
    for source in (mutated, EXAMPLES / "invalid-submission"):
        seen = []
        for backend in ("record", "sql"):
            code = main(["validate", str(source), "--format", fmt, "--backend", backend])
            seen.append((code, *capsys.readouterr()))
        assert seen[0] == seen[1], source
        assert seen[0][1].strip(), source


def test_auto_validates_a_large_bundle_in_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import graftkg.api

    calls: list[object] = []
    real = ColumnarEngine.validate

    def spy(self: ColumnarEngine, paths: object, shapes_: object, **options: object) -> object:
        report = real(self, paths, shapes_, **options)  # type: ignore[arg-type]
        calls.append(report)
        return report

    monkeypatch.setattr(ColumnarEngine, "validate", spy)
    folder = write_bundle_records(_mutated(_base(tmp_path), "no_follow_up", (1,)), tmp_path / "b")
    monkeypatch.setattr(graftkg.api, "SQL_VALIDATE_FROM_BYTES", 0)
    report = Engine().validate(folder)
    assert len(calls) == 1 and calls[0] is report
    assert "LastFollowUpRequired" in {f.rule for f in report.findings}
    monkeypatch.setattr(graftkg.api, "SQL_VALIDATE_FROM_BYTES", 1 << 40)
    Engine().validate(folder)
    assert len(calls) == 1  # a small bundle: the record path
    # a bundle with more transplants the record reader must read than auto leaves to it: the record path
    monkeypatch.setattr(graftkg.api, "SQL_VALIDATE_FROM_BYTES", 0)
    dirty = write_bundle_records(_mutated(_base(tmp_path / "d"), "bad_graft_source", (1, 2, 3)), tmp_path / "dirty")
    want = validate_paths([dirty], definitions=definitions(), shapes=shapes(), workers=1)
    from graftkg.columnar.bundle import load_partly

    left = load_partly(engine("paper").fresh().con, dirty / "transplants.csv", dirty / "observations.csv")
    assert left is not None and len(left.transplants) >= 3
    rows = len(left.rows[0]) + len(left.rows[1])  # the rows the record reader would read
    for most, validated_in_sql in ((rows, True), (rows - 1, False)):
        monkeypatch.setattr(graftkg.api, "LEFT_TO_RECORD_PATH_AT_MOST", most)
        _assert_same(Engine().validate(dirty), want, most)
        assert (calls[-1] is not None) is validated_in_sql, most
    _assert_same(Engine(backend="sql").validate(dirty), want, "sql")
    assert calls[-1] is not None  # on sql, however many
