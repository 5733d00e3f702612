"""The registry CSV bundle: ``transplants.csv`` (one row per transplant) + ``observations.csv`` (one per value)."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Container, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from graftkg.errors import InputError, excerpt, read_input_bytes
from graftkg.model import RECORD_FIELDS, Observation, TransplantRecord
from graftkg.readers.refusals import Refusals
from graftkg.readers.units import units as measure_units
from graftkg.semantics.facts import OBSERVATION_MEASURES
from graftkg.semantics.vocabulary import vocabulary

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: transplants.csv column -> the record field it fills (each field's declaration, :data:`RECORD_FIELDS`)
FIELD_OF_COLUMN = {f.column: f for f in RECORD_FIELDS if f.column}
TRANSPLANT_COLUMNS = sorted(FIELD_OF_COLUMN)
#: the columns of observations.csv; each row gives its ``day`` or its ``date`` (one of them is required)
OBSERVATION_COLUMNS = ["transplant_id", "day", "date", "measure", "value", "lineage", "method", "unit"]
REQUIRED_OBSERVATION_COLUMNS = ["transplant_id", "measure", "value"]
#: the columns the CSV writer writes (days, never dates: a day is what every record holds)
WRITTEN_OBSERVATION_COLUMNS = ["transplant_id", "day", "measure", "value", "lineage", "method", "unit"]


def _table(
    path: Path,
    expected: list[str],
    required: list[str],
    skip: Callable[[str], bool] | None = None,
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Check a CSV file's encoding, delimiter and header; return the header and ``(line, stripped cells)`` rows.

    ``skip`` leaves out the rows whose ``transplant_id`` cell it accepts (after the rows before them
    are checked).
    """
    name = str(path)
    data = read_input_bytes(name)
    if not data.strip():
        raise InputError("file is empty (expected a header row)", path=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", path=name, line=line) from None
    del data
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError("contains a NUL byte: not a text CSV file", path=name, line=line)
    reader = csv.reader(_lines(text), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=name, line=1) from None
    if len(header) == 1 and header[0] not in expected:
        if any(d in header[0] for d in ";\t|"):
            raise InputError("wrong delimiter: columns must be separated by ','", path=name, line=1)
        # one unknown cell: not a header at all (the file may be anything: its text is not echoed)
        raise InputError("the first line is not a header of known columns (such as transplant_id)", path=name, line=1)
    for column in header:
        if column not in expected:
            raise InputError(f"unknown column (known: {', '.join(expected)})", path=name, line=1, field=excerpt(column))
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise InputError("column appears twice", path=name, line=1, field=dup)
    for column in required:
        if column not in header:
            raise InputError("required column missing", path=name, line=1, field=column)
    rows = _cells(reader, name, len(header))
    if skip is not None:
        rows = _unskipped(rows, header.index("transplant_id"), skip)
    return header, rows


#: a line and its break, as a text file opened with ``newline=""`` gives it (``\r\n``, ``\r`` or ``\n``)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(text: str) -> Iterator[str]:
    r"""The lines of ``text`` one at a time, as ``io.StringIO(text, newline="")`` gives them, without
    its copy of the whole text (four bytes a character: a large file would take four times its size).

    Example:
        >>> list(_lines("a,b\r\nc\rd\n\ne"))
        ['a,b\r\n', 'c\r', 'd\n', '\n', 'e']
    """
    for match in _LINE.finditer(text):
        yield match.group()


def _unskipped(
    rows: Iterator[tuple[int, list[str]]], at: int, skip: Callable[[str], bool]
) -> Iterator[tuple[int, list[str]]]:
    """The ``rows`` whose cell ``at`` ``skip`` does not accept, read one at a time (so that a later
    row's error never comes first)."""
    for line, cells in rows:
        if not skip(cells[at]):
            yield line, cells


def _cells(reader: Any, name: str, width: int) -> Iterator[tuple[int, list[str]]]:
    try:
        for row in reader:
            if len(row) != width:
                if not row or all(not c.strip() for c in row):
                    continue
                raise InputError(f"row has {len(row)} cells, header has {width}", path=name, line=reader.line_num)
            cells = [c.strip() for c in row]
            if any(cells):
                yield reader.line_num, cells
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=name, line=reader.line_num) from None


