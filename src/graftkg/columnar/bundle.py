"""A CSV bundle read straight into the columnar engine's tables by DuckDB, when reading it so is sure to
give what the record reader gives.

The record reader (:mod:`graftkg.readers.csv_bundle`, then the rules of :mod:`graftkg.readers.rules`
and :mod:`graftkg.readers.limits`) stays the one judge of input: it names the file, line and field of
every problem, and refuses records one by one. This module takes the bundles where it would have
nothing to say, and only those:

- **plain files**: ASCII text with no quote and no control character but the line feed, and the
  carriage return only before a line feed, so that splitting lines at ``\\n`` (less a ``\\r``
  before it) and cells at ``,`` is the whole of parsing them (and DuckDB's parallel CSV scan and
  Python's ``csv`` module cannot differ); a header of known columns (``observations.csv`` with days,
  not dates). A file whose lines end some in ``\\r\\n`` and some in ``\\n`` (rows added by another
  tool, say), which DuckDB's strict CSV scan refuses, is read from a copy whose lines all end in
  ``\\n``, made in a temporary folder (in ``scratch``, the folder the engine spills to) and deleted
  once read;
- **every cell read as the record reader reads it**: whole numbers, numbers, yes/no, days or
  ``never``, ISO dates, codes and their names in any letter case (each read as the code it names),
  lists of codes, exactly as the reader's patterns and the ontology's value sets say;
- **every record within the rules**: codes in their value sets, HLA matches like 8/10, lab values
  with a day and a value, no unit given (a unit may need converting: the record reader does that),
  no more observations a transplant than the reader takes, and none of the impossible values the
  shapes marked ``gk:refusedOnReading`` describe (:func:`~graftkg.readers.limits.limits`).

Anything else, :func:`load_bundle` leaves to the record reader (it loads nothing and says so): the
answer is then the record reader's, errors and refusals included. :func:`load_partly` loads what it
may of a plain bundle and leaves the rest, transplant by transplant, to the record reader, which
reads those rows from the cells DuckDB split (:func:`graftkg.readers.csv_bundle.read_rows`).
``tests/test_columnar.py`` holds the tables it makes to those the record reader's records make, on
plain and on unusual bundles; ``tests/test_columnar_validate.py`` holds bundles read in part to the
record path's answers.

Example:
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> load_bundle(con, Path("examples/paper-patients/csv/transplants.csv"),
    ...             Path("examples/paper-patients/csv/observations.csv"))
    True
    >>> con.execute("SELECT count(*) FROM transplants").fetchone()
    (8,)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from sqlglot import exp, select

from graftkg.columnar.sql import (
    FALSE,
    TRUE,
    Expr,
    alias,
    and_,
    case,
    cast,
    coalesce,
    col,
    eq,
    fn,
    gt,
    in_,
    is_null,
    lt,
    not_,
    not_null,
    null,
    num,
    or_,
    text,
)
from graftkg.columnar.tables import OBSERVATION_COLUMNS as TABLE_OBSERVATION_COLUMNS
from graftkg.columnar.tables import TRANSPLANT_COLUMNS as TABLE_TRANSPLANT_COLUMNS
from graftkg.columnar.tables import drop_table
from graftkg.model import RECORD_FIELDS
from graftkg.readers.csv_bundle import _DATE as DATE
from graftkg.readers.csv_bundle import (
    _DIGITS,
    FIELD_OF_COLUMN,
    MAX_OBSERVATIONS,
    OBSERVATION_COLUMNS,
    REQUIRED_OBSERVATION_COLUMNS,
)
from graftkg.readers.csv_bundle import _INT as INT
from graftkg.readers.csv_bundle import _NUMBER as NUMBER
from graftkg.readers.csv_bundle import (
    TRANSPLANT_COLUMNS as CSV_TRANSPLANT_COLUMNS,
)
from graftkg.readers.limits import limits
from graftkg.readers.rules import _HLA as HLA
from graftkg.readers.rules import WITHOUT_VALUE
from graftkg.semantics.facts import OBSERVATION_MEASURES
from graftkg.semantics.vocabulary import vocabulary

#: the bytes of a plain file (see the module docstring): printable ASCII but the quote, and line ends
_PLAIN_BYTES = bytes(b for b in range(0x20, 0x7F) if b != ord('"')) + b"\n\r"
#: the record reader's patterns of a cell (Python's, anchored), as the whole-cell patterns DuckDB's
#: regexp_full_match takes: one definition of what a number, a day, a date or an HLA match looks like
_INT, _NUMBER, _DATE, _HLA = (p.pattern.removeprefix("^").removesuffix("$") for p in (INT, NUMBER, DATE, HLA))


class _Plain(NamedTuple):
    """What :func:`_plain_header` finds of a plain file."""

    header: list[str]
    #: its number of lines after the header
    rows: int
    #: whether it holds a space anywhere
    spaces: bool
    #: whether some of its lines end in ``\r\n`` and others in ``\n`` (DuckDB then reads a copy)
    mixed: bool


def _plain_header(path: Path, known: list[str], required: list[str]) -> _Plain | None:
    """What a plain file (see the module docstring) of known columns is; else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.isascii() or data.translate(None, _PLAIN_BYTES):
        return None
    lines = data.count(b"\n")
    returns = data.count(b"\r")
    if returns and returns != data.count(b"\r\n"):
        return None  # a carriage return that does not end a line
    mixed = 0 < returns < lines
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).removesuffix(b"\r").decode("ascii")
    header = [c.strip() for c in first.split(",")]
    if any(c not in known for c in header) or len(set(header)) != len(header):
        return None
    if any(c not in header for c in required):
        return None
    lines += 0 if data.endswith(b"\n") else 1
    return _Plain(header, lines - 1, b" " in data, mixed)


