"""The knowledge base: evidence items, claims, treatment options and recommendations are complete and linked."""

from __future__ import annotations

import re

import pytest
from rdflib import Literal, URIRef

from graftkg.definitions import definitions
from graftkg.ontology import load_knowledge_base
from graftkg.rdf import DCTERMS, GK, RDF, RDFS

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
    defined = {c.iri for c in definitions().defined_classes}
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
