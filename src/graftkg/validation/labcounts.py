"""Checking a transplant's lab counts without building a node for each count.

A submission has about forty lab counts per transplant (ANC, platelets, haemoglobin, WBC). In the
facts, each count is a node of its own (:func:`graftkg.semantics.facts.add_lab_observations`), and the shapes
visit every one. Nearly all counts are clean. Building and visiting their nodes was a third of a
validation's time. Here a transplant's counts stay rows (:class:`LabCounts`), and
:class:`LabCountChecker` gives the results the general evaluator gives on the full facts, in the same
order:

- **The counts' own shapes** (day, value, unit, measure) read only the count itself, each one
  property. So whether a count passes them depends on its measure and day and unit, and separately on
  its measure and value. Each distinct combination is checked once, by the general evaluator on a real
  count node. A count whose two parts are known clean is passed over. Any other count is built as a
  node and checked by :func:`graftkg.validation.shacl.evaluate`, so its results are the evaluator's own.
- **Paths from the transplant through its counts** (``gk:observation/gk:day``: no observation after
  death or after the last follow-up) get the counts' values from the rows, after the other
  observations' values, as the facts would order them.
- **Anything else that reaches a count** (the counts are still linked from the transplant) resolves
  it to its node through the lookup (:meth:`LabCounts.resolve`).

If the shapes ever change so that a count's shapes read more than one property, or a shape that is
not local applies to a count, no count is taken as clean and every one is checked as a node.
``tests/test_validate.py`` holds the results equal to the whole-facts evaluation.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import URIRef

from graftkg.model import TransplantRecord
from graftkg.rdf import GK, trusted_iri
from graftkg.semantics.facts import LAB_MEASURES, lab_count_props
from graftkg.semantics.owlexpr import Facts, Item
from graftkg.validation.shacl import Lookup, Result, Shape, ShapeSet, evaluate, local_failures, node_shapes, path_values

#: one lab count: (measure, day, value, unit, method), the arguments of :func:`graftkg.semantics.facts.lab_count_props`
Row = tuple[str, int | None, float | None, str | None, str | None]
Path = tuple[URIRef, ...]
_COUNT = URIRef("urn:graftkg:lab-count")
#: how many answers a checker keeps (distinct days and values by measure); it forgets them all beyond
LEARNED_LIMIT = 1 << 20


class LabCounts:
    """The lab counts of one transplant, as rows.

    They are the nodes :func:`~graftkg.semantics.facts.add_lab_observations` would add.

    Example:
        >>> from graftkg.model import Observation
        >>> from graftkg.rdf import node_id
        >>> record = TransplantRecord("T1", observations=[Observation(3, "gcsf"), Observation(5, "ANC", 0.2)])
        >>> counts = LabCounts(node_id("transplant", "T1"), record)
        >>> counts.rows, str(counts.iri(0)).rsplit("/", 2)[1:], counts.iris() == [counts.iri(0)]
        ([('ANC', 5, 0.2, None, None)], ['T1', '1'], True)
    """

    __slots__ = ("_at", "_base", "_positions", "node", "rows")

    def __init__(self, node: URIRef, record: TransplantRecord) -> None:
        self.node = node
        self._base = str(node).replace("/transplant/", "/observation/", 1) + "/"
        self._positions: list[int] = []
        self.rows: list[Row] = []
        for i, obs in enumerate(record.observations):
            if obs.measure in LAB_MEASURES:
                self._positions.append(i)
                self.rows.append((obs.measure, obs.day, obs.value, obs.unit, obs.method))
        self._at: dict[int, int] | None = None

    def iri(self, k: int) -> URIRef:
        """The node of row ``k``."""
        return trusted_iri(self._base + str(self._positions[k]))

    def iris(self) -> list[URIRef]:
        """The nodes of all rows, in row order (as :meth:`iri` gives them, in one pass)."""
        base, new = self._base, str.__new__
        return [new(URIRef, base + str(p)) for p in self._positions]

    def props(self, k: int) -> dict[URIRef, list[Item]]:
        """The facts of row ``k``'s node (shared and read-only, see :class:`~graftkg.semantics.facts.SharedProps`)."""
        return lab_count_props(*self.rows[k])

    def resolve(self, node: Item) -> dict[URIRef, list[Item]] | None:
        """The facts of ``node`` if it is one of these counts, else None.

        Example:
            >>> from graftkg.model import Observation
            >>> from graftkg.rdf import node_id
            >>> record = TransplantRecord("T1", observations=[Observation(5, "PLT", 9.0)])
            >>> counts = LabCounts(node_id("transplant", "T1"), record)
            >>> counts.resolve(counts.iri(0))[GK.value], counts.resolve(counts.node)
            ([9.0], None)
        """
        if not isinstance(node, URIRef) or not node.startswith(self._base):
            return None
        tail = node[len(self._base) :]
        if not tail.isdigit():
            return None
        if self._at is None:
            self._at = {p: k for k, p in enumerate(self._positions)}
        k = self._at.get(int(tail))
        return None if k is None else self.props(k)

    def values(self, rest: Path, lookup: Lookup) -> list[Item]:
        """The values of ``rest`` from each count, in row order (a path's tail after ``gk:observation``).

        Example:
            >>> from graftkg.model import Observation
            >>> from graftkg.rdf import node_id
            >>> obs = [Observation(5, "PLT", 9.0), Observation(None, "ANC", 1.0), Observation(7, "HB", 90.0)]
            >>> counts = LabCounts(node_id("transplant", "T1"), TransplantRecord("T1", observations=obs))
            >>> counts.values((GK.day,), lambda n: {}), counts.values((GK.value,), lambda n: {})
            ([5, 7], [9.0, 1.0, 90.0])
        """
        if rest == (GK.day,):  # the common case, without building the nodes: a count has a day if stated
            return [day for _, day, _, _, _ in self.rows if day is not None]
        out: list[Item] = []
        for k in range(len(self.rows)):
            out.extend(path_values({_COUNT: self.props(k)}, lookup, _COUNT, rest))
        return out


