"""From a record and its derived facts to the facts of the knowledge graph, in memory and as RDF.

The same facts feed the fast path (:mod:`graftkg.semantics.owlexpr`) and the OWL reasoner. Absent values of
functional properties are closed: in RDF each becomes a type ``(P max 0)`` on the node, which is what
lets an open-world reasoner draw the negative conclusions the definitions need.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from rdflib import BNode, Graph, Literal, URIRef

from graftkg.model import ENTITIES, RECORD_FIELDS, Observation, TransplantRecord
from graftkg.rdf import GK, OWL, RDF, XSD, decimal_lexical, node_id, to_literal, trusted_iri
from graftkg.semantics.derive import Derived
from graftkg.semantics.owlexpr import Facts, Item
from graftkg.semantics.vocabulary import Vocabulary, vocabulary

DERIVED_PROPERTIES: dict[str, URIRef] = {
    "neutrophil_recovery_day": GK.neutrophilRecoveryDay,
    "neutrophil_recovery_not_before_day": GK.neutrophilRecoveryNotBeforeDay,
    "neutrophils_never_below": GK.neutrophilsNeverBelowThreshold,
    "platelet_recovery_day": GK.plateletRecoveryDay,
    "platelet_recovery_not_before_day": GK.plateletRecoveryNotBeforeDay,
    "graft_function_loss_day": GK.graftFunctionLossDay,
    "neutrophil_recovery_after_loss_day": GK.neutrophilRecoveryAfterLossDay,
    "window_donor_chimerism_pct": GK.windowDonorChimerismPct,
    "latest_donor_chimerism_pct": GK.latestDonorChimerismPct,
    "peak_donor_chimerism_pct": GK.peakDonorChimerismPct,
    "severe_cytopenia_lineage_count": GK.severeCytopeniaLineageCount,
    "highest_dsa_mfi": GK.highestDSAMFI,
}

LAB_MEASURES = {"ANC", "PLT", "HB", "WBC"}
MEASURE_TYPES = {m: GK[f"{m}Observation"] for m in LAB_MEASURES}
_MEASURED = {m: GK[m] for m in LAB_MEASURES}  # the measure terms, made once
SUPPORT_MEASURES = {
    "platelet_transfusion": GK.PlateletTransfusion,
    "rbc_transfusion": GK.RBCTransfusion,
    "gcsf": GK.GCSF,
}
OBSERVATION_MEASURES = LAB_MEASURES | set(SUPPORT_MEASURES) | {"donor_chimerism_pct", "dsa_mfi", "infection", "gvhd"}


@dataclass
class TransplantFacts:
    """The facts of one transplant: its node, the facts, and the nodes' asserted types."""

    node: URIRef
    facts: Facts


def _put(props: dict[URIRef, list[Item]], prop: URIRef, value: Item | None) -> None:
    """Set a property a node has at most once (each is put once, in the order the facts list them)."""
    if value is not None:
        props[prop] = [value]


# The terms build_facts writes.
_TYPE: Final = RDF.type
_IDENTIFIER: Final = GK.identifier
_TRANSPLANT: Final = GK.Transplant
_OBSERVATION: Final = GK.observation
_DAY: Final = GK.day
_UNIT: Final = GK.unitCode
_SUPPORT_EVENT: Final = GK.SupportEvent
_SUPPORT: Final = GK.support
_CHIMERISM_ASSAY: Final = GK.ChimerismAssay
_DONOR_CHIMERISM: Final = GK.donorChimerismPct
_LINEAGE: Final = GK.lineage
_ASSAY_METHOD: Final = GK.assayMethod
_CALCULATED_BY: Final = GK.calculatedBy
_DSA_TEST: Final = GK.DSATest
_MFI: Final = GK.mfi
_INFECTION: Final = GK.InfectionEpisode
_PATHOGEN: Final = GK.pathogen
_GVHD: Final = GK.GvHDEpisode
_GVHD_GRADE: Final = GK.gvhdGrade


#: one record field as build_facts states it: name, kind, property, stated as its code (a literal)
_Stated = tuple[str, str, URIRef, bool]


def _plan() -> tuple[tuple[str, URIRef | None, URIRef | None, str | None, tuple[_Stated, ...]], ...]:
    """The record's fields by the node they are stated on, from their declarations (:data:`RECORD_FIELDS`).

    One entry per entity: its name, the property linking it from the transplant and its class (None
    for the transplant and for a dayless observation), the measure of that observation, and its fields.
    """
    by_entity: dict[str, list[_Stated]] = {}
    measure: dict[str, str | None] = {}
    for declared in RECORD_FIELDS:
        spec = declared.spec
        if declared.name != "transplant_id":  # the transplant node is named before the plan runs
            by_entity.setdefault(spec.entity, []).append((declared.name, spec.kind, GK[spec.prop], spec.stated_as_code))
            measure[spec.entity] = spec.measure
    plan = []
    for entity, stated in by_entity.items():
        link, cls = ENTITIES.get(entity, (None, None))
        link_iri = None if link is None else GK[link]
        plan.append((entity, link_iri, None if cls is None else GK[cls], measure[entity], tuple(stated)))
    return tuple(plan)


