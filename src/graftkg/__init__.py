"""graftkg: an ontology-backed reasoner for graft failure after allogeneic HSCT.

The public API is what ``__all__`` lists: :func:`read` records, an :class:`Engine` that classifies,
validates, reports on, queries and loads them, and the types those return. Everything else in the
package is internal. The names are imported when first used, so ``import graftkg`` is cheap.

Example:
    >>> import graftkg
    >>> records = graftkg.read("examples/paper-patients/csv")
    >>> results = graftkg.Engine(profile="paper").classify(records)
    >>> sorted({c.outcome for c in results})
    ['engrafted', 'primary_graft_failure', 'secondary_graft_failure']
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from graftkg.api import Engine, read
    from graftkg.classify import Classification
    from graftkg.errors import GraftkgError, InputError
    from graftkg.findings import Finding
    from graftkg.load import LoadReport
    from graftkg.model import Observation, TransplantRecord
    from graftkg.query import QueryResult
    from graftkg.readers.refusals import Refusals
    from graftkg.report import Report
    from graftkg.validate import ValidationReport

#: each public name and the module it lives in
_WHERE = {
    "Engine": "graftkg.api",
    "read": "graftkg.api",
    "TransplantRecord": "graftkg.model",
    "Observation": "graftkg.model",
    "Classification": "graftkg.classify",
    "ValidationReport": "graftkg.validate",
    "Finding": "graftkg.findings",
    "Report": "graftkg.report",
    "LoadReport": "graftkg.load",
    "QueryResult": "graftkg.query",
    "Refusals": "graftkg.readers.refusals",
    "GraftkgError": "graftkg.errors",
    "InputError": "graftkg.errors",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graftkg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "Classification",
    "Engine",
    "Finding",
    "GraftkgError",
    "InputError",
    "LoadReport",
    "Observation",
    "QueryResult",
    "Refusals",
    "Report",
    "TransplantRecord",
    "ValidationReport",
    "__version__",
    "read",
]
