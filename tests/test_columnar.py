"""The columnar engine (definitions compiled to SQL on DuckDB) against the record path, which stays the
plain reference: the same derived facts, classes, outcomes, findings, days, risk factors and
explanations, on every case file, the paper's patients, the edge-heavy generated records, both real
data sets and synthetic bundles, under both definition profiles."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

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


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from(["a", " ", "|", ",", "\x1e", "\x1f", "0", "1", "é", "\n"]), max_size=6))
)
def test_an_explanation_fetched_as_one_text_comes_back_whole(sentences: list[str]) -> None:
    """The sentences of an explanation, joined in DuckDB into one text (fewer objects to fetch) and
    split again in Python, are the sentences, each once in order, whatever characters they hold:
    the separator and its escape among them, empty sentences, repeats."""
    import duckdb
    from sqlglot import exp, select

    from graftkg.columnar.engine import DIALECT, joined_sentences, split_sentences

    listed = exp.cast(exp.Placeholder(), "VARCHAR[]")
    row = duckdb.connect().execute(select(joined_sentences(listed)).sql(DIALECT), [sentences]).fetchone()
    assert row is not None
    assert split_sentences(row[0]) == list(dict.fromkeys(sentences))


def test_the_generated_sql_transpiles_to_spark() -> None:
    """The same query trees print as Spark SQL, which sqlglot's Spark parser reads back (and which
    ``tests/test_spark.py`` runs on Spark)."""
    import sqlglot

    from graftkg.columnar.derive import derive_query
    from graftkg.columnar.sql import SPARK

    e = engine("paper")
    for query in (derive_query(e.defs), e.facts_query(explain=True)):
        spark = query.sql(SPARK)
        assert "ROW_NUMBER() OVER" in spark or "EXISTS" in spark
        assert sqlglot.parse_one(spark, read="spark") is not None
    # the shapes' checks and the relations they read (a list's values as Spark's POSEXPLODE)
    from conftest import shapes

    compiler = e.shape_compiler(shapes())
    trees = [tree for _, tree in compiler.relations()] + [compiler.tree(s) for s in compiler.shapes]
    printed = [tree.sql(SPARK) for tree in trees]
    assert sum("POSEXPLODE" in p for p in printed) >= 5
    for spark in printed:
        assert "UNNEST" not in spark and "GENERATE_SUBSCRIPTS" not in spark, spark
        assert sqlglot.parse_one(spark, read="spark") is not None


# ---------------------------------------------------------------------------- reading a bundle straight


def _tables(con: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The records' tables, with each ``seq`` made a rank (the two loads number rows differently)."""
    from graftkg.columnar.tables import OBSERVATION_COLUMNS, TRANSPLANT_COLUMNS

    tx = [c for c in TRANSPLANT_COLUMNS if c != "seq"]
    obs = [c for c in OBSERVATION_COLUMNS if c != "seq"]
    quoted = ", ".join(f'"{c}"' for c in tx)
    transplants = con.execute(f"SELECT row_number() OVER (ORDER BY seq), {quoted} FROM transplants ORDER BY seq")
    rows = transplants.fetchall()
    quoted = ", ".join(f'"{c}"' for c in obs)
    ranked = f"row_number() OVER (PARTITION BY transplant_id ORDER BY seq), {quoted}"
    observations = con.execute(f"SELECT {ranked} FROM observations ORDER BY transplant_id, seq").fetchall()
    return rows, observations


def _read_both(folder: Path) -> tuple[bool, Exception | None, Any, Any]:
    """(whether the bundle was read straight, the record reader's error, both loads' tables)."""
    import duckdb

    from graftkg.columnar.bundle import load_bundle
    from graftkg.columnar.tables import load_records
    from graftkg.errors import InputError

    straight = duckdb.connect()
    accepted = load_bundle(straight, folder / "transplants.csv", folder / "observations.csv")
    try:
        records = read_inputs([folder])
    except InputError as exc:
        return accepted, exc, None, None
    by_records = duckdb.connect()
    load_records(by_records, records)
    return accepted, None, _tables(straight) if accepted else None, _tables(by_records)


