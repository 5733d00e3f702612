"""The ontology's class expressions and data ranges compiled to SQL: one boolean column per defined
class of transplants, and the explanation of each as a list of sentences.

The compiled expressions are those :mod:`graftkg.semantics.owlexpr` evaluates record by record (read
by the same :class:`~graftkg.semantics.owlexpr.Compiler` from the ontology), under the same closed-world
reading: an absent value is NULL. Each node of a transplant's facts is a :class:`Node`: the transplant
itself (a row of the facts table), one of its parts (a donor, the graft: columns of that row), one of
its observations (a row of the observations), or a member of a value set (an ontology individual,
known before any data is: what holds of it is evaluated once, when the SQL is made).

Example:
    >>> from graftkg.semantics.definitions import Definitions
    >>> sql = ClassCompiler(Definitions())
    >>> print(sql.data_range(Definitions().compiler.datatype(GK.EngraftmentANC), col("v"), "num").sql("duckdb"))
    (NOT "v" IS NULL) AND ("v" >= 0.5)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rdflib import URIRef

from graftkg.columnar.sql import (
    FALSE,
    TRUE,
    Expr,
    ShortNumber,
    and_,
    array,
    case,
    cast,
    col,
    concat_lists,
    contains,
    eq,
    first_of,
    fn,
    ge,
    gt,
    in_,
    is_null,
    le,
    lt,
    not_,
    not_null,
    num,
    or_,
    size,
    text,
)
from graftkg.errors import OntologyError
from graftkg.model import ENTITIES, RECORD_FIELDS
from graftkg.rdf import GK, XSD
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.derive import Derived
from graftkg.semantics.facts import DERIVED_PROPERTIES, SUPPORT_MEASURES
from graftkg.semantics.owlexpr import (
    INTEGERS,
    NUMERIC,
    And,
    BaseType,
    ClassExpr,
    Context,
    DataAnd,
    DataNot,
    DataOneOf,
    DataOr,
    DataRange,
    HasValue,
    Item,
    Named,
    NamedDatatype,
    Not,
    NoValue,
    OneOf,
    Or,
    Restricted,
    Some,
)
from graftkg.semantics.vocabulary import vocabulary

#: the kinds of value a property holds in SQL: a number, an integer, a boolean, a string literal, a
#: value-set code (its member's IRI in the facts), a list of codes, an IRI as text (a support event's
#: kind), another transplant, a date, a part of the transplant, its observations
KINDS = ("num", "int", "bool", "str", "code", "codes", "iri", "ref", "date", "part", "observations")


def _derived_kinds() -> dict[str, str]:
    """The kind of each derived property, read from its :class:`~graftkg.semantics.derive.Derived`
    field's type (``int | None`` is ``int``, ``float | None`` ``num``, ``bool | None`` ``bool``).

    Example:
        >>> _derived_kinds()["peak_donor_chimerism_pct"], _derived_kinds()["neutrophil_recovery_day"]
        ('num', 'int')
    """
    from typing import get_args, get_type_hints

    hints = get_type_hints(Derived)
    kinds = {bool: "bool", int: "int", float: "num"}
    out = {}
    for name in DERIVED_PROPERTIES:
        (declared,) = set(get_args(hints[name])) - {type(None)}
        out[name] = kinds[declared]
    return out


#: the SQL kind of each derived property (by its :class:`~graftkg.semantics.derive.Derived` field)
DERIVED_KINDS: dict[str, str] = _derived_kinds()

_FIELD_KINDS = {
    "float": "num",
    "int": "int",
    "day_or_never": "int",
    "bool": "bool",
    "never": "bool",
    "text": "str",
    "id": "str",
    "code": "code",
    "codes": "codes",
    "ref": "ref",
    "date": "date",
}


@dataclass
class Prop:
    """How one property of a node reads in SQL: ``value`` (NULL when absent), its kind (one of
    :data:`KINDS`), the value set of a code (a record field name), and the node a part links to."""

    value: Expr
    kind: str
    value_set: str | None = None
    part: Node | None = None


@dataclass
class Node:
    """A kind of node of a transplant's facts: its properties, and when it has a named type."""

    name: str
    props: dict[URIRef, Prop]
    has_type: Callable[[URIRef], Expr]
    exists: Expr = field(default_factory=lambda: TRUE)


