"""Static checks of the ontology asset: annotations, sources, thresholds stated once, profiles."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from graftkg.rdf import DCTERMS, GK, OWL, RDF, RDFS, SKOS, XSD
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.ontology import load_ontology

from conftest import ROOT

FACETS = (XSD.minInclusive, XSD.minExclusive, XSD.maxInclusive, XSD.maxExclusive)


def _terms(graph: Graph) -> set[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Datatype)
    return {s for k in kinds for s in graph.subjects(RDF.type, k) if isinstance(s, URIRef) and s.startswith(GK)}


@pytest.mark.parametrize("profile", ["paper", "astct-2021"])
def test_every_term_has_label_definition_and_source(profile: str) -> None:
    graph = load_ontology(profile)
    missing = []
    for term in sorted(_terms(graph)):
        for prop in (RDFS.label, SKOS.definition, DCTERMS.source):
            if (term, prop, None) not in graph:
                missing.append(f"{term} lacks {prop}")
    assert not missing, missing[:10]


def test_every_individual_has_label_and_source() -> None:
    graph = load_ontology()
    missing = [
        str(i)
        for i in graph.subjects(RDF.type, OWL.NamedIndividual)
        if (i, RDFS.label, None) not in graph
        or ((i, DCTERMS.source, None) not in graph and (i, RDF.type, GK.Citation) not in graph)
    ]
    assert not missing, missing


def test_every_threshold_is_in_a_named_datatype_with_a_source() -> None:
    graph = load_ontology()
    for restriction in graph.subjects(OWL.withRestrictions, None):
        owners = [s for s in graph.subjects(OWL.equivalentClass, restriction)]
        assert len(owners) == 1 and isinstance(owners[0], URIRef), f"anonymous facet restriction {restriction}"
        assert (owners[0], DCTERMS.source, None) in graph, owners[0]
    for rule in graph.subjects(RDF.type, GK.CountingRule):
        assert (rule, DCTERMS.source, None) in graph


def _numbers(graph: Graph) -> dict[float, URIRef]:
    out: dict[float, URIRef] = {}
    for facet in FACETS:
        for node, bound in graph.subject_objects(facet):
            out[float(bound)] = node  # type: ignore[arg-type]
    for prop in (GK.consecutiveValues, GK.transfusionFreeDays):
        for node, value in graph.subject_objects(prop):
            out[float(value)] = node  # type: ignore[arg-type]
    return out


def test_thresholds_appear_once_per_profile() -> None:
    for profile in ("paper", "astct-2021"):
        graph = load_ontology(profile)
        seen: dict[tuple[URIRef, float], int] = {}
        for facet in FACETS:
            for node, bound in graph.subject_objects(facet):
                assert isinstance(node, BNode) and isinstance(bound, Literal)
                seen[(facet, float(bound))] = seen.get((facet, float(bound)), 0) + 1
        duplicated = {k: v for k, v in seen.items() if v > 1 and k[1] not in (28.0,)}
        assert not duplicated, duplicated


def test_profiles_differ_only_in_the_pbbm_window() -> None:
    paper, astct = Definitions("paper"), Definitions("astct-2021")
    assert paper.window_last_day == {"PB": 28, "BM": 28, "UCB": 42}
    assert astct.window_last_day == {"PB": 30, "BM": 30, "UCB": 42}
    assert paper.neutrophil_recovery.consecutive == astct.neutrophil_recovery.consecutive


#: the modules that apply the definitions: every one of the semantics, validation and reading stages
IMPLEMENTATION = [
    *sorted(
        str(path.relative_to(ROOT / "src" / "graftkg"))
        for folder in ("semantics", "validation", "readers")
        for path in (ROOT / "src" / "graftkg" / folder).rglob("*.py")
    ),
    "model.py",
    "api.py",
    "cli.py",
]


def test_no_clinical_number_is_a_python_literal() -> None:
    """Windows, thresholds and counts live in the ontology; the modules that apply them hold none of them.

    (``synthetic/`` is left out: its numbers are scenario weights and spacing; every threshold and
    window it respects comes from the ontology through ``definitions``.)
    """
    clinical = {v for v in _numbers(load_ontology("paper")) | _numbers(load_ontology("astct-2021")) if v > 3}
    offenders = []
    for name in IMPLEMENTATION:
        path = ROOT / "src" / "graftkg" / name
        previous = None
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            shift, previous = previous == "<<", tok.string
            if tok.type != tokenize.NUMBER or shift:  # 1 << 20 is a size, not a number of the review
                continue
            value = ast.literal_eval(tok.string)  # any literal: 1_000, 0x21, 2e3, 1j
            if not isinstance(value, complex) and float(value) in clinical:
                offenders.append(f"{name}:{tok.start[0]}: {tok.string}")
    assert not offenders, offenders


def test_window_annotations_match_class_definitions() -> None:
    """gk:engraftmentWindow (read by the derivation) names the datatypes the definitions use per source."""
    graph = load_ontology()
    text = Path(ROOT / "ontology" / "graftkg.ttl").read_text()
    for _source, window in graph.subject_objects(GK.engraftmentWindow):
        assert isinstance(window, URIRef)
        assert window.startswith(GK) and window.removeprefix(str(GK)) in text
    assert {str(w) for w in graph.objects(None, GK.engraftmentWindow)} == {
        str(GK.PBBMEngraftmentWindow),
        str(GK.UCBEngraftmentWindow),
    }


def test_jsonld_context_covers_every_property() -> None:
    """ontology/context.jsonld names every gk property, with the coercion its OWL declaration implies."""
    from graftkg.reporting.convert import context

    ctx = context()
    graph = load_ontology()
    for prop in graph.subjects(RDF.type, OWL.ObjectProperty):
        if not str(prop).startswith(str(GK)):
            continue  # reused external terms are not part of graftkg's context
        name = str(prop).removeprefix(str(GK))
        assert ctx[name]["@id"] == f"gk:{name}" and ctx[name]["@type"] in ("@id", "@vocab"), name
    for prop in graph.subjects(RDF.type, OWL.DatatypeProperty):
        if not str(prop).startswith(str(GK)):
            continue
        name = str(prop).removeprefix(str(GK))
        declared = graph.value(prop, RDFS.range)
        plain = (None, XSD.string, RDF.PlainLiteral)
        expected = None if declared in plain else "xsd:" + str(declared).split("#")[1]
        assert ctx[name]["@id"] == f"gk:{name}" and ctx[name].get("@type") == expected, name


def test_no_name_stands_for_two_members_of_a_value_set() -> None:
    """The names a reader accepts for a code - the code, rdfs:label and skos:altLabel, in any letter
    case - each name one member of each value set; every skos:altLabel is on a value-set member."""
    from graftkg.semantics.vocabulary import FIELD_VALUE_SETS

    graph = load_ontology()
    members_of: dict[URIRef, set[URIRef]] = {}
    for cls in set(FIELD_VALUE_SETS.values()):
        members = set()
        for c in graph.transitive_subjects(RDFS.subClassOf, cls):
            members |= {m for m in graph.subjects(RDF.type, c) if (m, GK.code, None) in graph}
            if c != cls and cls == GK.Outcome and (c, GK.code, None) in graph:
                members.add(c)
        members_of[cls] = members  # type: ignore[assignment]
        names: dict[str, set[URIRef]] = {}
        for m in members:
            for prop in (GK.code, RDFS.label, SKOS.altLabel):
                for name in graph.objects(m, prop):
                    names.setdefault(str(name).casefold(), set()).add(m)  # type: ignore[arg-type]
        shared = {n: sorted(ms) for n, ms in names.items() if len(ms) > 1}
        # a code may equal another member's label in another case only if the code is that member's
        codes = {str(graph.value(m, GK.code)).casefold(): m for m in members}
        clashes = {n: ms for n, ms in shared.items() if n not in codes}
        assert not clashes, (cls, clashes)
    labelled = {s for s in graph.subjects(SKOS.altLabel, None)}
    assert labelled and labelled <= set().union(*members_of.values())
    abbreviations = {str(o) for o in graph.objects(None, SKOS.altLabel)}
    assert {"CsA", "MTX", "Cy", "Flu", "Bu", "Mel", "TT", "Tac", "haplo"} <= abbreviations


def test_the_turtle_reader_gives_what_rdflib_s_parser_gives() -> None:
    """graftkg reads its Turtle assets with pyoxigraph's parser into rdflib terms: for every ontology,
    profile, knowledge and shape file the graph is the one rdflib's own Turtle parser makes."""
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from graftkg.assets import asset_dir
    from graftkg.semantics.ontology import parse_into

    files = sorted(asset_dir("ontology").rglob("*.ttl")) + sorted(asset_dir("shapes").glob("*.ttl"))
    assert len(files) > 10
    for path in files:
        ours = Graph()
        parse_into(ours, path)
        assert isomorphic(ours, Graph().parse(path, format="turtle")), path
