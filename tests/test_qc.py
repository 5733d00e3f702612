"""QC checks of the ontology: each check catches its bad fixture, the project passes them all, and the
ontology stays in the OWL 2 DL profile (checked by the OWL API; a negative fixture shows it can fail)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph

from graftkg.cli import main
from graftkg.ontology_tools.qc import checks, owl2_dl_violations, qc_store, run_checks, run_qc, usage_graph
from graftkg.semantics.ontology import load_knowledge_base

from conftest import ROOT

FIXTURES = ROOT / "tests" / "cases" / "qc"


def _fixture(name: str) -> Graph:
    return Graph().parse(FIXTURES / f"{name}.ttl", format="turtle")


def test_every_check_has_a_fixture_and_a_header() -> None:
    names = {c.name for c in checks()}
    assert names == {p.stem for p in FIXTURES.glob("*.ttl")} - {"owl2-dl-violation"}
    for check in checks():
        assert check.problem and check.solution and check.origin
        assert "?entity" in check.text and "?property" in check.text and "?value" in check.text


@pytest.mark.parametrize("check", checks(), ids=[c.name for c in checks()])
def test_each_check_catches_its_bad_fixture(check: object) -> None:
    name = check.name  # type: ignore[attr-defined]
    rows = run_checks(qc_store([_fixture(name)]), [check])  # type: ignore[list-item]
    assert rows, f"{name} found nothing in its bad fixture"
    assert {r.check for r in rows} == {name}


def test_the_project_has_no_qc_errors() -> None:
    violations = run_qc()
    errors = [v for v in violations if v.severity == "error"]
    assert errors == [], errors[:5]


def test_undeclared_terms_in_shapes_and_queries_are_found() -> None:
    usage = usage_graph()
    bad = Graph()
    from rdflib import Literal, URIRef

    bad.add(
        (
            URIRef("https://w3id.org/graftkg/NoSuchClass"),
            URIRef("https://w3id.org/graftkg/qc/usedIn"),
            Literal("shapes/"),
        )
    )
    check = next(c for c in checks() if c.name == "undeclared-term")
    rows = run_checks(qc_store([load_knowledge_base(), usage, bad]), [check])
    assert [r.entity for r in rows] == ["https://w3id.org/graftkg/NoSuchClass"]
    assert len(usage) > 100


def test_ontology_and_knowledge_base_are_in_the_owl2_dl_profile() -> None:
    assert owl2_dl_violations(load_knowledge_base("paper")) == []


def test_the_profile_check_can_fail() -> None:
    problems = owl2_dl_violations(_fixture("owl2-dl-violation"))
    kinds = {line.split("\t", 1)[0] for line in problems}
    assert "UseOfUndeclaredAnnotationProperty" in kinds
    assert len(kinds) >= 2, problems


def test_cli_qc(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qc", "--no-owl-profile"]) == 0
    assert capsys.readouterr().out.startswith("QC: 0 errors")
    assert main(["qc", "--no-owl-profile", "--fail-on", "warn", "--format", "json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["severity"] for r in rows} == {"warn"}


def test_severity_table_is_data(tmp_path: Path) -> None:
    table = (ROOT / "queries" / "qc" / "severity.tsv").read_text(encoding="utf-8").splitlines()
    assert table[0] == "check\tseverity"
    assert {line.split("\t")[0] for line in table[1:]} == {c.name for c in checks()}


def test_docs_document_every_class_and_property(tmp_path: Path) -> None:
    from rdflib import OWL, RDF, URIRef

    from graftkg.ontology_tools.docs import build_docs, documented_terms
    from graftkg.semantics.ontology import load_ontology

    before = len(load_ontology())
    paths = build_docs(tmp_path / "docs")
    assert len(load_ontology()) == before, "building the docs must not change the cached ontology"
    html = paths[0].read_text(encoding="utf-8")
    graph = load_ontology()
    terms = [
        t
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for t in graph.subjects(RDF.type, kind)
        if isinstance(t, URIRef) and str(t).startswith("https://w3id.org/graftkg/")
    ]
    assert len(terms) > 100
    assert sorted(set(terms) - set(documented_terms(html, terms))) == []
    assert 'src="diagram.svg"' in html
    svg = paths[1].read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "primary graft failure" in svg and "neutrophil recovery day" in svg
    assert main(["docs", str(tmp_path / "cli-docs")]) == 0


# ----------------------------------------------------------------------------------- mappings

ASKED = {  # the codes the ontology issue names: each is in the table, verified or marked unverified
    "NCIT:C46089",
    "NCIT:C15430",
    "NCIT:C15194",
    "NCIT:C15640",
    "NCIT:C131679",
    "NCIT:C116471",
    "NCIT:C62714",
    "NCIT:C3063",
    "NCIT:C321",
    "NCIT:C405",
    "NCIT:C1094",
    "NCIT:C633",
    "NCIT:C1474",
    "NCIT:C93150",
    "SCTID:234336002",
    "SCTID:444360002",
    "ICD10CM:T86.01",
    "ICD10CM:T86.02",
    "MONDO:0004967",
    "MONDO:0018874",
    "HP:0001876",
    "HP:0001875",
    "HP:0001873",
    "HP:0001903",
    "LOINC:751-8",
    "LOINC:777-3",
    "LOINC:718-7",
}


def test_mapping_table_covers_the_asked_codes_and_the_rdf_is_current() -> None:
    from graftkg.ontology_tools.mappings import MIN_CONFIDENCE, mappings_ttl, read_sssom

    _curies, rows = read_sssom()
    assert {r.object for r in rows} >= ASKED
    assert all(r.comment for r in rows), "every mapping says where it was verified"
    assert (ROOT / "ontology" / "mappings.ttl").read_text(encoding="utf-8") == mappings_ttl()
    graph = load_knowledge_base()
    from rdflib import URIRef

    from graftkg.ontology_tools.mappings import expand

    curies = _curies
    for row in rows:
        subject = expand(row.subject, curies)
        assert (subject, None, None) in graph, f"{row.subject} is not an ontology term"
        stated = (subject, expand(row.predicate, curies), expand(row.object, curies)) in graph
        assert stated == (row.confidence >= MIN_CONFIDENCE), row
    assert (
        URIRef("https://w3id.org/graftkg/NMA"),
        None,
        URIRef("http://purl.obolibrary.org/obo/NCIT_C62714"),
    ) not in graph


def test_a_bad_mapping_table_is_a_clear_error(tmp_path: Path) -> None:
    from graftkg.errors import OntologyError
    from graftkg.ontology_tools.mappings import read_sssom, sssom_path

    text = sssom_path().read_text(encoding="utf-8").replace("skos:exactMatch", "owl:sameAs", 1)
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(OntologyError, match=r"bad\.sssom\.tsv:\d+: predicate_id 'owl:sameAs'"):
        read_sssom(bad)
    assert main(["mappings", "--check"]) == 0
