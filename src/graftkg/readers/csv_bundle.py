"""The registry CSV bundle: ``transplants.csv`` (one row per transplant) + ``observations.csv`` (one per value)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from graftkg.collector import paused
from graftkg.errors import InputError
from graftkg.facts import OBSERVATION_MEASURES
from graftkg.model import Observation, TransplantRecord
from graftkg.vocabulary import FIELD_VALUE_SETS, vocabulary

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_INT = re.compile(r"^[+-]?\d+$")
_HLA = re.compile(r"^\d{1,2}/\d{1,2}$")

INT_FIELDS = {"transplant_number", "last_follow_up_day", "death_day", "relapse_day"}
FLOAT_FIELDS = {"recipient_age_years", "donor_age_years", "cd34_dose_1e6_per_kg", "tnc_dose_1e7_per_kg", "dsa_max_mfi"}
TEXT_FIELDS = {"transplant_id", "patient_id", "prior_transplant_id", "donor_relation", "hla_match"}
LIST_FIELDS = {"conditioning_agents", "gvhd_prophylaxis", "asserted_risk_factors"}
DAY_OR_NEVER = {
    "reported_neutrophil_recovery_day",
    "reported_platelet_recovery_day",
    "reported_platelet_50_recovery_day",
}
BOOL_FIELDS = {"cryopreserved"}
CODE_FIELDS = set(FIELD_VALUE_SETS) - LIST_FIELDS - {"lineage", "infection"}

TRANSPLANT_COLUMNS = sorted(
    INT_FIELDS | FLOAT_FIELDS | TEXT_FIELDS | LIST_FIELDS | DAY_OR_NEVER | BOOL_FIELDS | CODE_FIELDS
)
OBSERVATION_COLUMNS = ["transplant_id", "day", "measure", "value", "lineage", "method", "unit"]
REQUIRED_OBSERVATION_COLUMNS = ["transplant_id", "day", "measure", "value"]


def _number(text: str, path: str, line: int, field: str) -> float:
    if not _NUMBER.match(text):
        raise InputError(f"'{text}' is not a number", path=path, line=line, field=field)
    return float(text)


def _integer(text: str, path: str, line: int, field: str) -> int:
    if not _INT.match(text):
        raise InputError(f"'{text}' is not a whole number", path=path, line=line, field=field)
    return int(text)


def _table(path: Path, expected: list[str], required: list[str]) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Check a CSV file's encoding, delimiter and header; return the header and ``(line, stripped cells)`` rows."""
    name = str(path)
    if not path.is_file():
        raise InputError("file not found", path=name)
    data = path.read_bytes()
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
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=name, line=1) from None
    if len(header) == 1 and any(d in header[0] for d in ";\t|"):
        raise InputError("wrong delimiter: columns must be separated by ','", path=name, line=1)
    for column in header:
        if column not in expected:
            raise InputError(f"unknown column (known: {', '.join(expected)})", path=name, line=1, field=column)
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise InputError("column appears twice", path=name, line=1, field=dup)
    for column in required:
        if column not in header:
            raise InputError("required column missing", path=name, line=1, field=column)
    return header, _cells(reader, name, len(header))


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


