"""The one report model: a finding located to a transplant, a field and a file line, with its rule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from graftkg.rdf import Value


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV for a spreadsheet: a text cell that a spreadsheet would run as a formula (starting
    with ``=``, ``+``, ``@``, a tab or carriage return, or ``-`` when it is not a number) gets a
    leading ``'``; None is an empty cell.

    Example:
        >>> print(spreadsheet_csv(["a", "b"], [["=1+1", -2], [None, "x, y"]]), end="")
        a,b
        '=1+1,-2
        ,"x, y"
    """
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


def _safe(cell: object) -> object:
    if cell is None:
        return ""
    if isinstance(cell, str) and cell and cell[0] in "=+@\t\r-":
        if cell[0] == "-":
            try:
                float(cell)
                return cell
            except ValueError:
                pass
        return "'" + cell
    return cell


#: Severity order, highest first; ``--fail-on`` names one of these.
SEVERITY_ORDER = ("violation", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """A problem found in a submission (or, later, in the ontology), in words and located.

    Example:
        >>> f = Finding("violation", "T1", "graft_source", None, "graft source missing", "GraftSourceRequired",
        ...             "completeness", "transplants.csv:2")
        >>> f.at_least("warning")
        True
    """

    severity: str
    transplant_id: str | None
    field: str
    value: Value | None
    message: str
    rule: str
    category: str
    location: str | None = None

    def at_least(self, threshold: str) -> bool:
        """Whether this finding is as severe as ``threshold`` or more."""
        return SEVERITY_ORDER.index(self.severity) <= SEVERITY_ORDER.index(threshold)

    def as_json(self) -> dict[str, Any]:
        """The JSON object of ``--format json``."""
        return asdict(self)