#: the size of the pieces :func:`_line_feeds_only` copies a file in
_CHUNK = 1 << 24


def _line_feeds_only(path: Path, folder: str) -> Path:
    r"""A copy (``copy.csv``) of the plain file at ``path`` in ``folder``, every ``\r`` (each one before a ``\n``:
    see :func:`_plain_header`) taken out, so that every line ends in ``\n``; copied a piece at a time.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     mixed = Path(folder) / "in.csv"
        ...     _ = mixed.write_bytes(b"a,b\r\n1,2\n3,4\r\n")
        ...     _line_feeds_only(mixed, folder).read_bytes()
        b'a,b\n1,2\n3,4\n'
    """
    copy = Path(folder) / "copy.csv"
    with path.open("rb") as source, copy.open("wb") as target:
        while piece := source.read(_CHUNK):
            target.write(piece.translate(None, b"\r"))
    return copy


def _scan(header: list[str]) -> Expr:
    """DuckDB's reading of a plain CSV file with this header (its path bound as the parameter), every
    cell text, NULL when empty; a row of another width stops it. The scan is parallel; a table made
    from it alone keeps the file's order while ``preserve_insertion_order`` is on, as DuckDB documents
    (https://duckdb.org/docs/stable/sql/dialect/order_preservation), and :func:`load_bundle` sees to
    that. (A scan typed in the same statement was once seen to put a later part of a file first: the
    typing reads the table, never the scan.)"""
    columns = exp.Struct(expressions=[exp.PropertyEQ(this=text(c), expression=text("VARCHAR")) for c in header])
    return exp.func(
        "read_csv",
        exp.Placeholder(),
        *(
            exp.EQ(this=exp.column(name), expression=value)
            for name, value in (
                ("columns", columns),
                ("header", TRUE),
                ("auto_detect", FALSE),
                ("delim", text(",")),
                ("quote", text('"')),
                ("escape", text('"')),
                ("strict_mode", TRUE),
                ("null_padding", FALSE),
            )
        ),
    )


def _cells(raw: str, header: list[str], known: list[str], spaces: bool) -> exp.Select:
    """The rows of a file (read into table ``raw``) as the reader splits them: ``seq``, the row's place
    in the file; each cell stripped, NULL when empty, a column the file does not have NULL throughout;
    and ``blank``, true for a row of empty cells (the reader passes over it). (DuckDB reads an empty cell
    as NULL: without a space in the file, there is nothing to strip.)"""
    cells = {c: fn("nullif", fn("trim", col(c)), text("")) if spaces else col(c) for c in header}
    columns = [alias(cells.get(c, cast(null(), "VARCHAR")), c) for c in known]
    blank = and_(*(is_null(cell) for cell in cells.values()))
    return select(alias(col("rowid"), "seq"), *columns, alias(blank, "blank")).from_(raw)


