"""OWL class expressions and data ranges, read from the ontology and evaluated over closed facts.

This is the fast path of classification. It evaluates the ontology's own class definitions (not a
hand-written copy of them) over one transplant's facts, under the closed-world reading that the
derivation step makes true in OWL by stating every absent derived value as ``max 0``. The test
``tests/test_reasoner_equivalence.py`` holds it to the classes an OWL 2 DL reasoner (HermiT) infers.

Supported: named classes, ``intersectionOf``, ``unionOf``, ``complementOf``, ``oneOf``,
``someValuesFrom``, ``hasValue``, ``maxCardinality 0``; data ranges built from XSD numeric, boolean
and string types with facets, ``intersectionOf``, ``unionOf``, ``datatypeComplementOf`` and ``oneOf``.
Anything else raises :class:`OntologyError` when the definition is compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from graftkg.errors import OntologyError
from graftkg.rdf import GK, OWL, RDF, RDFS, XSD, Value, to_python

Item = Value | URIRef
#: node -> property -> values. ``rdf:type`` holds the asserted (named) types of a node.
Facts = dict[URIRef, dict[URIRef, list[Item]]]

NUMERIC = {XSD.integer, XSD.decimal, XSD.int, XSD.long, XSD.nonNegativeInteger, XSD.float, XSD.double}


class Context:
    """What expressions need while they evaluate one set of facts: the facts, each node's named types
    (found by ``types_of`` once per node), and a memo of the named classes tested on each node.

    A class rather than a protocol: compiled, its attributes are then read natively.

    Example:
        >>> ctx = Context({URIRef("urn:t"): {RDF.type: [GK.Transplant]}}, lambda n, f: frozenset(f[n][RDF.type]))
        >>> ctx.types(URIRef("urn:t")) == {GK.Transplant}, ctx.tested(URIRef("urn:t"))
        (True, {})
    """

    def __init__(self, facts: Facts, types_of: Callable[[URIRef, Facts], frozenset[URIRef]]) -> None:
        self.facts = facts
        self._types_of = types_of
        self._types: dict[URIRef, frozenset[URIRef]] = {}
        self._tested: dict[URIRef, dict[URIRef, bool]] = {}

    def types(self, node: URIRef) -> frozenset[URIRef]:
        """The named types of ``node`` (a node's types are read by every named class tested on it)."""
        found = self._types.get(node)
        if found is None:
            found = self._types[node] = self._types_of(node, self.facts)
        return found

    def tested(self, node: URIRef) -> dict[URIRef, bool]:
        """The memo of ``node``: named class -> whether ``node`` belongs to it, for the classes tested so far."""
        memo = self._tested.get(node)
        if memo is None:
            memo = self._tested[node] = {}
        return memo


# ----------------------------------------------------------------------------- data ranges


class DataRange:
    """A data range: ``test`` is a predicate on in-memory values, compiled once."""

    test: Callable[[Item], bool]

    def describe(self, labels: Labels) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


def _is_number(value: Item) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Item) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()


INTEGERS = {XSD.integer, XSD.int, XSD.long, XSD.nonNegativeInteger}


class BaseType(DataRange):
    def __init__(self, iri: URIRef) -> None:
        self.iri = iri
        if iri in INTEGERS:
            self.test = _is_integer
        elif iri in NUMERIC or iri in (OWL.real, OWL.rational):
            self.test = _is_number
        elif iri == XSD.boolean:
            self.test = lambda v: isinstance(v, bool)
        elif iri == XSD.string:
            self.test = lambda v: isinstance(v, str) and not isinstance(v, URIRef)
        elif iri == RDFS.Literal:
            self.test = lambda v: not isinstance(v, URIRef)
        else:
            raise OntologyError(f"data range {iri} is not supported by the fast path")

    def describe(self, labels: Labels) -> str:
        return labels.local(self.iri)


