"""The knowledge base: evidence items, claims, treatment options and recommendations are complete and linked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from graftkg.rdf import DCTERMS, GK, RDF, RDFS, SKOS
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.ontology import load_knowledge_base

ROOT = Path(__file__).resolve().parent.parent
KB = load_knowledge_base()
ITEMS = sorted(s for s in KB.subjects(RDF.type, GK.EvidenceItem) if isinstance(s, URIRef))
RECS = sorted(s for s in KB.subjects(RDF.type, GK.Recommendation) if isinstance(s, URIRef))
CLAIMS = sorted(s for s in KB.subjects(RDF.type, GK.Claim) if isinstance(s, URIRef))
STUDIES = sorted(s for s in KB.subjects(RDF.type, GK.Study) if isinstance(s, URIRef))


def _item(code: str) -> URIRef:
    (item,) = [i for i in ITEMS if KB.value(i, GK.code) == Literal(code)]
    return item


def _num(item: URIRef, prop: URIRef) -> float | None:
    value = KB.value(item, prop)
    return None if value is None else float(value)


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: str(i).rsplit("/", 1)[-1])
def test_every_evidence_item_is_complete(item: URIRef) -> None:
    assert KB.value(item, RDFS.label) is not None
    assert KB.value(item, GK.statement) is not None
    assert KB.value(item, GK.paperWording) is not None, "quote the source review's words"
    study = KB.value(item, GK.fromStudy)
    assert study is not None and KB.value(study, DCTERMS.bibliographicCitation) is not None
    assert set(KB.objects(item, GK.supports)) | set(KB.objects(item, GK.disputes)), "supports or disputes a claim"
    lo, hi = _num(item, GK.ciLower), _num(item, GK.ciUpper)
    if lo is not None or hi is not None:
        est = _num(item, GK.estimate)
        assert lo is not None and hi is not None and est is not None and lo <= est <= hi


@pytest.mark.parametrize("study", STUDIES, ids=lambda i: str(i).rsplit("/", 1)[-1])
def test_every_study_has_design_and_valid_identifiers(study: URIRef) -> None:
    assert KB.value(study, GK.studyDesign) is not None
    assert KB.value(study, GK.populationAgeGroup) is not None
    doi, pmid = KB.value(study, GK.doi), KB.value(study, GK.pmid)
    if doi is not None:
        assert re.fullmatch(r"10\.\d{4,9}/\S+", str(doi)), doi
    if pmid is not None:
        assert re.fullmatch(r"\d{6,9}", str(pmid)), pmid
    assert KB.value(study, GK.referenceNumber) is not None or KB.value(study, DCTERMS.isPartOf) is not None


@pytest.mark.parametrize("rec", RECS, ids=lambda i: str(i).rsplit("/", 1)[-1])
def test_every_recommendation_is_complete_and_applies_to_a_defined_class(rec: URIRef) -> None:
    defined = {c.iri for c in Definitions().defined_classes}
    for prop in (GK.statement, GK.strength, GK.aspect, GK.recommendsOption, GK.paperWording, DCTERMS.source):
        assert KB.value(rec, prop) is not None, prop
    situations = set(KB.objects(rec, GK.applicableTo))
    assert situations and situations <= defined, "applicability must be a class the classifier decides"


def test_claims_have_evidence_and_conflicts_keep_both_sides() -> None:
    for claim in CLAIMS:
        assert set(KB.subjects(GK.supports, claim)) | set(KB.subjects(GK.disputes, claim)), claim
    early, interval = GK.ClaimEarlyRetransplant, GK.ClaimLongerIntervalBetter
    assert (early, GK.conflictsWith, interval) in KB
    assert set(KB.subjects(GK.supports, early)) and set(KB.subjects(GK.supports, interval))


@pytest.mark.parametrize(
    ("code", "values"),
    [
        ("guardiola_interval", {GK.estimate: 0.38, GK.ciLower: 0.19, GK.ciUpper: 0.76, GK.pValue: 0.01}),
        (
            "giammarco_same_vs_different_haplo",
            {GK.estimate: 77, GK.comparatorEstimate: 66, GK.pValue: 0.5, GK.sampleSize: 19},
        ),
        ("schriber_one_year_survival", {GK.estimate: 11, GK.sampleSize: 122}),
        ("schriber_same_vs_different_donor", {GK.groupSize: 98, GK.comparatorGroupSize: 24}),
        ("grandage_donor_source", {GK.sampleSize: 12, GK.groupSize: 7}),
        ("kato_engraftment", {GK.comparatorEstimate: 42.1, GK.standardError: 11.8, GK.pValue: 0.02}),
        ("kato_survival", {GK.pValue: 0.70}),
        ("kongtim_same_haplo_donor", {GK.estimate: 2.90, GK.ciLower: 1.07, GK.ciUpper: 7.92, GK.pValue: 0.037}),
        (
            "chewning_survival",
            {GK.events: 5, GK.groupSize: 10, GK.comparatorEvents: 1, GK.comparatorGroupSize: 6, GK.pValue: 0.1},
        ),
        ("waki_engraftment_factors", {GK.sampleSize: 80}),
        ("waki_day100_trm", {GK.estimate: 45}),
        ("nordlander_dsa", {GK.estimate: 75, GK.comparatorEstimate: 5}),
        ("piccin_ar_incidence", {GK.estimate: 4.2, GK.ciLower: 3.1, GK.ciUpper: 5.6, GK.sampleSize: 1205}),
        ("piccin_ar_survival", {GK.estimate: 84}),
        ("rondon_autologous_reconstitution", {GK.events: 9, GK.groupSize: 1726}),
        ("park_autologous_reconstitution", {GK.estimate: 11.6, GK.events: 8, GK.sampleSize: 1630}),
        ("park_time_to_reconstitution", {GK.estimate: 6.95, GK.rangeLow: 2.3, GK.rangeHigh: 16.7}),
        ("incidence_matched_unrelated", {GK.estimate: 4}),
        ("incidence_cord_blood", {GK.estimate: 20}),
        ("incidence_haplo_t_cell_depleted", {GK.estimate: 10}),
        ("incidence_haplo_ptcy", {GK.estimate: 13}),
        ("incidence_haplo_beijing", {GK.estimate: 1}),
        ("primary_gf_haplo_mac", {GK.estimate: 1, GK.comparatorEstimate: 8}),
        ("survival_after_second_transplant", {GK.rangeLow: 10, GK.rangeHigh: 30}),
        ("survival_without_second_transplant", {GK.estimate: 10}),
        ("stable_engraftment_after_salvage", {GK.estimate: 33}),
        ("case_series_autologous_recovery", {GK.events: 2, GK.groupSize: 5}),
    ],
)
def test_the_cited_numbers_are_recorded(code: str, values: dict[URIRef, float]) -> None:
    item = _item(code)
    for prop, expected in values.items():
        assert _num(item, prop) == pytest.approx(expected), (code, prop)


def test_identifiers_are_only_the_verified_ones() -> None:
    """DOIs and PMIDs recorded are exactly those checked against a bibliographic record."""
    dois = {str(o) for o in KB.objects(None, GK.doi)}
    pmids = {str(o) for o in KB.objects(None, GK.pmid)}
    assert dois == {"10.1016/j.bbmt.2010.02.013", "10.1038/bmt.2009.296", "10.1016/j.bbmt.2008.05.005"}
    assert pmids == {"20172038", "19915627"}


def test_every_treatment_option_of_the_review_is_present() -> None:
    codes = {str(KB.value(o, GK.code)) for o in KB.subjects(RDF.type, GK.TreatmentOption)}
    assert {
        "growth_factor",
        "cd34_boost",
        "autologous_backup_reinfusion",
        "await_autologous_recovery",
        "withdraw_immunosuppression",
        "dsa_reassessment",
        "donor_lymphocyte_infusion",
        "salvage_hsct",
        "fludarabine_melphalan_ric",
        "fludarabine_atg",
        "modified_one_day_regimen",
        "alemtuzumab_one_day_regimen",
        "myeloablative_salvage_conditioning",
        "same_donor",
        "different_donor",
        "different_haploidentical_donor",
        "donor_without_dsa",
        "nine_of_ten_matched_unrelated_donor",
        "cord_blood",
        "mobilised_pbsc",
        "salvage_as_soon_as_possible",
    } <= codes
    contraindications = {str(KB.value(c, GK.code)) for c in KB.subjects(RDF.type, GK.Contraindication)}
    assert contraindications == {
        "uncontrolled_infection",
        "active_gvhd",
        "organ_dysfunction",
        "poor_performance_status",
    }


# ------------------------------------------------------------------ the audit against the review's text

REVIEW = (ROOT / ".." / "shared" / "paper" / "graft-failure-review.txt").resolve()


def _letters(text: str) -> str:
    """Letters and digits only, lower case: line breaks, hyphenation, quotes and dashes do not count."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@pytest.mark.skipif(not REVIEW.is_file(), reason="the review's text is not beside the checkout")