def _cell(column: str, header: list[str], table: str | None = None) -> Expr:
    """A cell of a row of :func:`_cells` (``header`` is the file's: a column it lacks is NULL)."""
    return col(column, table)


def _matches(cell: Expr, pattern: str) -> Expr:
    return fn("regexp_full_match", cell, text(pattern))


def _code(field: str, cell: Expr) -> Expr:
    """The code a cell names in ``field``'s value set (its code, or a name of a member in any letter
    case: :meth:`~graftkg.semantics.vocabulary.Vocabulary.code_for`), NULL when it names none."""
    vocab = vocabulary()
    codes = vocab.codes(field)
    names = {code.casefold(): code for code in codes}
    names = {**vocab.synonyms(field), **names}
    by_name = case([(eq(fn("lower", cell), text(name)), text(code)) for name, code in sorted(names.items())])
    return case([(in_(cell, [text(c) for c in codes]), cell)], by_name)


class _Checked:
    """Columns read from cells, and the conditions under which each read is not the record reader's."""

    def __init__(self) -> None:
        self.columns: list[Expr] = []
        self.unsure: list[Expr] = []

    def add(self, value: Expr, name: str, *unsure: Expr) -> None:
        self.columns.append(alias(value, name))
        self.unsure.extend(u for u in unsure if u != FALSE)


def _number(cell: Expr, pattern: str, sql_type: str) -> tuple[Expr, Expr]:
    """A number cell's value, and when it is not one the reader reads the same."""
    value = exp.TryCast(this=cell, to=exp.DataType.build(sql_type))
    bad = case(
        [(not_null(cell), or_(not_(_matches(cell, pattern)), gt(fn("length", cell), num(_DIGITS)), is_null(value)))],
        FALSE,
    )
    return value, bad


def _transplant_columns(header: list[str]) -> _Checked:
    out = _Checked()
    column_of = {declared.name: column for column, declared in FIELD_OF_COLUMN.items()}
    for declared in RECORD_FIELDS:
        name, spec = declared.name, declared.spec
        if spec.kind == "never":  # set by the 'never' of its day column
            day_field = next(f for f in RECORD_FIELDS if f.spec.never == name)
            cell = _cell(column_of[day_field.name], header)
            out.add(coalesce(eq(fn("lower", cell), text("never")), FALSE), name)
            continue
        cell = _cell(column_of[name], header)
        kind = spec.kind
        if name == "transplant_id":
            out.add(cell, name, is_null(cell))
        elif kind == "int":
            value, bad = _number(cell, _INT, "BIGINT")
            out.add(value, name, bad)
        elif kind == "float":
            value, bad = _number(cell, _NUMBER, "DOUBLE")
            out.add(value, name, bad)
        elif kind == "day_or_never":
            day = case([(eq(fn("lower", cell), text("never")), null())], cell)
            value, bad = _number(day, _INT, "BIGINT")
            out.add(value, name, bad)
        elif kind == "date":
            value = exp.TryCast(this=cell, to=exp.DataType.build("DATE"))
            bad = and_(
                not_null(cell),
                or_(not_(_matches(cell, _DATE)), is_null(value), lt(fn("year", value), num(1))),
            )
            out.add(value, name, bad)
        elif kind == "bool":
            lower = fn("lower", cell)
            value = case(
                [
                    (in_(lower, [text("yes"), text("true")]), TRUE),
                    (in_(lower, [text("no"), text("false")]), FALSE),
                ]
            )
            out.add(value, name, and_(not_null(cell), is_null(value)))
        elif kind == "code":
            value = _code(name, cell)
            out.add(value, name, and_(not_null(cell), is_null(value)))
        elif kind == "codes":
            items = fn(
                "list_filter",
                fn("list_transform", fn("string_split", cell, text(";")), _lambda(fn("trim", _x()))),
                _lambda(exp.NEQ(this=_x(), expression=text(""))),
            )
            mapped = fn("list_transform", items, _lambda(_code(name, _x())))
            value = coalesce(mapped, cast(exp.Array(expressions=[]), "VARCHAR[]"))
            unknown = fn("list_contains", fn("list_transform", mapped, _lambda(is_null(_x()))), TRUE)
            out.add(value, name, coalesce(unknown, FALSE))
        elif name == "hla_match":
            out.add(cell, name, and_(not_null(cell), not_(_matches(cell, _HLA))))
        else:  # text, ref, a patient's identifier
            out.add(cell, name)
    return out


