"""The SHACL shapes as SQL checks, run by DuckDB on the columnar engine's tables.

As OHDSI's Data Quality Dashboard runs one SQL query per check, each property shape of ``shapes/`` is
compiled to one query that returns the nodes (and values) failing it. The queries read the facts the
record path's shapes read (:func:`graftkg.semantics.facts.build_facts` with the lab counts, and the
inferred classes), laid out as relations, one per kind of node:

- ``v_transplant``: a transplant's record fields, its derived facts, the inferred classes the shapes
  target, what a path through its observations or its prior transplant reaches;
- its parts (donor, graft, conditioning regimen): columns of the same rows, a node where any of
  them is stated;
- ``v_patient``: a patient's facts merged over all its transplants (a patient node is shared);
- ``v_observation``: every observation (lab counts, chimerism assays, DSA tests, episodes, support
  events) and each record's highest DSA MFI, in the record's order.

Each path of a shape is a value expression over one of those relations (a list where a node may have
several values), and each constraint a predicate in SHACL Core's sense, built with sqlglot. What the
queries give is turned into the record path's findings, with the same rule, value, message and
location, in the same order; ``tests/test_columnar.py`` holds the two equal.

Only a CSV bundle DuckDB read itself is validated here (:mod:`graftkg.columnar.bundle`): every cell of
it read as the record reader reads it, so there is no unreadable cell or refused content to report,
and each row's line is its place in the file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib import URIRef
from sqlglot import exp, select
from sqlglot.dialects.dialect import DialectType

from graftkg.columnar.classes import DERIVED_KINDS
from graftkg.columnar.sql import (
    DUCKDB,
    FALSE,
    TRUE,
    Expr,
    OrderedList,
    Ordinal,
    alias,
    and_,
    array,
    case,
    coalesce,
    col,
    eq,
    filtered,
    first_of,
    fn,
    ge,
    gt,
    in_,
    integer,
    is_null,
    le,
    lt,
    not_,
    not_null,
    null,
    num,
    or_,
    size,
    sub,
    text,
)
from graftkg.errors import OntologyError
from graftkg.model import ENTITIES, RECORD_FIELDS, TransplantRecord
from graftkg.rdf import GK, RDF, XSD, node_id, trusted_iri
from graftkg.semantics.facts import DERIVED_PROPERTIES, LAB_MEASURES, MEASURE_TYPES, SUPPORT_MEASURES
from graftkg.semantics.owlexpr import Item
from graftkg.semantics.vocabulary import vocabulary
from graftkg.validation.shacl import Result, Shape, ShapeSet

if TYPE_CHECKING:
    from graftkg.columnar.bundle import Left
    from graftkg.columnar.engine import ColumnarEngine
    from graftkg.semantics.classify import Classification
    from graftkg.validation.validate import Checked, ValidationReport

DIALECT = DUCKDB
#: the table of the values failing each shape's sh:pattern (``shape``, ``v``), filled before the checks run
PATTERN_FAILURES = "pattern_failures"
#: the SQL type of each kind of value a path gives
_SQL_TYPES = {
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "str": "VARCHAR",
    "date": "DATE",
    "code": "VARCHAR",
    "iri": "VARCHAR",
    "node": "VARCHAR",
    "ref": "VARCHAR",
}
#: the datatype a value of each kind has in the facts (None: an IRI, which has none)
_DATATYPES = {"int": XSD.integer, "float": XSD.decimal, "bool": XSD.boolean, "str": XSD.string, "date": XSD.date}
_NUMERIC = ("int", "float")
#: a record field's kind -> the kind of value its property has in the facts
_FIELD_VALUES = {
    "id": "str",
    "text": "str",
    "int": "int",
    "day_or_never": "int",
    "float": "float",
    "bool": "bool",
    "never": "bool",
    "date": "date",
    "code": "code",
    "codes": "code",
    "ref": "ref",
}
#: the kind of value each derived fact has in the facts (a number is a decimal)
_DERIVED_VALUES = {name: "float" if kind == "num" else kind for name, kind in DERIVED_KINDS.items()}
#: the marker of a patient named by no identifier of its own (its node is the transplant's, see build_facts)
_UNNAMED = "U"
_NAMED = "P"
#: the columns of a transplant's prior transplant (of the submission) are these names prefixed
_PRIOR = "p_"
Path = tuple[URIRef, ...]


@dataclass(frozen=True)
class Values:
    """The values of a path from a node: an expression over the node's row (a list when ``listed``)."""

    expr: Expr
    kind: str
    listed: bool = False
    #: the vocabulary field of a code
    field: str | None = None


