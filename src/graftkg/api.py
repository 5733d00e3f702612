"""graftkg's public API: read transplant records, then classify, validate, report on, query and load
them with an :class:`Engine`; each result renders as the command line prints it (:meth:`Engine.render`
for classifications, ``render`` on the others). ``import graftkg`` exposes these names (see
``graftkg.__all__``); everything else in the package is internal and may change. The command line's
pipeline commands use nothing else.

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

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from graftkg.errors import GraftkgError, spill_folder
from graftkg.model import TransplantRecord
from graftkg.readers.refusals import Refusals

#: how the fast path may classify and validate (see :class:`Engine`)
BACKENDS = ("auto", "record", "sql")
#: the size of ``observations.csv`` from which ``auto`` classifies a CSV bundle on the SQL backend,
#: where it is measured faster than the record path (about 3,700 synthetic transplants)
SQL_FROM_BYTES = 4_000_000
#: the size from which ``auto`` validates a CSV bundle on the SQL backend (about 1,900 transplants)
SQL_VALIDATE_FROM_BYTES = 2_000_000
#: on ``auto``, the most rows of a bundle classified or validated in SQL that may be left to the record
#: path (the rows of the transplants with a cell the record reader must judge, of those linked to them
#: by a patient or a prior transplant, and of no transplant), which holds their records whole (about
#: 330 bytes a row, measured: docs/guide/sql-backend.md); with more, the record path reads the whole
#: bundle (for validation, in workers that each hold a share)
LEFT_TO_RECORD_PATH_AT_MOST = 1_000_000

if TYPE_CHECKING:
    from rdflib import Graph

    from graftkg.columnar import ColumnarEngine
    from graftkg.errors import InputError
    from graftkg.reporting.acknowledgements import Acknowledgement
    from graftkg.reporting.report import Report
    from graftkg.reporting.review import Classifier, History, Review, Submission, Validator
    from graftkg.semantics.classify import Classification
    from graftkg.semantics.definitions import Definitions
    from graftkg.store.load import LoadReport
    from graftkg.store.query import QueryResult
    from graftkg.validation.shacl import ShapeSet
    from graftkg.validation.validate import ValidationReport


def _progressing(
    items: Iterator[Classification], total: int, progress: Callable[[int, int], None] | None
) -> Iterator[Classification]:
    """``items`` (``total`` of them), ``progress(done, total)`` called every
    :data:`~graftkg.semantics.classify.PROGRESS_EVERY` of them and after the last, as the record
    path calls it.

    Example:
        >>> seen = []
        >>> len(list(_progressing(iter(range(25_000)), 25_000, lambda *done: seen.append(done)))), seen
        (25000, [(10000, 25000), (20000, 25000), (25000, 25000)])
    """
    from graftkg.semantics.classify import PROGRESS_EVERY

    for done, item in enumerate(items, 1):
        yield item
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)


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
    RDF, queries and loads. An engine holds no data. It reads its profile's definitions when made,
    and its shapes and knowledge base when first needed, and keeps them with what it builds from
    them (compiled class expressions, shape plans); nothing is kept outside an engine, so a new one
    reads a profile file edited since. It pickles as its settings (re-read where it is unpickled),
    and two may run side by side. What depends on no profile is a static method: a store's
    :meth:`submissions`, :meth:`unload`, :meth:`convert` (records as RDF), the :meth:`checks`
    catalogue and the shipped :meth:`profiles`.

    ``profile`` is a shipped definitions profile (``paper``, ``astct-2021``) or the path of a profile
    file of one's own; ``workers`` the processes large inputs are split over (default: all cores above
    5,000 records); ``reasoner`` ``fast`` (the ontology's definitions evaluated directly) or
    ``hermit`` (the OWL 2 DL reasoner; Java, far slower, the same answers). ``backend`` is how the fast
    path classifies and validates: ``record`` (one record at a time, in Python), ``sql`` (the
    definitions and shapes compiled to SQL, run on whole tables by DuckDB: :mod:`graftkg.columnar`), or
    ``auto`` (``sql`` for a CSV bundle of more than :data:`SQL_FROM_BYTES` bytes of observations, to
    validate :data:`SQL_VALIDATE_FROM_BYTES`, else ``record``; a large bundle DuckDB does not read
    itself, not plain text say, is read by the record reader, then classified in SQL, and validated on
    the record path, whose workers each hold a share of it). Both give the same answers.
    ``memory_limit`` (such as ``"4GB"``) is the most memory the SQL backend's database takes (by
    default DuckDB's, 80 % of the machine's); beyond it, it spills to disk: into ``temp_directory``
    (an existing folder), by default into the system's temporary folder (see
    :class:`~graftkg.columnar.engine.ColumnarEngine`).

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
    backend: str = "auto"
    memory_limit: str | None = None
    temp_directory: str | None = None
    _definitions: Definitions = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from graftkg.semantics.definitions import Definitions
        from graftkg.semantics.reason import REASONERS

        if self.reasoner not in REASONERS:
            raise GraftkgError(f"unknown reasoner '{self.reasoner}' (choose from: {', '.join(REASONERS)})")
        if self.backend not in BACKENDS:
            raise GraftkgError(f"unknown backend '{self.backend}' (choose from: {', '.join(BACKENDS)})")
        if self.backend == "sql" and self.reasoner != "fast":
            raise GraftkgError("the sql backend evaluates the fast path's definitions: use it with reasoner 'fast'")
        spill_folder(self.temp_directory)  # refused now, not when a large input first needs it
        # an unknown profile, or a profile file that is not one, fails here
        object.__setattr__(self, "_definitions", Definitions(self.profile))

    def __reduce__(self) -> tuple[type[Engine], tuple[str, int | None, str, str, str | None, str | None]]:
        return (
            Engine,
            (self.profile, self.workers, self.reasoner, self.backend, self.memory_limit, self.temp_directory),
        )

    @cached_property
    def _columnar(self) -> ColumnarEngine:
        from graftkg.columnar import ColumnarEngine

        return ColumnarEngine(self._definitions, memory_limit=self.memory_limit, temp_directory=self.temp_directory)

    @cached_property
    def _shapes(self) -> ShapeSet:
        from graftkg.validation.shacl import load_shapes

        return load_shapes()

    def classify(
        self,
        source: str | Path | Sequence[str | Path] | Sequence[TransplantRecord],
        *,
        refusals: Refusals | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Classification]:
        """Classify each record: outcome, findings, recovery days, chimerism, risk factors, and the
        explanation, in the order of the records. ``source`` is records already read, or paths to
        read (as :func:`read` reads them, with ``refusals``); the engine's ``backend`` decides how.

        Example:
            >>> r = TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=12)
            >>> c = Engine().classify([r])[0]
            >>> c.outcome, c.neutrophil_recovery_day
            ('engrafted', 12)
            >>> [c.outcome for c in Engine(backend="sql").classify("examples/paper-patients/csv")][:2]
            ['primary_graft_failure', 'engrafted']
        """
        from graftkg.semantics.classify import classify_records

        paths = _paths(source)
        if paths is not None and self._backend_for(paths) == "sql":
            columnar = self._columnar.fresh()  # a database of this call's own
            # a bundle DuckDB does not read itself (not plain text, say) is read by the record
            # reader and its records loaded: classified in SQL all the same (measured faster)
            columnar.load(paths, refusals=refusals, most_left=self._most_left())
            return list(_progressing(columnar.iter_classifications(), columnar.count(), progress))
        records = _records(source) if paths is None else read(paths, refusals=refusals)
        if self.backend == "sql":
            found = self._columnar.fresh().classify(records)
            return list(_progressing(iter(found), len(found), progress))
        return classify_records(
            records, definitions=self._definitions, reasoner=self.reasoner, workers=self.workers, progress=progress
        )

    def iter_classify(
        self,
        source: str | Path | Sequence[str | Path] | Sequence[TransplantRecord],
        *,
        refusals: Refusals | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[Classification]:
        """:meth:`classify`, one classification at a time: on the SQL backend, a large input's
        classifications are made as they are read (the memory they take stays that of a batch).

        Example:
            >>> [c.outcome for c in Engine(backend="sql").iter_classify("examples/paper-patients/csv")][:2]
            ['primary_graft_failure', 'engrafted']
        """
        paths = _paths(source)
        if paths is not None and self._backend_for(paths) == "sql":
            columnar = self._columnar.fresh()
            columnar.load(paths, refusals=refusals, most_left=self._most_left())  # see classify
            return _progressing(columnar.iter_classifications(), columnar.count(), progress)
        return iter(self.classify(source, refusals=refusals, progress=progress))

    def _most_left(self) -> int | None:
        """The most rows of a bundle read in part that may be left to the record path (see
        :data:`LEFT_TO_RECORD_PATH_AT_MOST`): on ``sql``, however many."""
        return None if self.backend == "sql" else LEFT_TO_RECORD_PATH_AT_MOST

    def _backend_for(self, paths: Sequence[str | Path], from_bytes: int | None = None) -> str:
        """The backend that classifies (or, with ``from_bytes`` :data:`SQL_VALIDATE_FROM_BYTES`,
        validates) the inputs at ``paths`` (see the class docstring)."""
        if self.backend != "auto":
            return self.backend
        if self.reasoner != "fast":
            return "record"
        from graftkg.readers import bundle_files

        files = bundle_files(paths)
        try:
            threshold = SQL_FROM_BYTES if from_bytes is None else from_bytes
            big = files is not None and files[1].stat().st_size > threshold
        except OSError:
            big = False
        return "sql" if big else "record"

    def validate(
        self,
        source: str | Path | Sequence[str | Path] | Sequence[TransplantRecord],
        *,
        acknowledgements: str | Path | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ValidationReport:
        """Check a submission against the shapes: every finding, located. ``source`` is paths (read
        leniently, so that every unreadable cell is a finding too) or records already read. With an
        ``acknowledgements`` file (CSV or Turtle, read before anything else), the findings it
        acknowledges are marked and do not count against ``conforms``.

        On the ``sql`` backend (and on ``auto``, for a large bundle), a CSV bundle DuckDB may read
        itself is checked by the shapes compiled to SQL (:mod:`graftkg.columnar.shapes`); the report is
        the record path's. Its transplants with a cell the record reader must judge (and those linked
        to them by a patient or a prior transplant) are read by the record reader and checked on the
        record path in the same run; on ``auto``, a bundle with more rows of them than
        :data:`LEFT_TO_RECORD_PATH_AT_MOST` is validated on the record path. On ``sql``, any other input
        (records, RDF, FHIR, a bundle DuckDB cannot read at all) is read leniently and its records
        checked in SQL too, unless the tables cannot keep them exactly (then on the record path);
        ``auto`` validates those on the record path.

        Example:
            >>> report = Engine().validate("examples/invalid-submission")
            >>> report.conforms(), report.counts()["violation"] > 0
            (False, True)
            >>> Engine(backend="sql").validate("examples/paper-patients/csv").counts()
            {'violation': 0, 'warning': 0, 'info': 5}
        """
        from graftkg.reporting.acknowledgements import read_acknowledgements
        from graftkg.validation.validate import read_leniently, validate_paths, validate_records

        acks = read_acknowledgements(acknowledgements) if acknowledgements is not None else None
        paths, defs, shapes = _paths(source), self._definitions, self._shapes
        report: ValidationReport | None = None
        if paths is not None and self._backend_for(paths, SQL_VALIDATE_FROM_BYTES) == "sql":
            # a bundle DuckDB reads straight is validated in SQL; with backend "sql", any other input
            # is read leniently (every cell it cannot read a finding) and its records validated in SQL
            columnar = self._columnar.fresh(shapes)
            report = columnar.validate(paths, shapes, most_left=self._most_left(), workers=self.workers)
            if report is None and self.backend == "sql":
                records, refusals = read_leniently(paths)
                unreadable = refusals.sorted()
                report = columnar.validate_records(records, shapes, unreadable) or validate_records(
                    records, definitions=defs, shapes=shapes, workers=self.workers, unreadable=unreadable
                )
        elif paths is None and self.backend == "sql":
            report = self._columnar.fresh(shapes).validate_records(_records(source), shapes)
        if report is not None and progress is not None:
            progress(report.transplants, report.transplants)
        if report is None and paths is None:
            report = validate_records(
                _records(source), definitions=defs, shapes=shapes, workers=self.workers, progress=progress
            )
        elif report is None:
            assert paths is not None
            report = validate_paths(paths, definitions=defs, shapes=shapes, workers=self.workers, progress=progress)
        if acks is None:
            return report
        from graftkg.validation.validate import refused_rules

        return report.acknowledge(acks, refused_rules(shapes))

    def review(
        self,
        source: str | Path | Sequence[str | Path],
        *,
        previous: str | Path | Sequence[str | Path] | None = None,
        acknowledgements: str | Path | None = None,
        fail_on: str = "violation",
        reports: str = "all",
        progress: Callable[[str], None] | None = None,
    ) -> Review:
        """Review a whole submission: each check's failing transplants against its threshold, outcomes
        by centre and under every shipped definitions profile, figures, the findings the file
        ``acknowledgements`` (CSV or Turtle) acknowledges, and, with ``previous`` (the centre's previous
        submission), what changed. ``Review.write(folder)`` writes the dashboard, with a report for
        each transplant ``reports`` selects (``all``, ``flagged`` or ``none``).

        Example:
            >>> review = Engine().review("examples/invalid-submission")
            >>> review.conforms(), review.outcomes["refused"] > 0, [c.status for c in review.checks][0]
            (False, True, 'fail')
        """
        from graftkg.reporting.acknowledgements import read_acknowledgements
        from graftkg.reporting.review import build_review
        from graftkg.semantics.definitions import Definitions

        acks = read_acknowledgements(acknowledgements) if acknowledgements is not None else None
        defs, shapes = self._definitions, self._shapes
        paths = _paths(source) or []
        submission = self._submission(paths, progress)
        before = None
        if previous is not None:
            before = self._submission(_paths(previous) or [], progress)
        others = [Definitions(p) for p in self.profiles() if p != defs.profile]
        return build_review(
            submission,
            defs,
            shapes,
            acknowledgements=acks,
            previous=before,
            fail_on=fail_on,
            reports=reports,
            other_profiles=others,
            classifier=self._checkers(paths)[1],
        )

    def diff(self, old: str | Path | Sequence[str | Path], new: str | Path | Sequence[str | Path]) -> History:
        """What changed between two submissions of the same centre: findings new, resolved and still
        open, transplants whose outcome changed (with both explanations), transplants added and removed.

        Example:
            >>> h = Engine().diff("examples/invalid-submission", "examples/paper-patients/csv")
            >>> len(h.resolved) > 0, h.new
            (True, [])
        """
        from graftkg.reporting.review import diff_submissions

        return diff_submissions(self._submission(_paths(old) or []), self._submission(_paths(new) or []))

    def _submission(self, paths: Sequence[str | Path], progress: Callable[[str], None] | None = None) -> Submission:
        """A submission read leniently, validated and classified on the backend :meth:`_checkers` picks."""
        from graftkg.reporting.review import read_submission

        validator, classifier = self._checkers(paths)
        return read_submission(
            paths,
            self._definitions,
            self._shapes,
            workers=self.workers,
            progress=progress,
            validator=validator,
            classifier=classifier,
        )

    def _checkers(self, paths: Sequence[str | Path]) -> tuple[Validator | None, Classifier | None]:
        """What validates and classifies the records of the submission at ``paths`` (read leniently,
        in hand) for a review, a diff or an acknowledgement: on the ``sql`` backend, or on ``auto`` for
        a bundle large enough to be validated in SQL (:data:`SQL_VALIDATE_FROM_BYTES`), the SQL
        backend, loaded with those records; else (None, None), the record path. Records the tables
        cannot keep exactly (see :func:`~graftkg.columnar.tables.kept_as_they_are`) are checked on the
        record path (they are classified alike: :meth:`classify` on ``sql`` classifies them in SQL too)."""
        if self._backend_for(paths, SQL_VALIDATE_FROM_BYTES) != "sql":
            return None, None
        from graftkg.columnar import ColumnarEngine
        from graftkg.validation.validate import validate_records

        shapes = self._shapes

        def validate(
            records: list[TransplantRecord], unreadable: list[tuple[str | None, InputError]]
        ) -> ValidationReport:
            report = self._columnar.fresh(shapes).validate_records(records, shapes, unreadable)
            if report is None:
                report = validate_records(
                    records, definitions=self._definitions, shapes=shapes, workers=self.workers, unreadable=unreadable
                )
            return report

        def classify(records: Sequence[TransplantRecord], definitions: Definitions) -> list[Classification]:
            if definitions.profile == self._definitions.profile:
                return self._columnar.fresh().classify(records)
            other = ColumnarEngine(definitions, memory_limit=self.memory_limit, temp_directory=self.temp_directory)
            return other.classify(records)

        return validate, classify

    def acknowledge(
        self,
        source: str | Path | Sequence[str | Path],
        file: str | Path,
        *,
        transplant_id: str,
        rule: str,
        reason: str,
        by: str,
        field: str | None = None,
        comment: str = "",
        on: str | None = None,
    ) -> list[Acknowledgement]:
        """Acknowledge the findings of ``rule`` on ``transplant_id`` (and ``field``) in the submission
        ``source``: add them, keyed on their current values, to the acknowledgements ``file`` (CSV or
        Turtle, made if missing), with ``reason`` (a code of the list ``graftkg acknowledge --help``
        gives), who (``by``) and when (``on``, default today). Returns the acknowledgements added.

        Example:
            >>> import tempfile
            >>> where = Path(tempfile.mkdtemp()) / "acks.csv"
            >>> added = Engine().acknowledge("examples/invalid-submission", where, transplant_id="P1-T1",
            ...                              rule="CD34DosePlausible", reason="verified_against_source",
            ...                              by="A. Reviewer")
            >>> [(a.field, a.value) for a in added], where.read_text().splitlines()[0]
            ([('cd34_dose_1e6_per_kg', '630')], 'rule,transplant_id,field,value,reason,comment,by,date')
        """
        from graftkg.reporting.acknowledgements import read_acknowledgements, write_acknowledgements
        from graftkg.reporting.review import acknowledge
        from graftkg.validation.validate import refused_rules

        acks = read_acknowledgements(file)
        submission = self._submission(_paths(source) or [])
        merged, added = acknowledge(
            submission,
            acks,
            refused_rules(self._shapes),
            transplant_id=transplant_id,
            rule=rule,
            reason=reason,
            by=by,
            field=field,
            comment=comment,
            on=on,
        )
        write_acknowledgements(file, merged)
        return added

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

    def render(
        self, results: Sequence[Classification], format: str = "table", *, records: Sequence[TransplantRecord] = ()
    ) -> str:
        """Classifications as text, in a format of ``graftkg classify --format``: ``table`` (one line a
        transplant), ``json``, ``csv`` (for a spreadsheet), ``turtle`` (the records and what the
        definitions infer from them, as :meth:`to_graph`) or ``fhir`` (a FHIR R4 Bundle of the records
        with the derived answers and a graft failure Condition); give the ``records`` for the last
        two. The text is what the command prints, which adds a line break after ``table`` and ``json``.

        Example:
            >>> engine, records = Engine(), read("examples/paper-patients/csv")
            >>> print(engine.render(engine.classify(records[:2]), "csv").splitlines()[0])
            transplant_id,outcome,findings,chimerism,neutrophil_recovery_day,platelet_recovery_day,neutrophil_recovery_date,platelet_recovery_date,risk_factors,explanation
            >>> engine.render(engine.classify(records[:1]), "turtle", records=records[:1]).startswith("@prefix")
            True
        """
        from graftkg.semantics.classify import FORMATS, to_csv, to_json, to_table, to_turtle

        if format in ("turtle", "fhir"):
            if len(records) != len(results):
                raise GraftkgError(f"the {format} format needs the records of the results: give records=...")
            if format == "fhir":
                import json

                from graftkg.reporting.fhir import classified_fhir

                return json.dumps(classified_fhir(records, results), indent=1, ensure_ascii=False) + "\n"
            return to_turtle(records, results, self.profile)
        renderers = {"json": to_json, "table": to_table, "csv": to_csv}
        if format not in renderers:
            raise GraftkgError(f"unknown format '{format}' (choose from: {', '.join(FORMATS)})")
        return renderers[format](results)

    @staticmethod
    def render_chunks(results: Iterable[Classification], format: str) -> Iterator[str]:
        """Classifications as ``csv`` or ``json`` text, a chunk at a time as they come (from
        :meth:`iter_classify`): the chunks joined are :meth:`render`'s text for the same format.

        Example:
            >>> engine = Engine()
            >>> results = engine.classify("examples/paper-patients/csv")
            >>> "".join(engine.render_chunks(iter(results), "csv")) == engine.render(results, "csv")
            True
        """
        from graftkg.semantics.classify import render_chunks

        return render_chunks(results, format)

    def report(self, paths: str | Path | Sequence[str | Path], transplant_id: str) -> Report:
        """The per-transplant report: classification and why, the series, risk factors, the
        recommendations that apply with their evidence, the contraindications checked.

        Example:
            >>> Engine().report("examples/paper-patients/csv", "P1-T1").classification["outcome"]
            'primary_graft_failure'
        """
        from graftkg.reporting.report import build_report

        return build_report(_paths(paths) or [], transplant_id, definitions=self._definitions)

    def query(
        self,
        name: str,
        params: dict[str, str] | None = None,
        *,
        data: str | Path | Sequence[str | Path] = (),
        store: str | Path | None = None,
        endpoint: str | None = None,
    ) -> QueryResult:
        """Run the named SPARQL query ``name`` (``graftkg queries`` lists them); parameters are bound,
        never pasted into the query. It runs on the knowledge base and the records at ``data``,
        classified under this engine's profile; or on an on-disk ``store`` that :meth:`load` filled; or
        on a SPARQL 1.1 ``endpoint`` (a URL). Give at most one of the three.

        Example:
            >>> rows = Engine().query("recommendations-for-transplant", {"transplant_id": "P1-T1"},
            ...                       data="examples/paper-patients/csv").rows
            >>> "salvage_hsct" in [r["recommendation"] for r in rows]
            True
        """
        from graftkg.store.query import run_embedded, run_endpoint

        if sum(map(bool, (data, store, endpoint))) > 1:
            raise GraftkgError("give at most one of data, store and endpoint: where the query runs")
        if endpoint:
            return run_endpoint(endpoint, name, params or {})
        if store:
            from graftkg.store.embedded import open_store

            return run_embedded(open_store(store), name, params or {})
        from graftkg.store.embedded import store_with_data

        paths = _paths(data) if data else []
        return run_embedded(store_with_data(paths or [], definitions=self._definitions), name, params or {})

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
        return load(path, store=where, name=name, definitions=self._definitions, bulk=bulk, progress=progress)

    @staticmethod
    def submissions(store: str | Path | None = None) -> list[dict[str, str]]:
        """The submissions loaded into ``store`` (default ``graftkg-store``), one dict each: ``name``,
        ``transplants``, ``profile`` and ``loaded`` (when), as ``graftkg load --list`` lists them.

        Example:
            >>> import tempfile
            >>> Engine.submissions(Path(tempfile.mkdtemp()) / "store")
            []
        """
        from graftkg.store.load import DEFAULT_STORE, submissions

        return submissions(DEFAULT_STORE if store is None else store)

    @staticmethod
    def unload(submission: str, *, store: str | Path | None = None) -> int:
        """Remove the submission named ``submission``, and everything inferred from it, from ``store``
        (default ``graftkg-store``) in one transaction; return the number of triples removed. An unknown
        name raises :class:`GraftkgError` listing the loaded ones.

        Example:
            >>> import tempfile
            >>> where = Path(tempfile.mkdtemp()) / "store"
            >>> _ = Engine().load("examples/paper-patients/csv", store=where, name="paper")
            >>> Engine.unload("paper", store=where) > 100, Engine.submissions(where)
            (True, [])
        """
        from graftkg.store.load import DEFAULT_STORE, unload

        return unload(submission, store=DEFAULT_STORE if store is None else store)

    @staticmethod
    def convert(records: Sequence[TransplantRecord], to: str = "turtle") -> str:
        """The records, the data only (nothing derived or inferred), as ``graftkg convert`` prints
        them: RDF in the ontology's terms, ``turtle`` or ``json-ld`` (with the published context), or
        ``fhir``, a FHIR R4 Bundle (JSON) that graftkg reads back to the same records (a record
        without an infusion date is placed at day 0 = 2000-01-01, marked as a placeholder: FHIR states
        dates).

        Example:
            >>> print(Engine.convert(read("examples/paper-patients/csv")[:1]).splitlines()[0])
            @prefix gk: <https://w3id.org/graftkg/> .
            >>> Engine.convert([], "json-ld").startswith("{")
            True
            >>> import json; json.loads(Engine.convert(read("examples/paper-patients/csv")[:1], "fhir"))["type"]
            'collection'
        """
        from graftkg.reporting.convert import records_to_graph, to_jsonld

        if to == "fhir":
            import json

            from graftkg.reporting.fhir import records_to_fhir

            return json.dumps(records_to_fhir(records), indent=1, ensure_ascii=False) + "\n"
        if to not in ("turtle", "json-ld"):
            raise GraftkgError(f"unknown format '{to}' (choose from: turtle, json-ld, fhir)")
        graph = records_to_graph(records)
        return to_jsonld(graph) if to == "json-ld" else graph.serialize(format="turtle")

    @staticmethod
    def acknowledgement_reasons() -> dict[str, str]:
        """The reason codes an acknowledgement may give, with their labels (from the ontology).

        Example:
            >>> Engine.acknowledgement_reasons()["verified_against_source"]
            'verified against source documents'
        """
        from graftkg.reporting.acknowledgements import reason_codes

        return reason_codes()

    @staticmethod
    def checks() -> str:
        """The catalogue of the checks :meth:`validate` applies, one row a rule, as a Markdown table
        generated from the shapes (``graftkg checks``; ``docs/checks.md`` holds a copy).

        Example:
            >>> Engine.checks().splitlines()[0]
            '| check | rule | category | severity | threshold | fails above | field | source |'
        """
        from graftkg.validation.shacl import catalogue

        return catalogue()

    @staticmethod
    def profiles() -> list[str]:
        """The names of the definitions profiles shipped with graftkg. ``profile`` may also be the path
        of a profile file of one's own (``.ttl``).

        Example:
            >>> Engine.profiles()
            ['astct-2021', 'paper']
        """
        from graftkg.assets import profiles

        return profiles()

    @staticmethod
    def profile_file(profile: str) -> Path | None:
        """The Turtle file of ``profile``: a shipped profile by name, or a ``.ttl`` file of one's own by
        its path; None when it is neither. (Whether a file of one's own is a valid profile is checked
        when an engine is made with it.)

        Example:
            >>> Engine.profile_file("paper").name, Engine.profile_file("no-such-profile")
            ('paper.ttl', None)
        """
        from graftkg.assets import profile_path

        return profile_path(profile)


__all__ = ["Engine", "Refusals", "read"]
