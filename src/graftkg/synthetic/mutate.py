"""Errors injected into valid records: one mutation per kind of submission error the shapes catch.

Used by the validation tests (every shape must catch its error, and the fast evaluator must report
what pySHACL reports) and by the validation benchmark (about 1 % of records get an error). Each
mutation names the shape it is meant to trip; it works on records as a lenient read would give them.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Sequence

from graftkg.model import Observation, TransplantRecord

Mutation = Callable[[TransplantRecord, Sequence[TransplantRecord], random.Random], None]


def _obs(measure: str) -> Callable[[TransplantRecord], Observation | None]:
    def pick(r: TransplantRecord) -> Observation | None:
        return next((o for o in r.observations if o.measure == measure), None)

    return pick


def _set_obs(measure: str, **changes: object) -> Mutation:
    def apply(r: TransplantRecord, _: Sequence[TransplantRecord], __: random.Random) -> None:
        o = _obs(measure)(r)
        if o is None:
            # as a read gives it: an infection has a pathogen code and no value
            infection = measure == "infection"
            o = Observation(30, measure, None if infection else 1.0, code="CMV" if infection else None)
            r.observations.append(o)
        for k, v in changes.items():
            setattr(o, k, v)

    return apply


def _set(**changes: object) -> Mutation:
    def apply(r: TransplantRecord, _: Sequence[TransplantRecord], __: random.Random) -> None:
        for k, v in changes.items():
            setattr(r, k, v)

    return apply


def _prior_other_patient(r: TransplantRecord, others: Sequence[TransplantRecord], _: random.Random) -> None:
    other = next(o for o in others if o.patient_id != r.patient_id)
    r.prior_transplant_id, r.transplant_number = other.transplant_id, (other.transplant_number or 1) + 1


def _follows(r: TransplantRecord, other: TransplantRecord, numbers: tuple[int, int]) -> None:
    """Make ``r`` the subsequent transplant of ``other``'s patient, numbered ``numbers`` (other's, r's)."""
    other.patient_id = r.patient_id
    r.prior_transplant_id = other.transplant_id
    other.transplant_number, r.transplant_number = numbers


def _prior_not_earlier(r: TransplantRecord, others: Sequence[TransplantRecord], _: random.Random) -> None:
    _follows(r, next(o for o in others if o is not r), (3, 2))


def _prior_itself(r: TransplantRecord, _: Sequence[TransplantRecord], __: random.Random) -> None:
    # a copied identifier, and no transplant number to show it
    r.prior_transplant_id, r.transplant_number = r.transplant_id, None


def _prior_infused_later(r: TransplantRecord, others: Sequence[TransplantRecord], _: random.Random) -> None:
    other = next(o for o in reversed(others) if o is not r)
    _follows(r, other, (1, 2))
    other.infusion_date, r.infusion_date = datetime.date(2024, 6, 3), datetime.date(2024, 3, 4)


def _no_chimerism(r: TransplantRecord, _: Sequence[TransplantRecord], __: random.Random) -> None:
    r.observations = [o for o in r.observations if o.measure != "donor_chimerism_pct"]
    r.reported_outcome = "primary_graft_failure"


def _no_neutrophil_data(r: TransplantRecord, _: Sequence[TransplantRecord], __: random.Random) -> None:
    r.observations = [o for o in r.observations if o.measure != "ANC"]
    r.reported_neutrophil_recovery_day, r.reported_neutrophil_never = None, False
    r.graft_source, r.last_follow_up_day, r.death_day = "PB", 400, None


def _last_day(r: TransplantRecord) -> int:
    return max((o.day for o in r.observations if o.day is not None), default=30)


def _wrong_outcome(r: TransplantRecord, _: Sequence[TransplantRecord], __: random.Random) -> None:
    r.reported_outcome = "poor_graft_function" if r.reported_outcome != "poor_graft_function" else "engrafted"


def _wrong_day(lineage: str) -> Mutation:
    def apply(r: TransplantRecord, _: Sequence[TransplantRecord], __: random.Random) -> None:
        setattr(r, f"reported_{lineage}_recovery_day", 3)
        setattr(r, f"reported_{lineage}_never", False)

    return apply


