"""graftkg's public API: read transplant records, then classify, validate, report on and load them
with an :class:`Engine`. ``import graftkg`` exposes these names (see ``graftkg.__all__``); everything
else in the package is internal and may change.

Example:
    >>> from graftkg.api import Engine, read
    >>> records = read(["examples/paper-patients/csv"])
    >>> engine = Engine(profile="paper")
    >>> [(c.transplant_id, c.outcome) for c in engine.classify(records)][:2]
    [('P1-T1', 'primary_graft_failure'), ('P1-T2', 'engrafted')]
    >>> engine.validate(records).conforms()
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from graftkg.errors import GraftkgError
from graftkg.model import TransplantRecord
from graftkg.readers.refusals import Refusals

if TYPE_CHECKING:
    from rdflib import Graph

    from graftkg.reporting.report import Report
    from graftkg.semantics.classify import Classification
    from graftkg.store.load import LoadReport
    from graftkg.store.query import QueryResult
    from graftkg.validation.validate import ValidationReport


def read(paths: str | Path | Sequence[str | Path], *, refusals: Refusals | None = None) -> list[TransplantRecord]:
    """Read transplant records: CSV bundle folders, ``transplants.csv`` + ``observations.csv`` pairs,
    Turtle or JSON-LD files, in any mix.

    Bad input raises :class:`~graftkg.errors.InputError` (a :class:`GraftkgError`) naming the file,
    line and field; nothing is returned from a partly read input, and reading never opens a network
    connection. With ``refusals``, a record that breaks a rule is left out and its errors listed there
    instead (``refusals.lines()``, ``refusals.refused``); only an unusable file still raises.

    Example:
        >>> [r.transplant_id for r in read("examples/paper-patients/csv")][:3]
        ['P1-T1', 'P1-T2', 'P2-T1']
        >>> refused = Refusals()
        >>> len(read("examples/invalid-submission", refusals=refused)) < 8, bool(refused)
        (True, True)
    """
    from graftkg.readers import read_inputs

    return read_inputs([paths] if isinstance(paths, str | Path) else list(paths), refusals=refusals)


def _paths(source: object) -> list[str | Path] | None:
    """``source`` as a list of paths, or None when it is records."""
    if isinstance(source, str | Path):
        return [source]
    items = list(source)  # type: ignore[call-overload]
    paths = [i for i in items if isinstance(i, str | Path)]
    if items and len(paths) == len(items):
        return paths
    if all(isinstance(i, TransplantRecord) for i in items):
        return None
    raise GraftkgError("give paths or TransplantRecord objects, not a mixture")


def _records(source: object) -> list[TransplantRecord]:
    return [r for r in source if isinstance(r, TransplantRecord)]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Engine:
    """The definitions under one profile, applied to records: classification, validation, reports,
    RDF and loads. An engine holds no data; it pickles, and two may run side by side.

    ``profile`` is a shipped definitions profile (``paper``, ``astct-2021``) or the path of a profile
    file of one's own; ``workers`` the processes large inputs are split over (default: all cores above
    5,000 records); ``reasoner`` ``fast`` (the ontology's definitions evaluated directly) or
    ``hermit`` (the OWL 2 DL reasoner; Java, far slower, the same answers).

    Example:
        >>> Engine(profile="astct-2021").profile
        'astct-2021'
        >>> Engine(profile="no-such-profile")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        graftkg.errors.OntologyError: unknown definitions profile 'no-such-profile' (choose from: ...)
    """

    profile: str = "paper"
    workers: int | None = None
    reasoner: str = "fast"

    def __post_init__(self) -> None:
        from graftkg.semantics.ontology import load_ontology
        from graftkg.semantics.reason import REASONERS

        load_ontology(self.profile)  # an unknown profile, or a profile file that is not one, fails here
        if self.reasoner not in REASONERS:
            raise GraftkgError(f"unknown reasoner '{self.reasoner}' (choose from: {', '.join(REASONERS)})")

    def classify(
        self, records: Sequence[TransplantRecord], *, progress: Callable[[int, int], None] | None = None
    ) -> list[Classification]:
        """Classify each record: outcome, findings, recovery days, chimerism, risk factors, and the
        explanation, in the order of ``records``.

        Example:
            >>> r = TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=12)
            >>> c = Engine().classify([r])[0]
            >>> c.outcome, c.neutrophil_recovery_day
            ('engrafted', 12)
        """
        from graftkg.semantics.classify import classify_records

        return classify_records(
            records, profile=self.profile, reasoner=self.reasoner, workers=self.workers, progress=progress
        )

    def validate(
        self,
        source: str | Path | Sequence[str | Path] | Sequence[TransplantRecord],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> ValidationReport:
        """Check a submission against the shapes: every finding, located. ``source`` is paths (read
        leniently, so that every unreadable cell is a finding too) or records already read.

        Example:
            >>> report = Engine().validate("examples/invalid-submission")
            >>> report.conforms(), report.counts()["violation"] > 0
            (False, True)
        """
        from graftkg.validation.validate import validate_paths, validate_records

        paths = _paths(source)
        if paths is None:
            records = _records(source)
            return validate_records(records, profile=self.profile, workers=self.workers, progress=progress)
        return validate_paths(paths, profile=self.profile, workers=self.workers, progress=progress)

    def to_graph(self, records: Sequence[TransplantRecord], results: Sequence[Classification] | None = None) -> Graph:
        """The records and what the definitions infer from them as one rdflib graph (the triples
        ``graftkg classify --format turtle`` prints), classifying them first unless ``results`` are given.

        Example:
            >>> g = Engine().to_graph(read("examples/paper-patients/csv"))
            >>> len(g) > 1000
            True
        """
        from graftkg.semantics.classify import to_graph

        return to_graph(records, list(results) if results is not None else self.classify(records), self.profile)

    def report(self, paths: str | Path | Sequence[str | Path], transplant_id: str) -> Report:
        """The per-transplant report: classification and why, the series, risk factors, the
        recommendations that apply with their evidence, the contraindications checked.

        Example:
            >>> Engine().report("examples/paper-patients/csv", "P1-T1").classification["outcome"]
            'primary_graft_failure'
        """
        from graftkg.reporting.report import build_report

        return build_report(_paths(paths) or [], transplant_id, profile=self.profile)

    def query(
        self, name: str, params: dict[str, str] | None = None, *, data: str | Path | Sequence[str | Path] = ()
    ) -> QueryResult:
        """Run the named SPARQL query ``name`` (``graftkg queries`` lists them) on the knowledge base and
        the records at ``data``; parameters are bound, never pasted into the query.

        Example:
            >>> rows = Engine().query("recommendations-for-transplant", {"transplant_id": "P1-T1"},
            ...                       data="examples/paper-patients/csv").rows
            >>> "salvage_hsct" in [r["recommendation"] for r in rows]
            True
        """
        from graftkg.store.embedded import store_with_data
        from graftkg.store.query import run_embedded

        paths = _paths(data) if data else []
        return run_embedded(store_with_data(paths or [], profile=self.profile), name, params or {})

    def load(
        self,
        path: str | Path,
        *,
        store: str | Path | None = None,
        name: str | None = None,
        bulk: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> LoadReport:
        """Read, classify and load the submission at ``path`` into the on-disk store ``store`` in one
        transaction (a reload replaces it, writing only what changed), with its provenance. Without
        ``store``, the default folder ``graftkg-store``.

        Example:
            >>> import tempfile
            >>> where = Path(tempfile.mkdtemp()) / "store"
            >>> Engine().load("examples/paper-patients/csv", store=where, name="paper").transplants
            8
        """
        from graftkg.store.load import DEFAULT_STORE, load

        where = DEFAULT_STORE if store is None else store
        return load(path, store=where, name=name, profile=self.profile, bulk=bulk, progress=progress)


__all__ = ["Engine", "Refusals", "read"]