class ClassCompiler:
    """Compiles the definitions of one profile to SQL over the columnar engine's tables.

    The transplant's node reads the columns of one row (the record's fields and the derived facts, by
    field name); its parts read columns of the same row; its observations are the rows of
    ``observation_facts`` (alias ``o``) with the same ``transplant_id``.
    """

    def __init__(self, definitions: Definitions, *, facts_table: str = "observation_facts") -> None:
        self.defs = definitions
        self.labels = definitions.labels
        self.fast = definitions.fast_reasoner
        self.vocab = vocabulary()
        self.facts_table = facts_table
        self.transplant = self._transplant_node()
        #: the named classes of transplants already computed as columns: IRI -> column name
        self.class_columns: dict[URIRef, str] = {}
        #: the explanations of named classes of transplants already computed as columns: IRI -> column name
        self.explain_columns: dict[URIRef, str] = {}

    # ------------------------------------------------------------------ nodes

    def _types(self, asserted: URIRef) -> frozenset[URIRef]:
        return self.fast._close([asserted])

    def _static(self, types: frozenset[URIRef]) -> Callable[[URIRef], Expr]:
        return lambda cls: TRUE if cls in types else FALSE

    def _code_iri(self, value_set: str, code: Expr) -> Expr:
        """The IRI of a code of ``value_set`` as text (NULL for a code outside it)."""
        members = [(text(c), text(str(self.vocab.iri(value_set, c)))) for c in self.vocab.codes(value_set)]
        return case([(_eq_text(code, c), iri) for c, iri in members])

    def _field_prop(self, name: str, kind: str, as_code: bool, table: str | None) -> Prop:
        value: Expr = col(name, table)
        sql_kind = _FIELD_KINDS[kind]
        if kind == "code" and as_code:
            sql_kind = "str"
        if kind == "never":
            value = case([(value, TRUE)])  # stated only when true
        return Prop(value, sql_kind, value_set=name if sql_kind in ("code", "codes") else None)

    def _transplant_node(self) -> Node:
        props: dict[URIRef, Prop] = {}
        parts: dict[str, dict[URIRef, Prop]] = {}
        for declared in RECORD_FIELDS:
            spec = declared.spec
            if declared.name == "transplant_id" or spec.entity == "observation":
                continue
            prop = self._field_prop(declared.name, spec.kind, spec.stated_as_code, None)
            if spec.entity == "transplant":
                props[GK[spec.prop]] = prop
            else:
                parts.setdefault(spec.entity, {})[GK[spec.prop]] = prop
        for name, kind in DERIVED_KINDS.items():
            value: Expr = col(name)
            if kind == "bool":
                value = case([(value, TRUE)])
            props[DERIVED_PROPERTIES[name]] = Prop(value, kind)
        for entity, part_props in parts.items():
            link, cls = ENTITIES[entity]
            exists = or_(*(_present(p) for p in part_props.values()))
            node = Node(entity, part_props, self._static(self._types(GK[cls])), exists)
            props[GK[link]] = Prop(exists, "part", part=node)
        props[GK.observation] = Prop(TRUE, "observations", part=self._observation_node())
        return Node("transplant", props, self._static(self._types(GK.Transplant)))

    def _observation_node(self) -> Node:
        """An observation that is not a lab count: a row of the observation facts (alias ``o``)."""
        measure = col("measure", "o")
        typed = {
            **{m: GK.SupportEvent for m in SUPPORT_MEASURES},
            "donor_chimerism_pct": GK.ChimerismAssay,
            "dsa_mfi": GK.DSATest,
            "infection": GK.InfectionEpisode,
            "gvhd": GK.GvHDEpisode,
        }

        def has_type(cls: URIRef) -> Expr:
            return in_(measure, [text(m) for m, t in sorted(typed.items()) if cls in self._types(t)])

        def when(measures: Sequence[str], value: Expr) -> Expr:
            return case([(in_(measure, [text(m) for m in measures]), value)])

        support = case([(eq(measure, text(m)), text(str(iri))) for m, iri in sorted(SUPPORT_MEASURES.items())])
        chimerism, value = ["donor_chimerism_pct"], col("value", "o")
        props = {
            GK.day: Prop(col("day", "o"), "int"),
            GK.unitCode: Prop(col("unit", "o"), "str"),
            GK.support: Prop(support, "iri"),
            GK.donorChimerismPct: Prop(when(chimerism, value), "num"),
            GK.lineage: Prop(when(chimerism, col("lineage", "o")), "code", value_set="lineage"),
            GK.assayMethod: Prop(when(chimerism, col("method", "o")), "str"),
            GK.mfi: Prop(when(["dsa_mfi"], value), "num"),
            GK.pathogen: Prop(when(["infection"], col("code", "o")), "code", value_set="infection"),
            GK.gvhdGrade: Prop(when(["gvhd"], cast(fn("trunc", value), "BIGINT")), "int"),
        }
        return Node("observation", props, has_type)

    # ------------------------------------------------------------------ data ranges

    def data_range(self, dr: DataRange, value: Expr, kind: str) -> Expr:
        """SQL true where ``value`` (a column of SQL kind ``kind``, NULL when absent) is in ``dr``."""
        return and_(not_null(value), self._range(dr, value, kind))

    def _range(self, dr: DataRange, value: Expr, kind: str) -> Expr:
        if isinstance(dr, NamedDatatype):
            return self._range(dr.definition, value, kind)
        if isinstance(dr, BaseType):
            return _base(dr.iri, value, kind)
        if isinstance(dr, Restricted):
            base = _base(dr.base.iri, value, kind)
            if base == FALSE:
                return FALSE
            facets = {XSD.minInclusive: ge, XSD.minExclusive: gt, XSD.maxInclusive: le, XSD.maxExclusive: lt}
            return and_(base, *(facets[f](value, num(bound)) for f, bound in dr.facets))
        if isinstance(dr, DataAnd):
            return and_(*(self._range(i, value, kind) for i in dr.items))
        if isinstance(dr, DataOr):
            return or_(*(self._range(i, value, kind) for i in dr.items))
        if isinstance(dr, DataNot):
            return not_(self._range(dr.item, value, kind))
        if isinstance(dr, DataOneOf):
            return or_(*(_equals(value, kind, v) for v in dr.values))
        raise OntologyError(f"data range {dr!r} is not supported by the SQL backend")

    # ------------------------------------------------------------------ class expressions

    def holds(self, expr: ClassExpr, node: Node) -> Expr:
        """SQL true where ``node`` belongs to ``expr`` (never NULL)."""
        if isinstance(expr, Named):
            if node is self.transplant and expr.iri in self.class_columns:
                return col(self.class_columns[expr.iri])
            typed = node.has_type(expr.iri)
            if expr.definition is None:
                return typed
            return or_(typed, self.holds(expr.definition, node))
        if isinstance(expr, And):
            return and_(*(self.holds(i, node) for i in expr.items))
        if isinstance(expr, Or):
            return or_(*(self.holds(i, node) for i in expr.items))
        if isinstance(expr, Not):
            return not_(self.holds(expr.item, node))
        if isinstance(expr, OneOf):
            return FALSE  # a node of the data is never one of the ontology's individuals
        if isinstance(expr, HasValue):
            return self._has_value(node.props.get(expr.prop), expr.value)
        if isinstance(expr, NoValue):
            prop = node.props.get(expr.prop)
            return TRUE if prop is None else not_(_present(prop))
        if isinstance(expr, Some):
            prop = node.props.get(expr.prop)
            if prop is None:
                return FALSE
            return self._some(prop, expr.filler)
        raise OntologyError(f"class expression {expr!r} is not supported by the SQL backend")

    def _has_value(self, prop: Prop | None, value: Item) -> Expr:
        if prop is None:
            return FALSE
        if prop.kind in ("code", "codes") and prop.value_set is not None:
            if isinstance(value, URIRef):
                codes = [c for c in self.vocab.codes(prop.value_set) if self.vocab.iri(prop.value_set, c) == value]
            else:  # a literal: a code outside the value set, kept as text
                known = set(self.vocab.codes(prop.value_set))
                codes = [] if not isinstance(value, str) or value in known else [value]
            if prop.kind == "codes":
                return or_(*(fn("coalesce", contains(prop.value, text(c)), FALSE) for c in codes))
            return or_(*(_eq_text(prop.value, text(c)) for c in codes))
        if prop.kind == "iri":
            return _eq_text(prop.value, text(str(value))) if isinstance(value, URIRef) else FALSE
        if prop.kind in ("part", "observations", "ref", "date", "codes"):
            return FALSE
        if isinstance(value, URIRef):
            return FALSE
        return and_(not_null(prop.value), _equals(prop.value, prop.kind, value))

    def _individuals(self, prop: Prop) -> list[tuple[str, URIRef]]:
        """(code, IRI) of each member of the value set a code property takes."""
        assert prop.value_set is not None
        return [(c, iri) for c in self.vocab.codes(prop.value_set) if (iri := self.vocab.iri(prop.value_set, c))]

    def individual_holds(self, expr: ClassExpr, iri: URIRef) -> bool:
        """Whether an ontology individual belongs to ``expr``: it has no facts in the data, only its types."""
        return expr.holds(Context({}, self.fast.types_of), iri)

    def _some(self, prop: Prop, filler: ClassExpr | DataRange) -> Expr:
        if isinstance(filler, DataRange):
            if prop.kind in ("num", "int", "bool", "str"):
                return self.data_range(filler, prop.value, prop.kind)
            if prop.kind == "code":  # a code outside the value set is a string literal in the facts
                return self.data_range(
                    filler, case([(is_null(self._code_iri(prop.value_set or "", prop.value)), prop.value)]), "str"
                )
            return FALSE
        # a value that is not there is no member: FALSE, not SQL's unknown (which NOT would keep unknown)
        if prop.kind == "code":
            members = [text(c) for c, iri in self._individuals(prop) if self.individual_holds(filler, iri)]
            return and_(not_null(prop.value), in_(prop.value, members))
        if prop.kind == "iri":
            supports = [m for m in SUPPORT_MEASURES.values() if self.individual_holds(filler, m)]
            return and_(not_null(prop.value), in_(prop.value, [text(str(m)) for m in supports]))
        if prop.kind == "part":
            assert prop.part is not None
            return and_(prop.value, self.holds(filler, prop.part))
        if prop.kind == "observations":
            assert prop.part is not None
            return exists(self._observations(self.holds(filler, prop.part)))
        if prop.kind in ("num", "int", "bool", "str", "ref", "date"):
            return FALSE  # a literal is no member of a class
        raise OntologyError("someValuesFrom a class on a list of codes is not supported by the SQL backend")

    def _observations(self, where: Expr) -> Expr:
        from sqlglot import select

        return (
            select(TRUE)
            .from_(f"{self.facts_table} AS o")
            .where(and_(eq(col("transplant_id", "o"), col("transplant_id", "f")), where))
        )

    # ------------------------------------------------------------------ explanations

    def explain(self, expr: ClassExpr, node: Node) -> Expr:
        """The sentences why ``node`` belongs to ``expr``, as a list (evaluate only where it does)."""
        labels = self.labels
        if isinstance(expr, Named):
            clause = labels.clause(expr.iri)
            head = array([text(clause)]) if clause else None
            if node is self.transplant and expr.iri in self.explain_columns:
                body: Expr = col(self.explain_columns[expr.iri])
                return concat_lists([head, body] if head is not None else [body])
            if expr.definition is None:
                return head if head is not None else array([])
            body = self.explain(expr.definition, node)
            typed = node.has_type(expr.iri)
            if typed == TRUE:
                return head if head is not None else array([])
            if typed != FALSE:
                body = case([(typed, array([]))], body)
            return concat_lists([head, body]) if head is not None else body
        if isinstance(expr, And):
            return concat_lists([self.explain(i, node) for i in expr.items])
        if isinstance(expr, Or):
            return case([(self.holds(i, node), self.explain(i, node)) for i in expr.items], array([]))
        if isinstance(expr, Not):
            if isinstance(expr.item, Named):
                return array([text(labels.not_member(expr.item.iri))])
            return array([])
        if isinstance(expr, HasValue):
            return array([text(f"{labels.label(expr.prop)}: {labels.value(expr.value)}")])
        if isinstance(expr, NoValue):
            return array([text(labels.absent(expr.prop))])
        if isinstance(expr, Some):
            prop = node.props.get(expr.prop)
            return array([]) if prop is None else self._explain_some(expr, prop)
        return array([])

    def _explain_some(self, expr: Some, prop: Prop) -> Expr:
        labels, filler = self.labels, expr.filler
        if isinstance(filler, DataRange):
            if prop.kind not in ("num", "int", "bool", "str"):
                return array([])
            suffix = "" if isinstance(filler, BaseType) else f" ({filler.describe(labels)})"
            head = f"{labels.label(expr.prop)} "
            shown = _shown(prop.value, prop.kind, self.labels._unit.get(expr.prop))
            return array([fn("concat", text(head), shown, text(suffix))])
        if prop.kind in ("code", "iri"):
            if prop.kind == "code":
                members = [(text(c), iri) for c, iri in self._individuals(prop)]
            else:
                members = [(text(str(m)), m) for m in SUPPORT_MEASURES.values()]
            branches = []
            for key, iri in members:
                if not self.individual_holds(filler, iri):
                    continue
                if isinstance(filler, OneOf | Named) and labels.is_value_set(iri):
                    sentences = [f"{labels.label(expr.prop)}: {labels.label(iri)}"]
                else:
                    out: list[str] = []
                    filler.explain(Context({}, self.fast.types_of), iri, labels, out)
                    sentences = out
                branches.append((_eq_text(prop.value, key), array([text(s) for s in sentences])))
            return case(branches, array([]))
        if prop.kind == "part":
            assert prop.part is not None
            return self.explain(filler, prop.part)
        if prop.kind == "observations":
            assert prop.part is not None
            from sqlglot import select

            first = first_of(self.explain(filler, prop.part), col("seq", "o"))
            query = (
                select(first)
                .from_(f"{self.facts_table} AS o")
                .where(and_(eq(col("transplant_id", "o"), col("transplant_id", "f")), self.holds(filler, prop.part)))
            )
            return fn("coalesce", query.subquery(), array([]))
        return array([])


