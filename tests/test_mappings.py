"""The SSSOM mapping table and the SKOS RDF generated from it (ontology/mappings.ttl).

Pins the corrections of the December 2026 mapping audit (predicates, labels, added codes) and that the
RDF expands each CURIE exactly as the table's curie_map declares.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rdflib import Graph, URIRef

from graftkg.ontology_tools.mappings import (
    MIN_CONFIDENCE,
    PREDICATES,
    expand,
    mappings_graph,
    mappings_ttl,
    read_sssom,
    sssom_path,
)

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = [
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "confidence",
    "comment",
]


def _rows() -> dict[tuple[str, str], tuple[str, str, float]]:
    """(subject, object) -> (predicate, object_label, confidence)."""
    _curies, rows = read_sssom()
    table = {(r.subject, r.object): (r.predicate, r.object_label, r.confidence) for r in rows}
    assert len(table) == len(rows), "one row per subject and object"
    return table


def test_the_table_is_well_formed() -> None:
    text = sssom_path().read_text(encoding="utf-8")
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body[0].split("\t") == COLUMNS
    records = list(csv.reader(io.StringIO("\n".join(body[1:])), delimiter="\t"))
    assert len(records) >= 48
    assert all(len(r) == len(COLUMNS) for r in records), [r[:4] for r in records if len(r) != len(COLUMNS)]
    curies, rows = read_sssom()
    assert len(rows) == len(records)
    assert {"MAXO", "UBERON", "CL"} <= set(curies)
    for row in rows:
        assert row.predicate in PREDICATES
        assert row.object_label and row.comment, row
        assert 0 < row.confidence <= 1
        if row.confidence < MIN_CONFIDENCE:
            assert row.comment.startswith("NOT VERIFIED"), row


def test_curies_expand_exactly_per_the_curie_map() -> None:
    curies, rows = read_sssom()
    for row in rows:
        for curie in (row.subject, row.predicate, row.object):
            prefix, _, local = curie.partition(":")
            assert expand(curie, curies) == URIRef(curies[prefix] + local)
    assert expand("LOINC:751-8", curies) == URIRef("https://loinc.org/751-8")
    graph = mappings_graph()
    objects = {str(o) for o in graph.objects()}
    assert "https://loinc.org/751-8" in objects and "https://loinc.org/26499-4" in objects
    assert not [o for o in objects if o.endswith("/")], "no IRI beyond the curie map's"
    text = mappings_ttl()
    assert "loinc.org/751-8/" not in text
    reparsed = Graph().parse(data=text, format="turtle")
    assert set(reparsed) == set(graph)
    assert (ROOT / "ontology" / "mappings.ttl").read_text(encoding="utf-8") == text


def test_graft_sources_relate_to_procedures_and_match_materials() -> None:
    table = _rows()
    for source, procedure in (("gk:PB", "NCIT:C15430"), ("gk:BM", "NCIT:C15194"), ("gk:UCB", "NCIT:C15640")):
        assert table[(source, procedure)][0] == "skos:relatedMatch"
    for source, material in (
        ("gk:PB", "NCIT:C12946"),
        ("gk:PB", "CL:0002246"),
        ("gk:BM", "NCIT:C12431"),
        ("gk:BM", "UBERON:0002371"),
        ("gk:UCB", "UBERON:0012168"),
    ):
        predicate, _label, confidence = table[(source, material)]
        assert predicate == "skos:closeMatch" and confidence >= MIN_CONFIDENCE
    assert table[("gk:CordBloodGraftTransplant", "NCIT:C15640")][0] == "skos:exactMatch"


def test_icd10cm_codes_state_their_scope() -> None:
    table = _rows()
    assert table[("gk:GraftRejection", "ICD10CM:T86.01")][:2] == (
        "skos:narrowMatch",
        "Bone marrow transplant rejection",
    )
    assert table[("gk:GraftFailure", "ICD10CM:T86.02")][:2] == ("skos:narrowMatch", "Bone marrow transplant failure")
    for finding in ("gk:GraftRejection", "gk:GraftFailure"):
        assert table[(finding, "ICD10CM:T86.5")][:2] == ("skos:relatedMatch", "Complications of stem cell transplant")
    assert table[("gk:GvHDEpisode", "ICD10CM:D89.81")][0] == "skos:closeMatch"
    assert table[("gk:GvHDEpisode", "ICD10CM:D89.810")][:2] == ("skos:narrowMatch", "Acute graft-versus-host disease")
    assert table[("gk:GvHDEpisode", "ICD10CM:D89.811")][:2] == ("skos:narrowMatch", "Chronic graft-versus-host disease")
    assert table[("gk:ALL", "ICD10CM:C91.0")][0] == "skos:closeMatch"
    assert table[("gk:AML", "ICD10CM:C92.0")][0] == "skos:narrowMatch"


def test_loinc_automated_counts_are_narrower_than_the_methodless_measures() -> None:
    table = _rows()
    assert table[("gk:ANC", "LOINC:751-8")][:2] == (
        "skos:narrowMatch",
        "Neutrophils [#/volume] in Blood by Automated count",
    )
    assert table[("gk:PLT", "LOINC:777-3")][:2] == (
        "skos:narrowMatch",
        "Platelets [#/volume] in Blood by Automated count",
    )
    assert table[("gk:ANC", "LOINC:26499-4")][:2] == ("skos:closeMatch", "Neutrophils [#/volume] in Blood")
    assert table[("gk:PLT", "LOINC:26515-7")][:2] == ("skos:closeMatch", "Platelets [#/volume] in Blood")


def test_labels_and_added_codes() -> None:
    table = _rows()
    assert table[("gk:SevereNeutropenia", "HP:0001875")][1] == "Decreased total neutrophil count"
    for subject, obj in (
        ("gk:Transplant", "MAXO:0001479"),
        ("gk:ConditioningRegimen", "MAXO:0000750"),
        ("gk:ANC", "NCIT:C63321"),
        ("gk:PLT", "NCIT:C51951"),
        ("gk:HB", "NCIT:C64848"),
    ):
        predicate, _label, confidence = table[(subject, obj)]
        assert predicate == "skos:closeMatch" and confidence >= MIN_CONFIDENCE
    curies = read_sssom()[0]
    assert (
        URIRef("https://w3id.org/graftkg/ConditioningRegimen"),
        expand("skos:closeMatch", curies),
        URIRef("http://purl.obolibrary.org/obo/MAXO_0000750"),
    ) in mappings_graph()
