"""SHACL: the shapes in ``shapes/``, a fast evaluator for them, and pySHACL as the reference.

The fast evaluator implements the part of SHACL Core the shapes use - property shapes with
``sh:targetClass`` or ``sh:targetSubjectsOf``, predicate and sequence paths, ``sh:minCount``,
``sh:maxCount``, ``sh:datatype``, ``sh:in``, ``sh:min/maxInclusive``, ``sh:min/maxExclusive``,
``sh:pattern``, ``sh:class``, ``sh:equals``, ``sh:disjoint``, ``sh:lessThan`` and
``sh:lessThanOrEquals`` (numbers with numbers, dates with dates) and a qualified value shape of one
``sh:class`` - over one transplant's facts at a time, so it runs in parallel partitions without
building an RDF graph. Any other construct in a shape is refused when
the shapes are loaded. ``tests/test_validate.py`` checks that it reports exactly what pySHACL
reports on the same shapes and data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from graftkg.assets import asset_dir
from graftkg.errors import OntologyError
from graftkg.rdf import DCTERMS, GK, RDF, RDFS, XSD, to_python
from graftkg.semantics.owlexpr import Facts, Item

SH = Namespace("http://www.w3.org/ns/shacl#")
SEVERITIES = ("Violation", "Warning", "Info")

_SUPPORTED = {
    SH.targetClass,
    SH.targetSubjectsOf,
    SH.path,
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH["in"],
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH.pattern,
    SH["class"],
    SH.equals,
    SH.disjoint,
    SH.lessThan,
    SH.lessThanOrEquals,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.name,
    SH.description,
    SH.message,
    SH.severity,
    RDF.type,
    GK.checkCategory,
    GK.field,
    GK.refusedOnReading,
    GK.failureThreshold,
    DCTERMS.source,
}


Lookup = Callable[[Item], dict[URIRef, list[Item]]]
#: A compiled constraint: (facts, lookup, focus, value nodes) -> the (value, component) pairs that fail it.
Checker = Callable[[Facts, Lookup, Item, list[Item]], Iterable[tuple[Item | None, str]]]


class Result(NamedTuple):
    """One validation result, as SHACL defines it (severity is the local name: Violation, Warning, Info).

    A named tuple (immutable, and pickled by value to and from worker processes, compiled or not).
    """

    focus: Item
    path: tuple[URIRef, ...]
    value: Item | None
    severity: str
    shape: URIRef
    component: str
    message: str


@dataclass
class Shape:
    """A property shape of ``shapes/``, compiled for the fast evaluator."""

    iri: URIRef
    path: tuple[URIRef, ...]
    severity: str
    message: str
    name: str
    description: str
    category: str
    column: str
    source: URIRef | None
    target_class: URIRef | None = None
    target_subjects_of: URIRef | None = None
    #: whether a record failing the shape is refused on reading (``gk:refusedOnReading``)
    refused_on_reading: bool = False
    #: the percentage of the transplants it applies to that may fail it before the check fails in a
    #: submission review (``gk:failureThreshold``, else its severity's ``gk:defaultFailureThreshold``)
    failure_threshold: float = 0.0
    #: whether ``failure_threshold`` is the shape's own (else its severity's default)
    own_threshold: bool = False
    constraints: list[tuple[str, object]] = field(default_factory=list)
    #: the constraints compiled to functions (set by :func:`load_shapes`)
    checkers: tuple[Checker, ...] = field(default=(), repr=False, compare=False)
    #: whether a focus node without values can fail (set with ``checkers``)
    check_empty: bool = field(default=False, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash(self.iri)

    @property
    def needs_check_when_empty(self) -> bool:
        """Whether a focus node without values can violate the shape (counts, equality)."""
        return any(k in ("minCount", "qualifiedMinCount", "equals") for k, _ in self.constraints)


def shapes_graph() -> Graph:
    """Every shape file of ``shapes/`` in one graph (read again at each call).

    Example:
        >>> len(shapes_graph()) > 500
        True
    """
    from graftkg.semantics.ontology import parse_into

    graph = Graph()
    for path in sorted(asset_dir("shapes").glob("*.ttl")):
        parse_into(graph, path)
    return graph


def _failure_threshold(g: Graph, iri: URIRef, severity: URIRef) -> tuple[float, bool]:
    """The failure threshold of shape ``iri`` (a percentage) and whether it is the shape's own."""
    own = g.value(iri, GK.failureThreshold)
    value, is_own = (own, True) if own is not None else (g.value(severity, GK.defaultFailureThreshold), False)
    if value is None:
        raise OntologyError(f"shape {iri}: no gk:failureThreshold, and {severity} has no gk:defaultFailureThreshold")
    try:
        threshold = float(str(value))
    except ValueError:
        raise OntologyError(f"shape {iri}: failure threshold '{value}' is not a number") from None
    if not 0 <= threshold <= 100:
        raise OntologyError(f"shape {iri}: failure threshold {threshold:g} is not a percentage (0 to 100)")
    return threshold, is_own


