"""graftkg: an ontology-backed reasoner for graft failure after allogeneic HSCT.

The public API is what ``__all__`` lists: :func:`read` records, an :class:`Engine` that classifies,
validates, reports on, queries and loads them, and the types those return, each rendering as the
command line prints it. Everything else in the package is internal; the command line's pipeline
commands use nothing else. The names are imported when first used, so ``import graftkg`` is cheap.

Example:
    >>> import graftkg
    >>> records = graftkg.read("examples/paper-patients/csv")
    >>> engine = graftkg.Engine(profile="paper")
    >>> results = engine.classify(records)
    >>> sorted({c.outcome for c in results})
    ['engrafted', 'primary_graft_failure', 'secondary_graft_failure']
    >>> print(engine.render(results[:1], "csv").splitlines()[1][:40])
    P1-T1,primary_graft_failure,,donor_loss,
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from graftkg.api import Engine, read
    from graftkg.errors import GraftkgError, InputError
    from graftkg.findings import Finding
    from graftkg.model import Observation, TransplantRecord
    from graftkg.readers.refusals import Refusals
    from graftkg.reporting.report import Report
    from graftkg.semantics.classify import Classification
    from graftkg.store.load import LoadReport
    from graftkg.store.query import QueryResult
    from graftkg.validation.validate import ValidationReport

#: each public name and the module it lives in
_WHERE = {
    "Engine": "graftkg.api",
    "read": "graftkg.api",
    "TransplantRecord": "graftkg.model",
    "Observation": "graftkg.model",
    "Classification": "graftkg.semantics.classify",
    "ValidationReport": "graftkg.validation.validate",
    "Finding": "graftkg.findings",
    "Report": "graftkg.reporting.report",
    "LoadReport": "graftkg.store.load",
    "QueryResult": "graftkg.store.query",
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