#: sets a record field (in ``values``) from a non-empty cell of one column, or raises on a bad cell
_CellReader = Callable[[dict[str, Any], int, str], None]


def _transplant_parser(
    header: list[str], path: str
) -> Callable[[int, list[str], list[InputError] | None], TransplantRecord]:
    """A parser of ``transplants.csv`` rows with this header: ``(line, cells, errors) -> TransplantRecord``.

    Each column's reader is chosen once, from the header; cells are read in header order. With
    ``errors`` None the first bad cell of a row raises; with a list, each bad cell's error is put in
    it and the record is made without that cell (an empty identifier always raises).

    Example:
        >>> parse = _transplant_parser(["transplant_id", "graft_source", "death_day"], "t.csv")
        >>> record = parse(2, ["T1", "PB", "40"], None)
        >>> record.graft_source, record.death_day, record.line
        ('PB', 40, 2)
        >>> errors = []
        >>> parse(3, ["T2", "PBSC", "forty"], errors).graft_source, [e.field for e in errors]
        ('PBSC', ['death_day'])

    (An unknown code is read as written: whether a record may hold it is checked on the record, see
    :mod:`graftkg.readers.rules`.)
    """
    readers = [(i, cell_reader(column, path)) for i, column in enumerate(header) if column != "transplant_id"]
    i_tid = header.index("transplant_id")

    def parse(line: int, cells: list[str], errors: list[InputError] | None) -> TransplantRecord:
        tid = cells[i_tid]
        if not tid:
            raise InputError("transplant_id is empty", path=path, line=line, field="transplant_id")
        values: dict[str, Any] = {}
        for i, read in readers:
            cell = cells[i]
            if cell:
                if errors is None:
                    read(values, line, cell)
                    continue
                try:
                    read(values, line, cell)
                except InputError as exc:
                    errors.append(exc)
        record = TransplantRecord(tid, source=path, line=line)
        for name, value in values.items():  # not **values: matching keywords costs more than the rest
            setattr(record, name, value)
        return record

    return parse


def cell_reader(column: str, path: str) -> _CellReader:
    """The reader of one ``transplants.csv`` column (see :func:`_transplant_parser`).

    A cell that is not what its column holds (a number, a day or 'never', yes or no) raises. A code is
    read as the code it names (see :meth:`~graftkg.semantics.vocabulary.Vocabulary.code_for`), and kept as
    written when it names none: whether a record may hold it is a rule of its content, checked once
    the record is read (:mod:`graftkg.readers.rules`).
    """
    vocab = vocabulary()
    declared = FIELD_OF_COLUMN[column]
    name, kind = declared.name, declared.spec.kind

    parsed: dict[str, Any] = {}  # cells read so far: ages, doses and days repeat across rows

    if kind == "int":

        def integer(values: dict[str, Any], line: int, cell: str) -> None:
            values[name] = _parse_cell(parsed, cell, _INT.match, int, "is not a whole number", path, line, column)

        return integer
    if kind == "float":

        def number(values: dict[str, Any], line: int, cell: str) -> None:
            values[name] = _parse_cell(parsed, cell, _NUMBER.match, float, "is not a number", path, line, column)

        return number
    if kind == "day_or_never":
        never = declared.spec.never
        assert never is not None

        def day_or_never(values: dict[str, Any], line: int, cell: str) -> None:
            if cell.lower() == "never":
                values[never] = True
            else:
                values[name] = _parse_cell(parsed, cell, _INT.match, int, "is not a whole number", path, line, column)

        return day_or_never
    if kind == "date":

        def calendar_date(values: dict[str, Any], line: int, cell: str) -> None:
            values[name] = _parse_date(parsed, cell, path, line, column)

        return calendar_date
    if kind == "bool":

        def boolean(values: dict[str, Any], line: int, cell: str) -> None:
            if cell.lower() not in ("yes", "no", "true", "false"):
                raise InputError(f"'{excerpt(cell)}' is not yes or no", path=path, line=line, field=column)
            values[name] = cell.lower() in ("yes", "true")

        return boolean
    if kind == "codes":

        def codes(values: dict[str, Any], line: int, cell: str) -> None:
            items = []
            for text in cell.split(";"):
                item = text.strip()
                if item:
                    code = vocab.code_for(name, item)
                    items.append(item if code is None else code)
            values[name] = items

        return codes
    if kind == "code":

        def code(values: dict[str, Any], line: int, cell: str) -> None:
            code = vocab.code_for(name, cell)
            values[name] = cell if code is None else code

        return code

    def text(values: dict[str, Any], line: int, cell: str) -> None:  # id, ref, text
        values[name] = cell

    return text