_PLAN: Final = _plan()
#: the entities named by an identifier field of their own (a patient)
_NAMED: Final = frozenset(f.spec.entity for f in RECORD_FIELDS if f.spec.kind == "id" and f.spec.entity != "transplant")


def build_facts(
    record: TransplantRecord, derived: Derived, vocab: Vocabulary, *, observations: bool = True
) -> TransplantFacts:
    """Build the facts of ``record`` (raw and derived). ``observations=False`` leaves out lab counts.

    Example:
        >>> from graftkg.semantics.vocabulary import vocabulary
        >>> tf = build_facts(TransplantRecord("T1", graft_source="PB"), Derived(neutrophil_recovery_day=12),
        ...                  vocabulary())
        >>> tf.facts[tf.node][GK.neutrophilRecoveryDay]
        [12]
    """
    tid = record.transplant_id
    t = node_id("transplant", tid)
    tp: dict[URIRef, list[Item]] = {_TYPE: [_TRANSPLANT], _IDENTIFIER: [tid]}
    facts: Facts = {t: tp}
    obs_list = record.observations
    for entity, link, cls, measure, stated in _PLAN:
        if link is None or cls is None:
            if measure is not None:  # a value stated as a dayless observation (the highest DSA MFI)
                for name, _kind, _prop, _as_code in stated:
                    value = getattr(record, name)
                    if value is not None:
                        obs_list = [*obs_list, Observation(None, measure, value)]
                continue
            props = tp
        else:
            props = {_TYPE: [cls]}  # a part of the transplant: stated when any of its fields is
        key: str | None = None
        for name, kind, prop, as_code in stated:
            value = getattr(record, name)
            if value is None:
                continue
            if kind == "code" and not as_code:
                # a code outside the value set (kept only by a lenient read, for validation) stays a literal
                props[prop] = [vocab.iri(name, value) or value]
            elif kind == "codes":
                if value:
                    props[prop] = [vocab.iri(name, item) or item for item in value]
            elif kind == "ref":
                props[prop] = [node_id("transplant", value)]
            elif kind == "never":
                if value:
                    props[prop] = [True]
            else:
                if kind == "id":
                    key = value
                props[prop] = [value]
        if props is not tp and len(props) > 1 and link is not None:
            # an entity with an identifier field (a patient) is named by it, or as the transplant's
            # when it is missing (validation reports that); the others are the transplant's own parts
            if key is not None:
                node = node_id(entity, key)
            elif entity in _NAMED:
                node = trusted_iri(str(t) + "/" + entity)
            else:
                node = node_id(entity, tid)
            tp[link] = [node]
            facts[node] = props

    def code(field: str, value: str | None) -> URIRef | str | None:
        return None if value is None else (vocab.iri(field, value) or value)

    obs_base = str(node_id("observation", tid)) + "/"
    links: list[Item] | None = None
    for i, obs in enumerate(obs_list):
        measure = obs.measure
        if measure in LAB_MEASURES:
            continue
        o = trusted_iri(obs_base + str(i))  # a node_id and a number: valid by construction
        if links is None:
            links = tp[_OBSERVATION] = []
        links.append(o)
        op: dict[URIRef, list[Item]] = {}
        facts[o] = op
        _put(op, _DAY, obs.day)
        _put(op, _UNIT, obs.unit)
        if measure in SUPPORT_MEASURES:
            op[_TYPE] = [_SUPPORT_EVENT]
            op[_SUPPORT] = [SUPPORT_MEASURES[measure]]
        elif measure == "donor_chimerism_pct":
            op[_TYPE] = [_CHIMERISM_ASSAY]
            _put(op, _DONOR_CHIMERISM, obs.value)
            _put(op, _LINEAGE, code("lineage", obs.lineage))
            _put(op, _ASSAY_METHOD, obs.method)
        elif measure == "dsa_mfi":
            op[_TYPE] = [_DSA_TEST]
            _put(op, _MFI, obs.value)
        elif measure == "infection":
            op[_TYPE] = [_INFECTION]
            _put(op, _PATHOGEN, code("infection", obs.code))
        elif measure == "gvhd":
            op[_TYPE] = [_GVHD]
            _put(op, _GVHD_GRADE, None if obs.value is None else int(obs.value))
        if not op:  # a node with no facts is no node
            del facts[o]

    for attr, prop in DERIVED_PROPERTIES.items():
        _put(tp, prop, getattr(derived, attr))
    tf = TransplantFacts(t, facts)
    if observations:
        add_lab_observations(tf, record)
    return tf


def lab_count_props(
    measure: str, day: int | None, value: float | None, unit: str | None, method: str | None = None
) -> dict[URIRef, list[Item]]:
    """The facts of a lab count's node.

    Example:
        >>> lab_count_props("ANC", 14, 0.6, None)[GK.value]
        [0.6]
    """
    props: dict[URIRef, list[Item]] = {
        RDF.type: [GK.LabObservation, MEASURE_TYPES[measure]],
        GK.measured: [_MEASURED[measure]],
    }
    if day is not None:
        props[_DAY] = [day]
    if unit is not None:
        props[_UNIT] = [unit]
    if value is not None:
        props[GK.value] = [value]
    if method is not None:  # a calculated count: how (the readers accept only the ontology's calculations)
        props[_CALCULATED_BY] = [vocabulary().iri("calculation", method) or method]
    return props