def test_every_quotation_is_in_the_review() -> None:
    """Every gk:paperWording, each part between '...', occurs in the review's text (letters and digits
    compared, so line breaks and hyphenation do not matter)."""
    review = _letters(REVIEW.read_text(encoding="utf-8"))
    missing = []
    for subject, quote in KB.subject_objects(GK.paperWording):
        for part in str(quote).split("..."):
            if _letters(part) and _letters(part) not in review:
                missing.append(f"{str(subject).rsplit('/', 1)[-1]}: {part.strip()[:80]}")
    assert not missing, missing


def _claims(code: str) -> dict[str, set[str]]:
    item = _item(code)
    return {
        "supports": {str(c) for c in KB.objects(item, GK.supports)},
        "disputes": {str(c) for c in KB.objects(item, GK.disputes)},
    }


def test_audit_evidence_items_say_what_the_review_says() -> None:
    # the 84% is among the patients with autologous reconstitution, not the 1,205
    assert KB.value(_item("piccin_ar_survival"), GK.sampleSize) is None
    assert _num(_item("piccin_ar_incidence"), GK.sampleSize) == 1205
    # patient 4: three years after the transplant; patient 5: two years after graft failure
    statement = str(KB.value(_item("case_series_autologous_recovery"), GK.statement))
    assert "patient 4 three years after the transplant" in statement
    assert "patient 5 two years after graft failure" in statement
    # both absolute survival results after a second transplant point the same way
    assert _claims("survival_after_second_transplant") == _claims("schriber_one_year_survival")
    assert _claims("schriber_one_year_survival")["supports"] == {str(GK.ClaimSalvageOutcomesPoor)}
    # Grandage: only the different-donor group is given
    grandage = _item("grandage_donor_source")
    assert "vs" not in str(KB.value(grandage, GK.comparison)) and KB.value(grandage, GK.graftkgReading)
    # no note about the review's spelling of an author the review does not name
    review = REVIEW.read_text(encoding="utf-8") if REVIEW.is_file() else ""
    for citation in KB.objects(None, DCTERMS.bibliographicCitation):
        for name in re.findall(r"spells the first author '(\w+)'", str(citation)):
            assert name in review, citation
    # two interval statements, two claims: only the inter-transplant one has the 80 days
    assert _claims("guardiola_interval")["supports"] == {str(GK.ClaimLongerInterTransplantIntervalBetter)}
    assert _claims("interval_to_rescue_transplant")["supports"] == {str(GK.ClaimLongerIntervalBetter)}
    assert "80" not in str(KB.value(GK.ClaimLongerIntervalBetter, GK.statement))
    # the women-after-pregnancies numbers
    assert (
        _num(_item("dsa_women_after_pregnancies"), GK.estimate),
        _num(_item("dsa_women_after_pregnancies"), GK.comparatorEstimate),
    ) == (86, 5)