#: the most observations one transplant may have. A registry record holds a few thousand (ten
#: measures a day for years); a million rows for one patient is an export gone wrong, and reading it
#: would take memory in proportion to the rows of one transplant rather than to the work
MAX_OBSERVATIONS = 100_000

#: the longest number cell read (more is a typing or export error, not a measurement)
_DIGITS = 64

#: how many distinct day and value cells an observation parser keeps (read again when more)
_PARSED_CELLS = 1 << 16


def _parse_cell(
    cache: dict[str, Any],
    text: str,
    valid: Callable[[str], object],
    convert: Callable[[str], Any],
    problem: str,
    path: str,
    line: int,
    field: str,
    errors: list[InputError] | None = None,
) -> Any:
    """The value of a cell: from ``cache`` when read before, else read (raising ``'text' problem`` when
    ``valid`` rejects it) and kept. With ``errors``, the error is put there and the value is None (see
    :func:`_problem`). (The observation parser looks in its caches itself first.)

    Example:
        >>> cache = {}
        >>> _parse_cell(cache, "7.5", _NUMBER.match, float, "is not a number", "t.csv", 2, "age"), cache
        (7.5, {'7.5': 7.5})
    """
    value = cache.get(text)
    if value is not None:
        return value
    wrong = None
    if not valid(text):
        wrong = problem
    elif len(text) > _DIGITS:  # int() refuses 4,300 digits; float() makes 400 of them infinite
        wrong = "has too many digits"
    else:
        value = convert(text)
        if not math.isfinite(value):
            wrong = "is not a finite number"
    if wrong is not None:
        error = InputError(f"'{excerpt(text)}' {wrong}", path=path, line=line, field=field)
        _problem(errors, error)
        return None
    if len(cache) < _PARSED_CELLS:
        cache[text] = value
    return value


def _parse_date(
    cache: dict[str, Any], text: str, path: str, line: int, field: str, errors: list[InputError] | None = None
) -> date | None:
    """The calendar date of an ISO 8601 ``YYYY-MM-DD`` cell (from ``cache`` when read before); else
    raises, or with ``errors`` puts the error there and gives None (see :func:`_problem`).

    Example:
        >>> _parse_date({}, "2024-02-29", "t.csv", 2, "infusion_date")
        datetime.date(2024, 2, 29)
        >>> _parse_date({}, "2023-02-29", "t.csv", 2, "infusion_date")
        Traceback (most recent call last):
        graftkg.errors.InputError: t.csv:2: field 'infusion_date': '2023-02-29' is not a date (YYYY-MM-DD)
    """
    value = cache.get(text)
    if value is not None:
        return value  # type: ignore[no-any-return]
    try:
        value = date.fromisoformat(text) if _DATE.match(text) else None
    except ValueError:
        value = None
    if value is None:
        _problem(errors, InputError(f"'{excerpt(text)}' is not a date (YYYY-MM-DD)", path=path, line=line, field=field))
        return None
    if len(cache) < _PARSED_CELLS:
        cache[text] = value
    return value


