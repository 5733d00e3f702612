"""The columnar engine's tables: ``transplants`` (one row per record, a column per record field) and
``observations`` (one row per observation), typed as the record's fields are declared
(:data:`~graftkg.model.RECORD_FIELDS`).

Records read by any reader go in through newline-delimited JSON, which DuckDB reads in bulk and which,
unlike CSV, tells an empty text from a missing one and keeps lists and numbers as they are: a line
per record in each file, its observations as a list per column.

Example:
    >>> import duckdb
    >>> from graftkg.model import Observation, TransplantRecord
    >>> con = duckdb.connect()
    >>> load_records(con, [TransplantRecord("T1", graft_source="PB", observations=[Observation(14, "ANC", 0.6)])])
    >>> con.execute("SELECT transplant_id, graft_source FROM transplants").fetchall()
    [('T1', 'PB')]
    >>> con.execute("SELECT day, measure, value FROM observations").fetchall()
    [(14, 'ANC', 0.6)]
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from graftkg.model import RECORD_FIELDS, TransplantRecord
from graftkg.semantics.facts import LAB_MEASURES

#: the SQL type of each kind of record field
SQL_TYPES = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "code": "VARCHAR",
    "ref": "VARCHAR",
    "int": "BIGINT",
    "day_or_never": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "never": "BOOLEAN",
    "date": "DATE",
    "codes": "VARCHAR[]",
}

#: transplants: the position of the record in its input (``seq``), then a column per record field
TRANSPLANT_COLUMNS: dict[str, str] = {"seq": "BIGINT", **{f.name: SQL_TYPES[f.spec.kind] for f in RECORD_FIELDS}}
#: observations: the record's transplant, the observation's position in the record, then its values
OBSERVATION_COLUMNS: dict[str, str] = {
    "transplant_id": "VARCHAR",
    "seq": "BIGINT",
    "day": "BIGINT",
    "measure": "VARCHAR",
    "value": "DOUBLE",
    "code": "VARCHAR",
    "lineage": "VARCHAR",
    "method": "VARCHAR",
    "unit": "VARCHAR",
}


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


#: the columns of an observation as lists, one line of the JSON file per record (see :func:`load_records`)
_LISTED = [name for name in OBSERVATION_COLUMNS if name not in ("transplant_id", "seq")]
#: the records a line of the transplants' JSON file holds (see :func:`load_records`)
_CHUNK = 4096


def load_records(con: Any, records: Iterable[TransplantRecord]) -> None:
    """(Re)create the tables ``transplants`` and ``observations`` of DuckDB connection ``con`` from
    ``records``. Both go in as JSON objects of lists, a list per column, which DuckDB unnests side by
    side: a line per :data:`_CHUNK` records, and a line of observations per record: far fewer objects
    to write than one per row."""
    names = [f.name for f in RECORD_FIELDS]
    converted = {f.name for f in RECORD_FIELDS if f.spec.kind in ("date", "codes")}
    with tempfile.TemporaryDirectory(prefix="graftkg-columnar-") as tmp:
        tx_path, obs_path = Path(tmp) / "transplants.ndjson", Path(tmp) / "observations.ndjson"
        dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
        items = iter(records)
        seq = 0
        with tx_path.open("w", encoding="utf-8") as tx, obs_path.open("w", encoding="utf-8") as obs:
            while chunk := list(islice(items, _CHUNK)):
                table: dict[str, list[Any]] = {"seq": list(range(seq, seq + len(chunk)))}
                seq += len(chunk)
                for name in names:
                    values = [getattr(record, name) for record in chunk]
                    table[name] = [_json(v) for v in values] if name in converted else values
                tx.write(dumps(table) + "\n")
                for record in chunk:
                    listed = record.observations
                    if not listed:
                        continue
                    columns = {
                        "transplant_id": record.transplant_id,
                        "day": [o.day for o in listed],
                        "measure": [o.measure for o in listed],
                        "value": [None if o.value is None else float(o.value) for o in listed],
                        "code": [o.code for o in listed],
                        "lineage": [o.lineage for o in listed],
                        "method": [o.method for o in listed],
                        "unit": [o.unit for o in listed],
                    }
                    obs.write(dumps(columns) + "\n")
        drop_table(con, "transplants")
        spec = _spec({name: f"{kind}[]" for name, kind in TRANSPLANT_COLUMNS.items()})
        unnested = ", ".join(f'unnest("{name}") AS "{name}"' for name in TRANSPLANT_COLUMNS)
        con.execute(
            f'CREATE TABLE "transplants" AS SELECT {unnested} '
            f"FROM read_json(?, format = 'newline_delimited', columns = {spec})",
            [str(tx_path)],
        )
        drop_table(con, "observations")
        spec = _spec({"transplant_id": "VARCHAR", **{name: f"{OBSERVATION_COLUMNS[name]}[]" for name in _LISTED}})
        unnested = ", ".join(f'unnest("{name}") AS "{name}"' for name in _LISTED)
        con.execute(
            'CREATE TABLE "observations" AS SELECT "transplant_id", '
            f'unnest(range(len("measure"))) AS "seq", {unnested} '
            f"FROM read_json(?, format = 'newline_delimited', columns = {spec})",
            [str(obs_path)],
        )


def _spec(columns: dict[str, str]) -> str:
    """``read_json``'s ``columns``: each column's name and SQL type."""
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"


#: the Python type a value of each kind of record field has (what the tables keep of it)
_PYTHON_TYPES: dict[str, type] = {
    "id": str,
    "text": str,
    "code": str,
    "ref": str,
    "int": int,
    "day_or_never": int,
    "float": float,
    "bool": bool,
    "never": bool,
    "date": date,
}


#: the measures whose value the facts state as it is (see graftkg.semantics.facts.build_facts)
_AS_STATED = LAB_MEASURES | {"donor_chimerism_pct", "dsa_mfi"}


def kept_as_they_are(records: Iterable[TransplantRecord]) -> bool:
    """Whether the tables keep ``records`` exactly: every value of the type its field declares (an
    RDF input may give a whole number where a decimal is declared, which a shape's sh:datatype tells
    apart and a DOUBLE column does not), and each transplant once.

    Example:
        >>> kept_as_they_are([TransplantRecord("T1", recipient_age_years=12.0)])
        True
        >>> kept_as_they_are([TransplantRecord("T1", recipient_age_years=12)])
        False
    """
    fields = [(f.name, f.spec.kind) for f in RECORD_FIELDS]
    seen: set[str] = set()
    for record in records:
        if record.transplant_id in seen:
            return False
        seen.add(record.transplant_id)
        for name, kind in fields:
            value = getattr(record, name)
            if value is None:
                continue
            if kind == "codes":
                if type(value) not in (list, tuple) or any(type(item) is not str for item in value):
                    return False
            elif type(value) is not _PYTHON_TYPES[kind]:
                return False
        for o in record.observations:
            if o.day is not None and type(o.day) is not int:
                return False
            # a value the facts state as it is must be a decimal; a GvHD grade is stated as a whole
            # number whichever it is, and the other measures' values are not stated at all
            stated = o.measure in _AS_STATED
            if o.value is not None and type(o.value) is not float and (stated or type(o.value) is not int):
                return False
            if any(v is not None and type(v) is not str for v in (o.measure, o.code, o.lineage, o.method, o.unit)):
                return False
    return True


def drop_table(con: Any, name: str) -> None:
    """Drop the table or view ``name`` of ``con``, if there is one (the records are a table when
    loaded from records, a view over what DuckDB read when loaded from a CSV bundle)."""
    found = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'", [name]
    ).fetchone()
    if found is not None:
        con.execute(f'DROP {"VIEW" if found[0] == "VIEW" else "TABLE"} "{name}"')