@dataclass
class NodeKind:
    """One kind of node of the facts, as rows of a relation.

    ``t`` is the row's transplant (its ``seq``, which orders the results as the record path's
    partitions do), ``rank`` and ``idx`` the node's place among the transplant's nodes (the order the
    facts list them in), ``node`` what names a shared node (a patient), ``tid`` the transplant whose
    finding it is and ``loc`` the row of ``observations.csv`` it was read from, if any.
    """

    name: str
    relation: str
    present: Expr
    rank: Expr
    idx: Expr = field(default_factory=lambda: integer(0))
    node: Expr = field(default_factory=lambda: exp.cast(null(), "VARCHAR"))
    loc: Expr = field(default_factory=lambda: exp.cast(null(), "BIGINT"))
    #: class -> (its place among the node's types, whether the row's node has it)
    types: dict[URIRef, tuple[int, Expr]] = field(default_factory=dict)
    #: the node's properties, in the order the facts state them (shapes targeting subjects of a
    #: property are run in that order)
    order: list[URIRef] = field(default_factory=list)
    paths: dict[Path, Values] = field(default_factory=dict)
    #: (path, class) -> how many of the nodes the path reaches have the class
    counts: dict[tuple[Path, URIRef], Expr] = field(default_factory=dict)
    #: for a path through observations: the first row of ``observations.csv`` with the value as its day
    located: dict[Path, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """One constraint of one shape on one kind of node, compiled: the query of its failures and how
    to read them (the kinds of the values of its ``pos`` 0 and 1 halves)."""

    shape: Shape
    number: int
    kind: str
    values: tuple[Values, ...]
    component: str


class ShapeCompiler:
    """Compiles a set of shapes to SQL over the validation relations (see the module docstring).

    Example:
        >>> from graftkg.semantics.definitions import Definitions
        >>> from graftkg.validation.shacl import load_shapes
        >>> defs = Definitions()
        >>> compiler = ShapeCompiler(load_shapes(), [c.iri for c in defs.defined_classes if c.definition is not None])
        >>> sql = compiler.query(next(s for s in compiler.shapes if s.iri.endswith("/DeathDayPlausible")))
        >>> "v_transplant" in sql and "3650" in sql
        True
    """

    def __init__(self, shapes: ShapeSet, defined: Iterable[URIRef]) -> None:
        self.shapes = shapes
        #: the classes the definitions infer (the others a shape targets are asserted types)
        self.defined = frozenset(defined)
        self.vocab = vocabulary()
        order = {s.iri: k for k, s in enumerate(shapes)}
        self._shape_no = order
        #: the inferred classes the shapes target (a column each in v_transplant)
        self.inferred = sorted({s.target_class for s in shapes if s.target_class in self.defined}, key=str)
        self.through = sorted(
            {s.path for s in shapes if len(s.path) > 1 and s.path[0] == GK.observation},
            key=lambda p: tuple(map(str, p)),
        )
        self.qualified: list[tuple[Path, URIRef]] = sorted(
            {(s.path, _qualified_class(s)) for s in shapes if any(k == "qualifiedClass" for k, _ in s.constraints)},
            key=str,
        )
        self.kinds = self._kinds()
        #: the query of the table ``inferred`` (see :meth:`relations`), which the engine that compiled
        #: these shapes writes (:meth:`~graftkg.columnar.engine.ColumnarEngine.held_query`)
        self.inferred_sql: str | None = None
        self._checks: dict[URIRef, tuple[str, list[Check]]] = {}
        #: the SQL text of the relations, of what applies and of each pattern's values, printed once
        self.relation_sql = [(name, tree.sql(DIALECT)) for name, tree in self.relations()]
        self.applicable_sql = self.applicable_queries()
        self.pattern_sql = {
            s.iri: self.pattern_values(s) for s in shapes if any(k == "pattern" for k, _ in s.constraints)
        }
        for shape in shapes:
            self.checks(shape)

    # ------------------------------------------------------------------ the relations

    def _field_values(self, name: str, kind: str, column: Expr, *, as_code: bool = False) -> Values:
        """The values of a record field's property, from ``column``."""
        if kind == "codes":
            return Values(coalesce(column, array([])), "code", listed=True, field=name)
        if kind == "never":
            return Values(case([(column, TRUE)]), "bool")
        if kind == "code" and as_code:
            return Values(column, "str")
        values = _FIELD_VALUES[kind]
        return Values(column, values, field=name if values == "code" else None)

    def _kinds(self) -> list[NodeKind]:
        n = "n"
        by_entity: dict[str, list[tuple[str, str, URIRef, bool]]] = {}
        for f in RECORD_FIELDS:
            by_entity.setdefault(f.spec.entity, []).append(
                (f.name, f.spec.kind, GK[f.spec.prop], f.spec.stated_as_code)
            )
        entities = list(by_entity)  # the order build_facts states them in

        transplant = NodeKind("transplant", "v_transplant", TRUE, integer(0))
        transplant.types[GK.Transplant] = (0, TRUE)
        for k, iri in enumerate(self.inferred):
            transplant.types[iri] = (1 + k, col(_flag(iri), n))
        transplant.order = [RDF.type, GK.identifier]
        transplant.paths[(GK.identifier,)] = Values(col("transplant_id", n), "str")
        parts: list[NodeKind] = []
        patient_fields = by_entity.get("patient", [])
        for entity in entities:
            stated = by_entity[entity]
            if entity == "transplant":
                for name, kind, prop, as_code in stated:
                    if name == "transplant_id":
                        continue
                    transplant.order.append(prop)
                    transplant.paths[(prop,)] = self._field_values(name, kind, col(name, n), as_code=as_code)
                continue
            if entity not in ENTITIES:
                continue  # a dayless observation (the highest DSA MFI): a row of v_observation
            link, cls = ENTITIES[entity]
            link_iri = GK[link]
            transplant.order.append(link_iri)
            present = or_(*(_stated(kind, col(name, n)) for name, kind, *_ in stated))
            if entity == "patient":
                pid = next(name for name, kind, *_ in stated if kind == "id")
                named = not_null(col(pid, n))
                transplant.paths[(link_iri,)] = Values(
                    case([(named, exp.DPipe(this=text(_NAMED), expression=col(pid, n))), (present, text(_UNNAMED))]),
                    "node",
                )
                transplant.paths[(link_iri, GK.identifier)] = Values(col(pid, n), "str")
                continue
            part = NodeKind(entity, "v_transplant", present, integer(1 + entities.index(entity)))
            part.types[GK[cls]] = (0, TRUE)
            part.order = [RDF.type]
            for name, kind, prop, as_code in stated:
                values = self._field_values(name, kind, col(name, n), as_code=as_code)
                part.order.append(prop)
                part.paths[(prop,)] = values
                transplant.paths[(link_iri, prop)] = values
            transplant.paths[(link_iri,)] = Values(case([(present, text(entity))]), "str")
            parts.append(part)
        transplant.order.append(GK.observation)
        for attr, prop in DERIVED_PROPERTIES.items():
            transplant.order.append(prop)
            transplant.paths[(prop,)] = Values(col(attr, n), _DERIVED_VALUES[attr])
        # a prior transplant of the submission: the facts a path from another transplant reads
        transplant.paths[(GK.priorTransplant, GK.identifier)] = Values(col(_PRIOR + "transplant_id", n), "str")
        transplant.paths[(GK.priorTransplant, GK.transplantNumber)] = Values(
            col(_PRIOR + "transplant_number", n), "int"
        )
        transplant.paths[(GK.priorTransplant, GK.infusionDate)] = Values(col(_PRIOR + "infusion_date", n), "date")
        pid = next(name for name, kind, *_ in patient_fields if kind == "id")
        # the prior's patient: named by its identifier; without one, the prior's own node, which is
        # this transplant's recipient only when the prior is this transplant itself
        itself = eq(col(_PRIOR + "transplant_id", n), col("transplant_id", n))
        transplant.paths[(GK.priorTransplant, GK.recipient)] = Values(
            case(
                [
                    (not_null(col(_PRIOR + pid, n)), exp.DPipe(this=text(_NAMED), expression=col(_PRIOR + pid, n))),
                    (itself, transplant.paths[(GK.recipient,)].expr),
                ]
            ),
            "node",
        )

        observation = self._observation_kind()
        for path in self.through:
            rest = path[1:]
            if len(rest) != 1 or rest not in observation.paths:
                raise OntologyError(f"a path through observations to {rest} is not supported by the SQL backend")
            element = observation.paths[rest]
            transplant.paths[path] = Values(
                coalesce(col(_through(path), n), array([], _SQL_TYPES[element.kind])),
                element.kind,
                listed=True,
                field=element.field,
            )
            transplant.located[path] = rest == (GK.day,)
        for path, cls in self.qualified:
            if path != (GK.observation,) or cls not in observation.types:
                raise OntologyError(f"a qualified value shape on {path} is not supported by the SQL backend")
            transplant.counts[path, cls] = coalesce(col(_counted(cls), n), integer(0))

        patient = NodeKind("patient", "v_patient", TRUE, integer(1), node=col("pid", n), idx=integer(0))
        patient.types[GK[ENTITIES["patient"][1]]] = (0, TRUE)
        patient.order = [RDF.type]
        for name, kind, prop, _ in patient_fields:
            patient.order.append(prop)
            if kind == "id":
                patient.paths[(prop,)] = Values(col("pid", n), "str")
            elif kind == "code":
                patient.paths[(prop,)] = Values(coalesce(col(name, n), array([])), "code", listed=True, field=name)
            else:
                raise OntologyError(f"a patient's field {name} of kind {kind} is not supported by the SQL backend")
        return [transplant, patient, *parts, observation]

    def _observation_kind(self) -> NodeKind:
        """The observations, lab counts and not, as build_facts states them."""
        n = "n"
        measure = col("measure", n)
        kind = NodeKind(
            "observation",
            "v_observation",
            TRUE,
            case([(col("lab", n), integer(6))], integer(5)),
            idx=col("idx", n),
            loc=col("line", n),
        )
        lab = col("lab", n)

        def of(*measures: str) -> Expr:
            return in_(measure, [text(m) for m in sorted(measures)])

        kind.types[GK.LabObservation] = (0, lab)
        for m, cls in sorted(MEASURE_TYPES.items()):
            kind.types[cls] = (1, eq(measure, text(m)))
        chimerism, dsa, infection, gvhd = "donor_chimerism_pct", "dsa_mfi", "infection", "gvhd"
        kind.types[GK.SupportEvent] = (0, of(*SUPPORT_MEASURES))
        kind.types[GK.ChimerismAssay] = (0, of(chimerism))
        kind.types[GK.DSATest] = (0, of(dsa))
        kind.types[GK.InfectionEpisode] = (0, of(infection))
        kind.types[GK.GvHDEpisode] = (0, of(gvhd))
        value = col("value", n)
        kind.paths[(GK.day,)] = Values(col("day", n), "int")
        kind.paths[(GK.unitCode,)] = Values(col("unit", n), "str")
        support = case([(eq(measure, text(m)), text(str(iri))) for m, iri in sorted(SUPPORT_MEASURES.items())])
        kind.paths[(GK.support,)] = Values(support, "iri")
        kind.paths[(GK.donorChimerismPct,)] = Values(case([(of(chimerism), value)]), "float")
        kind.paths[(GK.lineage,)] = Values(case([(of(chimerism), col("lineage", n))]), "code", field="lineage")
        kind.paths[(GK.assayMethod,)] = Values(case([(of(chimerism), col("method", n))]), "str")
        kind.paths[(GK.mfi,)] = Values(case([(of(dsa), value)]), "float")
        kind.paths[(GK.pathogen,)] = Values(case([(of(infection), col("code", n))]), "code", field="infection")
        grade = exp.cast(fn("trunc", value), "BIGINT")  # int(value): toward zero
        kind.paths[(GK.gvhdGrade,)] = Values(case([(of(gvhd), grade)]), "int")
        measured = case([(eq(measure, text(m)), text(str(GK[m]))) for m in sorted(LAB_MEASURES)])
        kind.paths[(GK.measured,)] = Values(measured, "iri")
        kind.paths[(GK.value,)] = Values(case([(lab, value)]), "float")
        kind.paths[(GK.calculatedBy,)] = Values(case([(lab, col("method", n))]), "code", field="calculation")
        # the order build_facts states a node's properties in (day first, on both kinds)
        kind.order = [GK.day, GK.unitCode, RDF.type, GK.measured, GK.value, GK.calculatedBy]
        return kind

    def flags(self) -> dict[str, URIRef]:
        """The columns of table ``inferred`` (see :meth:`relations`): name -> inferred class."""
        return {_flag(iri): iri for iri in self.inferred}

    def relations(self) -> list[tuple[str, exp.Query]]:
        """The relations the checks read, in the order they are made (each a temp table).

        They read ``transplants``, ``observations``, ``derived`` (the engine's derivation) and
        ``inferred`` (by ``seq``, a column of :meth:`flags` a class: whether the transplant's
        classification holds it).
        """
        lab = [text(m) for m in sorted(LAB_MEASURES)]
        o, t = "o", "t"
        idx = sub(
            exp.Window(
                this=exp.RowNumber(),
                partition_by=[col("transplant_id", o)],
                order=exp.Order(expressions=[exp.Ordered(this=col("seq", o))]),
            ),
            integer(1),
        )
        counted = (
            select(col("transplant_id"), alias(exp.Count(this=exp.Star()), "total"))
            .from_("observations")
            .group_by(col("transplant_id"))
        )
        rows = (
            select(
                alias(col("seq", t), "t"),
                alias(col("transplant_id", o), "tid"),
                alias(idx, "idx"),
                alias(in_(col("measure", o), lab), "lab"),
                *(col(c, o) for c in ("day", "measure", "value", "code", "lineage", "method", "unit")),
                alias(col("seq", o), "line"),
            )
            .from_("observations AS o")
            .join("transplants AS t", on=eq(col("transplant_id", t), col("transplant_id", o)))
        )
        highest = (
            select(
                alias(col("seq", t), "t"),
                alias(col("transplant_id", t), "tid"),
                alias(coalesce(col("total", "c"), integer(0)), "idx"),
                alias(FALSE, "lab"),
                alias(exp.cast(null(), "BIGINT"), "day"),
                alias(text("dsa_mfi"), "measure"),
                alias(col("dsa_max_mfi", t), "value"),
                *(alias(exp.cast(null(), "VARCHAR"), c) for c in ("code", "lineage", "method", "unit")),
                alias(exp.cast(null(), "BIGINT"), "line"),
            )
            .from_("transplants AS t")
            .join(counted.subquery("c"), on=eq(col("transplant_id", "c"), col("transplant_id", t)), join_type="left")
            .where(not_null(col("dsa_max_mfi", t)))
        )
        observation = rows.union(highest, distinct=False)

        kinds = {k.name: k for k in self.kinds}
        obs_kind = kinds["observation"]
        aggregates: list[Expr] = []
        order = [col("lab", "n"), col("idx", "n")]
        for path in self.through:
            element = obs_kind.paths[path[1:]].expr
            ordered = OrderedList(this=element, expressions=order, where=not_null(element))
            aggregates.append(alias(ordered, _through(path)))
        for _, cls in self.qualified:
            aggregates.append(alias(filtered(exp.Count(this=exp.Star()), obs_kind.types[cls][1]), _counted(cls)))
        through = select(col("t", "n"), *aggregates).from_("v_observation AS n").group_by(col("t", "n"))

        patient_fields = [f for f in RECORD_FIELDS if f.spec.entity == "patient"]
        pid = next(f.name for f in patient_fields if f.spec.kind == "id")
        d = "d"
        transplant = (
            select(
                exp.Column(this=exp.Star(), table=exp.to_identifier(t)),
                *(col(name, d) for name in DERIVED_PROPERTIES),
                *(alias(coalesce(col(_flag(iri), "i"), FALSE), _flag(iri)) for iri in self.inferred),
                *(alias(col(c, "p"), _PRIOR + c) for c in ("transplant_id", "transplant_number", "infusion_date", pid)),
                *(col(_through(path), "a") for path in self.through),
                *(col(_counted(cls), "a") for _, cls in self.qualified),
            )
            .from_("transplants AS t")
            .join(
                "derived AS d",
                on=and_(eq(col("transplant_id", d), col("transplant_id", t)), is_null(col("variant", d))),
                join_type="left",
            )
            .join("inferred AS i", on=eq(col("seq", "i"), col("seq", t)), join_type="left")
            .join("transplants AS p", on=eq(col("transplant_id", "p"), col("prior_transplant_id", t)), join_type="left")
            .join(through.subquery("a"), on=eq(col("t", "a"), col("seq", t)), join_type="left")
        )
        return [
            ("v_observation", observation),
            ("v_transplant", transplant),
            ("v_patient", self._patients(pid, [f.name for f in patient_fields if f.spec.kind != "id"])),
        ]

    def _patients(self, pid: str, fields: list[str]) -> exp.Query:
        """A patient's facts merged over its transplants (each value once, in the order first stated);
        a patient without an identifier is its transplant's own node."""
        named = (
            select(
                alias(exp.Min(this=col("seq")), "t"),
                alias(col(pid), "pid"),
                alias(first_of(col("transplant_id"), col("seq")), "tid"),
            )
            .from_("transplants")
            .where(not_null(col(pid)))
            .group_by(col(pid))
        )
        query = select(col("t", "p"), col("pid", "p"), col("tid", "p"), *(col(f, f) for f in fields)).from_(
            named.subquery("p")
        )
        for name in fields:
            firsts = (
                select(col(pid), alias(col(name), "v"), alias(exp.Min(this=col("seq")), "first"))
                .from_("transplants")
                .where(and_(not_null(col(pid)), not_null(col(name))))
                .group_by(col(pid), col(name))
            )
            listed = (
                select(col(pid), alias(OrderedList(this=col("v"), expressions=[col("first")]), name))
                .from_(firsts.subquery("x"))
                .group_by(col(pid))
            )
            query = query.join(listed.subquery(name), on=eq(col(pid, name), col("pid", "p")), join_type="left")
        unnamed = (
            select(
                alias(col("seq"), "t"),
                alias(exp.cast(null(), "VARCHAR"), "pid"),
                alias(col("transplant_id"), "tid"),
                *(alias(case([(not_null(col(f)), exp.Array(expressions=[col(f)]))], array([])), f) for f in fields),
            )
            .from_("transplants")
            .where(and_(is_null(col(pid)), or_(*(not_null(col(f)) for f in fields))))
        )
        # (a patient's fields other than its identifier are single codes: stated when not null)
        return query.union(unnamed, distinct=False)

    # ------------------------------------------------------------------ the checks

    def checks(self, shape: Shape) -> tuple[str, list[Check]]:
        """The query of ``shape``'s failures (SQL text) and the checks it unites."""
        found = self._checks.get(shape.iri)
        if found is None:
            tree, checks = self._compile(shape)
            found = self._checks[shape.iri] = (tree.sql(DIALECT), checks)
        return found

    def tree(self, shape: Shape) -> exp.Expression:
        """The query of ``shape``'s failures as a sqlglot tree (to print in another dialect)."""
        return self._compile(shape)[0]

    def query(self, shape: Shape) -> str:
        """The SQL of ``shape``'s failures (see :meth:`checks`)."""
        return self.checks(shape)[0]

    def targets(self, shape: Shape, kind: NodeKind) -> Expr | None:
        """Whether a row of ``kind`` is a node ``shape`` targets (None: no node of the kind is)."""
        if shape.target_class is not None:
            found = kind.types.get(shape.target_class)
            return None if found is None else found[1]
        assert shape.target_subjects_of is not None
        values = kind.paths.get((shape.target_subjects_of,))
        if values is None:
            return None
        return _count(values) if values.listed else not_null(values.expr)

    def rank(self, shape: Shape, kind: NodeKind) -> tuple[int, int, int]:
        """Where ``shape`` comes among the shapes run on a node of ``kind`` (the record path's plan:
        by the node's types, then by its properties, each in the shapes' order)."""
        number = self._shape_no[shape.iri]
        if shape.target_class is not None:
            return (0, kind.types[shape.target_class][0], number)
        assert shape.target_subjects_of is not None
        return (1, kind.order.index(shape.target_subjects_of), number)

    def _compile(self, shape: Shape) -> tuple[exp.Expression, list[Check]]:
        parts: list[exp.Select] = []
        checks: list[Check] = []
        for kind in self.kinds:
            target = self.targets(shape, kind)
            if target is None:
                continue
            values = kind.paths.get(shape.path)
            counted = dict(shape.constraints).get("qualifiedClass")
            if values is None and counted is None:
                raise OntologyError(f"shape {shape.iri}: the SQL backend has no path {shape.path} from a {kind.name}")
            number = 0
            for key, arg in shape.constraints:
                if key == "qualifiedMinCount":
                    continue  # read with qualifiedClass
                found = self._constraint(shape, kind, values, key, arg, number, and_(kind.present, target))
                for query, halves in found:
                    parts.append(query.select(alias(text(kind.name), "kind"), copy=False))
                    checks.append(Check(shape, number, kind.name, halves, _component(key)))
                number += 1
        if not parts:
            raise OntologyError(f"shape {shape.iri}: no kind of node of the SQL backend is its target")
        union: exp.Expression = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False, copy=False)
        return union, checks

    def _rows(
        self,
        kind: NodeKind,
        where: Expr,
        number: int,
        half: int,
        value: Expr | None,
        *,
        loc: Expr | None = None,
        source: exp.Expression | None = None,
        pos: Expr | None = None,
    ) -> exp.Select:
        n = "n"
        on_transplants = kind.relation == "v_transplant"
        columns = [
            alias(col("seq" if on_transplants else "t", n), "t"),
            alias(kind.rank, "rank"),
            alias(kind.idx, "idx"),
            alias(kind.node, "node"),
            alias(col("transplant_id" if on_transplants else "tid", n), "tid"),
            alias(integer(number), "c"),
            alias(integer(half), "half"),
            alias(pos if pos is not None else integer(0), "pos"),
            alias(value if value is not None else null(), "v"),
            alias(loc if loc is not None else kind.loc, "loc"),
        ]
        relation = source if source is not None else exp.to_table(kind.relation).as_(n)
        return select(*columns).from_(relation, copy=False).where(where, copy=False)

    def _unnested(self, kind: NodeKind, values: Values, where: Expr) -> exp.Subquery:
        """The rows of ``kind`` that ``where`` keeps, once per value of the list ``values`` (``v``, at
        ``pos``, from 1): ``UNNEST ... WITH ORDINALITY``, which is Spark's ``LATERAL VIEW POSEXPLODE``."""
        n, x = "n", "x"
        unnest = exp.Unnest(
            expressions=[values.expr],
            alias=exp.TableAlias(this=exp.to_identifier(x), columns=[exp.to_identifier("v")]),
            offset=exp.to_identifier("pos"),
        )
        inner = (
            select(
                exp.Column(this=exp.Star(), table=exp.to_identifier(n)),
                alias(col("v", x), "v"),
                alias(Ordinal(this=col("pos", x)), "pos"),
            )
            .from_(exp.to_table(kind.relation).as_(n))
            .join(unnest, join_type="cross")
            .where(where)
        )
        return inner.subquery(n)

    def _value_failures(
        self, kind: NodeKind, values: Values, scope: Expr, number: int, fails: Any, path: Path
    ) -> exp.Select:
        """The values of ``values`` (on the rows ``scope`` keeps) for which ``fails(v)`` holds."""
        loc = None
        if kind.located.get(path):
            loc = self._first_day(col("v", "n"))
        if values.listed:
            return self._rows(
                kind,
                fails(col("v", "n")),
                number,
                0,
                col("v", "n"),
                loc=loc,
                source=self._unnested(kind, values, scope),
                pos=col("pos", "n"),
            )
        return self._rows(kind, and_(scope, not_null(values.expr), fails(values.expr)), number, 0, values.expr)

    @staticmethod
    def _first_day(day: Expr) -> Expr:
        """The first row of the transplant's observations with ``day`` as its day (a located value)."""
        o = "fo"
        found = (
            select(exp.Min(this=col("seq", o)))
            .from_(exp.to_table("observations").as_(o))
            .where(and_(eq(col("transplant_id", o), col("transplant_id", "n")), eq(col("day", o), day)))
        )
        return exp.Subquery(this=found)

    def _constraint(
        self,
        shape: Shape,
        kind: NodeKind,
        values: Values | None,
        key: str,
        arg: object,
        number: int,
        scope: Expr,
    ) -> list[tuple[exp.Select, tuple[Values, ...]]]:
        none: tuple[Values, ...] = ()
        if key == "qualifiedClass":
            least = dict(shape.constraints).get("qualifiedMinCount")
            if least is None:
                return []
            counted = kind.counts.get((shape.path, arg))  # type: ignore[arg-type]
            if counted is None:
                raise OntologyError(f"shape {shape.iri}: the SQL backend cannot count {arg} on {shape.path}")
            return [(self._rows(kind, and_(scope, lt(counted, integer(int(least)))), number, 0, None), none)]  # type: ignore[call-overload]
        assert values is not None
        if key in ("minCount", "maxCount"):
            bound = int(arg)  # type: ignore[call-overload]
            count = _count(values)
            fails = lt(count, integer(bound)) if key == "minCount" else gt(count, integer(bound))
            return [(self._rows(kind, and_(scope, fails), number, 0, None), none)]
        if key in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
            bound = num(float(arg))  # type: ignore[arg-type]
            compare = {"minInclusive": ge, "maxInclusive": le, "minExclusive": gt, "maxExclusive": lt}[key]
            if values.kind in _NUMERIC:
                return [
                    (
                        self._value_failures(
                            kind, values, scope, number, lambda v: not_(compare(v, bound)), shape.path
                        ),
                        (values,),
                    )
                ]
            return [(self._value_failures(kind, values, scope, number, lambda v: TRUE, shape.path), (values,))]
        if key == "datatype":
            held = _DATATYPES.get(values.kind) == arg
            return [
                (
                    self._value_failures(kind, values, scope, number, lambda v: FALSE if held else TRUE, shape.path),
                    (values,),
                )
            ]
        if key == "in":
            members = self._members(values, arg, shape)
            return [
                (
                    self._value_failures(kind, values, scope, number, lambda v: not_(in_(v, members)), shape.path),
                    (values,),
                )
            ]
        if key == "pattern":
            # Python's regular expressions decide, as on the record path: the values that fail are
            # found among the distinct values before the checks run (see :meth:`pattern_values`)
            failing = select(col("v")).from_(PATTERN_FAILURES).where(eq(col("shape"), text(str(shape.iri))))
            if values.kind != "str":
                return [(self._value_failures(kind, values, scope, number, lambda v: TRUE, shape.path), (values,))]
            query = self._value_failures(
                kind, values, scope, number, lambda v: exp.In(this=v, query=failing.subquery()), shape.path
            )
            return [(query, (values,))]
        if key in ("equals", "disjoint", "lessThan", "lessThanOrEquals"):
            other = kind.paths.get((arg,))  # type: ignore[arg-type]
            if other is None:
                raise OntologyError(f"shape {shape.iri}: the SQL backend has no {arg} on a {kind.name}")
            if other.listed or (key in ("equals", "disjoint") and values.listed):
                raise OntologyError(f"shape {shape.iri}: {key} with several values is not supported by the SQL backend")
            if key == "equals":
                return self._equals(shape, kind, values, other, scope, number)
            w = other.expr
            if key == "disjoint":  # a value the other property has too
                same = self._same(shape, values, other)
                return [
                    (
                        self._value_failures(kind, values, and_(scope, not_null(w)), number, same, shape.path),
                        (values,),
                    )
                ]
            # SPARQL's < compares numbers with numbers and dates with dates; any other pair fails
            ordered = (values.kind in _NUMERIC and other.kind in _NUMERIC) or values.kind == other.kind == "date"
            strict = key == "lessThan"

            def less(v: Expr) -> Expr:
                if not ordered:
                    return not_null(w)
                return and_(not_null(w), not_(lt(v, w) if strict else le(v, w)))

            return [(self._value_failures(kind, values, and_(scope, not_null(w)), number, less, shape.path), (values,))]
        raise OntologyError(f"shape {shape.iri}: {key} is not supported by the SQL backend")

    def _same(self, shape: Shape, mine: Values, theirs: Values) -> Callable[[Expr], Expr]:
        """A value of ``mine`` is the value of ``theirs`` (the same RDF term: numbers by value), as
        sh:disjoint tests it."""
        b = theirs.expr
        if mine.kind in _NUMERIC and theirs.kind in _NUMERIC:
            return lambda v: eq(exp.cast(v, "DOUBLE"), exp.cast(b, "DOUBLE"))
        if mine.kind != theirs.kind or mine.kind == "code":  # (a code's term depends on its field)
            raise OntologyError(f"shape {shape.iri}: sh:disjoint of {mine.kind} and {theirs.kind} values")
        return lambda v: eq(v, b)

    def _equals(
        self, shape: Shape, kind: NodeKind, mine: Values, theirs: Values, scope: Expr, number: int
    ) -> list[tuple[exp.Select, tuple[Values, ...]]]:
        """SHACL's sh:equals on single values: each value of either side the other does not have."""
        a, b = mine.expr, theirs.expr
        comparable = _key_class(mine.kind) == _key_class(theirs.kind)
        if _SQL_TYPES[mine.kind] != _SQL_TYPES[theirs.kind]:
            if comparable:
                a, b = exp.cast(a, "DOUBLE"), exp.cast(b, "DOUBLE")
            else:
                raise OntologyError(f"shape {shape.iri}: sh:equals of {mine.kind} and {theirs.kind} values")
        differ = exp.NEQ(this=a, expression=b) if comparable else TRUE
        first = self._rows(kind, and_(scope, not_null(a), or_(is_null(b), differ)), number, 0, a)
        second = self._rows(kind, and_(scope, not_null(b), or_(is_null(a), differ)), number, 1, b, pos=integer(1))
        return [(first, (mine, theirs)), (second, (mine, theirs))]

    def _members(self, values: Values, members: object, shape: Shape) -> list[Expr]:
        """The values of ``values``' kind that are in the list of an sh:in."""
        keys: frozenset[tuple[str, object]] = members  # type: ignore[assignment]
        if values.kind == "code":
            assert values.field is not None
            iris = {v for tag, v in keys if tag == "iri"}
            literals = {v for tag, v in keys if tag == "str"}
            codes = [c for c in self.vocab.codes(values.field) if str(self.vocab.iri(values.field, c)) in iris]
            # a code that names no member stays a literal in the facts (a lenient read keeps it)
            codes += [str(v) for v in literals if self.vocab.iri(values.field, str(v)) is None]
            return [text(c) for c in sorted(set(codes))]
        if values.kind in ("iri",):
            return [text(str(v)) for tag, v in sorted(keys, key=str) if tag == "iri"]
        if values.kind == "str":
            return [text(str(v)) for tag, v in sorted(keys, key=str) if tag == "str"]
        if values.kind in _NUMERIC:
            return [num(float(v)) for tag, v in sorted(keys, key=str) if tag == "num"]  # type: ignore[arg-type]
        if values.kind == "bool":
            return [TRUE if v else FALSE for tag, v in sorted(keys, key=str) if tag == "bool"]
        raise OntologyError(f"shape {shape.iri}: sh:in on {values.kind} values is not supported by the SQL backend")

    # ------------------------------------------------------------------ what applies

    def pattern_values(self, shape: Shape, dialect: DialectType = DIALECT) -> str:
        """The SQL (in ``dialect``) of the distinct values ``shape``'s path gives on the nodes it
        targets (those its sh:pattern is tested on)."""
        parts: list[exp.Select] = []
        for kind in self.kinds:
            target = self.targets(shape, kind)
            values = kind.paths.get(shape.path)
            if target is None or values is None:
                continue
            scope = and_(kind.present, target)
            if values.listed:
                parts.append(select(col("v", "n")).from_(self._unnested(kind, values, scope)))
            else:
                parts.append(
                    select(alias(values.expr, "v"))
                    .from_(exp.to_table(kind.relation).as_("n"))
                    .where(and_(scope, not_null(values.expr)))
                )
        union: exp.Expression = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False, copy=False)
        return (
            select(col("v"))
            .distinct()
            .from_(exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("x"))))
            .sql(dialect)
        )

    def applicable_queries(self, dialect: DialectType = DIALECT) -> list[tuple[str, list[Shape]]]:
        """For each relation, a query (in ``dialect``) of how many transplants have a node each shape
        targets (one column a shape, in the order of the shapes listed with it)."""
        out: list[tuple[str, list[Shape]]] = []
        by_relation: dict[str, list[tuple[Shape, Expr]]] = {}
        for shape in self.shapes:
            for kind in self.kinds:
                target = self.targets(shape, kind)
                if target is None:
                    continue
                relation, present = kind.relation, kind.present
                if kind.name == "patient":  # each transplant with a patient node of its own counts
                    relation, present, target = "v_transplant", self._patient_present(), TRUE
                by_relation.setdefault(relation, []).append((shape, and_(present, target)))
        for relation, items in by_relation.items():
            t = "seq" if relation == "v_transplant" else "t"
            per = (
                select(
                    alias(col(t, "n"), "t"),
                    *(alias(exp.func("bool_or", holds), f"s{k}") for k, (_, holds) in enumerate(items)),
                )
                .from_(exp.to_table(relation).as_("n"))
                .group_by(col(t, "n"))
            )
            totals = select(
                *(alias(exp.Sum(this=exp.cast(col(f"s{k}"), "BIGINT")), f"s{k}") for k in range(len(items)))
            ).from_(per.subquery("x"))
            out.append((totals.sql(dialect), [s for s, _ in items]))
        return out

    def _patient_present(self) -> Expr:
        fields = [f for f in RECORD_FIELDS if f.spec.entity == "patient"]
        return or_(*(_stated(f.spec.kind, col(f.name, "n")) for f in fields))


