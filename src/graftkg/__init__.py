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

from typing import TYPE_CHECKING

from graftkg._exports import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    from graftkg.api import Engine, read
    from graftkg.errors import GraftkgError, InputError, InputNote
    from graftkg.findings import Finding
    from graftkg.model import Observation, TransplantRecord
    from graftkg.readers.refusals import Refusals
    from graftkg.reporting.acknowledgements import Acknowledgement
    from graftkg.reporting.report import Report
    from graftkg.reporting.review import History, Review
    from graftkg.semantics.classify import Classification
    from graftkg.store.load import LoadReport
    from graftkg.store.query import QueryResult
    from graftkg.validation.validate import ValidationReport

#: each public name: the module it lives in and its name there
_WHERE = {
    "Engine": ("graftkg.api", "Engine"),
    "read": ("graftkg.api", "read"),
    "TransplantRecord": ("graftkg.model", "TransplantRecord"),
    "Observation": ("graftkg.model", "Observation"),
    "Classification": ("graftkg.semantics.classify", "Classification"),
    "ValidationReport": ("graftkg.validation.validate", "ValidationReport"),
    "Finding": ("graftkg.findings", "Finding"),
    "Report": ("graftkg.reporting.report", "Report"),
    "Review": ("graftkg.reporting.review", "Review"),
    "History": ("graftkg.reporting.review", "History"),
    "Acknowledgement": ("graftkg.reporting.acknowledgements", "Acknowledgement"),
    "LoadReport": ("graftkg.store.load", "LoadReport"),
    "QueryResult": ("graftkg.store.query", "QueryResult"),
    "Refusals": ("graftkg.readers.refusals", "Refusals"),
    "GraftkgError": ("graftkg.errors", "GraftkgError"),
    "InputError": ("graftkg.errors", "InputError"),
    "InputNote": ("graftkg.errors", "InputNote"),
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)


__all__ = [
    "Acknowledgement",
    "Classification",
    "Engine",
    "Finding",
    "GraftkgError",
    "History",
    "InputError",
    "InputNote",
    "LoadReport",
    "Observation",
    "QueryResult",
    "Refusals",
    "Report",
    "Review",
    "TransplantRecord",
    "ValidationReport",
    "__version__",
    "read",
]