def observation_parser(
    header: list[str], path: str, records: dict[str, TransplantRecord] | None = None
) -> Callable[[int, list[str], list[InputError] | None], tuple[str, Observation] | None]:
    """A parser of ``observations.csv`` rows with this header: ``(line, cells, errors) -> (id, Observation)``.

    With a ``date`` column, the rows are read by :func:`_dated_parser` (which needs ``records``, for
    their infusion dates); without it, by the plain parser here.

    With ``errors`` None the first bad cell of a row raises. With a list, the error of each bad cell
    is put in it and the row gives None (an unknown measure ends the row's reading: its value cannot
    be judged without it); an empty identifier always raises.

    Example:
        >>> parse = observation_parser(["transplant_id", "day", "measure", "value"], "o.csv")
        >>> tid, obs = parse(2, ["T1", "14", "ANC", "0.6"], None)
        >>> tid, obs.day, obs.value
        ('T1', 14, 0.6)
        >>> errors = []
        >>> parse(3, ["T1", "x", "ANC", "y"], errors), [e.field for e in errors]
        (None, ['day', 'value'])
    """
    if "date" in header:
        return _dated_parser(header, path, {} if records is None else records)
    vocab = vocabulary()
    at = {column: header.index(column) for column in header}
    i_tid, i_day, i_measure, i_value = at["transplant_id"], at["day"], at["measure"], at["value"]
    i_lineage, i_method, i_unit = at.get("lineage"), at.get("method"), at.get("unit")
    # each measure (and unit) is one shared string object: the comparisons and dictionary lookups of
    # the later steps then answer by identity (a split makes a new string for every cell)
    known_measures = {m: m for m in OBSERVATION_MEASURES}
    units: dict[str, str] = {}
    convert = measure_units().converter()  # a value in another UCUM unit, into its measure's
    number, integer = _NUMBER.match, _INT.match
    days: dict[str, int] = {}  # cells read so far: days and values repeat across a file's rows
    values: dict[str, float] = {}

    def parse(line: int, cells: list[str], errors: list[InputError] | None) -> tuple[str, Observation] | None:
        tid = cells[i_tid]
        if not tid:
            raise InputError("transplant_id is empty", path=path, line=line, field="transplant_id")
        found = 0 if errors is None else len(errors)
        cell = cells[i_measure]
        measure = known_measures.get(cell)
        if measure is None:
            _problem(
                errors,
                InputError(
                    f"unknown measure '{excerpt(cell)}' (known: {', '.join(sorted(OBSERVATION_MEASURES))})",
                    path=path,
                    line=line,
                    field="measure",
                ),
            )
            return None
        text = cells[i_day]
        day: int | None = None
        if text:
            day = days.get(text)
            if day is None:
                day = _parse_cell(days, text, integer, int, "is not a whole number", path, line, "day", errors)
        cell = cells[i_value]
        obs = Observation(day, measure, None, None, None, None, None, line, path)
        if measure == "infection":
            if cell:
                obs.code = vocab.code_for("infection", cell) or cell
        elif cell:
            value = values.get(cell)
            if value is None:
                value = _parse_cell(values, cell, number, float, "is not a number", path, line, "value", errors)
            obs.value = value
        if i_lineage is not None and cells[i_lineage]:
            lineage = cells[i_lineage]
            if measure != "donor_chimerism_pct":
                _problem(errors, _not_for(measure, "lineage", "a lineage is given for donor_chimerism_pct", path, line))
            obs.lineage = vocab.code_for("lineage", lineage) or lineage
        if i_method is not None and cells[i_method]:
            method = cells[i_method]
            if measure == "donor_chimerism_pct":
                obs.method = method
            else:  # a lab count's method is how it was calculated (none for a count measured as such)
                code = vocab.code_for("calculation", method)
                if code is None or vocab.calculates.get(code) != measure:
                    known = sorted(c for c, m in vocab.calculates.items() if m == measure)
                    _problem(
                        errors,
                        _not_for(
                            measure,
                            "method",
                            f"a method is the assay of donor_chimerism_pct, or how a lab count was calculated"
                            f" ({measure}: {', '.join(known) or 'none'})",
                            path,
                            line,
                            method,
                        ),
                    )
                obs.method = code or method
        if i_unit is not None and cells[i_unit]:
            unit = cells[i_unit]
            shared = units.get(unit)
            if shared is None and len(units) < _PARSED_CELLS:
                shared = units[unit] = unit
            obs.unit = unit if shared is None else shared
            converted = convert(measure, obs.value, obs.unit)
            if converted is not None:  # else kept as given, for the rules to refuse (and the shapes)
                obs.value, obs.unit = converted
        if errors is not None and len(errors) > found:
            return None
        return tid, obs

    return parse