def _literal(node: object) -> Item:
    if isinstance(node, Literal):
        return to_python(node)
    if isinstance(node, URIRef):
        return node
    raise OntologyError(f"unsupported value in a shape: {node!r}")


def load_shapes() -> ShapeSet:
    """Read and compile the shapes; refuse any construct the fast evaluator does not implement. Each
    call reads them again: an :class:`~graftkg.api.Engine` keeps the set it validates with.

    Example:
        >>> shapes = load_shapes()
        >>> next(s for s in shapes if s.iri.endswith("GraftSourceRequired")).constraints
        [('minCount', 1)]
    """
    g = shapes_graph()
    out = []
    for iri in sorted({s for s in g.subjects(RDF.type, SH.PropertyShape) if isinstance(s, URIRef)}):
        if not isinstance(iri, URIRef):
            raise OntologyError("every property shape must be named")
        for prop in set(g.predicates(iri, None)):
            if prop not in _SUPPORTED:
                raise OntologyError(f"shape {iri}: {prop} is not supported by the fast evaluator")
        path_node = g.value(iri, SH.path)
        if isinstance(path_node, URIRef):
            path: tuple[URIRef, ...] = (path_node,)
        elif isinstance(path_node, BNode):
            items = list(Collection(g, path_node))
            if not items or not all(isinstance(i, URIRef) for i in items):
                raise OntologyError(f"shape {iri}: only predicate and sequence paths are supported")
            path = tuple(i for i in items if isinstance(i, URIRef))
        else:
            raise OntologyError(f"shape {iri} has no sh:path")
        severity = g.value(iri, SH.severity)
        if not isinstance(severity, URIRef) or severity.removeprefix(str(SH)) not in SEVERITIES:
            raise OntologyError(f"shape {iri} needs an explicit sh:severity")
        text = {
            p: str(g.value(iri, p) or "") for p in (SH.message, SH.name, SH.description, GK.checkCategory, GK.field)
        }
        source = g.value(iri, DCTERMS.source)
        shape = Shape(
            iri,
            path,
            severity.removeprefix(str(SH)),
            text[SH.message],
            text[SH.name],
            text[SH.description],
            text[GK.checkCategory],
            text[GK.field],
            source if isinstance(source, URIRef) else None,
            target_class=_canon(g.value(iri, SH.targetClass)),
            target_subjects_of=_canon(g.value(iri, SH.targetSubjectsOf)),
            refused_on_reading=_flag(g.value(iri, GK.refusedOnReading), iri),
        )
        shape.failure_threshold, shape.own_threshold = _failure_threshold(g, iri, severity)
        for key in ("minCount", "maxCount", "qualifiedMinCount"):
            v = g.value(iri, SH[key])
            if v is not None:
                shape.constraints.append((key, int(v)))  # type: ignore[call-overload]
        for key in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
            v = g.value(iri, SH[key])
            if v is not None:
                shape.constraints.append((key, float(v)))  # type: ignore[arg-type]
        for key in ("datatype", "class", "equals", "disjoint", "lessThan", "lessThanOrEquals"):
            v = g.value(iri, SH[key])
            if v is not None:
                shape.constraints.append((key, _canon(v)))
        pattern = g.value(iri, SH.pattern)
        if pattern is not None:
            shape.constraints.append(("pattern", re.compile(str(pattern))))
        members = g.value(iri, SH["in"])
        if members is not None:
            shape.constraints.append(("in", frozenset(_key(_literal(m)) for m in Collection(g, members))))
        qualified = g.value(iri, SH.qualifiedValueShape)
        if qualified is not None:
            cls = g.value(qualified, SH["class"])
            if cls is None or len(set(g.predicate_objects(qualified))) != 1:
                raise OntologyError(f"shape {iri}: a qualified value shape may only state sh:class")
            shape.constraints.append(("qualifiedClass", _canon(cls)))
        if not shape.target_class and not shape.target_subjects_of:
            raise OntologyError(f"shape {iri} has no target")
        shape.checkers = tuple(c for c in (_checker(k, a, shape) for k, a in shape.constraints) if c is not None)
        shape.check_empty = shape.needs_check_when_empty
        out.append(shape)
    defaults: dict[str, float] = {}
    for level in SEVERITIES:
        default = g.value(SH[level], GK.defaultFailureThreshold)
        if default is not None:
            defaults[level] = float(str(default))
    return ShapeSet(out, defaults)