def test_a_synthetic_bundle_is_read_straight_and_as_the_record_reader_reads_it(tmp_path: Path) -> None:
    from graftkg.synthetic import write_bundle

    accepted, error, straight, by_records = _read_both(write_bundle(tmp_path / "b", n=300, seed=3))
    assert accepted and error is None
    assert straight == by_records


def test_what_the_reader_reads_alike_is_read_straight(tmp_path: Path) -> None:
    """Cells the record reader reads as something else than written (case, spaces, signs, synonyms,
    'never', yes/no words), in a file with CRLF line ends: read straight, to the same values."""
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "transplants.csv").write_bytes(
        b"transplant_id , graft_source,recipient_sex,cryopreserved,reported_neutrophil_recovery_day,"
        b"death_day,conditioning_agents,recipient_age_years,donor_relation\r\n"
        b"T1, pb ,m,Yes,NEVER,+40, Flu ; cy;,7.,half sibling\r\n"
        b"T2,UCB,F,FALSE,012,,,.5,\r\n"
        b",,,,,,,,\r\n"
    )
    (folder / "observations.csv").write_bytes(
        b"transplant_id,day,measure,value,lineage,method\r\n"
        b"T1,+3,ANC,0.20,,\r\n"
        b"T1,5,donor_chimerism_pct,40,Whole Blood,STR\r\n"
        b"T2,7,infection,cmv,,\r\n"
        b"T2,,dsa_mfi,2000,,\r\n"
    )
    accepted, error, straight, by_records = _read_both(folder)
    assert error is None and accepted
    assert straight == by_records


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("graft_source", "PBSC"),  # not a code: the reader refuses the record
        ("death_day", "1e3"),  # not a whole number
        ("recipient_age_years", "0x10"),
        ("cryopreserved", "y"),
        ("infusion_date", "2023-02-29"),
        ("hla_match", "8 of 10"),
        ("donor_relation", 'sister "Ann"'),  # a quote: not a plain file
        ("donor_relation", "Ånn"),  # not ASCII
        ("donor_relation", "tab\there"),
    ],
)
def test_what_the_reader_refuses_or_may_read_otherwise_is_left_to_it(tmp_path: Path, column: str, cell: str) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    quoted = f'"{cell}"' if '"' in cell else cell
    quoted = quoted.replace('"sister "Ann""', '"sister ""Ann"""')
    (folder / "transplants.csv").write_text(f"transplant_id,{column}\nT1,{quoted}\n", encoding="utf-8")
    (folder / "observations.csv").write_text("transplant_id,day,measure,value\nT1,3,ANC,0.2\n")
    accepted, _, _, _ = _read_both(folder)
    assert not accepted


@pytest.mark.parametrize(
    "row",
    [
        "T1,3,ANC,",  # a count without a value
        "T1,,ANC,0.2",  # without a day
        "T1,3,neutrophils,0.2",  # an unknown measure
        "T2,3,ANC,0.2",  # not a transplant of the file
        "T1,3,donor_chimerism_pct,150",  # no such chimerism (refused on reading)
        "T1,3,ANC,-1",
        "T1,30,ANC,0.2",  # after the death day
        "T1,3,infection,smallpox",
        "T1,3,ANC,0.2,whole_blood",  # a lineage for a count
        "T1,3,ANC,200,,,/uL",  # a unit: converted by the record reader
    ],
)
def test_observation_rows_the_reader_judges_are_left_to_it(tmp_path: Path, row: str) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "transplants.csv").write_text("transplant_id,death_day\nT1,20\n")
    header = "transplant_id,day,measure,value,lineage,method,unit"
    cells = row.split(",")
    (folder / "observations.csv").write_text(f"{header}\n{','.join(cells + [''] * (7 - len(cells)))}\n")
    accepted, _, _, _ = _read_both(folder)
    assert not accepted


