"""The in-memory record of a transplant, as every reader produces it and the derivation reads it.

The per-record dataclasses here and in :mod:`graftkg.semantics.derive`, :mod:`graftkg.semantics.facts` and
:mod:`graftkg.semantics.classify` write their ``__init__`` out (``@dataclass(init=False)``): the compiled build
(see ``hatch_build.py``) then constructs them natively, about four times faster than through the
generated one, which stays interpreted. ``__reduce__`` (:func:`by_fields`) pickles them by their
fields, compiled or not.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeVar

_T = TypeVar("_T")


def by_fields(obj: _T) -> tuple[type[_T], tuple[object, ...]]:
    """``__reduce__`` of a dataclass whose ``__init__`` takes its fields in order: pickle by value.

    A compiled class cannot be unpickled the default way (its constructor needs the arguments).

    Example:
        >>> by_fields(Observation(3, "ANC", 0.2))[1][:3]
        (3, 'ANC', 0.2)
    """
    target: Any = obj
    return type(obj), tuple(getattr(obj, f.name) for f in fields(target))


@dataclass(slots=True, init=False)
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
    value: float | None
    code: str | None
    lineage: str | None
    method: str | None
    unit: str | None
    line: int | None
    source: str | None

    def __init__(
        self,
        day: int | None,
        measure: str,
        value: float | None = None,
        code: str | None = None,
        lineage: str | None = None,
        method: str | None = None,
        unit: str | None = None,
        line: int | None = None,
        source: str | None = None,
    ) -> None:
        self.day = day
        self.measure = measure
        self.value = value
        self.code = code
        self.lineage = lineage
        self.method = method
        self.unit = unit
        self.line = line
        self.source = source

    def __reduce__(self) -> tuple[type[Observation], tuple[object, ...]]:
        return by_fields(self)


@dataclass(slots=True, init=False)
class TransplantRecord:
    """Everything a registry record states about one transplant. Codes are the ontology's ``gk:code`` values.

    Example:
        >>> TransplantRecord("T1", graft_source="PB").graft_source
        'PB'
    """

    transplant_id: str
    patient_id: str | None
    recipient_age_years: float | None
    recipient_sex: str | None
    diagnosis: str | None
    disease_status: str | None
    transplant_number: int | None
    prior_transplant_id: str | None
    donor_type: str | None
    donor_relation: str | None
    donor_age_years: float | None
    donor_sex: str | None
    hla_match: str | None
    abo_match: str | None
    graft_source: str | None
    cd34_dose_1e6_per_kg: float | None
    tnc_dose_1e7_per_kg: float | None
    t_cell_depletion: str | None
    cryopreserved: bool | None
    conditioning_intensity: str | None
    conditioning_agents: list[str]
    gvhd_prophylaxis: list[str]
    dsa_max_mfi: float | None
    recipient_cmv: str | None
    donor_cmv: str | None
    reported_neutrophil_recovery_day: int | None
    reported_neutrophil_never: bool
    reported_platelet_recovery_day: int | None
    reported_platelet_never: bool
    reported_platelet50_recovery_day: int | None
    reported_platelet50_never: bool
    reported_outcome: str | None
    last_follow_up_day: int | None
    death_day: int | None
    relapse_day: int | None
    asserted_risk_factors: list[str]
    observations: list[Observation]
    source: str | None
    line: int | None

    def __init__(
        self,
        transplant_id: str,
        patient_id: str | None = None,
        recipient_age_years: float | None = None,
        recipient_sex: str | None = None,
        diagnosis: str | None = None,
        disease_status: str | None = None,
        transplant_number: int | None = None,
        prior_transplant_id: str | None = None,
        donor_type: str | None = None,
        donor_relation: str | None = None,
        donor_age_years: float | None = None,
        donor_sex: str | None = None,
        hla_match: str | None = None,
        abo_match: str | None = None,
        graft_source: str | None = None,
        cd34_dose_1e6_per_kg: float | None = None,
        tnc_dose_1e7_per_kg: float | None = None,
        t_cell_depletion: str | None = None,
        cryopreserved: bool | None = None,
        conditioning_intensity: str | None = None,
        conditioning_agents: list[str] | None = None,
        gvhd_prophylaxis: list[str] | None = None,
        dsa_max_mfi: float | None = None,
        recipient_cmv: str | None = None,
        donor_cmv: str | None = None,
        reported_neutrophil_recovery_day: int | None = None,
        reported_neutrophil_never: bool = False,
        reported_platelet_recovery_day: int | None = None,
        reported_platelet_never: bool = False,
        reported_platelet50_recovery_day: int | None = None,
        reported_platelet50_never: bool = False,
        reported_outcome: str | None = None,
        last_follow_up_day: int | None = None,
        death_day: int | None = None,
        relapse_day: int | None = None,
        asserted_risk_factors: list[str] | None = None,
        observations: list[Observation] | None = None,
        source: str | None = None,
        line: int | None = None,
    ) -> None:
        self.transplant_id = transplant_id
        self.patient_id = patient_id
        self.recipient_age_years = recipient_age_years
        self.recipient_sex = recipient_sex
        self.diagnosis = diagnosis
        self.disease_status = disease_status
        self.transplant_number = transplant_number
        self.prior_transplant_id = prior_transplant_id
        self.donor_type = donor_type
        self.donor_relation = donor_relation
        self.donor_age_years = donor_age_years
        self.donor_sex = donor_sex
        self.hla_match = hla_match
        self.abo_match = abo_match
        self.graft_source = graft_source
        self.cd34_dose_1e6_per_kg = cd34_dose_1e6_per_kg
        self.tnc_dose_1e7_per_kg = tnc_dose_1e7_per_kg
        self.t_cell_depletion = t_cell_depletion
        self.cryopreserved = cryopreserved
        self.conditioning_intensity = conditioning_intensity
        self.conditioning_agents = [] if conditioning_agents is None else conditioning_agents
        self.gvhd_prophylaxis = [] if gvhd_prophylaxis is None else gvhd_prophylaxis
        self.dsa_max_mfi = dsa_max_mfi
        self.recipient_cmv = recipient_cmv
        self.donor_cmv = donor_cmv
        self.reported_neutrophil_recovery_day = reported_neutrophil_recovery_day
        self.reported_neutrophil_never = reported_neutrophil_never
        self.reported_platelet_recovery_day = reported_platelet_recovery_day
        self.reported_platelet_never = reported_platelet_never
        self.reported_platelet50_recovery_day = reported_platelet50_recovery_day
        self.reported_platelet50_never = reported_platelet50_never
        self.reported_outcome = reported_outcome
        self.last_follow_up_day = last_follow_up_day
        self.death_day = death_day
        self.relapse_day = relapse_day
        self.asserted_risk_factors = [] if asserted_risk_factors is None else asserted_risk_factors
        self.observations = [] if observations is None else observations
        self.source = source
        self.line = line

    def __reduce__(self) -> tuple[type[TransplantRecord], tuple[object, ...]]:
        return by_fields(self)