def _rows(path: Path, expected: list[str], required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line number, {column: cell})`` for each data row, checking encoding, delimiter and shape."""
    header, rows = _table(path, expected, required)
    for line, cells in rows:
        yield line, dict(zip(header, cells, strict=True))


def _transplant(line: int, row: dict[str, str], path: str, lenient: bool = False) -> TransplantRecord:
    vocab = vocabulary()
    tid = row.get("transplant_id", "")
    if not tid:
        raise InputError("transplant_id is empty", path=path, line=line, field="transplant_id")
    values: dict[str, Any] = {}
    for column, cell in row.items():
        if column == "transplant_id" or cell == "":
            continue
        if column in INT_FIELDS:
            values[column] = _integer(cell, path, line, column)
        elif column in FLOAT_FIELDS:
            values[column] = _number(cell, path, line, column)
        elif column in DAY_OR_NEVER:
            key = "neutrophil" if "neutrophil" in column else "platelet50" if "_50_" in column else "platelet"
            if cell.lower() == "never":
                values[f"reported_{key}_never"] = True
            else:
                values[f"reported_{key}_recovery_day"] = _integer(cell, path, line, column)
        elif column in BOOL_FIELDS:
            if cell.lower() not in ("yes", "no", "true", "false"):
                raise InputError(f"'{cell}' is not yes or no", path=path, line=line, field=column)
            values[column] = cell.lower() in ("yes", "true")
        elif column in LIST_FIELDS:
            items = [c.strip() for c in cell.split(";") if c.strip()]
            for item in items:
                if vocab.iri(column, item) is None and not lenient:
                    raise InputError(
                        f"unknown code '{item}' (allowed: {', '.join(vocab.codes(column))})",
                        path=path,
                        line=line,
                        field=column,
                    )
            values[column] = items
        elif column in CODE_FIELDS:
            if vocab.iri(column, cell) is None and not lenient:
                raise InputError(
                    f"unknown code '{cell}' (allowed: {', '.join(vocab.codes(column))})",
                    path=path,
                    line=line,
                    field=column,
                )
            values[column] = cell
        else:
            if column == "hla_match" and not _HLA.match(cell) and not lenient:
                raise InputError(f"'{cell}' is not an HLA match like 8/10", path=path, line=line, field=column)
            values[column] = cell
    return TransplantRecord(tid, source=path, line=line, **values)


_SUPPORT_WITHOUT_VALUE = frozenset({"platelet_transfusion", "rbc_transfusion", "gcsf"})


def _observation_parser(
    header: list[str], path: str, lenient: bool
) -> Callable[[int, list[str]], tuple[str, Observation]]:
    """A parser of ``observations.csv`` rows with this header: ``(line, cells) -> (transplant_id, Observation)``."""
    vocab = vocabulary()
    at = {column: header.index(column) for column in header}
    i_tid, i_day, i_measure, i_value = at["transplant_id"], at["day"], at["measure"], at["value"]
    i_lineage, i_method, i_unit = at.get("lineage"), at.get("method"), at.get("unit")
    known_measures = frozenset(OBSERVATION_MEASURES)
    number, integer = _NUMBER.match, _INT.match

    def parse(line: int, cells: list[str]) -> tuple[str, Observation]:
        tid = cells[i_tid]
        if not tid:
            raise InputError("transplant_id is empty", path=path, line=line, field="transplant_id")
        measure = cells[i_measure]
        if measure not in known_measures:
            raise InputError(
                f"unknown measure '{measure}' (known: {', '.join(sorted(OBSERVATION_MEASURES))})",
                path=path,
                line=line,
                field="measure",
            )
        text = cells[i_day]
        if text:
            if not integer(text):
                raise InputError(f"'{text}' is not a whole number", path=path, line=line, field="day")
            day: int | None = int(text)
        elif lenient:
            day = None
        else:
            raise InputError("day is empty", path=path, line=line, field="day")
        cell = cells[i_value]
        obs = Observation(day, measure, None, None, None, None, None, line, path)
        if measure == "infection":
            if vocab.iri("infection", cell) is None and not (lenient and cell):
                raise InputError(
                    f"unknown pathogen '{cell}' (allowed: {', '.join(vocab.codes('infection'))})",
                    path=path,
                    line=line,
                    field="value",
                )
            obs.code = cell
        elif cell:
            if not number(cell):
                raise InputError(f"'{cell}' is not a number", path=path, line=line, field="value")
            obs.value = float(cell)
        elif measure not in _SUPPORT_WITHOUT_VALUE and not lenient:
            raise InputError(f"value is empty for measure {measure}", path=path, line=line, field="value")
        if i_lineage is not None and cells[i_lineage]:
            lineage = cells[i_lineage]
            if vocab.iri("lineage", lineage) is None and not lenient:
                raise InputError(
                    f"unknown lineage '{lineage}' (allowed: {', '.join(vocab.codes('lineage'))})",
                    path=path,
                    line=line,
                    field="lineage",
                )
            obs.lineage = lineage
        if i_method is not None and cells[i_method]:
            obs.method = cells[i_method]
        if i_unit is not None and cells[i_unit]:
            obs.unit = cells[i_unit]
        return tid, obs

    return parse


@paused()
def read_bundle(
    transplants: Path,
    observations: Path,
    progress: Callable[[int], None] | None = None,
    *,
    lenient: bool = False,
) -> list[TransplantRecord]:
    """Read a CSV bundle. Raises :class:`InputError` naming file, line and field on the first problem.

    Unusable input (encoding, delimiter, cells that are not numbers, unknown columns or measures,
    duplicate identifiers, rows of the wrong width) always raises. With ``lenient`` (validation),
    content a registry check should report instead - codes outside the value sets, a malformed HLA
    match, a missing day or value - is kept as submitted for the shapes to find.

    Example:
        >>> records = read_bundle(Path("examples/paper-patients/csv/transplants.csv"),
        ...                       Path("examples/paper-patients/csv/observations.csv"))
        >>> records[0].graft_source, len(records[0].observations)
        ('PB', 27)
    """
    tpath, opath = str(transplants), str(observations)
    if not observations.is_file():
        raise InputError(
            "observations.csv not found (a bundle needs both files; it may hold only a header)", path=opath
        )
    records: dict[str, TransplantRecord] = {}
    for line, row in _rows(transplants, TRANSPLANT_COLUMNS, ["transplant_id"]):
        record = _transplant(line, row, tpath, lenient)
        if record.transplant_id in records:
            first = records[record.transplant_id].line
            raise InputError(
                f"duplicate transplant_id '{record.transplant_id}' (first on line {first})",
                path=tpath,
                line=line,
                field="transplant_id",
            )
        records[record.transplant_id] = record
    header, rows = _table(observations, OBSERVATION_COLUMNS, REQUIRED_OBSERVATION_COLUMNS)
    parse = _observation_parser(header, opath, lenient)
    for n, (line, cells) in enumerate(rows):
        tid, obs = parse(line, cells)
        found = records.get(tid)
        if found is None:
            raise InputError(
                f"transplant_id '{tid}' is not in transplants.csv", path=opath, line=line, field="transplant_id"
            )
        found.observations.append(obs)
        if progress is not None and n % 500_000 == 0 and n:
            progress(n)
    return list(records.values())