def _x() -> Expr:
    return exp.column("x")


def _lambda(body: Expr) -> Expr:
    return exp.Lambda(this=body, expressions=[exp.to_identifier("x")])


def _observation_columns(header: list[str]) -> _Checked:
    vocab = vocabulary()
    out = _Checked()
    tid, measure = _cell("transplant_id", header, "o"), _cell("measure", header, "o")
    value_cell, day_cell = _cell("value", header, "o"), _cell("day", header, "o")
    out.add(tid, "transplant_id", is_null(tid))
    day, bad_day = _number(day_cell, _INT, "BIGINT")
    out.add(day, "day", bad_day, and_(is_null(day_cell), not_(eq(measure, text("dsa_mfi")))))
    out.add(measure, "measure", coalesce(not_(in_(measure, [text(m) for m in sorted(OBSERVATION_MEASURES)])), TRUE))
    infection = eq(measure, text("infection"))
    number, bad_number = _number(case([(infection, null())], value_cell), _NUMBER, "DOUBLE")
    optional = in_(measure, [text(m) for m in sorted(WITHOUT_VALUE)])
    out.add(number, "value", bad_number, and_(not_(infection), is_null(value_cell), not_(optional)))
    pathogen = _code("infection", value_cell)
    out.add(case([(infection, pathogen)]), "code", case([(infection, is_null(pathogen))], FALSE))
    chimerism = eq(measure, text("donor_chimerism_pct"))
    lineage_cell = _cell("lineage", header, "o")
    lineage = _code("lineage", lineage_cell)
    out.add(lineage, "lineage", case([(not_null(lineage_cell), or_(not_(chimerism), is_null(lineage)))], FALSE))
    method_cell = _cell("method", header, "o")
    calculation = _code("calculation", method_cell)
    allowed = [
        and_(eq(measure, text(counted)), eq(calculation, text(code))) for code, counted in vocab.calculates.items()
    ]
    out.add(
        case([(chimerism, method_cell)], calculation),
        "method",
        case([(and_(not_null(method_cell), not_(chimerism)), not_(coalesce(or_(*allowed), FALSE)))], FALSE),
    )
    unit_cell = _cell("unit", header, "o")
    out.add(unit_cell, "unit", not_null(unit_cell))  # a unit may need converting: the record reader's work
    return out


def _impossible() -> list[Expr]:
    """The conditions under which a record holds a value the shapes marked ``gk:refusedOnReading`` refuse,
    over ``transplants`` (``t``) and ``observations`` (``o``)."""
    out: list[Expr] = []

    def fails(value: Expr, low: float | None, high: float | None, not_after: str | None) -> Expr:
        tests = []
        if low is not None:
            tests.append(lt(value, num(low)))
        if high is not None:
            tests.append(gt(value, num(high)))
        if not_after is not None:
            tests.append(gt(value, col(not_after, "t")))
        return and_(not_null(value), coalesce(or_(*tests), FALSE))

    for limit in limits():
        if limit.measures is None:
            out.append(fails(col(limit.attribute, "t"), limit.low, limit.high, limit.not_after))
            continue
        if limit.column == "dsa_max_mfi":
            out.append(fails(col("dsa_max_mfi", "t"), limit.low, limit.high, limit.not_after))
        of_measure = in_(col("measure", "o"), [text(m) for m in sorted(limit.measures)])
        value = col("day" if limit.attribute == "day" else "value", "o")
        out.append(and_(of_measure, fails(value, limit.low, limit.high, limit.not_after)))
    return out