_COMPONENTS = {"qualifiedClass": "QualifiedMinCountConstraintComponent"}


def _component(key: str) -> str:
    """The SHACL constraint component of a constraint (by the key :func:`load_shapes` gives it)."""
    return _COMPONENTS.get(key) or key[0].upper() + key[1:] + "ConstraintComponent"


def validate_loaded(
    engine: ColumnarEngine,
    compiler: ShapeCompiler,
    *,
    sources: tuple[str, str] | None = None,
    records: Sequence[TransplantRecord] | None = None,
) -> ValidationReport:
    """Validate what is loaded in ``engine``'s tables against ``compiler``'s shapes: the report the
    record path gives for the same input.

    Either a bundle DuckDB read straight (:func:`graftkg.columnar.bundle.load_bundle`), whose
    ``sources`` are the paths of ``transplants.csv`` and ``observations.csv`` as the locations name
    them; or ``records`` (read leniently, and loaded by :func:`graftkg.columnar.tables.load_records`),
    whose locations are the records' own, and whose content problems the readers refuse are findings
    too (as :func:`graftkg.validation.validate.validate_records` reports them)."""
    from graftkg.validation.validate import ValidationReport, _merge, _Part

    checked, applicable, total = _checked(engine, compiler, sources=sources, records=records)
    findings, results, applies = _merge([_Part([c for _, c in checked], applicable)])
    return ValidationReport(findings, results, total, engine.defs.profile, applies)


