"""The shapes against the ontology (so they cannot drift), their documentation, and the catalogue."""

from __future__ import annotations

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection

from graftkg.rdf import DCTERMS, GK, OWL, RDF, RDFS
from graftkg.readers.csv_bundle import OBSERVATION_COLUMNS, TRANSPLANT_COLUMNS
from graftkg.semantics.ontology import load_ontology
from graftkg.semantics.vocabulary import vocabulary
from graftkg.validation.shacl import SH, catalogue, load_shapes, shapes_graph

from conftest import ROOT

ONTO = load_ontology()
SHAPES = shapes_graph()
SHAPE_IRIS = sorted({s for s in SHAPES.subjects(RDF.type, SH.PropertyShape) if isinstance(s, URIRef)})
CLASSES = set(ONTO.subjects(RDF.type, OWL.Class))
ANNOTATIONS = set(ONTO.subjects(RDF.type, OWL.AnnotationProperty))
# the properties of the data: object and datatype properties, and an annotation property with a
# domain (the infusion date: OWL 2 has no xsd:date datatype)
PROPERTIES = (
    set(ONTO.subjects(RDF.type, OWL.ObjectProperty))
    | set(ONTO.subjects(RDF.type, OWL.DatatypeProperty))
    | {p for p in ANNOTATIONS if (p, RDFS.domain, None) in ONTO}
)


def _path(shape: URIRef) -> list[URIRef]:
    node = SHAPES.value(shape, SH.path)
    return [node] if isinstance(node, URIRef) else list(Collection(SHAPES, node))  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", SHAPE_IRIS, ids=lambda s: s.rsplit("/", 1)[1])
def test_every_term_a_shape_names_exists_in_the_ontology(shape: URIRef) -> None:
    for prop in (SH.targetClass, SH["class"]):
        for cls in SHAPES.objects(shape, prop):
            assert cls in CLASSES, f"{shape}: class {cls} is not in the ontology"
    for q in SHAPES.objects(shape, SH.qualifiedValueShape):
        for cls in SHAPES.objects(q, SH["class"]):
            assert cls in CLASSES
    used = [*_path(shape)]
    for prop in (SH.targetSubjectsOf, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals):
        used += list(SHAPES.objects(shape, prop))
    for prop in used:
        assert prop in PROPERTIES, f"{shape}: property {prop} is not in the ontology"
    for prop, _ in SHAPES.predicate_objects(shape):
        if str(prop).startswith(str(GK)):
            assert prop in ANNOTATIONS, f"{shape}: annotation {prop} is not declared"


@pytest.mark.parametrize("shape", SHAPE_IRIS, ids=lambda s: s.rsplit("/", 1)[1])
def test_value_sets_in_shapes_match_the_ontology(shape: URIRef) -> None:
    members = SHAPES.value(shape, SH["in"])
    if members is None or members == RDF.nil:
        return
    listed = set(Collection(SHAPES, members))  # type: ignore[arg-type]
    (prop,) = _path(shape)
    range_ = ONTO.value(prop, RDFS.range)
    if all(isinstance(m, URIRef) for m in listed):
        vocab = vocabulary()
        expected = {
            m
            for cls in set(ONTO.transitive_subjects(RDFS.subClassOf, range_))
            for m in ONTO.subjects(RDF.type, cls)
            if vocab.code(m) is not None  # type: ignore[arg-type]
        }
        assert listed == expected, f"{shape}: {sorted(listed ^ expected)}"
    elif prop == GK.reportedOutcome:
        outcomes = {
            str(ONTO.value(c, GK.code))
            for c in ONTO.transitive_subjects(RDFS.subClassOf, GK.Outcome)
            if c != GK.Outcome and ONTO.value(c, GK.code) is not None
        }
        assert {str(m) for m in listed} == outcomes
    else:
        assert all(isinstance(m, Literal) for m in listed)


@pytest.mark.parametrize("shape", SHAPE_IRIS, ids=lambda s: s.rsplit("/", 1)[1])
def test_every_shape_is_documented_and_located(shape: URIRef) -> None:
    for prop in (SH.name, SH.description, SH.message):
        value = SHAPES.value(shape, prop)
        assert isinstance(value, Literal) and value.language == "en" and str(value), prop
    assert SHAPES.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info)
    assert str(SHAPES.value(shape, GK.checkCategory)) in (
        "conformance",
        "completeness",
        "possibility",
        "plausibility",
        "chronology",
        "cross-check",
    )
    assert str(SHAPES.value(shape, GK.field)) in set(TRANSPLANT_COLUMNS) | set(OBSERVATION_COLUMNS) | {
        "transplant_id",
        "measure",
        "unit",
    }
    assert SHAPES.value(shape, SH.path) is not None and not isinstance(SHAPES.value(shape, SH.path), Literal)
    assert not isinstance(shape, BNode)


def test_one_file_per_entity() -> None:
    names = {p.stem for p in (ROOT / "shapes").glob("*.ttl")}
    assert {"transplant", "donor", "graft", "conditioning", "observation", "chimerism", "dsa", "followup"} <= names


def test_fast_evaluator_loads_every_shape() -> None:
    assert len(load_shapes()) == len(SHAPE_IRIS)


def test_docs_catalogue_is_current() -> None:
    page = (ROOT / "docs" / "checks.md").read_text()
    start = page.index("<!-- checks:begin -->\n") + len("<!-- checks:begin -->\n")
    end = page.index("<!-- checks:end -->")
    assert page[start:end] == catalogue(), "regenerate docs/checks.md between its markers with: graftkg checks"


def test_shape_thresholds_have_a_source() -> None:
    for shape in SHAPE_IRIS:
        if any(SHAPES.value(shape, SH[k]) is not None for k in ("minInclusive", "maxInclusive")):
            source = SHAPES.value(shape, DCTERMS.source)
            assert source is not None and (source, RDFS.label, None) in ONTO, shape