@lru_cache(maxsize=64)
def _typed(table: str, header: tuple[str, ...], spaces: bool) -> str:
    """The query of the typed rows of a file of ``table`` with this header (and spaces, or none), read
    by DuckDB (its path the parameter): each row's values, ``unsure`` (a row not read as the record
    reader reads it) and ``blank``; made once per kind of file."""
    if table == "transplants":
        checked = _transplant_columns(list(header))
        cells = _cells(f"raw_{table}", list(header), CSV_TRANSPLANT_COLUMNS, spaces).subquery("c")
    else:
        checked = _observation_columns(list(header))
        cells = _cells(f"raw_{table}", list(header), OBSERVATION_COLUMNS, spaces).subquery("o")
    unsure = and_(not_(col("blank")), or_(*checked.unsure))
    return select(col("seq"), *checked.columns, alias(unsure, "unsure"), col("blank")).from_(cells).sql("duckdb")


def load_bundle(con: Any, transplants: Path, observations: Path, *, scratch: str | None = None) -> bool:
    """Make the tables ``transplants`` and ``observations`` of ``con`` from a CSV bundle, when the
    bundle is one this module may read (see the module docstring); False, with no table made, when it
    is not: the record reader is then the one to read it."""
    return load_partly(con, transplants, observations, most_left=0, scratch=scratch) is not None


class Left(NamedTuple):
    """What :func:`load_partly` leaves to the record reader: the transplants it does not load (a set
    closed over patients and prior transplants: no transplant loaded shares a patient with one left,
    or names one left as its prior, or is named so by one); each file as ``(path, header)``; and the
    rows of each file left, ``(line, stripped cells)`` (see
    :func:`graftkg.readers.csv_bundle.read_rows`): those of the transplants left, and those that
    name no transplant it knows (no identifier, or one ``transplants.csv`` does not have), which
    the record reader reports."""

    transplants: frozenset[str]
    files: tuple[tuple[str, list[str]], tuple[str, list[str]]]
    rows: tuple[list[tuple[int, list[str]]], list[tuple[int, list[str]]]]

    def __bool__(self) -> bool:
        return bool(self.rows[0] or self.rows[1])


def load_partly(
    con: Any, transplants: Path, observations: Path, *, most_left: int | None = None, scratch: str | None = None
) -> Left | None:
    """Make the tables ``transplants`` and ``observations`` of ``con`` from the rows of a CSV bundle
    that DuckDB reads as the record reader reads them (see the module docstring), and say what is
    left (:class:`Left`: nothing when the whole bundle is loaded). A transplant any of whose rows is
    not read so, or that breaks a rule a record must keep, is left, and so is every transplant linked
    to it by a patient or a prior transplant: what is loaded is checked alone as it would be checked
    with the rest. None, with no table made, when the files themselves are not ones DuckDB may read
    (not plain text, or a row of another width, say), when a transplant has more observations than
    the record reader takes, or when more than ``most_left`` rows of the files would be left (the
    record reader holds the records it reads whole). A file to be read from a copy (see the module
    docstring) is copied into ``scratch`` (default: the system's temporary folder). Call
    :func:`drop_loaded` when done."""
    tx_file = _plain_header(transplants, CSV_TRANSPLANT_COLUMNS, ["transplant_id"])
    obs_file = _plain_header(observations, OBSERVATION_COLUMNS, REQUIRED_OBSERVATION_COLUMNS)
    if tx_file is None or obs_file is None or "day" not in obs_file.header or "date" in obs_file.header:
        return None
    import contextlib
    import tempfile

    import duckdb

    con.execute("SET preserve_insertion_order = true")
    loaded = False
    try:
        files = (("transplants", transplants, tx_file), ("observations", observations, obs_file))
        for table, path, plain in files:
            raw = f"CREATE OR REPLACE TEMP TABLE raw_{table} AS SELECT * FROM {_scan(plain.header).sql('duckdb')}"
            with contextlib.ExitStack() as copies:
                source = path
                if plain.mixed:
                    folder = copies.enter_context(tempfile.TemporaryDirectory(prefix="graftkg-", dir=scratch))
                    source = _line_feeds_only(path, folder)
                try:
                    con.execute(raw, [str(source)])
                except duckdb.Error:  # a row of another width, say
                    return None
            read = con.execute(select(fn("count", exp.Star())).from_(f"raw_{table}").sql("duckdb")).fetchone()
            if read is None or read[0] != plain.rows:  # DuckDB passed over a line (a blank one, say)
                return None
            typed = _typed(table, tuple(plain.header), plain.spaces)
            con.execute(f"CREATE OR REPLACE TEMP TABLE read_{table} AS {typed}")
        # ``seq``, the row's place in its file, orders transplants and each one's observations as the
        # records do; the tables hold the rows read (blank ones left out), then the transplants loaded
        _views(con, None)
        left = _left(con)
        if left is None:
            return None
        _table_of_ids(con, "left_ids", sorted(left))
        queries = _left_rows()
        counted = sum(
            con.execute(select(fn("count", exp.Star())).from_(q.subquery()).sql("duckdb")).fetchone()[0]
            for q in queries
        )
        if most_left is not None and counted > most_left:
            return None
        left_rows: tuple[list[tuple[int, list[str]]], list[tuple[int, list[str]]]] = ([], [])
        if counted:
            left_rows = (_split(con, queries[0]), _split(con, queries[1]))
            _views(con, "left_ids")
        for table in ("raw_transplants", "raw_observations"):  # the rows as text are of no more use
            con.execute(f'DROP TABLE "{table}"')
        loaded = True
        paths = (str(transplants), tx_file.header), (str(observations), obs_file.header)
        return Left(frozenset(left), paths, left_rows)
    finally:
        if not loaded:
            drop_loaded(con)
        con.execute("SET preserve_insertion_order = false")