_FACETS: dict[URIRef, Callable[[float, float], bool]] = {
    XSD.minInclusive: lambda v, b: v >= b,
    XSD.minExclusive: lambda v, b: v > b,
    XSD.maxInclusive: lambda v, b: v <= b,
    XSD.maxExclusive: lambda v, b: v < b,
}
_FACET_TEXT = {XSD.minInclusive: ">=", XSD.minExclusive: ">", XSD.maxInclusive: "<=", XSD.maxExclusive: "<"}


class Restricted(DataRange):
    def __init__(self, base: BaseType, facets: tuple[tuple[URIRef, float], ...]) -> None:
        self.base, self.facets = base, facets
        in_base = base.test
        lo = max((b for f, b in facets if f == XSD.minInclusive), default=None)
        lo_x = max((b for f, b in facets if f == XSD.minExclusive), default=None)
        hi = min((b for f, b in facets if f == XSD.maxInclusive), default=None)
        hi_x = min((b for f, b in facets if f == XSD.maxExclusive), default=None)

        def test(value: Item) -> bool:
            if not in_base(value):
                return False
            v = float(value)  # type: ignore[arg-type,unused-ignore]
            return (
                (lo is None or v >= lo)
                and (lo_x is None or v > lo_x)
                and (hi is None or v <= hi)
                and (hi_x is None or v < hi_x)
            )

        integer = base.iri in INTEGERS
        if integer or base.test is _is_number:
            # the thresholds of the counting rules, tested on every value of a series: the base type's
            # test written in, not called (``_is_integer`` and ``_is_number`` above, the same answers)
            def numeric(value: Item) -> bool:
                if type(value) is bool or not isinstance(value, (int, float)):
                    return False
                v = float(value)
                if integer and not v.is_integer():
                    return False
                return (
                    (lo is None or v >= lo)
                    and (lo_x is None or v > lo_x)
                    and (hi is None or v <= hi)
                    and (hi_x is None or v < hi_x)
                )

            self.test = numeric
        else:
            self.test = test

    def describe(self, labels: Labels) -> str:
        return " and ".join(f"{_FACET_TEXT[f]} {bound:g}" for f, bound in self.facets)


class DataAnd(DataRange):
    def __init__(self, items: tuple[DataRange, ...]) -> None:
        self.items = items
        tests = tuple(i.test for i in items)
        self.test = lambda v: all(t(v) for t in tests)

    def describe(self, labels: Labels) -> str:
        parts = [i.describe(labels) for i in self.items if not isinstance(i, BaseType)]
        return " and ".join(parts) or " and ".join(i.describe(labels) for i in self.items)


class DataOr(DataRange):
    def __init__(self, items: tuple[DataRange, ...]) -> None:
        self.items = items
        tests = tuple(i.test for i in items)
        self.test = lambda v: any(t(v) for t in tests)

    def describe(self, labels: Labels) -> str:
        return " or ".join(i.describe(labels) for i in self.items)


class DataNot(DataRange):
    def __init__(self, item: DataRange) -> None:
        self.item = item
        inner = item.test
        self.test = lambda v: not inner(v)

    def describe(self, labels: Labels) -> str:
        return "not " + self.item.describe(labels)


class DataOneOf(DataRange):
    def __init__(self, values: tuple[Item, ...]) -> None:
        self.values = values
        self.test = lambda v: v in values

    def describe(self, labels: Labels) -> str:
        return "one of " + ", ".join(str(v) for v in self.values)


class NamedDatatype(DataRange):
    def __init__(self, iri: URIRef, definition: DataRange) -> None:
        self.iri, self.definition = iri, definition
        self.test = definition.test

    def describe(self, labels: Labels) -> str:
        if isinstance(self.definition, Restricted):
            return labels.label(self.iri)
        return self.definition.describe(labels)


# ----------------------------------------------------------------------------- class expressions