class LabCountChecker:
    """Checks lab counts for :func:`graftkg.validation.validate.validate_records` with the results of the full facts.

    Example:
        >>> from graftkg.model import Observation
        >>> from graftkg.rdf import node_id
        >>> from graftkg.validation.shacl import load_shapes
        >>> checker = LabCountChecker(load_shapes())
        >>> record = TransplantRecord("T1", observations=[Observation(5, "ANC", 0.2), Observation(6, "ANC", 250.0)])
        >>> counts = LabCounts(node_id("transplant", "T1"), record)
        >>> [(str(r.focus).rsplit("/", 1)[1], r.value, r.component) for r in checker.results(counts, lambda n: {})]
        [('1', 250.0, 'MaxInclusiveConstraintComponent')]
    """

    def __init__(self, shapes: ShapeSet) -> None:
        self.shapes = shapes
        #: the sequence paths through a transplant's observations, whose values :meth:`link` gives
        through = {s.path for s in shapes if len(s.path) > 1 and s.path[0] == GK.observation}
        self.paths: list[Path] = sorted(through, key=lambda p: tuple(map(str, p)))
        #: whether a row passes the shapes on everything but its value (key: measure, day, unit, whether
        #: it has a value), and on its value (key: measure, value, whether it has a day, a unit). The
        #: keys name the types of day, unit and value too, unless they are the usual int, str and float
        self._own: dict[tuple[object, ...], bool] = {}
        self._read: dict[tuple[object, ...], bool] = {}
        self._parts: dict[tuple[str, bool, bool, bool, bool], tuple[list[Shape], list[Shape]] | None] = {}
        #: the shapes that target a count, by its layout (as ``_parts``)
        self._targeted: dict[tuple[str, bool, bool, bool, bool], frozenset[URIRef]] = {}

    def link(self, facts: Facts, counts: LabCounts, lookup: Lookup) -> dict[tuple[Item, Path], list[Item]]:
        """Link ``counts`` to their transplant in ``facts`` as ``add_lab_observations`` does; return the values
        of the paths through the transplant's observations (for :func:`~graftkg.validation.shacl.evaluate`'s ``known``).

        Call it once the transplant's other observations are in ``facts``.
        """
        known: dict[tuple[Item, Path], list[Item]] = {}
        for path in self.paths:
            values = path_values(facts, lookup, counts.node, path)
            values.extend(counts.values(path[1:], lookup))
            known[counts.node, path] = values
        props = facts[counts.node]
        links = props.setdefault(GK.observation, [])
        links.extend(counts.iris())
        if not links:
            del props[GK.observation]
        return known

    def results(self, counts: LabCounts, lookup: Lookup) -> Iterator[Result]:
        """The results of the shapes on the counts' nodes, in row order (as their nodes would give them)."""
        owns, reads = self._own, self._read
        for k, row in enumerate(counts.rows):
            measure, day, value, unit, method = row
            own_key: tuple[object, ...]
            if type(day) is int and (unit is None or type(unit) is str) and method is None:
                own_key = (measure, day, unit, value is None)
            else:  # a typed key (a day of 1.0 is not a day of 1); never equal to a shorter one
                own_key = (measure, type(day), day, type(unit), unit, value is None, method)
            own = owns.get(own_key)
            if own is None:
                own = owns[own_key] = self._passes(row, 0)
            if own:
                read_key: tuple[object, ...]
                if type(value) is float and method is None:
                    read_key = (measure, value, day is None, unit is None)
                else:
                    read_key = (measure, type(value), value, day is None, unit is None, method)
                read = reads.get(read_key)
                if read is None:
                    read = reads[read_key] = self._passes(row, 1)
                if read:
                    continue
            yield from evaluate(self.shapes, {counts.iri(k): counts.props(k)}, lookup)

    def applicable(self, counts: LabCounts) -> set[URIRef]:
        """The shapes that target a node of one of ``counts``' rows."""
        out: set[URIRef] = set()
        for measure, day, value, unit, method in counts.rows:
            layout = (measure, day is None, value is None, unit is None, method is None)
            targeted = self._targeted.get(layout)
            if targeted is None:
                local, other = node_shapes(self.shapes, lab_count_props(measure, day, value, unit, method))
                targeted = self._targeted[layout] = frozenset(s.iri for s in (*local, *other))
            out |= targeted
        return out

    def _passes(self, row: Row, part: int) -> bool:
        """Whether ``row``'s node passes its shapes on everything but the value (``part`` 0) or on the value (1)."""
        if len(self._own) + len(self._read) >= LEARNED_LIMIT:  # a long-lived process: start again, not grow
            self._own.clear()
            self._read.clear()
        measure, day, value, unit, method = row
        layout = (measure, day is None, value is None, unit is None, method is None)
        if layout not in self._parts:
            self._parts[layout] = self._split(lab_count_props(*row))
        parts = self._parts[layout]
        return parts is not None and not local_failures(parts[part], lab_count_props(*row))

    def _split(self, props: dict[URIRef, list[Item]]) -> tuple[list[Shape], list[Shape]] | None:
        """A count layout's shapes (those on the value, the others), or None when a count's results
        could depend on more than one of its properties: then no count is taken as clean."""
        local, other = node_shapes(self.shapes, props)
        if other or any(len(s.path) != 1 or set(s.reads) != {s.path[0]} for s in local):
            return None
        return [s for s in local if s.path[0] != GK.value], [s for s in local if s.path[0] == GK.value]


__all__ = ["LEARNED_LIMIT", "LabCountChecker", "LabCounts", "Row"]