def _views(con: Any, left: str | None) -> None:
    """(Re)make ``transplants`` and ``observations`` from the rows read: without ``left``, views of
    every row but the blank ones; with it (a table of ids), tables of the transplants not in it and
    of the observations of those (made once, rather than filtered at every read), the rows read then
    dropped."""
    kept = not_(col("blank"))
    if left is not None:  # (a row without an identifier is stray)
        listed = exp.In(this=col("transplant_id"), query=select(col("id")).from_(left).subquery())
        kept = and_(kept, not_null(col("transplant_id")), not_(listed))
    for table, columns in (("transplants", TABLE_TRANSPLANT_COLUMNS), ("observations", TABLE_OBSERVATION_COLUMNS)):
        drop_table(con, table)
        query = select(*(col(c) for c in columns)).from_(f"read_{table}").where(kept)
        if left is None:
            con.execute(f'CREATE VIEW "{table}" AS {query.sql("duckdb")}')
            continue
        if table == "observations":  # rows naming no transplant loaded are not loaded
            known = select(col("transplant_id")).from_("transplants")
            query = query.where(exp.In(this=col("transplant_id"), query=known.subquery()))
        con.execute(f'CREATE TABLE "{table}" AS {query.sql("duckdb")}')
        con.execute(f'DROP TABLE "read_{table}"')


def drop_loaded(con: Any) -> None:
    """Drop what :func:`load_partly` made."""
    for table in ("transplants", "observations"):
        drop_table(con, table)
    for table in ("raw_transplants", "raw_observations", "read_transplants", "read_observations", "left_ids"):
        con.execute(f'DROP TABLE IF EXISTS "{table}"')


