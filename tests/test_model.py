"""The per-record classes: dataclasses with their ``__init__`` written out (see :mod:`graftkg.model`).

They must behave as the generated ones did, in the pure and the compiled build alike: defaults,
fresh mutable defaults, equality, ``repr``, ``dataclasses.fields``/``replace`` and pickling.
"""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graftkg.model import Observation, TransplantRecord
from graftkg.rdf import GK, node_id
from graftkg.semantics.classify import Classification, classify_records
from graftkg.semantics.derive import Derived
from graftkg.semantics.facts import TransplantFacts, lab_count_props


def _record() -> TransplantRecord:
    return TransplantRecord(
        "T1",
        patient_id="P1",
        graft_source="PB",
        conditioning_agents=["fludarabine"],
        reported_neutrophil_recovery_day=15,
        observations=[Observation(14, "ANC", 0.6, line=2, source="o.csv"), Observation(3, "infection", code="CMV")],
    )


INSTANCES = [
    Observation(14, "ANC", 0.6, None, "T", "PCR", "10^9/L", 7, "o.csv"),
    _record(),
    Derived(neutrophil_recovery_day=12, window_donor_chimerism_pct=98.5),
    TransplantFacts(node_id("transplant", "T1"), {node_id("transplant", "T1"): {GK.identifier: ["T1"]}}),
    classify_records([_record()])[0],
]


#: a field of each class, changed to another value of its type
CHANGE: dict[type, dict[str, object]] = {
    Observation: {"day": 15},
    TransplantRecord: {"transplant_id": "T2"},
    Derived: {"neutrophil_recovery_day": None},
    TransplantFacts: {"facts": {}},
    Classification: {"outcome": "primary_graft_failure"},
}


@pytest.mark.parametrize("value", INSTANCES, ids=lambda v: type(v).__name__)
def test_a_record_pickles_copies_and_compares_by_its_fields(value: object) -> None:
    names = [f.name for f in dataclasses.fields(value)]  # type: ignore[arg-type]
    back = pickle.loads(pickle.dumps(value))
    assert back == value and back is not value
    assert [getattr(back, n) for n in names] == [getattr(value, n) for n in names]
    copy = dataclasses.replace(value)  # type: ignore[type-var]
    assert copy == value
    changed = dataclasses.replace(value, **CHANGE[type(value)])  # type: ignore[type-var]
    assert changed != value and all(getattr(changed, k) == v for k, v in CHANGE[type(value)].items())
    kwargs = {n: getattr(value, n) for n in names}
    assert type(value)(**kwargs) == value
    assert repr(value).startswith(type(value).__name__ + "(")


def test_defaults_are_the_declared_ones_and_mutable_ones_are_fresh() -> None:
    a, b = TransplantRecord("A"), TransplantRecord("B")
    assert a.observations == [] and a.observations is not b.observations
    assert a.conditioning_agents is not b.conditioning_agents and a.asserted_risk_factors == []
    assert a.reported_neutrophil_never is False and a.patient_id is None and a.line is None
    obs = Observation(1, "PLT")
    assert (obs.value, obs.code, obs.lineage, obs.method, obs.unit, obs.line, obs.source) == (None,) * 7
    assert Derived() == Derived(*([None] * len(dataclasses.fields(Derived))))
    c, d = (Classification("T", "engrafted", [], None, None, None, [], []) for _ in range(2))
    assert c.classes == set() and c.classes is not d.classes and c.derived == Derived()
    assert "classes" not in repr(c) and "derived" not in repr(c)  # left out of repr, as declared


def test_unknown_keyword_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        TransplantRecord("T", no_such_field=1)  # type: ignore[call-arg]


def test_shared_lab_count_facts_do_not_depend_on_what_was_seen_first() -> None:
    # 1 == 1.0 in Python: the shared facts of a count of 1 must be what they are made of alone, not
    # those of a count of 1.0 seen before (a compiled build holds both as floats, the pure one not)
    for first, second in ((1.0, 1), (2, 2.0)):
        lab_count_props("ANC", 41, first, None)
        shared = lab_count_props("ANC", 41, second, None)[GK.value][0]
        alone = lab_count_props.__wrapped__("ANC", 41, second, None)[GK.value][0]
        assert type(shared) is type(alone)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(), st.booleans(), st.text(max_size=20)))
def test_nt_term_writes_what_to_literal_types(value: object) -> None:
    """The N-Triples writer of the load path gives each value exactly the term rdflib's literal has."""
    from rdflib import Graph, URIRef

    from graftkg.rdf import to_literal
    from graftkg.semantics.facts import nt_term

    parsed = Graph().parse(data=f"<urn:s> <urn:p> {nt_term(value)} .", format="nt")  # type: ignore[arg-type]
    (term,) = parsed.objects(URIRef("urn:s"), URIRef("urn:p"))
    expected = to_literal(value)  # type: ignore[arg-type]
    assert (str(term), term.datatype, term.language) == (str(expected), expected.datatype, expected.language)