def validate_partly(
    engine: ColumnarEngine, compiler: ShapeCompiler, left: Left, workers: int | None = None
) -> ValidationReport:
    """Validate a bundle :func:`~graftkg.columnar.bundle.load_partly` loaded in part: what it loaded in
    SQL, what it left on the record path (read by the record reader from the rows DuckDB split, as
    :func:`~graftkg.validation.validate.validate_paths` reads the files: every cell it cannot read a
    finding), the two merged in the files' order. The report is the record path's for the whole
    bundle: no fact of a transplant loaded reaches one left, nor the other way (``left`` is closed
    over patients and prior transplants), and each transplant's findings come together, in its place.
    """
    from graftkg.columnar.bundle import drop_loaded
    from graftkg.readers.csv_bundle import read_rows
    from graftkg.readers.refusals import Refusals
    from graftkg.validation.validate import ValidationReport, _merge, _Part, _parts, _Rules, read_findings

    (tpath, t_header), (opath, o_header) = left.files
    t_rows, o_rows = left.rows
    refusals = Refusals(keep_records=True)
    by_id = read_rows((tpath, t_header, t_rows), (opath, o_header, o_rows), refusals)
    records = list(by_id.values())
    checked, applicable, total = _checked(engine, compiler, sources=(tpath, opath))
    drop_loaded(engine.con)
    # a record's place: the row of transplants.csv it was read from, as seq counts them
    place = {r.transplant_id: (r.line or 2) - 2 for r in records}
    for part in _parts(records, _Rules(engine.defs, compiler.shapes), workers, None):
        applicable.update(part.applicable)
        checked.extend(
            (place[finding.transplant_id or ""], (key, finding, result)) for key, finding, result in part.checked
        )
    checked.sort(key=lambda item: item[0])  # stable: each transplant's findings keep their order
    findings, results, applies = _merge([_Part([c for _, c in checked], applicable)])
    unreadable = read_findings(refusals.sorted())
    return ValidationReport(unreadable + findings, results, total + len(records), engine.defs.profile, applies)