def _flag(node: object, shape: URIRef) -> bool:
    """The value of a boolean annotation of ``shape`` (absent: false)."""
    if node is None:
        return False
    if not isinstance(node, Literal) or node.datatype != XSD.boolean:
        raise OntologyError(f"shape {shape}: gk:refusedOnReading must be true or false")
    return bool(node.toPython())


def _canon(node: object) -> URIRef | None:
    return node if isinstance(node, URIRef) else None


def _key(value: Item) -> tuple[str, object]:
    """A comparison key that keeps IRIs, strings, numbers and booleans apart (RDF term equality)."""
    if isinstance(value, URIRef):
        return ("iri", str(value))
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("num", float(value))
    return ("str", value)


_DATATYPE_OF: dict[type, URIRef] = {bool: XSD.boolean, int: XSD.integer, float: XSD.decimal, str: XSD.string}


def _is_number(value: Item) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _values(facts: Facts, lookup: Lookup, node: Item, path: tuple[URIRef, ...]) -> list[Item]:
    current = [node]
    for prop in path:
        nxt: list[Item] = []
        for n in current:
            props = facts.get(n) if isinstance(n, URIRef) else None
            if props is None:
                props = lookup(n)
            nxt.extend(props.get(prop, ()))
        current = nxt
    return current


def _types(facts: Facts, lookup: Lookup, node: Item) -> list[Item]:
    props = facts.get(node) if isinstance(node, URIRef) else None
    return (props if props is not None else lookup(node)).get(RDF.type, _EMPTY)  # read only


def evaluate(shapes: Iterable[Shape], facts: Facts, lookup: Lookup | None = None) -> Iterator[Result]:
    """Evaluate ``shapes`` on one partition of facts (node -> property -> values).

    ``lookup`` resolves nodes outside the partition that a path reaches (e.g. a prior transplant).

    Example:
        >>> f = {URIRef("urn:t"): {RDF.type: [GK.Transplant]}}
        >>> [r.shape.rsplit("/", 1)[1] for r in evaluate(load_shapes(), f) if r.severity == "Violation"][:2]
        ['ConditioningIntensityRequired', 'DonorTypeRequired']
    """
    resolve: Lookup = lookup or _no_lookup
    index = shapes if isinstance(shapes, ShapeSet) else ShapeSet(shapes)
    for focus, props in facts.items():
        for shape in _plan(props, index.by_class, index.by_subject, index.plans):
            path = shape.path
            values = props.get(path[0], _EMPTY) if len(path) == 1 else _values(facts, resolve, focus, path)
            if values or shape.check_empty:
                for checker in shape.checkers:
                    for value, component in checker(facts, resolve, focus, values):
                        yield Result(focus, path, value, shape.severity, shape.iri, component, shape.message)


_EMPTY: list[Item] = []
#: the shapes to run on a node, by its types and properties
Plans = dict[tuple[tuple[Item, ...], tuple[URIRef, ...]], list[Shape]]


def _plan(
    props: dict[URIRef, list[Item]],
    by_class: dict[URIRef, list[Shape]],
    by_subject: dict[URIRef, list[Shape]],
    plans: Plans,
) -> list[Shape]:
    """The shapes that apply to a node with these types and properties, in order: those of its types,
    then those of its properties. Planned once per layout (the node's types and property keys, in
    order) and kept in ``plans``."""
    layout = (tuple(props.get(RDF.type, _EMPTY)), tuple(props))
    plan = plans.get(layout)
    if plan is None:
        plan = []
        for cls in props.get(RDF.type, ()):
            plan.extend(by_class.get(cls, ()))  # type: ignore[arg-type]
        for prop in props:
            plan.extend(by_subject.get(prop, ()))
        plans[layout] = plan
    return plan