#: cells the record reader reads as written and cells it reads as something else, by kind of field;
#: a few it refuses ("junk"): a bundle with one of them is never read straight
_JUNK = ["x", "1e3", "0x1", "2023-02-29", "0000-01-01", "8 of 10", "150", "-1"]
_BY_KIND = {
    "int": ["0", "+5", "-3", "007", "12", " 40 ", ""],
    "float": ["5.", ".5", "7", "0.25", "+1.5", "", "12.0"],
    "bool": ["yes", "No", "TRUE", "false", ""],
    "day_or_never": ["never", "Never", "12", "+3", "", "0"],
    "date": ["2024-02-29", "1999-12-31", "2024-03-01", ""],
    "text": ["x", "half sibling", "", "8/10"],
    "id": ["P1", "P2", ""],
    "ref": ["T0", "T1", ""],
}


def _cell_for(draw: st.DrawFn, column: str) -> str:
    from graftkg.readers.csv_bundle import FIELD_OF_COLUMN
    from graftkg.semantics.vocabulary import vocabulary

    if draw(st.integers(0, 30)) == 0:
        return draw(st.sampled_from(_JUNK))
    declared = FIELD_OF_COLUMN[column]
    kind = declared.spec.kind
    if kind in ("code", "codes"):
        vocab = vocabulary()
        names = vocab.codes(declared.name) + sorted(vocab.synonyms(declared.name))

        def pick() -> str:
            name = draw(st.sampled_from(names))
            return draw(st.sampled_from([name, name.upper(), name.lower(), f" {name} "]))

        if kind == "code":
            return pick() if draw(st.booleans()) else ""
        return ";".join(pick() for _ in range(draw(st.integers(0, 3))))
    if declared.name == "hla_match":
        return draw(st.sampled_from(["8/10", "10/10", ""]))
    return draw(st.sampled_from(_BY_KIND[kind]))


@st.composite
def _bundles(draw: st.DrawFn) -> tuple[str, str]:
    """A small bundle whose cells are drawn from the readers' edge cases, mostly valid (a bundle with
    a cell the reader refuses is never read straight; one that is must be read alike), its lines
    ending in ``\n``, in ``\r\n``, or some in one and some in the other."""
    from graftkg.readers.csv_bundle import TRANSPLANT_COLUMNS as TX

    columns = draw(st.lists(st.sampled_from(sorted(set(TX) - {"transplant_id"})), max_size=6, unique=True))
    if draw(st.booleans()):  # transplants linked by patient and prior, with dates to put in order (or not)
        columns += [c for c in ("patient_id", "prior_transplant_id", "infusion_date") if c not in columns]
    ids = [f"T{i}" for i in range(draw(st.integers(1, 3)))]
    lines = [",".join(["transplant_id", *columns])]
    lines += [",".join([tid, *(_cell_for(draw, c) for c in columns)]) for tid in ids]
    obs_columns = [
        "transplant_id",
        "day",
        "measure",
        "value",
        *sorted(draw(st.sets(st.sampled_from(["lineage", "method"])))),
    ]
    obs_lines = [",".join(obs_columns)]
    values = {
        "ANC": ["0.2", "+1.5", "0.50", "3", ".7"],
        "PLT": ["20", "19.9", "150"],
        "donor_chimerism_pct": ["0", "4.9", "95", "100"],
        "infection": ["CMV", "cmv", "Adenovirus"],
        "dsa_mfi": ["2000", "1500.0"],
        "gvhd": ["2", ""],
        "gcsf": [""],
    }
    for _ in range(draw(st.integers(0, 6))):
        measure = draw(st.sampled_from(sorted(values)))
        day = draw(st.sampled_from(["3", "+4", "012", "28", "" if measure == "dsa_mfi" else "5"]))
        value = draw(st.sampled_from(values[measure])) if draw(st.integers(0, 30)) else draw(st.sampled_from(_JUNK))
        row = [draw(st.sampled_from(ids)), day, measure, value]
        for extra in obs_columns[4:]:
            chimerism = measure == "donor_chimerism_pct"
            options = {"lineage": ["", "myeloid", "Whole Blood"] if chimerism else [""], "method": ["", "STR"]}
            row.append(draw(st.sampled_from(options[extra])))
        obs_lines.append(",".join(row))
    # every line ends alike, or some in \r\n and others in \n (rows added with another tool)
    ending = draw(st.sampled_from(["\n", "\r\n", "mixed"]))

    def joined(rows: list[str]) -> str:
        ends = [draw(st.sampled_from(["\n", "\r\n"])) if ending == "mixed" else ending for _ in rows]
        return "".join(row + end for row, end in zip(rows, ends, strict=True))

    return joined(lines), joined(obs_lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bundle=_bundles())