def _not_for(measure: str, field: str, rule: str, path: str, line: int, value: str | None = None) -> InputError:
    """The error of a ``lineage`` or ``method`` cell a row of ``measure`` cannot have."""
    given = f" '{excerpt(value)}'" if value is not None else ""
    return InputError(f"{field}{given} does not apply to {measure}: {rule}", path=path, line=line, field=field)


def _dated_parser(
    header: list[str], path: str, records: dict[str, TransplantRecord]
) -> Callable[[int, list[str], list[InputError] | None], tuple[str, Observation] | None]:
    """:func:`observation_parser` for a file with a ``date`` column (and maybe a ``day`` column).

    A row gives its ``day`` or its ``date``, not both; a date is read as the day
    ``date - infusion_date`` of its transplant, which must give an ``infusion_date``. The rows of one
    transplant give all their days, or all their dates (a row with neither, an undated DSA test, is
    either). A row naming a transplant not in ``records`` is left to the caller, which raises for it.

    Example:
        >>> records = {"T1": TransplantRecord("T1", infusion_date=date(2024, 2, 20))}
        >>> parse = _dated_parser(["transplant_id", "date", "measure", "value"], "o.csv", records)
        >>> tid, obs = parse(2, ["T1", "2024-03-05", "ANC", "0.6"], None)
        >>> tid, obs.day, obs.value
        ('T1', 14, 0.6)
        >>> errors = []
        >>> parse(3, ["T2", "2024-03-05", "ANC", "0.6"], errors)[1].day, errors  # T2 is not a transplant
        (None, [])
    """
    i_tid, i_date = header.index("transplant_id"), header.index("date")
    i_day = header.index("day") if "day" in header else None
    # the plain parser reads the rest of the row; a file without a day column is given an empty one
    plain = observation_parser([c for c in header if c != "date"] + ([] if i_day is not None else ["day"]), path)
    keep = [i for i, c in enumerate(header) if c != "date"]
    dates: dict[str, date] = {}
    form: dict[str, tuple[str, int]] = {}  # transplant -> the form of its first dated row ("day"/"date"), its line

    def parse(line: int, cells: list[str], errors: list[InputError] | None) -> tuple[str, Observation] | None:
        tid, text = cells[i_tid], cells[i_date]
        rest = [cells[i] for i in keep] if i_day is not None else [*(cells[i] for i in keep), ""]
        day_text = cells[i_day] if i_day is not None else ""
        found = 0 if errors is None else len(errors)
        record = records.get(tid) if tid else None
        day: int | None = None
        used = "date" if text else "day" if day_text else None
        if text and day_text:
            _problem(errors, InputError("give the day or the date, not both", path=path, line=line, field="date"))
            used = None
        elif text and record is not None:
            when = _parse_date(dates, text, path, line, "date", errors)
            if record.infusion_date is None:
                _problem(
                    errors,
                    InputError(
                        f"transplant '{excerpt(tid)}' has no infusion_date in transplants.csv: a date needs it",
                        path=path,
                        line=line,
                        field="date",
                    ),
                )
            elif when is not None:
                day = (when - record.infusion_date).days
        if used is not None and record is not None:
            first = form.setdefault(tid, (used, line))
            if first[0] != used:
                _problem(
                    errors,
                    InputError(
                        f"transplant '{excerpt(tid)}' gives its observations by {first[0]} (line {first[1]}): "
                        f"this row gives a {used}",
                        path=path,
                        line=line,
                        field=used,
                    ),
                )
        parsed = plain(line, rest, errors)
        if parsed is None or (errors is not None and len(errors) > found):
            return None
        if day is not None:
            parsed[1].day = day
        return parsed

    return parse