def _checked(
    engine: ColumnarEngine,
    compiler: ShapeCompiler,
    *,
    sources: tuple[str, str] | None = None,
    records: Sequence[TransplantRecord] | None = None,
) -> tuple[list[tuple[int, Checked]], Counter[URIRef], int]:
    """What :func:`validate_loaded` checks, before :func:`~graftkg.validation.validate._merge`: each
    checked finding with its transplant's place (``seq``; content problems after every transplant),
    in the record path's order; the number of transplants each shape applies to; the transplants."""
    from graftkg.validation.validate import _content_findings, _key_of, _location, finding_at

    con = engine.con
    engine.derive_tables()
    # the inferred classes the shapes target, from the classification of every transplant
    inferred = compiler.inferred_sql or engine.held_query(compiler.flags())
    con.execute(f"CREATE OR REPLACE TEMP TABLE inferred AS {inferred}")
    total, one_outcome = con.execute("SELECT count(*), coalesce(bool_and(one_outcome), true) FROM inferred").fetchone()
    if not one_outcome:  # the classification's own error, naming the first such transplant
        for _ in engine.classified(explain=False):
            pass
        raise AssertionError("a transplant without exactly one outcome was classified")
    for name, query in compiler.relation_sql:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {query}')
    failing_shapes: list[str] = []
    failing_values: list[str] = []
    for shape in compiler.shapes:
        pattern = dict(shape.constraints).get("pattern")
        if pattern is None:
            continue
        for (value,) in con.execute(compiler.pattern_sql[shape.iri]).fetchall():
            if not (isinstance(value, str) and pattern.search(value)):  # type: ignore[attr-defined]
                failing_shapes.append(str(shape.iri))
                failing_values.append(value)
    _table(con, PATTERN_FAILURES, {"shape": ("VARCHAR", failing_shapes), "v": ("VARCHAR", failing_values)})

    kinds = {k.name: k for k in compiler.kinds}
    found: list[tuple[tuple[object, ...], Shape, Check, tuple[Any, ...]]] = []
    for shape in compiler.shapes:
        query, checks = compiler.checks(shape)
        by_key = {(c.kind, c.number): c for c in checks}
        for row in con.execute(query).fetchall():
            t, rank, idx, _node, _tid, number, half, pos, _v, _loc, kind = row
            check = by_key[kind, number]
            order = (t, rank, idx, compiler.rank(shape, kinds[kind]), number, half, pos)
            found.append((order, shape, check, row))
    found.sort(key=lambda item: item[0])

    vocab = compiler.vocab
    seen: set[tuple[object, ...]] = set()
    located: list[tuple[Result, Shape, int, str, int | None]] = []
    for _, shape, check, row in found:
        t, rank, idx, node, tid, number, half, pos, v, loc, kind = row
        focus = _focus(kind, tid, node, idx)
        value = None if v is None else _item(check.values[half], v, tid, vocab)
        key = (focus, shape.iri, check.component, _key_of(value))
        if key in seen:
            continue
        seen.add(key)
        failure = Result(focus, shape.path, value, shape.severity, shape.iri, check.component, shape.message)
        located.append((failure, shape, t, tid, loc))

    cross = sorted({t for _, shape, t, _, _ in located if shape.category == "cross-check"})
    explained: dict[int, Classification] = {}
    reported: dict[int, TransplantRecord] = {}
    if cross:
        _table(con, "wanted", {"seq": ("BIGINT", cross)})
        explained = dict(engine.classified(explain=True, only="wanted"))
        reported = _reported(con, cross) if records is None else {t: records[t] for t in cross}
    checked: list[tuple[int, Checked]] = []
    for failure, shape, t, tid, loc in located:
        if records is None:
            assert sources is not None
            where: str | None = _where(sources, t, loc)
        else:
            where = _location(records[t], failure.focus, shape, failure.value)
        finding = finding_at(failure, shape, tid, where, reported.get(t), explained.get(t))
        checked.append((t, ((failure.focus, shape.iri, failure.component, _key_of(failure.value)), finding, failure)))
    if records is not None:
        checked += [(len(records), c) for c in _content_findings(records)]
    applicable: Counter[URIRef] = Counter()
    for query, targeted in compiler.applicable_sql:
        row = con.execute(query).fetchone()
        for shape, n in zip(targeted, row or (), strict=True):
            if n:
                applicable[shape.iri] += int(n)
    return checked, applicable, int(total)