def test_a_bundle_read_straight_is_read_as_the_record_reader_reads_it(tmp_path: Path, bundle: tuple[str, str]) -> None:
    import tempfile

    from hypothesis import event

    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        folder = Path(tmp)
        (folder / "transplants.csv").write_bytes(bundle[0].encode())
        (folder / "observations.csv").write_bytes(bundle[1].encode())
        accepted, error, straight, by_records = _read_both(folder)
    event(f"read straight: {accepted}")
    if accepted:
        assert error is None, error
        assert straight == by_records


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_the_command_line_writes_the_same_on_both_backends(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """The same bytes on stdout and stderr, and the same exit code, whichever backend classifies:
    a clean synthetic bundle (read straight), and a submission with refused records (read by the
    record reader, then classified in SQL)."""
    from graftkg.cli import main
    from graftkg.synthetic import write_bundle

    bundle = write_bundle(tmp_path / "b", n=200, seed=5)
    for source in (bundle, EXAMPLES / "invalid-submission"):
        seen = []
        for backend in ("record", "sql"):
            code = main(["classify", str(source), "--format", fmt, "--backend", backend])
            out, err = capsys.readouterr()
            seen.append((code, out, err))
        assert seen[0] == seen[1], source
        assert seen[0][1].count("\n") > 5


def test_chunks_of_nothing_are_an_empty_list() -> None:
    from graftkg.semantics.classify import render_chunks, to_csv, to_json

    assert "".join(render_chunks([], "json")) == to_json([]) == "[]"
    assert "".join(render_chunks([], "csv")) == to_csv([])


def test_one_engine_classifies_in_two_threads_at_once(tmp_path: Path) -> None:
    """Each call has a database of its own: two threads sharing an engine do not see each other's data."""
    from concurrent.futures import ThreadPoolExecutor

    import graftkg
    from graftkg.synthetic import write_bundle

    engine = graftkg.Engine(backend="sql")
    bundles = [write_bundle(tmp_path / str(seed), n=300, seed=seed) for seed in (1, 2)]
    want = [[c.as_json() for c in graftkg.Engine(backend="record").classify(b)] for b in bundles]
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda b: [c.as_json() for c in engine.classify(b)], bundles * 2))
    assert got == want * 2


def test_a_memory_limit_that_is_no_size_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    from graftkg.cli import main

    assert (
        main(["classify", str(EXAMPLES / "paper-patients" / "csv"), "--backend", "sql", "--memory-limit", "lots"]) == 2
    )
    err = capsys.readouterr().err
    assert err == "graftkg: error: memory limit 'lots': not a size such as 4GB or 500MB\n"