def _problem(errors: list[InputError] | None, error: InputError) -> None:
    """Raise ``error``, or put it in ``errors`` when the reader goes on past bad cells."""
    if errors is None:
        raise error
    errors.append(error)


def read_bundle(
    transplants: Path,
    observations: Path,
    progress: Callable[[int], None] | None = None,
    *,
    refusals: Refusals | None = None,
) -> list[TransplantRecord]:
    """Read a CSV bundle. Raises :class:`InputError` naming file, line and field on the first problem.

    This parses what each cell *is*: unusable input (encoding, delimiter, cells that are not numbers,
    unknown columns or measures, duplicate identifiers, rows of the wrong width) raises. What a record
    may *hold* (codes in their value sets, impossible values...) is not checked here:
    :func:`~graftkg.readers.read_inputs` applies those rules (:mod:`graftkg.readers.rules`) to the
    records of every format, or, for validation, leaves them to the shapes.

    With ``refusals``, a bad row or cell raises only if the file itself is unusable (its encoding,
    header, or a row of the wrong width); otherwise its error goes to ``refusals`` and the reading
    goes on (see :class:`~graftkg.readers.refusals.Refusals`).

    Example:
        >>> records = read_bundle(Path("examples/paper-patients/csv/transplants.csv"),
        ...                       Path("examples/paper-patients/csv/observations.csv"))
        >>> records[0].graft_source, len(records[0].observations)
        ('PB', 22)
    """
    records = read_transplants(transplants, observations, refusals=refusals)
    read_observations(observations, records, progress=progress, refusals=refusals)
    return list(records.values())


def read_transplants(
    transplants: Path, observations: Path, *, refusals: Refusals | None = None
) -> dict[str, TransplantRecord]:
    """The first half of :func:`read_bundle`: the records of ``transplants.csv``, by identifier, without
    their observations (``observations`` must exist; it is read by :func:`read_observations`).

    Example:
        >>> folder = Path("examples/paper-patients/csv")
        >>> records = read_transplants(folder / "transplants.csv", folder / "observations.csv")
        >>> records["P1-T1"].graft_source, records["P1-T1"].observations
        ('PB', [])
    """
    tpath, opath = str(transplants), str(observations)
    if not observations.is_file():
        raise InputError(
            "observations.csv not found (a bundle needs both files; it may hold only a header)", path=opath
        )
    header, rows = _table(transplants, TRANSPLANT_COLUMNS, ["transplant_id"])
    return _transplant_records(header, rows, tpath, refusals)


def _transplant_records(
    header: list[str], rows: Iterable[tuple[int, list[str]]], tpath: str, refusals: Refusals | None
) -> dict[str, TransplantRecord]:
    """The records of the rows of ``transplants.csv`` (``(line, stripped cells)``), by identifier."""
    records: dict[str, TransplantRecord] = {}
    parse = _transplant_parser(header, tpath)
    if refusals is None:
        for line, cells in rows:
            record = parse(line, cells, None)
            if record.transplant_id in records:
                raise _duplicate(record.transplant_id, records[record.transplant_id].line, tpath, line)
            records[record.transplant_id] = record
        return records
    first_line: dict[str, int] = {}  # every identifier read, refused or not
    for line, cells in rows:
        errors: list[InputError] = []
        try:
            record = parse(line, cells, errors)
        except InputError as exc:  # no identifier: the row names no transplant
            refusals.add(exc, None)
            continue
        tid = record.transplant_id
        if tid in first_line:
            refusals.add(_duplicate(tid, first_line[tid], tpath, line), tid)
            if tid in refusals.refused:
                records.pop(tid, None)
            continue
        first_line[tid] = line
        for error in errors:
            refusals.add(error, tid)
        if tid not in refusals.refused:
            records[tid] = record
    return records