def path_values(facts: Facts, lookup: Lookup, node: Item, path: tuple[URIRef, ...]) -> list[Item]:
    """The values of ``path`` from ``node`` (what a property shape with that path checks), in facts order.

    Example:
        >>> t, o = URIRef("urn:t"), URIRef("urn:o")
        >>> path_values({t: {GK.observation: [o]}, o: {GK.day: [3]}}, _no_lookup, t, (GK.observation, GK.day))
        [3]
    """
    return _values(facts, lookup, node, path)


def _no_lookup(node: Item) -> dict[URIRef, list[Item]]:
    return {}


class ShapeSet:
    """Compiled shapes, indexed by target, with the plans made for the node layouts seen so far.

    Iterates as its shapes. The evaluator finds the shapes of a node through it; ``plans`` (which
    shapes apply to a node with given types and properties) fills as nodes are checked, so one set's
    work is reused by every evaluation that is given it, and by nothing else.

    Example:
        >>> shapes = ShapeSet(s for s in load_shapes() if s.iri.endswith("Required"))
        >>> len(shapes) < len(load_shapes()), all(s.iri.endswith("Required") for s in shapes)
        (True, True)
    """

    def __init__(self, shapes: Iterable[Shape], default_thresholds: Mapping[str, float] | None = None) -> None:
        self.shapes = tuple(shapes)
        #: each severity's default failure threshold (``gk:defaultFailureThreshold``), by its local name
        self.default_thresholds: dict[str, float] = dict(default_thresholds or {})
        self.by_class: dict[URIRef, list[Shape]] = {}
        self.by_subject: dict[URIRef, list[Shape]] = {}
        for shape in self.shapes:
            if shape.target_class is not None:
                self.by_class.setdefault(shape.target_class, []).append(shape)
            elif shape.target_subjects_of is not None:
                self.by_subject.setdefault(shape.target_subjects_of, []).append(shape)
        self.plans: Plans = {}

    def __iter__(self) -> Iterator[Shape]:
        return iter(self.shapes)

    def __reduce__(self) -> tuple[Callable[[tuple[str, ...]], ShapeSet], tuple[tuple[str, ...]]]:
        # a shape's checks are closures, which do not pickle: a set pickles as its shapes' IRIs and is
        # compiled again from the shipped shapes where it is unpickled (a spawned worker process)
        return (_shipped_shapes, (tuple(str(s.iri) for s in self.shapes),))

    def __len__(self) -> int:
        return len(self.shapes)

    def applicable(self, facts: Facts) -> set[URIRef]:
        """The shapes that target a node of ``facts`` (by its types, or the properties it has).

        Example:
            >>> facts = {URIRef("urn:t"): {RDF.type: [GK.Transplant]}}
            >>> shapes = load_shapes()
            >>> URIRef("https://w3id.org/graftkg/shapes/GraftSourceRequired") in shapes.applicable(facts)
            True
            >>> shapes.applicable({})
            set()
        """
        out: set[URIRef] = set()
        for props in facts.values():
            out.update(s.iri for s in _plan(props, self.by_class, self.by_subject, self.plans))
        return out


def _shipped_shapes(iris: tuple[str, ...]) -> ShapeSet:
    """The shipped shapes of these IRIs, in this order (how a :class:`ShapeSet` is unpickled).

    Example:
        >>> import pickle
        >>> shapes = ShapeSet(s for s in load_shapes() if s.iri.endswith("Required"))
        >>> [s.iri for s in pickle.loads(pickle.dumps(shapes))] == [s.iri for s in shapes]
        True
        >>> pickle.loads(pickle.dumps(load_shapes())).default_thresholds["Warning"]
        5.0
    """
    shipped = load_shapes()
    by_iri = {str(s.iri): s for s in shipped}
    missing = [iri for iri in iris if iri not in by_iri]
    if missing:
        raise OntologyError(f"a shape set names shapes that are not shipped: {', '.join(missing[:3])}")
    return ShapeSet((by_iri[iri] for iri in iris), shipped.default_thresholds)


def _result(shape: Shape, focus: Item, value: Item | None, component: str) -> Result:
    return Result(focus, shape.path, value, shape.severity, shape.iri, component, shape.message)


_NOTHING: tuple[tuple[Item | None, str], ...] = ()


def _num(value: Item) -> bool:
    t = type(value)
    return t is float or t is int


