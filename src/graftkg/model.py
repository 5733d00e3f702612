"""The in-memory record of a transplant, as every reader produces it and the derivation reads it."""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(slots=True)
class TransplantRecord:
    """Everything a registry record states about one transplant. Codes are the ontology's ``gk:code`` values.

    Example:
        >>> TransplantRecord("T1", graft_source="PB").graft_source
        'PB'
    """

    transplant_id: str
    patient_id: str | None = None
    recipient_age_years: float | None = None
    recipient_sex: str | None = None
    diagnosis: str | None = None
    disease_status: str | None = None
    transplant_number: int | None = None
    prior_transplant_id: str | None = None
    donor_type: str | None = None
    donor_relation: str | None = None
    donor_age_years: float | None = None
    donor_sex: str | None = None
    hla_match: str | None = None
    abo_match: str | None = None
    graft_source: str | None = None
    cd34_dose_1e6_per_kg: float | None = None
    tnc_dose_1e7_per_kg: float | None = None
    t_cell_depletion: str | None = None
    cryopreserved: bool | None = None
    conditioning_intensity: str | None = None
    conditioning_agents: list[str] = field(default_factory=list)
    gvhd_prophylaxis: list[str] = field(default_factory=list)
    dsa_max_mfi: float | None = None
    recipient_cmv: str | None = None
    donor_cmv: str | None = None
    reported_neutrophil_recovery_day: int | None = None
    reported_neutrophil_never: bool = False
    reported_platelet_recovery_day: int | None = None
    reported_platelet_never: bool = False
    reported_platelet50_recovery_day: int | None = None
    reported_platelet50_never: bool = False
    reported_outcome: str | None = None
    last_follow_up_day: int | None = None
    death_day: int | None = None
    relapse_day: int | None = None
    asserted_risk_factors: list[str] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    source: str | None = None
    line: int | None = None
