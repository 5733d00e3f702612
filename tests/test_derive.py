"""The series steps of the derivation against plain reference versions of them (hypothesis)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import URIRef

from graftkg.model import Observation
from graftkg.rdf import XSD
from graftkg.semantics.derive import _daily, first_run

Series = list[tuple[int, float]]


def _first_run_reference(
    series: Series, start: int, ok: Callable[[float], bool], k: int, allowed: Callable[[int], bool]
) -> int | None:
    """The first index from ``start`` opening ``k`` values in a row that satisfy ``ok``, on an allowed day."""
    for i in range(start, len(series) - k + 1):
        if allowed(series[i][0]) and all(ok(series[j][1]) for j in range(i, i + k)):
            return i
    return None


def _daily_reference(observations: Sequence[Observation], pick: Callable[[Sequence[float]], float]) -> Series:
    by_day: dict[int, list[float]] = {}
    for obs in observations:
        if obs.day is not None and obs.value is not None:
            by_day.setdefault(obs.day, []).append(obs.value)
    return [(day, pick(values)) for day, values in sorted(by_day.items())]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.3, 0.5, 0.8, 2.0]), max_size=14),
    st.integers(0, 15),
    st.integers(1, 4),
    st.sets(st.integers(0, 14)),
)
def test_first_run_finds_the_first_run_a_plain_scan_finds(
    values: list[float], start: int, k: int, barred: set[int]
) -> None:
    series = [(day, v) for day, v in enumerate(values)]

    def ok(v: float) -> bool:
        return v >= 0.5

    def allowed(day: int) -> bool:
        return day not in barred

    found, not_before = first_run(series, start, ok, k, allowed_start=allowed)
    assert found == _first_run_reference(series, start, ok, k, allowed)
    assert (found is None) == (not_before is not None or not series)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(-3, 6)), st.one_of(st.none(), st.sampled_from([0.1, 0.5, 2.0]))),
        max_size=12,
    ),
    st.sampled_from([min, max]),
)
def test_daily_series_is_one_value_a_day_in_order(
    cells: list[tuple[int | None, float | None]], pick: Callable[[Sequence[float]], float]
) -> None:
    observations = [Observation(day, "ANC", value) for day, value in cells]
    assert _daily(observations, pick) == _daily_reference(observations, pick)


_FACETS = st.sampled_from([XSD.minInclusive, XSD.minExclusive, XSD.maxInclusive, XSD.maxExclusive])
_VALUES = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, 2.0, -0.0, 1e300]),
    st.booleans(),
    st.text(max_size=3),
    st.just(URIRef("urn:x")),
)


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from([XSD.integer, XSD.nonNegativeInteger, XSD.decimal, XSD.double]),
    facets=st.lists(st.tuples(_FACETS, st.sampled_from([-1.0, 0.0, 0.5, 2.0, 3.0])), max_size=3),
    values=st.lists(_VALUES, max_size=8),
)
def test_a_numeric_range_tests_as_its_base_type_and_facets(
    base: URIRef, facets: list[tuple[URIRef, float]], values: list[object]
) -> None:
    """The counting thresholds test values with the base type's test written in: the same answers as
    the base type's test followed by the facets."""
    from graftkg.semantics.owlexpr import _FACETS as FACET_TESTS
    from graftkg.semantics.owlexpr import BaseType, Restricted

    kind = BaseType(base)
    data_range = Restricted(kind, tuple(facets))
    for value in values:
        expected = kind.test(value) and all(FACET_TESTS[f](float(value), b) for f, b in facets)  # type: ignore[arg-type]
        assert data_range.test(value) == expected, (value, base, facets)
