"""What the importers of other data sets (:mod:`~graftkg.readers.uci_bmt`, :mod:`~graftkg.readers.kmsurv_bmt`)
share: writing a bundle's tables and its number cells."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path


def number_cell(number: float | None) -> str:
    """A number as a bundle cell: whole numbers without a fraction, none as an empty cell.

    Example:
        >>> number_cell(40.0), number_cell(2.5), number_cell(None)
        ('40', '2.5', '')
    """
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def write_table(path: Path, columns: Sequence[str], rows: Sequence[dict[str, str]]) -> None:
    """Write ``rows`` as a CSV file with ``columns`` (a missing cell is empty)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
