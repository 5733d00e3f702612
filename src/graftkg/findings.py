"""The one report model: a finding located to a transplant, a field and a file line, with its rule."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from graftkg.rdf import Value

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