def _ordered(a: Item, b: Item) -> bool:
    """Whether SPARQL's ``<`` compares ``a`` and ``b``: two numbers, or two dates (``xsd:date``).

    Example:
        >>> from datetime import date
        >>> _ordered(1, 2.5), _ordered(date(2024, 1, 1), date(2023, 1, 1)), _ordered(date(2024, 1, 1), 1)
        (True, True, False)
    """
    return (_num(a) and _num(b)) or (type(a) is date and type(b) is date)


def _checker(kind: str, arg: object, shape: Shape) -> Checker | None:
    """Compile one constraint of ``shape`` to a function (the SHACL Core semantics of that component)."""
    if kind == "minCount":
        least = int(arg)  # type: ignore[call-overload]
        return lambda f, lk, n, vs: ((None, "MinCountConstraintComponent"),) if len(vs) < least else _NOTHING
    if kind == "maxCount":
        most = int(arg)  # type: ignore[call-overload]
        return lambda f, lk, n, vs: ((None, "MaxCountConstraintComponent"),) if len(vs) > most else _NOTHING
    if kind == "datatype":
        wanted = {t for t, d in _DATATYPE_OF.items() if d == arg}
        return lambda f, lk, n, vs: [(v, "DatatypeConstraintComponent") for v in vs if type(v) not in wanted]
    if kind == "in":
        members = arg
        # an IRI is in the list when it is one of the list's IRIs
        iris = frozenset(URIRef(v) for tag, v in members if tag == "iri")  # type: ignore[attr-defined]
        return lambda f, lk, n, vs: [
            (v, "InConstraintComponent")
            for v in vs
            if (v not in iris if type(v) is URIRef else _key(v) not in members)  # type: ignore[operator]
        ]
    if kind in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
        bound = float(arg)  # type: ignore[arg-type]
        component = kind[0].upper() + kind[1:] + "ConstraintComponent"
        if kind == "minInclusive":
            return lambda f, lk, n, vs: [(v, component) for v in vs if not (_num(v) and v >= bound)]  # type: ignore[operator]
        if kind == "maxInclusive":
            return lambda f, lk, n, vs: [(v, component) for v in vs if not (_num(v) and v <= bound)]  # type: ignore[operator]
        if kind == "minExclusive":
            return lambda f, lk, n, vs: [(v, component) for v in vs if not (_num(v) and v > bound)]  # type: ignore[operator]
        return lambda f, lk, n, vs: [(v, component) for v in vs if not (_num(v) and v < bound)]  # type: ignore[operator]
    if kind == "pattern":
        search = arg.search  # type: ignore[attr-defined]
        return lambda f, lk, n, vs: [
            (v, "PatternConstraintComponent") for v in vs if type(v) is not str or not search(v)
        ]
    if kind == "class":
        return lambda f, lk, n, vs: [(v, "ClassConstraintComponent") for v in vs if arg not in _types(f, lk, v)]
    if kind == "equals":
        prop = (arg,)

        def equals(f: Facts, lk: Lookup, n: Item, vs: list[Item]) -> Iterable[tuple[Item | None, str]]:
            other = _values(f, lk, n, prop)  # type: ignore[arg-type]
            mine = {_key(v) for v in vs}
            theirs = {_key(v) for v in other}
            missing = [v for v in vs if _key(v) not in theirs] + [v for v in other if _key(v) not in mine]
            return [(v, "EqualsConstraintComponent") for v in missing]

        return equals
    if kind == "disjoint":
        prop = (arg,)

        def disjoint(f: Facts, lk: Lookup, n: Item, vs: list[Item]) -> Iterable[tuple[Item | None, str]]:
            other = _values(f, lk, n, prop)  # type: ignore[arg-type]
            if not other:
                return _NOTHING
            theirs = {_key(v) for v in other}
            return [(v, "DisjointConstraintComponent") for v in dict.fromkeys(vs) if _key(v) in theirs]

        return disjoint
    if kind in ("lessThan", "lessThanOrEquals"):
        prop, strict = (arg,), kind == "lessThan"
        component = "LessThanConstraintComponent" if strict else "LessThanOrEqualsConstraintComponent"

        def less(f: Facts, lk: Lookup, n: Item, vs: list[Item]) -> Iterable[tuple[Item | None, str]]:
            other = _values(f, lk, n, prop)  # type: ignore[arg-type]
            if not other:
                return _NOTHING
            out: list[tuple[Item | None, str]] = []
            for v in dict.fromkeys(vs):  # value nodes are a set
                for w in other:
                    if not (_ordered(v, w) and (v < w if strict else v <= w)):  # type: ignore[operator]
                        out.append((v, component))
                        break
            return out

        return less
    if kind == "qualifiedClass":
        minimum = next((a for k, a in shape.constraints if k == "qualifiedMinCount"), None)
        if minimum is None:
            return None

        def qualified(f: Facts, lk: Lookup, n: Item, vs: list[Item]) -> Iterable[tuple[Item | None, str]]:
            conforming = 0
            for v in vs:  # counted up to the minimum: whether there are that many is all that is checked
                if arg in _types(f, lk, v):
                    conforming += 1
                    if conforming >= minimum:  # type: ignore[operator]
                        return _NOTHING
            return ((None, "QualifiedMinCountConstraintComponent"),) if conforming < minimum else _NOTHING  # type: ignore[operator]

        return qualified
    return None  # qualifiedMinCount is read by qualifiedClass