class ClassExpr:
    """A class expression: membership of a node, and the reasons for it."""

    def holds(self, ctx: Context, node: URIRef) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def explain(self, ctx: Context, node: URIRef, labels: Labels, out: list[str]) -> None:
        """Append to ``out`` the sentences why this expression holds for ``node`` (call only if it does)."""


@dataclass(eq=False)
class Named(ClassExpr):
    iri: URIRef
    definition: ClassExpr | None = None

    def holds(self, ctx: Context, node: URIRef) -> bool:
        if self.iri in ctx.types(node):
            return True
        definition = self.definition
        if definition is None:  # a named class without a definition: its asserted types decide
            return False
        memo = ctx.tested(node)
        cached = memo.get(self.iri)
        if cached is None:
            cached = memo[self.iri] = definition.holds(ctx, node)
        return cached

    def explain(self, ctx: Context, node: URIRef, labels: Labels, out: list[str]) -> None:
        clause = labels.clause(self.iri)
        if clause:
            out.append(clause)
        if self.definition is not None and self.iri not in ctx.types(node):
            self.definition.explain(ctx, node, labels, out)


@dataclass(eq=False)
class And(ClassExpr):
    items: tuple[ClassExpr, ...]

    def holds(self, ctx: Context, node: URIRef) -> bool:
        # a loop, not all(...): no generator on the innermost call of classification (measured 1.4x)
        for item in self.items:  # noqa: SIM110
            if not item.holds(ctx, node):
                return False
        return True

    def explain(self, ctx: Context, node: URIRef, labels: Labels, out: list[str]) -> None:
        for item in self.items:
            item.explain(ctx, node, labels, out)


@dataclass(eq=False)
class Or(ClassExpr):
    items: tuple[ClassExpr, ...]

    def holds(self, ctx: Context, node: URIRef) -> bool:
        for item in self.items:  # noqa: SIM110 (as in And.holds)
            if item.holds(ctx, node):
                return True
        return False

    def explain(self, ctx: Context, node: URIRef, labels: Labels, out: list[str]) -> None:
        for item in self.items:
            if item.holds(ctx, node):
                item.explain(ctx, node, labels, out)
                return


@dataclass(eq=False)
class Not(ClassExpr):
    item: ClassExpr

    def holds(self, ctx: Context, node: URIRef) -> bool:
        return not self.item.holds(ctx, node)

    def explain(self, ctx: Context, node: URIRef, labels: Labels, out: list[str]) -> None:
        if isinstance(self.item, Named):
            out.append(labels.not_member(self.item.iri))


@dataclass(eq=False)
class OneOf(ClassExpr):
    members: frozenset[URIRef]

    def holds(self, ctx: Context, node: URIRef) -> bool:
        return node in self.members


@dataclass(eq=False)
class Some(ClassExpr):
    prop: URIRef
    filler: ClassExpr | DataRange

    def _witness(self, ctx: Context, node: URIRef) -> Item | None:
        props = ctx.facts.get(node)
        values = props.get(self.prop) if props is not None else None
        if not values:
            return None
        filler = self.filler
        if isinstance(filler, DataRange):
            test = filler.test
            for value in values:
                if test(value):
                    return value
            return None
        for value in values:
            if isinstance(value, URIRef) and filler.holds(ctx, value):
                return value
        return None

    def holds(self, ctx: Context, node: URIRef) -> bool:
        return self._witness(ctx, node) is not None

    def explain(self, ctx: Context, node: URIRef, labels: Labels, out: list[str]) -> None:
        value = self._witness(ctx, node)
        if value is None:
            return
        if isinstance(self.filler, DataRange):
            text = f"{labels.label(self.prop)} {labels.value(value, self.prop)}"
            if not isinstance(self.filler, BaseType):
                text += f" ({self.filler.describe(labels)})"
            out.append(text)
        elif (
            isinstance(self.filler, OneOf | Named)
            and isinstance(value, URIRef)
            and (isinstance(self.filler, OneOf) or labels.is_value_set(value))
        ):
            out.append(f"{labels.label(self.prop)}: {labels.label(value)}")
        else:
            assert isinstance(value, URIRef)
            self.filler.explain(ctx, value, labels, out)