@pytest.mark.parametrize("verb", ["classify", "validate"])
def test_a_database_out_of_memory_is_a_one_line_error(capsys: pytest.CaptureFixture[str], verb: str) -> None:
    """DuckDB held to a memory limit it cannot work within (here 1 MB) stops with one line that says
    what to do, not a traceback."""
    from graftkg.cli import main

    source = str(EXAMPLES / "paper-patients" / "csv")
    assert main([verb, source, "--backend", "sql", "--memory-limit", "1MB"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith("graftkg: error: the SQL backend ran out of memory (") and "--memory-limit" in err, err


def test_the_sql_backend_spills_to_the_systems_temporary_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Held to a memory limit it works within by spilling to disk, the SQL backend spills into a
    folder of its own in the system's temporary folder (or in ``--temp-directory``), never into the
    current folder, writes what it writes without a limit, and leaves nothing behind; a folder it
    cannot make there is one line that says what to do; a ``--temp-directory`` that is not a folder
    is refused before anything is read. The copy of a file with mixed line ends goes where it spills."""
    import secrets
    import tempfile

    import graftkg.columnar.bundle
    from graftkg.cli import main
    from graftkg.synthetic import write_bundle

    bundle = str(write_bundle(tmp_path / "b", n=20_000, seed=3))
    with (Path(bundle) / "observations.csv").open("ab") as f:
        f.write(b"S000001,3,ANC,0.5,,\n")  # CRLF lines, and now one LF line: DuckDB reads a copy
    copied_into: list[Path] = []
    copy = graftkg.columnar.bundle._line_feeds_only

    def spy(path: Path, folder: str) -> Path:
        copied_into.append(Path(folder).parent)
        return copy(path, folder)

    monkeypatch.setattr(graftkg.columnar.bundle, "_line_feeds_only", spy)
    system, here, chosen = tmp_path / "system", tmp_path / "here", tmp_path / "chosen"
    for folder in (system, here, chosen):
        folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system))
    monkeypatch.chdir(here)
    verb = ["validate", bundle, "--format", "json", "--backend", "sql"]
    assert main(verb) == 0
    want = capsys.readouterr().out
    monkeypatch.setattr(secrets, "token_hex", lambda n=None: "taken")
    (system / "graftkg-taken").write_text("")  # where it would spill: a file is in the way
    assert main([*verb, "--memory-limit", "150MB"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith("graftkg: error: the SQL backend could not use a file (") and "--temp-directory" in err
    assert str(system / "graftkg-taken") in err  # it was to spill into the system's temporary folder
    (system / "graftkg-taken").unlink()
    copied_into.clear()
    for extra in ([], ["--temp-directory", str(chosen)]):
        assert main([*verb, "--memory-limit", "150MB", *extra]) == 0
        assert capsys.readouterr().out == want
    assert copied_into == [system, chosen]
    assert [list(f.iterdir()) for f in (system, here, chosen)] == [[], [], []]
    assert main([*verb, "--temp-directory", str(tmp_path / "no-such")]) == 2
    assert capsys.readouterr().err == f"graftkg: error: temporary folder '{tmp_path / 'no-such'}': not a folder\n"


def test_a_bundle_read_straight_keeps_the_files_order(tmp_path: Path) -> None:
    """The order of the rows (which orders the output, and a record's observations) is the files':
    in files large enough for DuckDB to read in parts, each part with its own thread. (A typed read
    of a parallel scan was once seen to put a later part first, in one run of two.)"""
    import duckdb

    from graftkg.columnar.bundle import load_bundle
    from graftkg.synthetic import write_bundle

    bundle = write_bundle(tmp_path / "b", n=30_000, seed=11)
    ids = [line.split(",", 1)[0] for line in (bundle / "transplants.csv").read_text().splitlines()[1:]]
    obs_lines = (bundle / "observations.csv").read_text().splitlines()[1:]
    for _ in range(3):
        con = duckdb.connect()
        assert load_bundle(con, bundle / "transplants.csv", bundle / "observations.csv")
        assert [r[0] for r in con.execute("SELECT transplant_id FROM transplants ORDER BY seq").fetchall()] == ids
        read = con.execute("SELECT transplant_id, day, measure FROM observations ORDER BY seq").fetchall()
        assert [f"{t},{d},{m}" for t, d, m in read[::997]] == [",".join(x.split(",")[:3]) for x in obs_lines[::997]]


def test_a_bundle_with_mixed_line_ends_is_read_straight_from_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines ending some in CRLF and some in LF (rows added with another tool: DuckDB's strict scan
    refuses the file itself) are read straight from a copy with LF ends only, to the tables the
    record reader's records make, in the files' order; the copy is gone once read. A carriage return
    that does not end a line still leaves the bundle to the record reader."""
    import random
    import tempfile

    import duckdb

    from graftkg.columnar.bundle import load_bundle
    from graftkg.synthetic import write_bundle

    bundle = write_bundle(tmp_path / "b", n=6_000, seed=5)  # CRLF throughout: 10 MB of observations
    rng = random.Random(5)
    for name in ("transplants.csv", "observations.csv"):
        lines = (bundle / name).read_bytes().split(b"\r\n")
        mixed = b"".join(line + (b"\n" if rng.random() < 0.3 else b"\r\n") for line in lines[:-1])
        (bundle / name).write_bytes(mixed)
    assert b"\n" in (bundle / "observations.csv").read_bytes().replace(b"\r\n", b"")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    accepted, error, straight, by_records = _read_both(bundle)
    assert accepted and error is None
    assert straight == by_records
    assert list(scratch.iterdir()) == []  # the copies are deleted
    observations = bundle / "observations.csv"
    data = observations.read_bytes()
    cut = data.index(b",", len(data) // 2)  # a carriage return inside a line: the csv module ends a row there
    observations.write_bytes(data[:cut] + b"\r" + data[cut:])
    assert not load_bundle(duckdb.connect(), bundle / "transplants.csv", observations)


def test_auto_classifies_a_large_bundle_with_a_bad_row_in_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large enough for the SQL backend, but with a row only the record reader may judge: ``auto``
    leaves that transplant to the record reader (which refuses it) and classifies the rest in SQL,
    with the same output and refusals; with more such transplants than it may leave, the record
    reader reads the whole bundle and its records are classified in SQL, with the same output again;
    and so are those of a bundle DuckDB does not read at all (not plain text)."""
    import graftkg.api
    from graftkg.api import SQL_FROM_BYTES
    from graftkg.cli import main
    from graftkg.columnar.engine import ColumnarEngine
    from graftkg.synthetic import write_bundle

    bundle = write_bundle(tmp_path / "b", n=4_000, seed=2)
    with (bundle / "observations.csv").open("a") as f:
        f.write("S000001,3,ANC,x,,\r\n")  # not a number: refused
    assert (bundle / "observations.csv").stat().st_size > SQL_FROM_BYTES
    assert main(["classify", str(bundle), "--format", "csv", "--backend", "record"]) == 1
    want = capsys.readouterr()
    assert "S000001" in want.err
    in_sql: list[int] = []
    real = ColumnarEngine.iter_classifications

    def spy(self: ColumnarEngine, **options: Any) -> Any:
        in_sql.append(len(self._left))
        return real(self, **options)

    monkeypatch.setattr(ColumnarEngine, "iter_classifications", spy)
    assert main(["classify", str(bundle), "--format", "csv"]) == 1
    assert capsys.readouterr() == want
    # in part: the transplant left was refused by the record reader; the transplants linked to it (its
    # patient's other transplants: synth makes second transplants) were classified on the record
    # path, the rest in SQL
    with (bundle / "transplants.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    patient = next(r["patient_id"] for r in rows if r["transplant_id"] == "S000001")
    linked = [r["transplant_id"] for r in rows if r["transplant_id"] != "S000001" and r["patient_id"] == patient]
    assert linked == ["S000002"]  # S000001's graft failed; S000002 is the patient's second transplant
    assert in_sql == [len(linked)]
    monkeypatch.setattr(graftkg.api, "LEFT_TO_RECORD_PATH_AT_MOST", 0)
    assert main(["classify", str(bundle), "--format", "csv"]) == 1
    assert capsys.readouterr() == want
    assert in_sql == [len(linked), 0]  # the whole bundle read by the record reader, its records classified in SQL
    monkeypatch.undo()
    transplants = bundle / "transplants.csv"
    text = transplants.read_text(encoding="utf-8")
    first = text.index("\n") + 1
    comma = text.index(",", first)
    transplants.write_text(text[:comma] + "-é" + text[comma:], encoding="utf-8")  # a transplant id, not ASCII
    assert main(["classify", str(bundle), "--format", "csv", "--backend", "record"]) == 1
    want = capsys.readouterr()
    assert "-é" in want.out
    monkeypatch.setattr(ColumnarEngine, "iter_classifications", spy)
    assert main(["classify", str(bundle), "--format", "csv"]) == 1
    assert capsys.readouterr() == want
    assert in_sql == [len(linked), 0, 0]


@pytest.mark.parametrize("backend", ["record", "sql"])
def test_an_unreadable_bundle_writes_nothing_but_its_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str
) -> None:
    from graftkg.cli import main

    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "transplants.csv").write_text("transplant_id\nT1\n")
    (folder / "observations.csv").write_text("transplant_id,day,measure,value\nT1,3,ANC\n")
    assert main(["classify", str(folder), "--format", "csv", "--backend", backend]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"graftkg: error: {folder / 'observations.csv'}:2: row has 3 cells, header has 4\n"