def _rec(code: str) -> URIRef:
    (rec,) = [r for r in RECS if KB.value(r, GK.code) == Literal(code)]
    return rec


def test_audit_recommendations_do_not_overstate() -> None:
    flu = _rec("fludarabine_based_ric")
    assert KB.value(flu, GK.strength) == GK.StrengthOption
    assert "soon" in str(KB.value(flu, GK.statement)) and "may contribute" in str(KB.value(flu, GK.statement))
    assert "favours" not in str(KB.value(GK.ClaimFludarabineBasedConditioning, GK.statement))
    assert str(KB.value(_rec("immediately_available_donor"), GK.referenceNumber)) == "[7, 58, 61]"
    alemtuzumab = _rec("alemtuzumab_caution")
    assert KB.value(alemtuzumab, GK.contraindication) is None and KB.value(alemtuzumab, GK.graftkgReading)


def test_audit_thresholds_and_readings_are_marked() -> None:
    from graftkg.semantics.ontology import load_ontology

    ontology = load_ontology()
    definition = str(ontology.value(GK.DSAPositiveMFI, SKOS.definition))
    assert "not a clear cut-off consensus" in definition and "one study" in definition
    assert "no consensus cut-off" in str(ontology.value(GK.GraftRejection, GK.clause))
    assert "one study" in str(ontology.value(GK.DSAPositiveMFI, RDFS.label))
    # non-myeloablative conditioning: above MAC, from the text's reference [38], never compared with RIC
    nma = GK.NonMyeloablativeConditioningRiskFactor
    assert set(ontology.objects(nma, GK.higherRiskThan)) == {GK.MyeloablativeConditioningLevel}
    assert GK.SourceReviewTable2 not in set(ontology.objects(nma, DCTERMS.source))
    # Table 2's "MMD" and "advanced disease" are graftkg's readings, and say so
    for factor in (GK.MismatchedUnrelatedDonorRiskFactor, GK.AdvancedDiseaseRiskFactor):
        assert ontology.value(factor, GK.graftkgReading) is not None, factor
