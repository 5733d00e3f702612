"""Replacing named graphs by their difference (``graftkg.store.replace``), held to pyoxigraph itself: after
a replace the graphs hold what a store loaded with the new quads alone holds, whatever the old ones
were, and the digest's canonical decimals are the ones the store gives back."""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graftkg.store.replace import canonical_decimal, replace_graphs

XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


def _stored(lexical: str) -> str:
    store = ox.Store()
    store.add(
        ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal(lexical, datatype=ox.NamedNode(XSD_DECIMAL)))
    )
    return next(iter(store)).object.value


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=9)
)
def test_canonical_decimal_is_what_the_store_keeps(value: Decimal) -> None:
    for lexical in {format(value, "f"), format(value, "f") + ("0" if "." in format(value, "f") else ".0")}:
        if len(lexical.split(".")[-1]) > 18:  # beyond the store's decimal precision
            continue
        assert canonical_decimal(lexical) == _stored(lexical), lexical


LITERALS = st.one_of(
    st.integers(-5, 5).map(lambda n: f'"{n}"^^<http://www.w3.org/2001/XMLSchema#integer>'),
    st.sampled_from(["0.5", "40.0", "1.50", "-0.0", "12"]).map(lambda v: f'"{v}"^^<{XSD_DECIMAL}>'),
    st.sampled_from(['"a"', '"a"@en', '"x\\ny"']),
    st.sampled_from(["<urn:o1>", "<urn:o2>"]),
)
QUADS = st.lists(
    st.tuples(
        st.sampled_from(["<urn:s1>", "<urn:s2>"]),
        st.sampled_from(["<urn:p>", "<urn:q>"]),
        LITERALS,
        st.sampled_from(["<urn:g1>", "<urn:g2>"]),
    ),
    max_size=25,
)


def _nquads(quads: list[tuple[str, str, str, str]]) -> bytes:
    return "".join(f"{s} {p} {o} {g} .\n" for s, p, o, g in quads).encode()


def _graphs(store: ox.Store) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for quad in store:
        out.setdefault(str(quad.graph_name), set()).add(str(quad.triple))
    return out


@settings(max_examples=200, deadline=None)
@given(QUADS, QUADS)
def test_a_replace_ends_where_a_load_of_the_new_quads_alone_ends(
    old: list[tuple[str, str, str, str]], new: list[tuple[str, str, str, str]]
) -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:keep"), ox.NamedNode("urn:p"), ox.Literal("1"), ox.NamedNode("urn:other")))
    replace_graphs(store, ["urn:g1", "urn:g2"], _nquads(old))
    done = replace_graphs(store, ["urn:g1", "urn:g2"], _nquads(new))
    expected = ox.Store()
    expected.load(_nquads(new), format=ox.RdfFormat.N_QUADS)
    assert {g: t for g, t in _graphs(store).items() if g != "<urn:other>"} == _graphs(expected)
    assert _graphs(store)["<urn:other>"] == {'<urn:keep> <urn:p> "1"'}
    assert done.existed == bool(old)


@pytest.mark.parametrize(
    "body, error",
    [
        (b'<urn:a> <urn:p> "1" <urn:g1> .\n<urn:a> <urn:p> "2" <urn:elsewhere> .\n', ValueError),
        (b'<urn:a> <urn:p> "1" <urn:g1> .\n<urn:a> <urn:p> "2" .\n', ValueError),
        (b'<urn:a> <urn:p> "1" <urn:g1> .\n<urn:a> <urn:p> oops <urn:g1> .\n', SyntaxError),
    ],
)
def test_a_bad_body_changes_nothing(body: bytes, error: type[Exception]) -> None:
    store = ox.Store()
    replace_graphs(store, ["urn:g1"], b'<urn:a> <urn:p> "0" <urn:g1> .\n')
    with pytest.raises(error):
        replace_graphs(store, ["urn:g1"], body)
    assert [str(q) for q in store] == ['<urn:a> <urn:p> "0" <urn:g1>']