def _wrong_never(lineage: str) -> Mutation:
    def apply(r: TransplantRecord, _: Sequence[TransplantRecord], __: random.Random) -> None:
        setattr(r, f"reported_{lineage}_recovery_day", None)
        setattr(r, f"reported_{lineage}_never", True)

    return apply


def _before(attr: str, other: str) -> Mutation:
    """Make ``attr`` later than ``other`` (e.g. a relapse after the last follow-up)."""

    def apply(r: TransplantRecord, _: Sequence[TransplantRecord], __: random.Random) -> None:
        base = getattr(r, other) or _last_day(r)
        setattr(r, other, base)
        setattr(r, attr, base + 5)

    return apply


def _obs_after(attr: str) -> Mutation:
    def apply(r: TransplantRecord, _: Sequence[TransplantRecord], __: random.Random) -> None:
        setattr(r, attr, max(1, _last_day(r) - 1))
        if attr == "death_day" and r.last_follow_up_day is not None:
            r.last_follow_up_day = max(r.last_follow_up_day, r.death_day or 0)

    return apply


#: mutation name -> (the shape it trips, the mutation). Applied to records meant to be valid.
MUTATIONS: dict[str, tuple[str, Mutation]] = {
    "no_patient": ("PatientRequired", _set(patient_id=None)),
    "transplant_number_zero": ("TransplantNumberConformance", _set(transplant_number=0)),
    "no_transplant_number": ("TransplantNumberRecommended", _set(transplant_number=None)),
    "bad_diagnosis": ("DiagnosisValueSet", _set(diagnosis="leukaemia")),
    "no_diagnosis": ("DiagnosisRecommended", _set(diagnosis=None)),
    "bad_disease_status": ("DiseaseStatusValueSet", _set(disease_status="CR9")),
    "no_disease_status": ("DiseaseStatusRecommended", _set(disease_status=None)),
    "bad_abo": ("ABOValueSet", _set(abo_match="AB")),
    "no_abo": ("ABORecommended", _set(abo_match=None)),
    "old_recipient": ("RecipientAgePlausible", _set(recipient_age_years=130.0)),
    "no_recipient_age": ("RecipientAgeRecommended", _set(recipient_age_years=None)),
    "bad_outcome": ("ReportedOutcomeValueSet", _set(reported_outcome="graft_failure")),
    "bad_risk_factor": ("RiskFactorValueSet", _set(asserted_risk_factors=["bad_luck"])),
    "bad_gvhd_agent": ("GvHDProphylaxisValueSet", _set(gvhd_prophylaxis=["aspirin"])),
    "bad_recipient_sex": ("PatientSexValueSet", _set(recipient_sex="X")),
    "bad_recipient_cmv": ("PatientCMVValueSet", _set(recipient_cmv="unknown")),
    "prior_of_other_patient": ("PriorTransplantSamePatient", _prior_other_patient),
    "prior_not_earlier": ("PriorTransplantEarlier", _prior_not_earlier),
    "prior_is_itself": ("PriorTransplantIsAnother", _prior_itself),
    "prior_infused_later": ("PriorTransplantInfusedEarlier", _prior_infused_later),
    "no_donor_type": ("DonorTypeRequired", _set(donor_type=None)),
    "bad_donor_type": ("DonorTypeValueSet", _set(donor_type="sibling")),
    "old_donor": ("DonorAgePlausible", _set(donor_age_years=150.0)),
    "bad_donor_sex": ("DonorSexValueSet", _set(donor_sex="X")),
    "bad_donor_cmv": ("DonorCMVValueSet", _set(donor_cmv="unknown")),
    "bad_hla": ("HLAMatchFormat", _set(hla_match="ten of ten")),
    "no_graft_source": ("GraftSourceRequired", _set(graft_source=None)),
    "bad_graft_source": ("GraftSourceValueSet", _set(graft_source="liver")),
    "cd34_unit_error": ("CD34DosePlausible", _set(cd34_dose_1e6_per_kg=450.0)),
    "no_cd34": ("CD34DoseRecommended", _set(cd34_dose_1e6_per_kg=None)),
    "tnc_unit_error": ("TNCDosePlausible", _set(tnc_dose_1e7_per_kg=0.01)),
    "bad_tcd": ("TCellDepletionValueSet", _set(t_cell_depletion="partial")),
    "no_intensity": ("ConditioningIntensityRequired", _set(conditioning_intensity=None)),
    "bad_intensity": ("ConditioningIntensityValueSet", _set(conditioning_intensity="mega")),
    "bad_agent": ("ConditioningAgentValueSet", _set(conditioning_agents=["unobtainium"])),
    "no_agents": ("ConditioningAgentsRecommended", _set(conditioning_agents=[])),
    "lab_without_day": ("LabObservationDayRequired", _set_obs("ANC", day=None)),
    "lab_day_far": ("LabObservationDayPlausible", _set_obs("ANC", day=5000)),
    "support_without_day": ("SupportEventDayRequired", _set_obs("platelet_transfusion", day=None)),
    "support_day_far": ("SupportEventDayPlausible", _set_obs("platelet_transfusion", day=-90)),
    "infection_without_day": ("InfectionEpisodeDayRequired", _set_obs("infection", day=None)),
    "infection_day_far": ("InfectionEpisodeDayPlausible", _set_obs("infection", day=4000)),
    "gvhd_without_day": ("GvHDEpisodeDayRequired", _set_obs("gvhd", day=None, value=2.0)),
    "gvhd_day_far": ("GvHDEpisodeDayPlausible", _set_obs("gvhd", day=-60, value=2.0)),
    "lab_without_value": ("LabValueRequired", _set_obs("PLT", value=None)),
    "anc_implausible": ("ANCPlausible", _set_obs("ANC", value=150.0)),
    "plt_implausible": ("PLTPlausible", _set_obs("PLT", value=3500.0)),
    "hb_implausible": ("HBPlausible", _set_obs("HB", value=9.5)),
    "wbc_implausible": ("WBCPlausible", _set_obs("WBC", value=900.0)),
    "anc_unit": ("ANCUnit", _set_obs("ANC", unit="g/L")),
    "plt_unit": ("PLTUnit", _set_obs("PLT", unit="K/uL")),  # UCUM reads K as kelvin: it does not convert
    "hb_unit": ("HBUnit", _set_obs("HB", unit="10*12/L")),  # a red cell count's unit
    "wbc_unit": ("WBCUnit", _set_obs("WBC", unit="%")),
    "bad_pathogen": ("PathogenValueSet", _set_obs("infection", code="martian")),
    "gvhd_grade": ("GvHDGradeConformance", _set_obs("gvhd", value=7.0)),
    "chimerism_without_day": ("ChimerismDayRequired", _set_obs("donor_chimerism_pct", day=None)),
    "chimerism_day_far": ("ChimerismDayPlausible", _set_obs("donor_chimerism_pct", day=9999)),
    "chimerism_without_value": ("ChimerismValueRequired", _set_obs("donor_chimerism_pct", value=None)),
    "chimerism_over_100": ("ChimerismPossible", _set_obs("donor_chimerism_pct", value=120.0)),
    "chimerism_unit": ("ChimerismUnit", _set_obs("donor_chimerism_pct", unit="10*9/L")),
    "bad_lineage": ("ChimerismLineageValueSet", _set_obs("donor_chimerism_pct", lineage="spleen")),
    "gf_without_chimerism": ("ChimerismRequiredForGraftFailure", _no_chimerism),
    "dsa_without_value": ("DSAValueRequired", _set_obs("dsa_mfi", value=None)),
    "dsa_implausible": ("DSAPlausible", _set_obs("dsa_mfi", value=55000.0)),
    "dsa_day_far": ("DSADayConformance", _set_obs("dsa_mfi", day=-400)),
    "follow_up_far": ("LastFollowUpDayPlausible", _set(last_follow_up_day=5000)),
    "death_far": ("DeathDayPlausible", _set(death_day=-40)),
    "relapse_far": ("RelapseDayPlausible", _set(relapse_day=4000)),
    "anc_day_far": (
        "ReportedNeutrophilRecoveryDayPlausible",
        _set(reported_neutrophil_recovery_day=-35, reported_neutrophil_never=False),
    ),
    "plt_day_far": (
        "ReportedPlateletRecoveryDayPlausible",
        _set(reported_platelet_recovery_day=3700, reported_platelet_never=False),
    ),
    "plt50_day_far": (
        "ReportedPlatelet50RecoveryDayPlausible",
        _set(reported_platelet50_recovery_day=4000, reported_platelet50_never=False),
    ),
    "plt_normal_day_far": (
        "ReportedPlateletNormalRecoveryDayPlausible",
        _set(reported_platelet_normal_recovery_day=4000, reported_platelet_normal_never=False),
    ),
    "no_follow_up": ("LastFollowUpRequired", _set(last_follow_up_day=None)),
    "relapse_after_follow_up": ("RelapseWithinFollowUp", _before("relapse_day", "last_follow_up_day")),
    "relapse_after_death": ("RelapseBeforeDeath", _before("relapse_day", "death_day")),
    "death_after_follow_up": ("DeathWithinFollowUp", _before("death_day", "last_follow_up_day")),
    "observation_after_death": ("ObservationsBeforeDeath", _obs_after("death_day")),
    "observation_after_follow_up": ("ObservationsWithinFollowUp", _obs_after("last_follow_up_day")),
    "no_neutrophil_data": ("NeutrophilRecoveryReportedAfterWindow", _no_neutrophil_data),
    "outcome_disagrees": ("ReportedOutcomeAgrees", _wrong_outcome),
    "neutrophil_day_disagrees": ("ReportedNeutrophilDayAgrees", _wrong_day("neutrophil")),
    "neutrophil_never_disagrees": ("ReportedNoNeutrophilRecoveryAgrees", _wrong_never("neutrophil")),
    "platelet_day_disagrees": ("ReportedPlateletDayAgrees", _wrong_day("platelet")),
    "platelet_never_disagrees": ("ReportedNoPlateletRecoveryAgrees", _wrong_never("platelet")),
    "anc_negative": ("LabValuePossible", _set_obs("ANC", value=-0.5)),
    "dsa_negative": ("DSAPossible", _set_obs("dsa_mfi", value=-5.0)),
    "lab_day_impossible": ("ObservationDayPossible", _set_obs("HB", day=-40000)),
    "follow_up_impossible": ("LastFollowUpDayPossible", _set(last_follow_up_day=40000)),
    "death_impossible": ("DeathDayPossible", _set(death_day=-40000)),
    "relapse_impossible": ("RelapseDayPossible", _set(relapse_day=-40000)),
    "anc_day_impossible": (
        "ReportedNeutrophilRecoveryDayPossible",
        _set(reported_neutrophil_recovery_day=-40000, reported_neutrophil_never=False),
    ),
    "plt_day_impossible": (
        "ReportedPlateletRecoveryDayPossible",
        _set(reported_platelet_recovery_day=-40000, reported_platelet_never=False),
    ),
    "plt50_day_impossible": (
        "ReportedPlatelet50RecoveryDayPossible",
        _set(reported_platelet50_recovery_day=-40000, reported_platelet50_never=False),
    ),
}


def inject(records: Sequence[TransplantRecord], rate: float, seed: int = 1) -> dict[str, str]:
    """Apply one mutation, in turn, to a ``rate`` share of ``records`` (in place); return id -> mutation.

    Example:
        >>> from graftkg.readers import read_inputs
        >>> rs = read_inputs(["examples/paper-patients/csv"], lenient=True)
        >>> sorted(inject(rs, 0.25).values())
        ['no_patient', 'transplant_number_zero']
    """
    rng = random.Random(seed)
    names = list(MUTATIONS)
    chosen = sorted(rng.sample(range(len(records)), max(1, round(rate * len(records)))))
    applied = {}
    for k, i in enumerate(chosen):
        name = names[k % len(names)]
        MUTATIONS[name][1](records[i], records, rng)
        applied[records[i].transplant_id] = name
    return applied