def _threshold(shape: Shape) -> str:
    parts = []
    c = dict(shape.constraints)
    if "minCount" in c:
        parts.append("required" if c["minCount"] == 1 else f"at least {c['minCount']}")
    if "maxCount" in c:
        parts.append("none" if c["maxCount"] == 0 else f"at most {c['maxCount']}")
    if "datatype" in c:
        parts.append(str(c["datatype"]).replace(str(XSD), "xsd:"))
    if "in" in c:
        members = sorted(  # an IRI by its local name; a literal (a unit such as 10*9/L) whole
            str(v).rsplit("/", 1)[-1] if kind == "iri" else str(v)
            for kind, v in c["in"]  # type: ignore[attr-defined]
        )
        if not members:
            parts.append("never: every value is a finding")
        elif len(members) <= 3:
            parts.append("one of " + ", ".join(members))
        else:
            parts.append(f"one of {len(members)} codes")
    lo = c.get("minInclusive", c.get("minExclusive"))
    hi = c.get("maxInclusive", c.get("maxExclusive"))
    if lo is not None or hi is not None:
        low = f"{lo:g}" if isinstance(lo, float) else ""
        high = f"{hi:g}" if isinstance(hi, float) else ""
        parts.append(f"{low} to {high}".strip())
    if "pattern" in c:
        parts.append(f"matches {c['pattern'].pattern}")  # type: ignore[attr-defined]
    for key, word in (("equals", "="), ("disjoint", "not"), ("lessThan", "<"), ("lessThanOrEquals", "<=")):
        if key in c:
            parts.append(f"{word} {str(c[key]).rsplit('/', 1)[1]}")
    if "qualifiedClass" in c:
        parts.append(f"at least one {str(c['qualifiedClass']).rsplit('/', 1)[1]}")
    if shape.refused_on_reading:
        parts.append("refused on reading")
    return "; ".join(parts)


def catalogue(shapes: ShapeSet | None = None) -> str:
    """The check catalogue as a Markdown table, generated from ``shapes`` (default: the shipped shapes;
    `docs/checks.md` holds a copy).

    Example:
        >>> catalogue().splitlines()[0]
        '| check | rule | category | severity | threshold | fails above | field | source |'
    """
    labels: dict[URIRef, str] = {}
    from graftkg.semantics.ontology import load_ontology

    onto = load_ontology()
    rows = [
        "| check | rule | category | severity | threshold | fails above | field | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    categories = ("completeness", "conformance", "possibility", "plausibility", "chronology", "cross-check")
    order = {c: i for i, c in enumerate(categories)}
    for shape in sorted(load_shapes() if shapes is None else shapes, key=lambda s: (order.get(s.category, 9), s.iri)):
        source = ""
        if shape.source is not None:
            label = str(onto.value(shape.source, RDFS.label) or shape.source)
            source = labels.setdefault(shape.source, label.split(" (")[0].split(", after")[0])
        rule = str(shape.iri).rsplit("/", 1)[1]
        rows.append(
            f"| {shape.name} | `{rule}` | {shape.category} | {shape.severity} | {_threshold(shape)} | "
            f"{shape.failure_threshold:g} %{'' if shape.own_threshold else ' (default)'} | "
            f"`{shape.column}` | {source} |"
        )
    return "\n".join(rows) + "\n"
