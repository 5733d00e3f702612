"""The columnar engine: classification of many transplants at once, in SQL on DuckDB.

The steps of the record path, as queries over whole tables: the records' tables
(:mod:`graftkg.columnar.tables`); the cases (a transplant without a graft source is also classified
under each graft source, as :func:`~graftkg.semantics.classify.summarise` does); the derived facts
(:mod:`graftkg.columnar.derive`); one boolean column per defined class of transplants and the
explanations (:mod:`graftkg.columnar.classes`), computed layer by layer in the order the definitions
depend on each other. What comes back is the same :class:`~graftkg.semantics.classify.Classification`
the record path gives.

Example:
    >>> from graftkg.model import TransplantRecord
    >>> engine = ColumnarEngine(Definitions())
    >>> record = TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=15)
    >>> [c.outcome for c in engine.classify([record])]
    ['engrafted']
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import URIRef
from sqlglot import exp, select
from sqlglot.dialects.dialect import DialectType

from graftkg.columnar.bundle import load_bundle
from graftkg.columnar.classes import ClassCompiler
from graftkg.columnar.derive import DeriveSQL
from graftkg.columnar.sql import (
    DUCKDB,
    FALSE,
    Expr,
    alias,
    and_,
    array,
    case,
    coalesce,
    col,
    concat_lists,
    eq,
    filtered,
    fn,
    in_,
    integer,
    is_null,
    not_,
    not_null,
    null,
    or_,
    text,
)
from graftkg.columnar.tables import load_records
from graftkg.errors import GraftkgError, InputError, OntologyError, spill_folder
from graftkg.model import RECORD_FIELDS, TransplantRecord
from graftkg.readers.refusals import Refusals
from graftkg.semantics.classify import (
    NOT_EVALUABLE,
    Classification,
    Reported,
    assemble,
    calculation_sentences,
    combine_cases,
    reported,
)
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.derive import Derived
from graftkg.semantics.facts import LAB_MEASURES
from graftkg.semantics.owlexpr import And, ClassExpr, Labels, Named, Not, Or
from graftkg.semantics.vocabulary import vocabulary

if TYPE_CHECKING:
    from graftkg.columnar.bundle import Left
    from graftkg.columnar.shapes import ShapeCompiler
    from graftkg.validation.shacl import ShapeSet
    from graftkg.validation.validate import ValidationReport

DIALECT = DUCKDB
#: the derived facts, in :class:`~graftkg.semantics.derive.Derived`'s order
DERIVED_COLUMNS = list(Derived.__dataclass_fields__)
#: a transplant's classification, its graft source, and its classifications under each graft source
_Pending = tuple[int, Classification, str | None, list[Classification]]
#: the rows fetched from DuckDB at a time
BATCH = 20_000
#: the most combinations of classes :meth:`ColumnarEngine.classified` keeps what it read of
MEMO = 65_536
#: the separator of an explanation's sentences fetched as one text, and the escape of it in a sentence
_SEP, _ESC = "\x1f", "\x1e"
#: the position a record's highest DSA MFI takes among its observations (after all of them, as in the facts)
_LAST = 1 << 62


def _refs(expr: ClassExpr, out: set[URIRef], *, explained: bool = False) -> None:
    """The named classes ``expr`` tests on the node it is evaluated on (not on the nodes it links to).
    ``explained``: only those its explanation reads (a complement is explained by its label alone)."""
    if isinstance(expr, Named):
        out.add(expr.iri)
    elif isinstance(expr, And | Or):
        for item in expr.items:
            _refs(item, out, explained=explained)
    elif isinstance(expr, Not) and not explained:
        _refs(expr.item, out)


class ColumnarEngine:
    """Classifies records with the definitions of one profile, in SQL on an in-process DuckDB.

    ``memory_limit`` (such as ``"4GB"``) bounds the memory DuckDB takes; what does not fit spills to
    ``temp_directory`` (an existing folder), or by default to a folder of each database's own in the
    system's temporary folder (:func:`tempfile.gettempdir`), which DuckDB makes when it first spills
    and deletes when the database closes: never, as DuckDB would by default, to ``.tmp`` in the
    current folder, where records of patients have no business.

    Example:
        >>> import tempfile
        >>> engine = ColumnarEngine(Definitions())
        >>> spill = engine.con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        >>> Path(spill).parent == Path(tempfile.gettempdir()), Path(spill).name.startswith("graftkg-")
        (True, True)
        >>> ColumnarEngine(Definitions(), temp_directory="no/such/folder")
        Traceback (most recent call last):
        graftkg.errors.GraftkgError: temporary folder 'no/such/folder': not a folder
    """

    def __init__(
        self, definitions: Definitions, *, memory_limit: str | None = None, temp_directory: str | None = None
    ) -> None:
        self.defs = definitions
        self.sql = ClassCompiler(definitions)
        self.memory_limit, self.temp_directory = memory_limit, spill_folder(temp_directory)
        #: the folder this engine's databases spill into (each in a folder of its own), and where a
        #: bundle is copied when DuckDB must read a copy (see :mod:`graftkg.columnar.bundle`)
        self.scratch = temp_directory if temp_directory is not None else tempfile.gettempdir()
        self.con = self._connect()
        self.sources = vocabulary().codes("graft_source")
        missing = [s for s in self.sources if s not in definitions.window_last_day]
        if missing:
            raise OntologyError(f"graft sources without an engraftment window: {', '.join(missing)}")
        self.layers = self._layers()
        self._queries: dict[str, str] = {}  # the SQL text of each query, printed once
        self._stages = DeriveSQL(definitions, self.sql).stages()
        self._prepared = [(name, tree.sql(DIALECT)) for name, tree in self.prepared()]
        self._shape_sql: ShapeCompiler | None = None  # the shapes last compiled (an Engine has one set)
        #: the records of a bundle read in part that the record path classifies, by place (see :meth:`load`)
        self._left: list[tuple[int, TransplantRecord]] = []

    def _connect(self) -> Any:
        """A new in-process DuckDB database, with this engine's limits."""
        import duckdb

        con = duckdb.connect()
        if self.memory_limit is not None:
            try:
                con.execute("SET memory_limit = ?", [self.memory_limit])
            except duckdb.Error:
                raise GraftkgError(f"memory limit '{self.memory_limit}': not a size such as 4GB or 500MB") from None
        import secrets

        # the folder DuckDB spills to: a new one in the scratch folder (a name no one can guess
        # ahead: DuckDB makes it only if it spills, and deletes it when the database closes)
        con.execute("SET temp_directory = ?", [str(Path(self.scratch) / f"graftkg-{secrets.token_hex(8)}")])
        con.execute("SET preserve_insertion_order = false")
        return con

    def fresh(self, shapes: ShapeSet | None = None) -> ColumnarEngine:
        """An engine with the same compiled queries and a database of its own: what one run loads
        and classifies, which no other run sees (an :class:`~graftkg.api.Engine` makes one a call);
        with ``shapes``, compiled here first (see :meth:`shape_compiler`) and so shared too.

        Example:
            >>> engine = ColumnarEngine(Definitions())
            >>> other = engine.fresh()
            >>> other.con is not engine.con, other.query("derived") is engine.query("derived")
            (True, True)
        """
        import copy

        for name in (*dict(self._stages), "classes", "explained"):
            self.query(name)  # every query printed before they are shared
        if shapes is not None:
            self.shape_compiler(shapes)
        other = copy.copy(self)
        other.con = self._connect()
        return other

    def query(self, name: str) -> str:
        """The SQL text (DuckDB's dialect) of one of the engine's queries: ``derived``, ``classes``
        (the classes of every case) or ``explained`` (with the explanations); built once."""
        found = self._queries.get(name)
        if found is None:
            stages = dict(self._stages)
            if name in stages:
                tree: exp.Expr = stages[name]
            elif name in ("classes", "explained"):
                tree = self._final(explain=name == "explained")
            else:
                raise ValueError(f"no query {name!r}")
            found = self._queries[name] = tree.sql(DIALECT)
        return found

    # ------------------------------------------------------------------ plan

    def _layers(self) -> list[list[Named]]:
        """The defined classes of transplants, in layers: each tests only classes of earlier layers."""
        defined = {c.iri: c for c in self.defs.defined_classes if c.definition is not None}
        level: dict[URIRef, int] = {}

        def depth(iri: URIRef, path: tuple[URIRef, ...]) -> int:
            if iri in level:
                return level[iri]
            if iri in path:
                raise OntologyError(f"class {iri} is defined in terms of itself")
            deps: set[URIRef] = set()
            definition = defined[iri].definition
            assert definition is not None
            _refs(definition, deps)
            found = 1 + max((depth(d, (*path, iri)) for d in deps if d in defined), default=-1)
            level[iri] = found
            return found

        for iri in defined:
            depth(iri, ())
        layers: list[list[Named]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
        for iri, n in sorted(level.items()):
            layers[n].append(defined[iri])
        return layers

    def _explained(self) -> set[URIRef]:
        """The classes whose explanations the results read: the outcomes, the findings and what they name."""
        defined = {c.iri: c for c in self.defs.defined_classes if c.definition is not None}
        todo = [c.iri for c in (*self.defs.outcomes, *self.defs.findings)]
        seen: set[URIRef] = set()
        while todo:
            iri = todo.pop()
            if iri in seen or iri not in defined:
                continue
            seen.add(iri)
            found: set[URIRef] = set()
            definition = defined[iri].definition
            assert definition is not None
            _refs(definition, found, explained=True)
            todo.extend(found)
        return seen

    @staticmethod
    def column(iri: URIRef, prefix: str = "c") -> str:
        return f"{prefix}_{Labels.local(iri)}"

    def facts_query(self, explain: bool) -> exp.Select:
        """The query of every case's record fields, derived facts, classes and (with ``explain``) explanation."""
        compiler = self.sql
        compiler.class_columns, compiler.explain_columns = {}, {}
        fields = [f.name for f in RECORD_FIELDS]
        base = (
            select(*(col(n, "c") for n in ["seq", *fields, "variant"]), *(col(n, "d") for n in DERIVED_COLUMNS))
            .from_("cases AS c")
            .join(
                "derived AS d",
                on=and_(eq(col("transplant_id", "c"), col("transplant_id", "d")), _same_variant("c", "d")),
            )
        )
        explained = self._explained() if explain else set()
        query: exp.Select = base
        node = compiler.transplant
        for layer in self.layers:
            columns: list[Expr] = [exp.Star()]
            for named in layer:
                assert named.definition is not None
                holds = compiler.holds(named.definition, node)
                columns.append(alias(holds, self.column(named.iri)))
            query = select(*columns).from_(query.subquery("f", copy=False))
            for named in layer:
                compiler.class_columns[named.iri] = self.column(named.iri)
            why = [n for n in layer if n.iri in explained]
            if why:
                reasons: list[Expr] = [exp.Star()]
                for named in why:
                    assert named.definition is not None
                    body = compiler.explain(named.definition, node)
                    reasons.append(alias(case([(col(self.column(named.iri)), body)]), self.column(named.iri, "e")))
                query = select(*reasons).from_(query.subquery("f", copy=False))
                for named in why:
                    compiler.explain_columns[named.iri] = self.column(named.iri, "e")
        return query

    def _explanation(self) -> Expr:
        """The explanation of each case: its outcome's, then each of its findings'."""
        compiler, node = self.sql, self.sql.transplant
        outcome = case(
            [(col(self.column(c.iri)), compiler.explain(c.expr, node)) for c in self.defs.outcomes], array([])
        )
        findings = [
            case([(col(self.column(c.iri)), compiler.explain(c.expr, node))], array([])) for c in self.defs.findings
        ]
        return concat_lists([outcome, *findings])

    # ------------------------------------------------------------------ run

    def prepared(self) -> list[tuple[str, exp.Query]]:
        """The queries of the tables every other query reads besides the loaded ``transplants`` and
        ``observations``, each named by the table it makes, in order: the engraftment windows, the
        cases (each transplant as it is, and under each graft source when its own is not known), and
        the observations that are nodes of the facts."""
        windows = sorted(self.defs.window_last_day.items())
        values = exp.values(
            [exp.tuple_(text(s), integer(d)) for s, d in windows], alias="w", columns=["graft_source", "last_day"]
        )
        fields = [f.name for f in RECORD_FIELDS]
        known = in_(col("graft_source", "t"), [text(s) for s, _ in windows])
        as_is = select(*(col(n, "t") for n in ["seq", *fields]), alias(exp.cast(null(), "VARCHAR"), "variant")).from_(
            "transplants AS t"
        )
        sources = exp.values([exp.tuple_(text(s)) for s in self.sources], alias="s", columns=["code"])
        by_source = (
            select(
                *(col("code", "s") if n == "graft_source" else col(n, "t") for n in ["seq", *fields]),
                alias(col("code", "s"), "variant"),
            )
            .from_("transplants AS t")
            .join(sources, join_type="cross")
            .where(or_(exp.Is(this=col("graft_source", "t"), expression=null()), exp.not_(known)))
        )
        cases = as_is.union(by_source, distinct=False)
        # the observations that are nodes of the facts (not lab counts), and each record's highest DSA MFI
        obs_cols = ["transplant_id", "seq", "day", "measure", "value", "code", "lineage", "method", "unit"]
        kept = (
            select(*(col(n) for n in obs_cols))
            .from_("observations")
            .where(exp.not_(in_(col("measure"), [text(m) for m in sorted(LAB_MEASURES)])))
        )
        highest = (
            select(
                col("transplant_id"),
                alias(integer(_LAST), "seq"),
                alias(exp.cast(null(), "BIGINT"), "day"),
                alias(text("dsa_mfi"), "measure"),
                alias(col("dsa_max_mfi"), "value"),
                *(alias(exp.cast(null(), "VARCHAR"), n) for n in ("code", "lineage", "method", "unit")),
            )
            .from_("transplants")
            .where(not_null(col("dsa_max_mfi")))
        )
        facts = kept.union(highest, distinct=False)
        return [("windows", select("*").from_(values)), ("cases", cases), (self.sql.facts_table, facts)]

    def derive_tables(self) -> None:
        """Make the table ``derived`` from the loaded tables, stage by stage (each stage a table)."""
        for name, query in self._prepared:
            self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {query}')
        for name, _ in self._stages:
            self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {self.query(name)}')

    def _final(self, *, explain: bool) -> exp.Select:
        """The query of the results of every case, in the order of the records (see :meth:`run`)."""
        facts = self.facts_query(explain)
        classes = [c for layer in self.layers for c in layer]
        columns: list[Expr] = [
            col("seq"),
            col("transplant_id"),
            col("variant"),
            col("infusion_date"),
            col("graft_source"),
            *(col(n) for n in DERIVED_COLUMNS),
            *(col(self.column(c.iri)) for c in classes),
        ]
        if explain:  # one text, not a list: far fewer objects to fetch (see joined_sentences)
            columns.append(alias(joined_sentences(self._explanation()), "explanation"))
        final = select(*columns).from_(facts.subquery("f", copy=False))
        return final.order_by(col("seq"), exp.Ordered(this=col("variant"), nulls_first=True))

    def held_query(self, columns: Mapping[str, URIRef], dialect: DialectType = DIALECT) -> str:
        """The query of whether each class of ``columns`` (column name -> class) is among the classes of
        each transplant's classification (``seq``, one row a transplant): the classes of the transplant
        as it is, or, when it has cases under every graft source that agree on an outcome that is not
        *not evaluable*, those its cases share, as :func:`~graftkg.semantics.classify.combine_cases`
        keeps them. ``one_outcome`` is false for a transplant one of whose cases the definitions give
        not exactly one outcome (the classification then raises
        :class:`~graftkg.errors.ReasonerError`: see :meth:`classified`). Over the derived tables;
        printed in ``dialect``."""
        facts = self.facts_query(explain=False)
        outcomes = [(self.column(c.iri), c.code) for c in self.defs.outcomes]

        def held(name: str) -> Expr:
            return coalesce(col(name), FALSE)

        per_case = select(
            col("seq"),
            col("variant"),
            alias(case([(held(c), text(code)) for c, code in outcomes]), "outcome"),
            alias(_count_true([held(c) for c, _ in outcomes]), "n"),
            *(alias(held(self.column(iri)), name) for name, iri in columns.items()),
        ).from_(facts.subquery("f", copy=False))
        as_is, a_case = is_null(col("variant")), not_null(col("variant"))
        agree = and_(
            eq(filtered(exp.Count(this=exp.Distinct(expressions=[col("outcome")])), a_case), integer(1)),
            not_(coalesce(filtered(fn("bool_or", eq(col("outcome"), text(NOT_EVALUABLE))), a_case), FALSE)),
        )
        grouped = select(
            col("seq"),
            alias(fn("bool_and", eq(col("n"), integer(1))), "one_outcome"),
            *(
                alias(
                    case(
                        [(agree, filtered(fn("bool_and", col(name)), a_case))],
                        filtered(fn("bool_or", col(name)), as_is),
                    ),
                    name,
                )
                for name in columns
            ),
        )
        return grouped.from_(per_case.subquery("c", copy=False)).group_by(col("seq")).sql(dialect)

    def calculations(self) -> dict[str, dict[tuple[str, str], list[int]]]:
        """transplant -> (measure, method) -> days of the counts calculated from others (-1: undated)."""
        calculated = sorted(set(vocabulary().calculates.values()))
        query = (
            select(col("transplant_id"), col("measure"), col("method"), col("day"))
            .from_("observations")
            .where(and_(not_null(col("method")), in_(col("measure"), [text(m) for m in calculated])))
            .order_by(col("transplant_id"), col("seq"))
        )
        out: dict[str, dict[tuple[str, str], list[int]]] = {}
        for tid, measure, method, day in self.con.execute(query.sql(DIALECT)).fetchall():
            out.setdefault(tid, {}).setdefault((measure, method), []).append(-1 if day is None else day)
        return out

    def classify(self, records: Sequence[TransplantRecord], *, explain: bool = True) -> list[Classification]:
        """Classify ``records``: the same classifications as :func:`~graftkg.semantics.classify.classify_records`."""
        self._left = []
        load_records(self.con, records)
        return self.classifications(explain=explain)

    def load(
        self, paths: Sequence[str | Path], *, refusals: Refusals | None = None, most_left: int | None = None
    ) -> list[TransplantRecord] | None:
        """Load the inputs at ``paths`` into the engine's tables. A single CSV bundle that DuckDB may
        read (see :mod:`graftkg.columnar.bundle`) is read so, and None is returned. With
        ``refusals``, a bundle some of whose transplants DuckDB does not read as the record reader
        does is read in part: those transplants (their rows at most ``most_left``) are read from their
        rows by the record reader, with its errors and refusals, and :meth:`iter_classifications`
        classifies them on the record path, each in its place. Any other input is read by the record
        reader (with its errors, and its refusals into ``refusals``), loaded, and its records
        returned."""
        from graftkg.columnar.bundle import load_partly
        from graftkg.readers import bundle_files, read_inputs

        self._left = []
        files = bundle_files(paths)
        if files is not None and refusals is None and load_bundle(self.con, *files, scratch=self.scratch):
            return None
        if files is not None and refusals is not None:
            left = load_partly(self.con, *files, most_left=most_left, scratch=self.scratch)
            if left is not None:
                if left:
                    self._left = [((r.line or 2) - 2, r) for r in _read_left(left, refusals)]
                return None
        records = read_inputs(list(paths), refusals=refusals)
        load_records(self.con, records)
        return records

    def shape_compiler(self, shapes: ShapeSet) -> ShapeCompiler:
        """The shapes ``shapes`` compiled to SQL (:mod:`graftkg.columnar.shapes`), every query printed
        once. An engine keeps the set it compiled last; :meth:`fresh` engines compile their own unless
        it was compiled before they were made."""
        from graftkg.columnar.shapes import ShapeCompiler

        found = self._shape_sql
        if found is None or found.shapes is not shapes:
            found = ShapeCompiler(shapes, [c.iri for layer in self.layers for c in layer])
            found.inferred_sql = self.held_query(found.flags())
            self._shape_sql = found
        return found

    def validate(
        self,
        paths: Sequence[str | Path],
        shapes: ShapeSet,
        *,
        most_left: int | None = None,
        workers: int | None = None,
    ) -> ValidationReport | None:
        """Validate the CSV bundle at ``paths`` against ``shapes``: the report the record path gives.
        What DuckDB reads as the record reader reads it is checked in SQL; the transplants with a row
        it does not (a cell the record reader must judge, say) are left to the record path, which
        reads their rows leniently, every cell it cannot read a finding (see
        :func:`~graftkg.columnar.bundle.load_partly` and
        :func:`~graftkg.columnar.shapes.validate_partly`; ``workers`` its processes). None, with
        nothing read, when the input is not a bundle, or not one DuckDB may read at all (see
        :mod:`graftkg.columnar.bundle`), or when it would leave more than ``most_left`` rows of the
        files to the record path: the record path is then the one to validate it.

        Example:
            >>> from graftkg.validation.shacl import load_shapes
            >>> report = ColumnarEngine(Definitions()).validate(["examples/paper-patients/csv"], load_shapes())
            >>> report.transplants, report.conforms()
            (8, True)
            >>> report = ColumnarEngine(Definitions()).validate(["examples/invalid-submission"], load_shapes())
            >>> report.transplants, report.conforms(), report.findings[0].rule
            (8, False, 'CD34DosePlausible')
        """
        from graftkg.columnar.bundle import load_partly
        from graftkg.columnar.shapes import validate_loaded, validate_partly
        from graftkg.readers import bundle_files

        files = bundle_files(paths)
        left = None if files is None else load_partly(self.con, *files, most_left=most_left, scratch=self.scratch)
        if files is None or left is None:
            return None
        compiler = self.shape_compiler(shapes)
        if left:
            return validate_partly(self, compiler, left, workers)
        return validate_loaded(self, compiler, sources=(str(files[0]), str(files[1])))

    def validate_records(
        self,
        records: Sequence[TransplantRecord],
        shapes: ShapeSet,
        unreadable: Sequence[tuple[str | None, InputError]] = (),
    ) -> ValidationReport | None:
        """Validate ``records`` (read leniently) against ``shapes`` in SQL, with ``unreadable`` (the
        cells and rows the read could not read: ``Refusals.sorted()``) as findings first: the report
        the record path gives. None when the tables cannot keep the records exactly (see
        :func:`~graftkg.columnar.tables.kept_as_they_are`): the record path is then the one to check them.

        Example:
            >>> from graftkg.readers import read_inputs
            >>> from graftkg.validation.shacl import load_shapes
            >>> records = read_inputs(["examples/invalid-submission"], lenient=True)
            >>> report = ColumnarEngine(Definitions()).validate_records(records, load_shapes())
            >>> report.transplants, report.conforms()
            (8, False)
        """
        from graftkg.columnar.shapes import validate_loaded
        from graftkg.columnar.tables import kept_as_they_are
        from graftkg.validation.validate import read_findings

        if not kept_as_they_are(records):
            return None
        load_records(self.con, records)
        report = validate_loaded(self, self.shape_compiler(shapes), records=records)
        report.findings[:0] = read_findings(unreadable)
        return report

    def count(self) -> int:
        """The transplants loaded: in the tables, and left to the record path (see :meth:`load`).

        Example:
            >>> engine = ColumnarEngine(Definitions())
            >>> engine.load(["examples/paper-patients/csv"]), engine.count()
            (None, 8)
        """
        found = self.con.execute(select(fn("count", exp.Star())).from_("transplants").sql(DIALECT)).fetchone()
        return int(found[0]) + len(self._left)

    def classifications(self, *, explain: bool = True) -> list[Classification]:
        """The classifications of the records loaded in the engine's tables, in their order."""
        return list(self.iter_classifications(explain=explain))

    def iter_classifications(self, *, explain: bool = True, batch: int = BATCH) -> Iterator[Classification]:
        """:meth:`classifications` one at a time, fetched from DuckDB ``batch`` rows at a time: the
        memory they take stays that of a batch, however many records there are. The records a bundle
        read in part left to the record reader (see :meth:`load`) are classified on the record path,
        each in its place in the bundle."""
        import heapq

        from graftkg.semantics.classify import classify_records

        self.derive_tables()
        found: Iterator[tuple[int, Classification]] = self.classified(explain=explain, batch=batch)
        if self._left:
            places = [seq for seq, _ in self._left]
            left = classify_records([r for _, r in self._left], definitions=self.defs, explain=explain)
            found = heapq.merge(found, zip(places, left, strict=True), key=lambda item: item[0])
        for _, result in found:
            yield result

    def classified(
        self, *, explain: bool = True, batch: int = BATCH, only: str | None = None
    ) -> Iterator[tuple[int, Classification]]:
        """``(seq, classification)`` of each transplant of the derived tables (see :meth:`derive_tables`), in
        order; with ``only``, of the transplants whose ``seq`` is in that table's column ``seq``."""
        calculations = self.calculations() if explain else {}
        name = "explained" if explain else "classes"
        query = self.query(name)
        if only is not None:
            query = (
                select("*")
                .from_(self._final(explain=explain).subquery("q"))
                .where(exp.In(this=col("seq"), query=select(col("seq")).from_(only).subquery()))
                .order_by(col("seq"), exp.Ordered(this=col("variant"), nulls_first=True))
                .sql(DIALECT)
            )
        cursor = self.con.execute(query)
        classes = [c.iri for layer in self.layers for c in layer]
        first_class = 5 + len(DERIVED_COLUMNS)
        last_class = first_class + len(classes)
        # what is read of each combination of classes held, read once: transplants share a few
        # thousand combinations (a bounded memo: emptied when it holds MEMO of them)
        known: dict[tuple[bool, ...], tuple[frozenset[URIRef], Reported]] = {}
        pending: _Pending | None = None
        while rows := cursor.fetchmany(batch):
            for row in rows:
                seq, tid, variant, infusion_date, source = row[:5]
                derived = Derived(*row[5:first_class])
                holds = row[first_class:last_class]
                hit = known.get(holds)
                if hit is None:
                    found = frozenset(iri for iri, held in zip(classes, holds, strict=True) if held)
                    if len(known) >= MEMO:
                        known.clear()
                    hit = known[holds] = (found, reported(tid, found, self.defs))
                explanation: list[str] = []
                if explain:
                    explanation = split_sentences(row[-1])
                    by_method = calculations.get(tid)
                    if by_method:
                        explanation.extend(calculation_sentences(by_method, self.defs))
                result = assemble(tid, set(hit[0]), derived, explanation, infusion_date, self.defs, report=hit[1])
                if variant is not None:
                    assert pending is not None
                    pending[3].append(result)
                    continue
                if pending is not None:
                    yield self._settled(pending, explain)
                pending = (seq, result, source, [])
        if pending is not None:
            yield self._settled(pending, explain)

    def _settled(self, pending: _Pending, explain: bool) -> tuple[int, Classification]:
        """A transplant's classification, from its cases under each graft source when it has them."""
        seq, result, source, cases = pending
        return seq, combine_cases(source, result, cases, self.sources, explain) if cases else result

    def derived(self, records: Sequence[TransplantRecord]) -> list[Derived]:
        """The derived facts of ``records`` (of each as it is: no case under another graft source)."""
        load_records(self.con, records)
        self.derive_tables()
        query = (
            select(*(col(n, "d") for n in DERIVED_COLUMNS))
            .from_("derived AS d")
            .join(
                "cases AS c", on=and_(eq(col("transplant_id", "c"), col("transplant_id", "d")), _same_variant("c", "d"))
            )
            .where(exp.Is(this=col("variant", "c"), expression=null()))
            .order_by(col("seq", "c"))
        )
        return [Derived(*row) for row in self.con.execute(query.sql(DIALECT)).fetchall()]


def joined_sentences(sentences: Expr) -> Expr:
    r"""A list of texts (an explanation's sentences) as one text, which :func:`split_sentences` splits
    again: each text escaped (``\x1e`` as ``\x1e0``, ``\x1f`` as ``\x1e1``) after a ``\x1f``.

    Example:
        >>> import duckdb
        >>> listed = exp.Array(expressions=[text("a"), text("b\x1fc\x1e"), text("")])
        >>> [joined] = duckdb.connect().execute(select(joined_sentences(listed)).sql(DIALECT)).fetchone()
        >>> joined
        '\x1fa\x1fb\x1e1c\x1e0\x1f'
        >>> split_sentences(joined)
        ['a', 'b\x1fc\x1e', '']
    """
    s = exp.to_identifier("s")
    escaped = fn("replace", fn("replace", exp.column(s), text(_ESC), text(_ESC + "0")), text(_SEP), text(_ESC + "1"))
    prefixed = exp.DPipe(this=text(_SEP), expression=escaped)
    return fn("array_to_string", fn("list_transform", sentences, exp.Lambda(this=prefixed, expressions=[s])), text(""))


def split_sentences(joined: str) -> list[str]:
    r"""The texts :func:`joined_sentences` joined, each once, in order.

    Example:
        >>> split_sentences("\x1fa\x1fb\x1fa"), split_sentences(""), split_sentences("\x1f")
        (['a', 'b'], [], [''])
    """
    parts = joined.split(_SEP)[1:]
    if _ESC in joined:
        parts = [p.replace(_ESC + "1", _SEP).replace(_ESC + "0", _ESC) for p in parts]
    return list(dict.fromkeys(parts))


def _read_left(left: Left, refusals: Refusals) -> list[TransplantRecord]:
    """The records of the rows a bundle read in part left (see
    :func:`~graftkg.columnar.bundle.load_partly`), read as :func:`~graftkg.readers.read_inputs` reads
    a bundle for classification: the reader's errors and the content rules refuse transplants into
    ``refusals``."""
    from graftkg.readers.csv_bundle import read_rows
    from graftkg.readers.rules import refuse_content

    (tpath, t_header), (opath, o_header) = left.files
    t_rows, o_rows = left.rows
    by_id = read_rows((tpath, t_header, t_rows), (opath, o_header, o_rows), refusals)
    kept = refuse_content([r for tid, r in by_id.items() if tid not in refusals.refused], refusals)
    return [r for r in kept if r.transplant_id not in refusals.refused]


def _count_true(items: Sequence[Expr]) -> Expr:
    """How many of the conditions ``items`` hold (NULL counts as false)."""
    out: Expr = integer(0)
    for item in items:
        out = exp.Add(this=out, expression=case([(item, integer(1))], integer(0)))
    return out


def _same_variant(a: str, b: str) -> Expr:
    """Both rows are of the same case (``variant`` is NULL for the transplant as it is)."""
    return exp.NullSafeEQ(this=col("variant", a), expression=col("variant", b))
