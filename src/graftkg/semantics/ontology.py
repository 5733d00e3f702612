"""Loading the ontology (core modules plus one definition profile) as an rdflib graph."""

from __future__ import annotations

from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef

from graftkg.assets import knowledge_files, ontology_files, profile_path, profiles
from graftkg.errors import OntologyError

DEFAULT_PROFILE = "paper"


def load_ontology(profile: str = DEFAULT_PROFILE) -> Graph:
    """Read the merged ontology graph under definition ``profile`` from the ontology's files (each call
    reads them again: what keeps one is a :class:`~graftkg.semantics.definitions.Definitions`).

    Example:
        >>> len(load_ontology("paper")) > 1000
        True
    """
    path = profile_path(profile)
    if path is None:
        raise OntologyError(
            f"unknown definitions profile '{profile}' "
            f"(choose from: {', '.join(profiles())}, or a profile file PATH.ttl)"
        )
    if profile not in profiles():
        _check_profile_file(path)
    graph = Graph()
    for part in ontology_files(profile):
        parse_into(graph, part)
    return graph


#: what a definition profile may state: its own gk:DefinitionProfile, and the engraftment windows
PROFILE_TERMS = ("PBBMEngraftmentWindow", "UCBEngraftmentWindow")


def _check_profile_file(path: Path) -> None:
    """A profile file of one's own states one ``gk:DefinitionProfile`` (with its ``gk:code``) and the
    two engraftment windows, and nothing else: the rest of the definitions stay the ontology's."""
    from rdflib import BNode, URIRef

    from graftkg.rdf import GK, RDF, RDFS

    profile = Graph()
    parse_into(profile, path)
    declared = [s for s in profile.subjects(RDF.type, GK.DefinitionProfile) if isinstance(s, URIRef)]
    if len(declared) != 1 or profile.value(declared[0], GK.code) is None:
        raise OntologyError(f"{path}: a profile file declares one gk:DefinitionProfile with its gk:code")
    allowed = {declared[0], *(GK[t] for t in PROFILE_TERMS)}
    for subject in set(profile.subjects()):
        if not isinstance(subject, BNode) and subject not in allowed:
            raise OntologyError(
                f"{path}: a profile file may state only its gk:DefinitionProfile and the engraftment windows "
                f"({', '.join(PROFILE_TERMS)}); it states {subject}"
            )
    for term in PROFILE_TERMS:
        if (GK[term], RDFS.label, None) not in profile or (GK[term], RDF.type, RDFS.Datatype) not in profile:
            raise OntologyError(f"{path}: a profile file defines gk:{term} (an rdfs:Datatype with its label)")


def load_knowledge_base(profile: str = DEFAULT_PROFILE, *, ontology: Graph | None = None) -> Graph:
    """Read the ontology under ``profile`` with the knowledge base: cited evidence and recommendations.

    The definitions the reasoners classify with are :func:`load_ontology` (or ``ontology``, when it
    was read already); the knowledge base adds the statements about studies, claims and
    recommendations that queries and reports read.

    Example:
        >>> from graftkg.rdf import GK, RDF
        >>> kb = load_knowledge_base()
        >>> (GK.RecSalvageHSCT, RDF.type, GK.Recommendation) in kb
        True
    """
    graph = Graph()
    graph += load_ontology(profile) if ontology is None else ontology
    for path in knowledge_files():
        parse_into(graph, path)
    return graph


def parse_into(graph: Graph, path: object) -> None:
    """Parse the Turtle file ``path`` into ``graph``; a syntax error becomes an :class:`OntologyError` naming the file.

    pyoxigraph's parser reads the file (about twenty times faster than rdflib's, which every command
    would otherwise pay on start-up), and the triples become rdflib terms exactly as rdflib's own
    Turtle parser makes them: a simple literal has no datatype, numbers keep their lexical form, each
    blank node label of the file is one ``BNode``.

    Example:
        >>> from graftkg.assets import knowledge_files
        >>> g = Graph(); parse_into(g, knowledge_files()[0]); len(g) > 100
        True
    """
    import pyoxigraph as ox

    bnodes: dict[str, BNode] = {}

    def term(node: object) -> URIRef | BNode | Literal:
        if isinstance(node, ox.NamedNode):
            return URIRef(node.value)
        if isinstance(node, ox.BlankNode):
            found = bnodes.get(node.value)
            if found is None:
                found = bnodes[node.value] = BNode()
            return found
        assert isinstance(node, ox.Literal)
        if node.language:
            return Literal(node.value, lang=node.language)
        datatype = node.datatype.value
        return Literal(node.value) if datatype == _XSD_STRING else Literal(node.value, datatype=URIRef(datatype))

    try:
        triples = [
            (term(t.subject), term(t.predicate), term(t.object))
            for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        ]
    except (SyntaxError, ValueError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OntologyError(f"{path}: not valid Turtle: {first}") from exc
    for triple in triples:
        graph.add(triple)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