def _table(con: Any, name: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
    """(Re)make the temp table ``name`` from Python lists, one a column (bound, not printed)."""
    query = select(
        *(alias(fn("unnest", exp.cast(exp.Placeholder(), f"{kind}[]")), c) for c, (kind, _) in columns.items())
    )
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {query.sql(DIALECT)}', [v for _, v in columns.values()])


def _focus(kind: str, tid: str, node: str | None, idx: int) -> URIRef:
    """The node a failure is on, named as :func:`~graftkg.semantics.facts.build_facts` names it."""
    if kind == "transplant":
        return node_id("transplant", tid)
    if kind == "patient":
        return (
            node_id("patient", node) if node is not None else trusted_iri(str(node_id("transplant", tid)) + "/patient")
        )
    if kind == "observation":
        return trusted_iri(str(node_id("observation", tid)) + "/" + str(idx))
    return node_id(kind, tid)


def _item(values: Values, v: Any, tid: str, vocab: Any) -> Item:
    """A value as the facts hold it."""
    if values.kind == "code":
        assert values.field is not None
        iri: URIRef | None = vocab.iri(values.field, v)
        return iri if iri is not None else str(v)
    if values.kind == "iri":
        return URIRef(v)
    if values.kind == "ref":
        return node_id("transplant", v)
    if values.kind == "node":
        if v == _UNNAMED:
            return trusted_iri(str(node_id("transplant", tid)) + "/patient")
        return node_id("patient", v[len(_NAMED) :])
    return v  # type: ignore[no-any-return]


def _where(sources: tuple[str, str], t: int, loc: int | None) -> str:
    """A failure's location: the row of ``observations.csv`` it was read from, else its transplant's
    row (a row's ``seq`` is its place among the file's rows, after the header)."""
    return f"{sources[1]}:{loc + 2}" if loc is not None else f"{sources[0]}:{t + 2}"


#: the record fields a cross-check's message reads
_REPORTED = (
    "reported_outcome",
    "reported_neutrophil_recovery_day",
    "reported_neutrophil_never",
    "reported_platelet_recovery_day",
    "reported_platelet_never",
)


def _reported(con: Any, seqs: list[int]) -> dict[int, TransplantRecord]:
    """What the transplants ``seqs`` report (the fields a cross-check's message names)."""
    query = (
        select(col("seq"), col("transplant_id"), *(col(c) for c in _REPORTED))
        .from_("transplants")
        .where(exp.In(this=col("seq"), query=select(col("seq")).from_("wanted").subquery()))
    )
    out: dict[int, TransplantRecord] = {}
    for seq, tid, *reported in con.execute(query.sql(DIALECT)).fetchall():
        out[seq] = TransplantRecord(tid, **dict(zip(_REPORTED, reported, strict=True)))
    return out


def _qualified_class(shape: Shape) -> URIRef:
    """The class of ``shape``'s qualified value shape."""
    cls = dict(shape.constraints)["qualifiedClass"]
    assert isinstance(cls, URIRef)
    return cls


def _stated(kind: str, column: Expr) -> Expr:
    """Whether build_facts states a record field of ``kind`` (an empty list and a false ``never`` are not)."""
    if kind == "codes":
        return and_(not_null(column), gt(size(column), integer(0)))
    if kind == "never":
        return coalesce(column, FALSE)
    return not_null(column)


def _flag(iri: URIRef) -> str:
    return "k_" + str(iri).rsplit("/", 1)[-1]


def _through(path: Path) -> str:
    return "a_" + "_".join(str(p).rsplit("/", 1)[-1] for p in path)


def _counted(cls: URIRef) -> str:
    return "n_" + str(cls).rsplit("/", 1)[-1]


def _count(values: Values) -> Expr:
    """How many values ``values`` gives (an expression over the node's row)."""
    if values.listed:
        return coalesce(size(values.expr), integer(0))
    return case([(not_null(values.expr), integer(1))], integer(0))


def _key_class(kind: str) -> str:
    """Which values of two kinds can be equal (SHACL compares RDF terms: numbers by value)."""
    return "num" if kind in _NUMERIC else "iri" if kind in ("code", "iri", "node", "ref") else kind


__all__ = ["ShapeCompiler"]
