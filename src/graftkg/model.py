"""The in-memory record of a transplant, as every reader produces it and the derivation reads it.

A :class:`TransplantRecord` field is declared once, with its :class:`FieldSpec`: the CSV and RDF
readers, the facts (:mod:`graftkg.semantics.facts`) and the code tables
(:mod:`graftkg.semantics.vocabulary`) follow from :data:`RECORD_FIELDS`.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(slots=True)
class Observation:
    """One dated observation: a count, a chimerism assay, a support event, a DSA test, an infection or GvHD.

    ``measure`` is the observation code (``ANC``, ``PLT``, ``HB``, ``WBC``, ``donor_chimerism_pct``,
    ``platelet_transfusion``, ``rbc_transfusion``, ``gcsf``, ``dsa_mfi``, ``infection``, ``gvhd``).

    Example:
        >>> Observation(day=14, measure="ANC", value=0.6).value
        0.6
    """

    day: int | None
    measure: str
    value: float | None = None
    code: str | None = None
    lineage: str | None = None
    method: str | None = None
    unit: str | None = None
    line: int | None = None
    source: str | None = None


#: how a record field is read from a cell and stated in RDF (see :class:`FieldSpec`)
FIELD_KINDS = ("id", "ref", "text", "int", "float", "bool", "date", "code", "codes", "day_or_never", "never")
#: the nodes a record's facts are stated on, besides the transplant: entity -> (linking property, class)
ENTITIES = {
    "patient": ("recipient", "Patient"),
    "donor": ("donor", "Donor"),
    "graft": ("graft", "Graft"),
    "conditioning": ("conditioning", "ConditioningRegimen"),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """The one declaration of a record field: how the readers read it and how its facts state it.

    ``kind`` is one of :data:`FIELD_KINDS`: ``id`` names its entity's node, ``ref`` names another
    transplant, ``code``/``codes`` take the ``gk:code`` of a member of ``value_set`` (a ``gk:`` class),
    ``day_or_never`` is a day or the word ``never`` (which sets the ``never`` field), ``never`` is that
    flag, ``date`` a calendar date (:class:`datetime.date`: ``YYYY-MM-DD`` in a cell, ``xsd:date`` in
    RDF). ``prop`` is the ``gk:`` property stating the value on ``entity``'s node (see :data:`ENTITIES`;
    ``observation`` makes it a dayless observation of ``measure``). ``column`` is the ``transplants.csv``
    column when it differs from the field's name, ``""`` when the field has no column of its own.
    ``stated_as_code``: the facts state a code field's ``gk:code`` as a literal, not the member's IRI.
    """

    kind: str
    prop: str
    entity: str = "transplant"
    column: str | None = None
    value_set: str | None = None
    never: str | None = None
    measure: str | None = None
    stated_as_code: bool = False


_SPEC = "graftkg"
_REQUIRED: Any = dataclasses.MISSING


def _declare(kind: str, prop: str, *, default: object = None, **spec: Any) -> Any:
    """A record field with its :class:`FieldSpec` (``default=_REQUIRED`` for one without default)."""
    metadata = {_SPEC: FieldSpec(kind, prop, **spec)}
    if kind == "codes":
        return field(default_factory=list, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(slots=True)
class TransplantRecord:
    """Everything a registry record states about one transplant. Codes are the ontology's ``gk:code`` values.

    Each field is declared here once, with its :class:`FieldSpec`; the CSV and RDF readers, the facts
    and the CSV writers follow from :data:`RECORD_FIELDS`.

    Example:
        >>> TransplantRecord("T1", graft_source="PB").graft_source
        'PB'
    """

    transplant_id: str = _declare("id", "identifier", default=_REQUIRED)
    patient_id: str | None = _declare("id", "identifier", entity="patient")
    recipient_age_years: float | None = _declare("float", "recipientAgeYears")
    recipient_sex: str | None = _declare("code", "sex", entity="patient", value_set="Sex")
    diagnosis: str | None = _declare("code", "diagnosis", value_set="Diagnosis")
    disease_status: str | None = _declare("code", "diseaseStatus", value_set="DiseaseStatus")
    transplant_number: int | None = _declare("int", "transplantNumber")
    prior_transplant_id: str | None = _declare("ref", "priorTransplant")
    infusion_date: datetime.date | None = _declare("date", "infusionDate")
    donor_type: str | None = _declare("code", "donorType", entity="donor", value_set="DonorType")
    donor_relation: str | None = _declare("text", "donorRelation", entity="donor")
    donor_age_years: float | None = _declare("float", "donorAgeYears", entity="donor")
    donor_sex: str | None = _declare("code", "sex", entity="donor", value_set="Sex")
    hla_match: str | None = _declare("text", "hlaMatch", entity="donor")
    abo_match: str | None = _declare("code", "aboMatch", value_set="ABOMatch")
    graft_source: str | None = _declare("code", "graftSource", entity="graft", value_set="GraftSource")
    cd34_dose_1e6_per_kg: float | None = _declare("float", "cd34DosePerKg", entity="graft")
    tnc_dose_1e7_per_kg: float | None = _declare("float", "tncDosePerKg", entity="graft")
    t_cell_depletion: str | None = _declare("code", "tCellDepletion", entity="graft", value_set="TCellDepletion")
    cryopreserved: bool | None = _declare("bool", "cryopreserved", entity="graft")
    conditioning_intensity: str | None = _declare(
        "code", "conditioningIntensity", entity="conditioning", value_set="ConditioningIntensity"
    )
    conditioning_agents: list[str] = _declare("codes", "conditioningAgent", entity="conditioning", value_set="Agent")
    gvhd_prophylaxis: list[str] = _declare("codes", "gvhdProphylaxisAgent", value_set="Agent")
    dsa_max_mfi: float | None = _declare("float", "mfi", entity="observation", measure="dsa_mfi")
    recipient_cmv: str | None = _declare("code", "cmvSerostatus", entity="patient", value_set="CMVSerostatus")
    donor_cmv: str | None = _declare("code", "cmvSerostatus", entity="donor", value_set="CMVSerostatus")
    reported_neutrophil_recovery_day: int | None = _declare(
        "day_or_never", "reportedNeutrophilRecoveryDay", never="reported_neutrophil_never"
    )
    reported_neutrophil_never: bool = _declare("never", "reportedNoNeutrophilRecovery", default=False, column="")
    reported_platelet_recovery_day: int | None = _declare(
        "day_or_never", "reportedPlateletRecoveryDay", never="reported_platelet_never"
    )
    reported_platelet_never: bool = _declare("never", "reportedNoPlateletRecovery", default=False, column="")
    reported_platelet50_recovery_day: int | None = _declare(
        "day_or_never",
        "reportedPlatelet50RecoveryDay",
        never="reported_platelet50_never",
        column="reported_platelet_50_recovery_day",
    )
    reported_platelet50_never: bool = _declare("never", "reportedNoPlatelet50Recovery", default=False, column="")
    reported_platelet_normal_recovery_day: int | None = _declare(
        "day_or_never", "reportedPlateletNormalRecoveryDay", never="reported_platelet_normal_never"
    )
    reported_platelet_normal_never: bool = _declare(
        "never", "reportedNoPlateletNormalRecovery", default=False, column=""
    )
    reported_outcome: str | None = _declare("code", "reportedOutcome", value_set="Outcome", stated_as_code=True)
    last_follow_up_day: int | None = _declare("int", "lastFollowUpDay")
    death_day: int | None = _declare("int", "deathDay")
    relapse_day: int | None = _declare("int", "relapseDay")
    asserted_risk_factors: list[str] = _declare("codes", "assertedRiskFactor", value_set="RiskFactor")
    centre: str | None = _declare("text", "reportingCentre")
    observations: list[Observation] = field(default_factory=list)
    source: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class RecordField:
    """A field of :class:`TransplantRecord` with its declaration; ``column`` resolved (``""``: none).

    Example:
        >>> by_name = {f.name: f for f in RECORD_FIELDS}
        >>> by_name["reported_platelet50_recovery_day"].column, by_name["donor_sex"].spec.entity
        ('reported_platelet_50_recovery_day', 'donor')
    """

    name: str
    column: str
    spec: FieldSpec


#: every declared field of a record, in declaration order
RECORD_FIELDS: tuple[RecordField, ...] = tuple(
    RecordField(f.name, f.name if f.metadata[_SPEC].column is None else f.metadata[_SPEC].column, f.metadata[_SPEC])
    for f in fields(TransplantRecord)
    if _SPEC in f.metadata
)
