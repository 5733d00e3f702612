"""Where a reader that goes on past bad records puts what it could not read."""

from __future__ import annotations

from graftkg.errors import InputError, excerpt

__all__ = ["Refusals"]


class Refusals:
    """The located errors of a read that goes on past them, by transplant.

    With ``keep_records`` false (classification), a transplant with any error is refused: it is left
    out of what the reader returns, and each of its errors is listed here. With ``keep_records``
    (validation), a bad cell is listed and left out, and the rest of its record is kept for the
    shapes to check. Errors of the file itself (encoding, header, a row of the wrong width) are
    never collected: they raise, as without a ``Refusals``.

    Example:
        >>> r = Refusals()
        >>> r.add(InputError("'x' is not a number", path="o.csv", line=3, field="value"), "T1")
        >>> sorted(r.refused), r.lines()
        (['T1'], ["transplant T1: o.csv:3: field 'value': 'x' is not a number"])
    """

    def __init__(self, *, keep_records: bool = False) -> None:
        self.keep_records = keep_records
        #: (transplant identifier or None for a row that names none, error), in the order found
        self.errors: list[tuple[str | None, InputError]] = []
        #: the transplants refused (always empty with ``keep_records``)
        self.refused: set[str] = set()

    def add(self, error: InputError, transplant_id: str | None) -> None:
        """List ``error``; without ``keep_records``, refuse its transplant."""
        self.errors.append((transplant_id, error))
        if transplant_id and not self.keep_records:
            self.refused.add(transplant_id)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def sorted(self) -> list[tuple[str | None, InputError]]:
        """The errors by file and line (a file's errors without a line last), each once."""
        seen: set[str] = set()
        out = []
        for tid, error in sorted(self.errors, key=lambda e: (e[1].path or "", e[1].line is None, e[1].line or 0)):
            if str(error) not in seen:
                seen.add(str(error))
                out.append((tid, error))
        return out

    def lines(self) -> list[str]:
        """Each error as one line naming its transplant (or the row that names none), by file and line."""
        return [f"{'transplant ' + excerpt(tid, 200) if tid else 'row'}: {error}" for tid, error in self.sorted()]