@dataclass(eq=False)
class HasValue(ClassExpr):
    prop: URIRef
    value: Item

    def holds(self, ctx: Context, node: URIRef) -> bool:
        return self.value in ctx.facts.get(node, {}).get(self.prop, ())

    def explain(self, ctx: Context, node: URIRef, labels: Labels, out: list[str]) -> None:
        out.append(f"{labels.label(self.prop)}: {labels.value(self.value)}")


@dataclass(eq=False)
class NoValue(ClassExpr):
    """``maxCardinality 0``: the node has no value for the property."""

    prop: URIRef

    def holds(self, ctx: Context, node: URIRef) -> bool:
        return not ctx.facts.get(node, {}).get(self.prop)

    def explain(self, ctx: Context, node: URIRef, labels: Labels, out: list[str]) -> None:
        out.append(labels.absent(self.prop))


# ----------------------------------------------------------------------------- labels


class Labels:
    """English labels, clauses and value-set membership read from the ontology, for explanations."""

    def __init__(self, graph: Graph) -> None:
        self._label: dict[Node, str] = {}
        for s, o in graph.subject_objects(RDFS.label):
            if isinstance(o, Literal) and (o.language in (None, "en")):
                self._label[s] = str(o)
        self._clause = {s: str(o) for s, o in graph.subject_objects(GK.clause)}
        self._value_set = {s for s in graph.subjects(RDF.type, OWL.NamedIndividual)}
        self._unit = {s: str(o) for s, o in graph.subject_objects(GK.unit)}
        self._absent = {s: str(o) for s, o in graph.subject_objects(GK.absentClause)}

    @staticmethod
    def local(iri: Node) -> str:
        text = str(iri)
        return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]

    def label(self, iri: Node) -> str:
        return self._label.get(iri) or self.local(iri)

    def clause(self, iri: Node) -> str | None:
        return self._clause.get(iri)

    def absent(self, prop: Node) -> str:
        """The sentence saying a node has no value for ``prop`` (``gk:absentClause``, else "no <label>")."""
        return self._absent.get(prop) or f"no {self.label(prop).removeprefix('has ')}"

    def not_member(self, cls: Node) -> str:
        """The sentence saying a node is not in class ``cls`` (``gk:absentClause``, else "not <label>")."""
        return self._absent.get(cls) or f"not {self.label(cls)}"

    def is_value_set(self, iri: Node) -> bool:
        return iri in self._value_set

    def value(self, value: Item, prop: Node | None = None) -> str:
        if isinstance(value, URIRef):
            return self.label(value)
        text = f"{value:g}" if isinstance(value, float) else str(value)
        unit = self._unit.get(prop) if prop is not None else None
        if unit == "%":
            return text + "%"
        return f"{text} {unit}" if unit else text


# ----------------------------------------------------------------------------- compiler