def read_observations(
    observations: Path,
    records: dict[str, TransplantRecord],
    *,
    owned: Container[str] | None = None,
    progress: Callable[[int], None] | None = None,
    refusals: Refusals | None = None,
) -> None:
    """The second half of :func:`read_bundle`: append each row of ``observations.csv`` to its record.

    With ``owned``, only the rows of those transplants are parsed, checked and appended; the rows of
    the other transplants of ``records`` are passed over (the file's encoding and header are still
    checked), and a row naming no transplant of ``records`` raises as always. Processes that each own
    a share of the transplants therefore read one file in parallel: each raises the first error of
    the rows it reads, so the first of their errors, by line, is the error :func:`read_bundle` raises.

    With ``refusals``, a bad row goes there instead of raising: without ``keep_records`` its
    transplant is refused (removed from ``records``, and its other rows passed over); with it, the row
    is left out. A row naming a transplant that is not in ``records`` (nor refused) is such a row.

    Example:
        >>> folder = Path("examples/paper-patients/csv")
        >>> records = read_transplants(folder / "transplants.csv", folder / "observations.csv")
        >>> read_observations(folder / "observations.csv", records, owned={"P1-T1"})
        >>> len(records["P1-T1"].observations), len(records["P1-T2"].observations)
        (22, 0)
    """
    opath = str(observations)

    last: list[object] = [None, False]  # a transplant's rows tend to follow each other: its last answer

    def others(tid: str) -> bool:  # a row of a transplant someone else reads
        if tid != last[0]:
            last[:] = tid, tid not in owned and tid in records  # type: ignore[operator]
        return last[1]  # type: ignore[return-value]

    header, rows = _table(
        observations, OBSERVATION_COLUMNS, REQUIRED_OBSERVATION_COLUMNS, None if owned is None else others
    )
    if "day" not in header and "date" not in header:
        raise InputError("required column missing", path=opath, line=1, field="day")
    parse = observation_parser(header, opath, records)
    if refusals is not None:
        _read_observations_past_errors(rows, parse, records, opath, header.index("transplant_id"), refusals, progress)
        return
    for n, (line, cells) in enumerate(rows):
        tid, obs = parse(line, cells, None)  # type: ignore[misc]  # without errors, a row always gives one
        found = records.get(tid)
        if found is None:
            raise _not_a_transplant(tid, opath, line)
        found.observations.append(obs)
        if len(found.observations) > MAX_OBSERVATIONS:
            raise _too_many(tid, opath, line)
        if progress is not None and n % 500_000 == 0 and n:
            progress(n)


def read_rows(
    transplants: tuple[str, list[str], Iterable[tuple[int, list[str]]]],
    observations: tuple[str, list[str], Iterable[tuple[int, list[str]]]],
    refusals: Refusals,
) -> dict[str, TransplantRecord]:
    """The records of rows of a bundle already split into cells, read as :func:`read_bundle` reads
    the rows of its files (with ``refusals``): each file as ``(path, header, rows)``, its rows
    ``(line, stripped cells)`` in the file's order, the rows of no use (blank ones) left out. A
    reader of the bundle that splits the files itself gives the record reader only the rows it
    cannot read alike (:mod:`graftkg.columnar.bundle`); the checks of the files themselves (their
    encoding, header and row widths) are then the caller's.

    Example:
        >>> from graftkg.readers.refusals import Refusals
        >>> refusals = Refusals(keep_records=True)
        >>> records = read_rows(("t.csv", ["transplant_id", "graft_source"], [(2, ["T1", "PB"])]),
        ...                     ("o.csv", ["transplant_id", "day", "measure", "value"], [(2, ["T1", "x", "ANC", "1"])]),
        ...                     refusals)
        >>> records["T1"].graft_source, records["T1"].observations, refusals.lines()
        ('PB', [], ["transplant T1: o.csv:2: field 'day': 'x' is not a whole number"])
    """
    tpath, t_header, t_rows = transplants
    opath, o_header, o_rows = observations
    records = _transplant_records(t_header, t_rows, tpath, refusals)
    parse = observation_parser(o_header, opath, records)
    _read_observations_past_errors(o_rows, parse, records, opath, o_header.index("transplant_id"), refusals, None)
    return records


def _duplicate(tid: str, first: int | None, path: str, line: int) -> InputError:
    return InputError(
        f"duplicate transplant_id '{excerpt(tid)}' (first on line {first})", path=path, line=line, field="transplant_id"
    )