def _left_rows() -> tuple[exp.Select, exp.Select]:
    """The queries of the rows of ``transplants.csv`` and ``observations.csv`` that :func:`load_partly`
    leaves: those of the transplants left (table ``left_ids``) and the stray ones, each ``seq`` and
    its cells as DuckDB split them, in the file's order."""
    ids = exp.In(this=col("transplant_id"), query=select(col("id")).from_("left_ids").subquery())
    known = (
        select(col("transplant_id"))
        .from_("read_transplants")
        .where(and_(not_(col("blank")), not_null(col("transplant_id"))))
    )
    stray_obs = or_(is_null(col("transplant_id")), not_(exp.In(this=col("transplant_id"), query=known.subquery())))
    out: list[exp.Select] = []
    for table, wanted in (
        ("transplants", or_(ids, is_null(col("transplant_id")))),
        ("observations", or_(ids, stray_obs)),
    ):
        seqs = select(col("seq")).from_(f"read_{table}").where(and_(not_(col("blank")), wanted))
        out.append(
            select(alias(col("rowid"), "seq"), exp.Star())
            .from_(f"raw_{table}")
            .where(exp.In(this=col("rowid"), query=seqs.subquery()))
            .order_by(col("rowid"))
        )
    return out[0], out[1]


def _split(con: Any, query: exp.Select) -> list[tuple[int, list[str]]]:
    """The rows of a query of :func:`_left_rows` as the record reader splits rows: ``(line, stripped cells)``."""
    rows = con.execute(query.sql("duckdb")).fetchall()
    return [(seq + 2, ["" if c is None else c.strip() for c in cells]) for seq, *cells in rows]


def _table_of_ids(con: Any, name: str, ids: list[str]) -> None:
    query = select(alias(fn("unnest", exp.cast(exp.Placeholder(), "VARCHAR[]")), "id"))
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {query.sql("duckdb")}', [ids])


def _left(con: Any) -> set[str] | None:
    """The transplants the record reader is to read (see :func:`load_partly`), over the views
    ``transplants`` and ``observations`` of the rows read (blank ones left out); None when a
    transplant has more observations than the record reader takes (it reads such a bundle row by
    row, and stops each such series at the bound: the whole bundle is its to read)."""
    most = select(fn("max", col("n"))).from_(
        select(alias(fn("count", exp.Star()), "n")).from_("observations").group_by(col("transplant_id")).subquery()
    )
    found = con.execute(most.sql("duckdb")).fetchone()[0]
    if found is not None and found > MAX_OBSERVATIONS:
        return None
    queries = [
        select(col("transplant_id"))
        .from_("read_transplants")
        .where(and_(col("unsure"), not_null(col("transplant_id")))),
        select(col("transplant_id"))
        .from_("read_observations")
        .where(and_(col("unsure"), not_null(col("transplant_id")))),
        select(col("transplant_id"))
        .from_("transplants")
        .group_by(col("transplant_id"))
        .having(gt(fn("count", exp.Star()), num(1))),
    ]
    impossible = _impossible()
    if impossible:
        queries.append(
            select(col("transplant_id", "t"))
            .from_("transplants AS t")
            .join("observations AS o", on=eq(col("transplant_id", "o"), col("transplant_id", "t")), join_type="left")
            .where(or_(*impossible))
        )
    left: set[str] = set()
    for query in queries:
        left.update(tid for (tid,) in con.execute(query.sql("duckdb")).fetchall())
    if left:
        _close(con, left)
    return left


def _close(con: Any, left: set[str]) -> None:
    """Add to ``left`` every transplant linked to one in it, through a patient or a prior transplant,
    until none is (so that the facts of what is loaded never reach what is left, nor the other way)."""
    pid = next(f.name for f in RECORD_FIELDS if f.spec.entity == "patient" and f.spec.kind == "id")
    prior = next(f.name for f in RECORD_FIELDS if f.spec.kind == "ref")
    rows = con.execute(
        select(col("transplant_id"), col(pid), col(prior))
        .from_("transplants")
        .where(not_null(col("transplant_id")))
        .sql("duckdb")
    ).fetchall()
    linked: dict[tuple[str, str], set[tuple[str, str]]] = {}

    def link(a: tuple[str, str], b: tuple[str, str]) -> None:
        linked.setdefault(a, set()).add(b)
        linked.setdefault(b, set()).add(a)

    for tid, patient, before in rows:
        if patient is not None:
            link(("transplant", tid), ("patient", patient))
        if before is not None:
            link(("transplant", tid), ("transplant", before))
    todo = [("transplant", tid) for tid in left]
    seen = set(todo)
    while todo:
        for other in linked.get(todo.pop(), ()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    left.update(name for kind, name in seen if kind == "transplant")