def add_lab_observations(tf: TransplantFacts, record: TransplantRecord) -> None:
    """Add the lab counts of ``record`` to ``tf`` (what ``build_facts(..., observations=True)`` adds).

    Example:
        >>> from graftkg.model import Observation
        >>> from graftkg.semantics.vocabulary import vocabulary
        >>> r = TransplantRecord("T", observations=[Observation(14, "ANC", 0.6)])
        >>> tf = build_facts(r, Derived(), vocabulary(), observations=False)
        >>> add_lab_observations(tf, r)
        >>> tf.facts[tf.facts[tf.node][GK.observation][0]][GK.value]
        [0.6]
    """
    facts = tf.facts
    links = facts[tf.node].setdefault(GK.observation, [])
    base = str(tf.node).replace("/transplant/", "/observation/", 1) + "/"
    for i, obs in enumerate(record.observations):
        if obs.measure in LAB_MEASURES:
            o = trusted_iri(base + str(i))
            links.append(o)
            facts[o] = lab_count_props(obs.measure, obs.day, obs.value, obs.unit, obs.method)
    if not links:
        del facts[tf.node][GK.observation]


def closure(facts: Facts, closable: Mapping[URIRef, tuple[URIRef, ...]]) -> Iterator[tuple[URIRef, URIRef]]:
    """Yield ``(node, property)`` for every absent functional property of a typed node.

    ``closable`` maps a class to the functional properties of its domain
    (:attr:`~graftkg.semantics.definitions.Definitions.closable`).

    Example:
        >>> from graftkg.semantics.definitions import Definitions
        >>> f = {URIRef("urn:t"): {RDF.type: [GK.Transplant]}}
        >>> (URIRef("urn:t"), GK.deathDay) in set(closure(f, Definitions().closable))
        True
    """
    for node, props in facts.items():
        for cls in props.get(RDF.type, ()):
            for prop in closable.get(cls, ()) if isinstance(cls, URIRef) else ():
                if not props.get(prop):
                    yield node, prop


def add_to_graph(graph: Graph, facts: Facts, closable: Mapping[URIRef, tuple[URIRef, ...]] | None = None) -> None:
    """Add ``facts`` to ``graph`` as RDF; with ``closable`` (see :func:`closure`), state each absent
    functional value as ``max 0``, so that an open-world reasoner can draw negative conclusions.

    Example:
        >>> g = Graph()
        >>> add_to_graph(g, {URIRef("urn:t"): {GK.deathDay: [40]}})
        >>> g.value(URIRef("urn:t"), GK.deathDay).toPython()
        40
    """
    for node, props in facts.items():
        for prop, values in props.items():
            for value in values:
                graph.add((node, prop, value if isinstance(value, URIRef) else to_literal(value)))
    if closable is not None:
        for node, prop in closure(facts, closable):
            restriction = BNode()
            graph.add((restriction, RDF.type, OWL.Restriction))
            graph.add((restriction, OWL.onProperty, prop))
            graph.add((restriction, OWL.maxCardinality, Literal(0, datatype=XSD.nonNegativeInteger)))
            graph.add((node, RDF.type, restriction))


_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_INTEGER = f"^^<{XSD.integer}>"
_DECIMAL = f"^^<{XSD.decimal}>"
_BOOLEAN = f"^^<{XSD.boolean}>"


def nt_term(value: Item) -> str:
    """``value`` as an N-Triples term, exactly as :func:`graftkg.rdf.to_literal` types it.

    Example:
        >>> nt_term(0.5)
        '"0.5"^^<http://www.w3.org/2001/XMLSchema#decimal>'
        >>> print(nt_term('say "hi"'), nt_term(3))
        "say \\"hi\\"" "3"^^<http://www.w3.org/2001/XMLSchema#integer>
    """
    t = type(value)
    if t is URIRef:
        return f"<{value}>"
    if t is str:
        return '"' + value.translate(_NT_ESCAPES) + '"'  # type: ignore[union-attr]
    if t is bool:
        return f'"{"true" if value else "false"}"{_BOOLEAN}'
    if t is int:
        return f'"{value}"{_INTEGER}'
    if t is float:
        return f'"{decimal_lexical(value)}"{_DECIMAL}'  # type: ignore[arg-type]
    return to_literal(value).n3()


def ntriples(facts: Facts) -> Iterator[str]:
    """The facts as N-Triples lines (without newline), for fast bulk writes to a store.

    Example:
        >>> list(ntriples({URIRef("urn:t"): {GK.deathDay: [40]}}))
        ['<urn:t> <https://w3id.org/graftkg/deathDay> "40"^^<http://www.w3.org/2001/XMLSchema#integer> .']
    """
    for node, props in facts.items():
        subject = f"<{node}> "
        for prop, values in props.items():
            head = f"{subject}<{prop}> "
            for value in values:
                yield head + nt_term(value) + " ."