class Compiler:
    """Compiles the ontology's class definitions and named datatypes, once per ontology graph.

    Example:
        >>> from graftkg.semantics.ontology import load_ontology
        >>> c = Compiler(load_ontology("paper"))
        >>> c.datatype(GK.FullDonorChimerism).test(95.0), c.datatype(GK.FullDonorChimerism).test(94.9)
        (True, False)
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._classes: dict[URIRef, Named] = {}
        self._datatypes: dict[URIRef, NamedDatatype] = {}
        self._data_props = set(graph.subjects(RDF.type, OWL.DatatypeProperty))

    # --- data ranges
    def datatype(self, iri: URIRef) -> DataRange:
        """Return the compiled data range named ``iri`` (a named datatype or an XSD type)."""
        if iri in self._datatypes:
            return self._datatypes[iri]
        definition = self.graph.value(iri, OWL.equivalentClass)
        if definition is None:
            if str(iri).startswith(str(XSD)) or iri in (RDFS.Literal, OWL.real, OWL.rational):
                return BaseType(iri)
            raise OntologyError(f"datatype {iri} has no definition in the ontology")
        compiled = NamedDatatype(iri, self._data_range(definition))
        self._datatypes[iri] = compiled
        return compiled

    def _data_range(self, node: Node) -> DataRange:
        if isinstance(node, URIRef):
            return self.datatype(node)
        g = self.graph
        on = g.value(node, OWL.onDatatype)
        if on is not None:
            base = BaseType(on)  # type: ignore[arg-type]
            facets: list[tuple[URIRef, float]] = []
            facet_list = g.value(node, OWL.withRestrictions)
            if facet_list is None:
                raise OntologyError(f"datatype restriction {node} has no owl:withRestrictions")
            for facet_node in Collection(g, facet_list):
                for facet, bound in g.predicate_objects(facet_node):
                    if facet not in _FACETS or not isinstance(bound, Literal):
                        raise OntologyError(f"facet {facet} is not supported by the fast path")
                    facets.append((facet, float(bound.toPython())))  # type: ignore[arg-type]
            return Restricted(base, tuple(facets))
        for prop, cls in ((OWL.intersectionOf, DataAnd), (OWL.unionOf, DataOr)):
            head = g.value(node, prop)
            if head is not None:
                return cls(tuple(self._data_range(i) for i in Collection(g, head)))
        comp = g.value(node, OWL.datatypeComplementOf)
        if comp is not None:
            return DataNot(self._data_range(comp))
        one = g.value(node, OWL.oneOf)
        if one is not None:
            return DataOneOf(tuple(to_python(v) for v in Collection(g, one) if isinstance(v, Literal)))
        raise OntologyError(f"unsupported data range {node}")

    # --- classes
    def named(self, iri: URIRef) -> Named:
        """Return the compiled named class ``iri`` (its definition, if it has one, compiled too)."""
        iri = iri
        if iri in self._classes:
            return self._classes[iri]
        named = Named(iri)
        self._classes[iri] = named  # before compiling, so that cycles terminate
        definitions = [d for d in self.graph.objects(iri, OWL.equivalentClass)]
        if len(definitions) > 1:
            raise OntologyError(f"class {iri} has more than one equivalent class; the fast path needs one")
        if definitions:
            named.definition = self._class(definitions[0])
        return named

    def _class(self, node: Node) -> ClassExpr:
        g = self.graph
        if isinstance(node, URIRef):
            return self.named(node)
        assert isinstance(node, BNode)
        for list_prop, cls in ((OWL.intersectionOf, And), (OWL.unionOf, Or)):
            head = g.value(node, list_prop)
            if head is not None:
                return cls(tuple(self._class(i) for i in Collection(g, head)))
        comp = g.value(node, OWL.complementOf)
        if comp is not None:
            return Not(self._class(comp))
        one = g.value(node, OWL.oneOf)
        if one is not None:
            return OneOf(frozenset(i for i in Collection(g, one) if isinstance(i, URIRef)))
        prop = g.value(node, OWL.onProperty)
        if not isinstance(prop, URIRef):
            raise OntologyError(f"unsupported class expression {node}")
        prop = prop
        some = g.value(node, OWL.someValuesFrom)
        if some is not None:
            filler: ClassExpr | DataRange = self._data_range(some) if prop in self._data_props else self._class(some)
            return Some(prop, filler)
        value = g.value(node, OWL.hasValue)
        if value is not None:
            return HasValue(prop, to_python(value) if isinstance(value, Literal) else value)  # type: ignore[arg-type]
        max_card = g.value(node, OWL.maxCardinality)
        if isinstance(max_card, Literal) and int(max_card) == 0:
            return NoValue(prop)
        raise OntologyError(f"restriction {node} on {prop} is not supported by the fast path")