def _not_a_transplant(tid: str, path: str, line: int) -> InputError:
    return InputError(
        f"transplant_id '{excerpt(tid)}' is not in transplants.csv", path=path, line=line, field="transplant_id"
    )


def _too_many(tid: str, path: str, line: int) -> InputError:
    return InputError(
        f"transplant '{excerpt(tid)}' has more than {MAX_OBSERVATIONS:,} observations: a series this long is "
        "not one patient's record (the rows after this one are not read)",
        path=path,
        line=line,
        field="transplant_id",
    )


def _read_observations_past_errors(
    rows: Iterable[tuple[int, list[str]]],
    parse: Callable[[int, list[str], list[InputError] | None], tuple[str, Observation] | None],
    records: dict[str, TransplantRecord],
    opath: str,
    i_tid: int,
    refusals: Refusals,
    progress: Callable[[int], None] | None,
) -> None:
    """:func:`read_observations` with ``refusals``."""
    refused = refusals.refused
    full: set[str] = set()  # transplants that reached MAX_OBSERVATIONS
    for n, (line, cells) in enumerate(rows):
        if progress is not None and n % 500_000 == 0 and n:
            progress(n)
        tid = cells[i_tid]
        if tid in refused:
            continue
        errors: list[InputError] = []
        try:
            parsed = parse(line, cells, errors)
        except InputError as exc:  # no identifier: the row names no transplant
            refusals.add(exc, None)
            continue
        found = records.get(tid)
        if found is None:
            refusals.add(_not_a_transplant(tid, opath, line), None)
            continue
        if parsed is None:
            for error in errors:
                refusals.add(error, tid)
            if tid in refused:
                del records[tid]
            continue
        if len(found.observations) >= MAX_OBSERVATIONS:
            if tid not in full:  # listed once; kept (validation) with the rows before it, or refused
                full.add(tid)
                refusals.add(_too_many(tid, opath, line), tid)
                if tid in refused:
                    del records[tid]
            continue
        found.observations.append(parsed[1])


def write_bundle_records(records: Iterable[TransplantRecord], outdir: str | Path) -> Path:
    """Write ``records`` as a CSV bundle that :func:`read_bundle` reads back as the same records.

    Example:
        >>> import tempfile
        >>> folder = Path("examples/paper-patients/csv")
        >>> records = read_bundle(folder / "transplants.csv", folder / "observations.csv")
        >>> out = write_bundle_records(records, tempfile.mkdtemp())
        >>> again = read_bundle(out / "transplants.csv", out / "observations.csv")
        >>> [(r.transplant_id, r.graft_source, len(r.observations)) for r in again] == [
        ...     (r.transplant_id, r.graft_source, len(r.observations)) for r in records]
        True
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with (
        (out / "transplants.csv").open("w", newline="", encoding="utf-8") as tf,
        (out / "observations.csv").open("w", newline="", encoding="utf-8") as of,
    ):
        transplants = csv.writer(tf, lineterminator="\n")
        observations = csv.writer(of, lineterminator="\n")
        transplants.writerow(TRANSPLANT_COLUMNS)
        observations.writerow(WRITTEN_OBSERVATION_COLUMNS)
        for r in records:
            transplants.writerow([cell_of(r, column) for column in TRANSPLANT_COLUMNS])
            for o in r.observations:
                value = o.code if o.measure == "infection" else o.value
                observations.writerow(
                    [r.transplant_id, *(_text(v) for v in (o.day, o.measure, value, o.lineage, o.method, o.unit))]
                )
    return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def cell_of(record: TransplantRecord, column: str) -> str:
    declared = FIELD_OF_COLUMN[column]
    value = getattr(record, declared.name)
    if declared.spec.never is not None and getattr(record, declared.spec.never):
        if value is not None:  # one cell holds a day or "never": writing one would drop the other
            raise ValueError(f"transplant {record.transplant_id}: {column} is both day {value} and never")
        return "never"
    if declared.spec.kind == "codes":
        return ";".join(value)
    return _text(value)
