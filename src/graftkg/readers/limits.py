"""What no record can truly hold, read from the shapes marked ``gk:refusedOnReading``, checked on reading.

A donor chimerism of 150 %, a negative count, a day a million days after the infusion or an
observation dated after the patient's death cannot be true. The shapes in ``shapes/`` that say so are
marked ``gk:refusedOnReading true``: validation reports a record failing one as a violation, and
every other reader (classify, convert, load) refuses the record with a located one-line error. This
module compiles those shapes once into checks on a :class:`~graftkg.model.TransplantRecord`, so that
reading never builds the record's RDF facts; ``tests/test_refusals.py`` holds it to the SHACL evaluator
on generated records. The limits themselves live only in the shapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import lru_cache

from rdflib import URIRef

from graftkg.errors import InputError, OntologyError
from graftkg.model import TransplantRecord
from graftkg.rdf import GK, RDFS
from graftkg.semantics.facts import LAB_MEASURES, MEASURE_TYPES, SUPPORT_MEASURES
from graftkg.semantics.ontology import load_ontology

__all__ = ["Limit", "impossible_values", "limits"]

#: the class of the observation node each measure becomes in the facts (see graftkg.semantics.facts)
_MEASURE_CLASS: dict[str, URIRef] = {
    **MEASURE_TYPES,
    **dict.fromkeys(SUPPORT_MEASURES, GK.SupportEvent),
    "donor_chimerism_pct": GK.ChimerismAssay,
    "dsa_mfi": GK.DSATest,
    "infection": GK.InfectionEpisode,
    "gvhd": GK.GvHDEpisode,
}
#: the numeric property an observation's value becomes, by measure (a lab count's is gk:value)
_VALUE_PROPERTY: dict[str, URIRef] = {
    **dict.fromkeys(LAB_MEASURES, GK.value),
    "donor_chimerism_pct": GK.donorChimerismPct,
    "dsa_mfi": GK.mfi,
    "gvhd": GK.gvhdGrade,
}
#: a transplant's ``dsa_max_mfi`` becomes a DSA test without a day (see graftkg.semantics.facts)
_RECORD_AS_OBSERVATION = {"dsa_max_mfi": "dsa_mfi"}


def _attribute(column: str) -> str:
    """The record attribute of a ``transplants.csv`` column.

    Example:
        >>> _attribute("reported_platelet_50_recovery_day"), _attribute("death_day")
        ('reported_platelet50_recovery_day', 'death_day')
    """
    return column.replace("_50_", "50_")


@dataclass(frozen=True)
class Limit:
    """One shape marked ``gk:refusedOnReading``, as a check on records.

    ``measures`` is None for a shape on a transplant's own field (``attribute``), else the measures
    of the observations it checks (their ``day`` or ``value``). A range has ``low``/``high``; a
    comparison has ``not_after``, the transplant attribute the value may not exceed.
    """

    rule: str
    message: str
    column: str
    attribute: str
    measures: frozenset[str] | None
    low: float | None
    high: float | None
    not_after: str | None


@lru_cache(maxsize=1)
def limits() -> tuple[Limit, ...]:
    """The limits of the shapes marked ``gk:refusedOnReading``; a shape the reader cannot apply raises.

    Example:
        >>> chimerism = next(x for x in limits() if x.rule == "ChimerismPossible")
        >>> chimerism.measures, chimerism.low, chimerism.high
        (frozenset({'donor_chimerism_pct'}), 0.0, 100.0)
    """
    from graftkg.validation.shacl import load_shapes

    shapes = load_shapes()
    onto = load_ontology()
    # the transplant column each transplant property is reported against (for sh:lessThanOrEquals)
    column_of = {
        s.path[0]: s.column for s in shapes if s.target_class == GK.Transplant and len(s.path) == 1 and s.column
    }
    out = []
    for shape in shapes:
        if not shape.refused_on_reading:
            continue
        rule = str(shape.iri).rsplit("/", 1)[1]
        c = dict(shape.constraints)
        unknown = set(c) - {"minInclusive", "maxInclusive", "lessThanOrEquals"}
        if shape.severity != "Violation" or unknown or not c:
            raise OntologyError(
                f"shape {rule} is refused on reading: it must be a Violation with only sh:minInclusive, "
                "sh:maxInclusive or sh:lessThanOrEquals"
            )
        low, high = c.get("minInclusive"), c.get("maxInclusive")
        compared = c.get("lessThanOrEquals")
        assert compared is None or isinstance(compared, URIRef)
        not_after = None
        if compared is not None:
            if compared not in column_of:
                raise OntologyError(f"shape {rule}: {compared} is not a transplant field the reader knows")
            not_after = _attribute(column_of[compared])
        measures: frozenset[str] | None
        every_day = shape.target_subjects_of == GK.day and shape.path == (GK.day,)
        if every_day or (shape.target_class == GK.Transplant and shape.path == (GK.observation, GK.day)):
            measures, attribute = frozenset(_MEASURE_CLASS), "day"
        elif shape.target_class == GK.Transplant and len(shape.path) == 1:
            measures, attribute = None, _attribute(shape.column)
            if attribute not in {f.name for f in fields(TransplantRecord)}:
                raise OntologyError(f"shape {rule}: field {shape.column} is not a transplant field")
        elif shape.target_class is not None and len(shape.path) == 1:
            classes = set(onto.transitive_subjects(RDFS.subClassOf, shape.target_class))
            measures = frozenset(m for m, cls in _MEASURE_CLASS.items() if cls in classes)
            prop = shape.path[0]
            if prop == GK.day:
                attribute = "day"
            elif measures and all(_VALUE_PROPERTY.get(m) == prop for m in measures):
                attribute = "value"
            else:
                raise OntologyError(f"shape {rule}: the reader cannot find {prop} on a record")
        else:
            raise OntologyError(f"shape {rule} is refused on reading, but its target and path are not supported")
        out.append(
            Limit(
                rule,
                shape.message,
                shape.column,
                attribute,
                measures,
                low if isinstance(low, float) else None,
                high if isinstance(high, float) else None,
                not_after,
            )
        )
    return tuple(out)


def _shown(value: float | int) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _fails(limit: Limit, record: TransplantRecord, value: float | int) -> str | None:
    """What is wrong with ``value`` under ``limit``, or None."""
    if (limit.low is not None and value < limit.low) or (limit.high is not None and value > limit.high):
        return f"{limit.message}: {_shown(value)}"
    if limit.not_after is not None:
        bound = getattr(record, limit.not_after)
        if bound is not None and value > bound:
            return f"{limit.message}: {_shown(value)} > {_shown(bound)}"
    return None


@lru_cache(maxsize=1)
def _plan() -> tuple[
    tuple[Limit, ...], dict[str, tuple[Limit, ...]], dict[str, tuple[float, float, float, float, float]]
]:
    """The limits on transplant fields; those on observations by measure; and, by measure, the
    bounds they come to - ``(lowest day, highest day, lowest value, highest value, after death
    checked)`` - that let an observation within them pass without a look at each limit."""
    by_measure: dict[str, list[Limit]] = {}
    for limit in limits():
        for m in sorted(limit.measures or ()):
            by_measure.setdefault(m, []).append(limit)
    own = tuple(x for x in limits() if x.measures is None or x.column in _RECORD_AS_OBSERVATION)
    inf = float("inf")
    bounds: dict[str, tuple[float, float, float, float, float]] = {}
    for m, ls in by_measure.items():
        days = [x for x in ls if x.attribute == "day"]
        values = [x for x in ls if x.attribute == "value"]
        bounds[m] = (
            max((x.low for x in days if x.low is not None), default=-inf),
            min((x.high for x in days if x.high is not None), default=inf),
            max((x.low for x in values if x.low is not None), default=-inf),
            min((x.high for x in values if x.high is not None), default=inf),
            float(any(x.not_after == "death_day" for x in days)),
        )
        if any(x.not_after not in (None, "death_day") for x in ls) or any(x.not_after for x in values):
            bounds.pop(m)  # a comparison the quick test does not make: every limit is looked at
    return own, {m: tuple(v) for m, v in by_measure.items()}, bounds


def impossible_values(record: TransplantRecord) -> Iterator[InputError]:
    """The located errors of ``record``'s values that no record can truly hold, transplant fields first,
    then observations in their order.

    Example:
        >>> from graftkg.model import Observation
        >>> r = TransplantRecord("T1", death_day=30, source="t.csv", line=2,
        ...                      observations=[Observation(45, "ANC", 0.7, line=9, source="o.csv")])
        >>> [str(e) for e in impossible_values(r)]
        ["o.csv:9: field 'day': an observation is dated after the death day: 45 > 30 (rule ObservationsBeforeDeath)"]
    """
    checks, by_measure, bounds = _plan()
    for limit in checks:
        if limit.measures is None:
            value = getattr(record, limit.attribute)
            if value is not None and (problem := _fails(limit, record, value)) is not None:
                yield _error(problem, limit, record.source, record.line)
        elif limit.column in _RECORD_AS_OBSERVATION and record.dsa_max_mfi is not None:
            problem = _fails(limit, record, record.dsa_max_mfi)
            if problem is not None:
                yield _error(problem, limit, record.source, record.line)
    death = record.death_day
    for obs in record.observations:
        quick = bounds.get(obs.measure)
        if quick is not None:  # the usual case: within every bound, nothing to look at
            day, value = obs.day, obs.value
            if (
                day is None or (quick[0] <= day <= quick[1] and not (quick[4] and death is not None and day > death))
            ) and (value is None or quick[2] <= value <= quick[3]):
                continue
        for limit in by_measure.get(obs.measure, ()):
            value = obs.day if limit.attribute == "day" else obs.value
            if value is not None and (problem := _fails(limit, record, value)) is not None:
                field = "day" if limit.attribute == "day" else "value"
                yield _error(problem, limit, obs.source or record.source, obs.line, field)


def _error(problem: str, limit: Limit, path: str | None, line: int | None, field: str | None = None) -> InputError:
    return InputError(
        f"{problem} (rule {limit.rule})", path=path, line=line, field=field or limit.column, rule=limit.rule
    )
