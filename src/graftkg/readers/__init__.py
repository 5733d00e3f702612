"""Readers: every input format becomes a list of :class:`~graftkg.model.TransplantRecord`.

Reading goes through :func:`graftkg.read`. ``__all__`` lists, besides :func:`read_inputs` and
:func:`bundle_files`, what the command line uses: ``excerpt`` (a short, escaped excerpt of untrusted
text for an error message), ``import_uci_bmt`` (``graftkg import uci-bmt``) and ``import_kmsurv_bmt``
(``graftkg import kmsurv-bmt``), the importers, imported when first used.

Example:
    >>> from graftkg.readers import excerpt
    >>> print(excerpt("P1" + chr(27) + "[31m"))
    P1\\x1b[31m
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from graftkg._exports import lazy_exports
from graftkg.errors import InputError, excerpt
from graftkg.model import TransplantRecord
from graftkg.readers.csv_bundle import read_bundle
from graftkg.readers.fhir import is_fhir, read_fhir
from graftkg.readers.rdf_input import RDF_SUFFIXES, read_rdf
from graftkg.readers.refusals import Refusals
from graftkg.readers.rules import refuse_content

if TYPE_CHECKING:
    from graftkg.readers.kmsurv_bmt import import_kmsurv_bmt
    from graftkg.readers.uci_bmt import import_uci_bmt

__all__ = ["Refusals", "bundle_files", "excerpt", "import_kmsurv_bmt", "import_uci_bmt", "read_inputs"]

#: the exported names imported when first used: the module each lives in and its name there
_WHERE = {
    "import_kmsurv_bmt": ("graftkg.readers.kmsurv_bmt", "import_kmsurv_bmt"),
    "import_uci_bmt": ("graftkg.readers.uci_bmt", "import_uci_bmt"),
}

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)


def read_inputs(
    paths: Sequence[str | Path],
    *,
    lenient: bool = False,
    refusals: Refusals | None = None,
    notes: list[str] | None = None,
) -> list[TransplantRecord]:
    """Read every input: CSV bundle folders, a ``transplants.csv`` + ``observations.csv`` pair, Turtle,
    JSON-LD, or FHIR R4 (a Bundle or resources as JSON, Bulk Data NDJSON, or a folder of them;
    :mod:`graftkg.readers.fhir`), whose resources left out are counted into ``notes``.

    Raises :class:`InputError` on the first problem; nothing is returned from a partly read input.
    Transplant identifiers must be unique across all inputs. The rules of a record's content (codes in
    their value sets, days and values, impossible values: :mod:`graftkg.readers.rules`) are applied
    here, once, whatever the format; ``lenient`` keeps such problems for validation to report. With
    ``refusals``, a bad record is listed there and left out (or, with its ``keep_records``, its bad
    cells are), and only an unusable file raises; see :class:`Refusals`.

    Example:
        >>> [r.transplant_id for r in read_inputs(["examples/paper-patients/csv"])][:2]
        ['P1-T1', 'P1-T2']
    """
    if not paths:
        raise InputError("no input given")
    records: list[TransplantRecord] = []
    csv_files: dict[str, Path] = {}
    fhir_files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError("no such file or folder", path=str(path))
        if path.is_dir() and not (path / "transplants.csv").exists() and _fhir_folder(path):
            fhir_files.extend(_fhir_folder(path))
        elif path.is_dir():
            records.extend(read_bundle(path / "transplants.csv", path / "observations.csv", refusals=refusals))
        elif is_fhir(path):
            fhir_files.append(path)
        elif path.suffix.lower() == ".csv":
            if path.name in csv_files:
                raise InputError(f"given twice: {path.name}", path=str(path))
            csv_files[path.name] = path
        elif path.suffix.lower() in RDF_SUFFIXES:
            records.extend(read_rdf(path, lenient=lenient, refusals=refusals))
        else:
            raise InputError(
                "unknown input type (expected a CSV bundle folder, transplants.csv + observations.csv, "
                f"RDF: {', '.join(sorted(RDF_SUFFIXES))}, or FHIR: .json, .ndjson)",
                path=str(path),
            )
    if fhir_files:  # read together: a Procedure and its Observations may lie in different files
        records.extend(read_fhir(fhir_files, refusals=refusals, notes=notes))
    if csv_files:
        unknown = set(csv_files) - {"transplants.csv", "observations.csv"}
        if unknown:
            name = sorted(unknown)[0]
            raise InputError("a CSV input must be named transplants.csv or observations.csv", path=str(csv_files[name]))
        if "transplants.csv" not in csv_files:
            raise InputError("observations.csv given without transplants.csv", path=str(csv_files["observations.csv"]))
        if "observations.csv" not in csv_files:
            raise InputError("transplants.csv given without observations.csv", path=str(csv_files["transplants.csv"]))
        records.extend(read_bundle(csv_files["transplants.csv"], csv_files["observations.csv"], refusals=refusals))
    seen: dict[str, TransplantRecord] = {}
    kept: list[TransplantRecord] = []
    for record in records:
        if record.transplant_id in seen:
            first = seen[record.transplant_id].source
            error = InputError(
                f"duplicate transplant_id '{excerpt(record.transplant_id)}' (also in {first})",
                path=record.source,
                line=record.line,
                field="transplant_id",
            )
            if refusals is None:
                raise error
            refusals.add(error, record.transplant_id)
            continue  # kept (validation): the first record of the identifier is checked
        seen[record.transplant_id] = record
        kept.append(record)
    if not lenient:  # the rules of a record's content, once, for every format (validation leaves them to the shapes)
        kept = refuse_content(kept, refusals)
    if refusals is not None and refusals.refused:
        kept = [r for r in kept if r.transplant_id not in refusals.refused]
    return kept


def _fhir_folder(path: Path) -> list[Path]:
    """The FHIR files of a folder (``.ndjson``, and ``.json`` holding a resource), in name order."""
    return [p for p in sorted(path.iterdir()) if p.is_file() and is_fhir(p)]


def bundle_files(paths: Sequence[str | Path]) -> tuple[Path, Path] | None:
    """``(transplants.csv, observations.csv)`` when ``paths`` are one CSV bundle (a folder, or the two
    files), else None. :func:`read_inputs` reads such inputs with ``read_bundle`` of these two files.

    Example:
        >>> bundle_files(["examples/paper-patients/csv"])[0].name
        'transplants.csv'
        >>> bundle_files(["examples/paper-patients/paper-patients.ttl"]) is None
        True
    """
    given = [Path(p) for p in paths]
    if len(given) == 1 and given[0].is_dir():
        return given[0] / "transplants.csv", given[0] / "observations.csv"
    names = sorted(p.name for p in given)
    if (
        len(given) == 2
        and names == ["observations.csv", "transplants.csv"]
        and all(p.exists() and not p.is_dir() and p.suffix == ".csv" for p in given)
    ):
        t, o = sorted(given, key=lambda p: p.name != "transplants.csv")
        return t, o
    return None