def exists(query: Expr) -> Expr:
    from sqlglot import exp

    return exp.Exists(this=query)


def _present(prop: Prop) -> Expr:
    """SQL true where the node states ``prop`` (a list of codes: a non-empty one)."""
    if prop.kind == "codes":
        return and_(not_null(prop.value), gt(size(prop.value), num(0)))
    if prop.kind == "part":
        return prop.value
    if prop.kind == "observations":
        return TRUE
    return not_null(prop.value)


def _eq_text(value: Expr, other: Expr) -> Expr:
    return fn("coalesce", eq(value, other), FALSE)


def _base(iri: URIRef, value: Expr, kind: str) -> Expr:
    """The base datatype ``iri`` of a data range, on a value of SQL kind ``kind``."""
    if iri in INTEGERS:
        if kind == "int":
            return TRUE
        return eq(value, fn("floor", value)) if kind == "num" else FALSE
    if iri in NUMERIC or str(iri).endswith(("#real", "#rational")):
        return TRUE if kind in ("num", "int") else FALSE
    if iri == XSD.boolean:
        return TRUE if kind == "bool" else FALSE
    if iri == XSD.string:
        return TRUE if kind == "str" else FALSE
    if str(iri).endswith("#Literal"):
        return TRUE
    raise OntologyError(f"data range {iri} is not supported by the SQL backend")


def _equals(value: Expr, kind: str, item: Item) -> Expr:
    """``value`` (of SQL kind ``kind``) equals the literal ``item``, as the facts compare them."""
    if isinstance(item, bool):
        return eq(value, TRUE if item else FALSE) if kind == "bool" else FALSE
    if isinstance(item, int | float):
        return eq(value, num(item)) if kind in ("num", "int") else FALSE
    if isinstance(item, str) and not isinstance(item, URIRef):
        return eq(value, text(item)) if kind == "str" else FALSE
    return FALSE


def _shown(value: Expr, kind: str, unit: str | None) -> Expr:
    """A value as :meth:`~graftkg.semantics.owlexpr.Labels.value` writes it, with its unit."""
    if kind == "num":
        shown: Expr = ShortNumber(this=value)
    elif kind == "bool":
        shown = case([(value, text("True"))], text("False"))
    else:
        shown = cast(value, "VARCHAR")
    if unit == "%":
        return fn("concat", shown, text("%"))
    return fn("concat", shown, text(f" {unit}")) if unit else shown
