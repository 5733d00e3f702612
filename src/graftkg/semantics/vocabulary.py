"""Code tables read from the ontology: which codes a coded field accepts, and the IRI of each code."""

from __future__ import annotations

from functools import lru_cache

from rdflib import Graph, Literal, URIRef

from graftkg.model import RECORD_FIELDS
from graftkg.rdf import GK, RDF, RDFS, SKOS
from graftkg.semantics.ontology import DEFAULT_PROFILE, load_ontology

#: coded field of a transplant record or an observation -> the ontology class whose members' gk:code it takes.
FIELD_VALUE_SETS: dict[str, URIRef] = {
    **{f.name: GK[f.spec.value_set] for f in RECORD_FIELDS if f.spec.value_set is not None},
    "lineage": GK.Lineage,
    "infection": GK.Pathogen,
    "calculation": GK.Calculation,
    "measure": GK.Measure,
    "calculation_input": GK.CalculationInput,
}


class Vocabulary:
    """Codes and IRIs of the ontology's value sets.

    A code is written as the ontology's ``gk:code``, or as one of the member's other names there: its
    ``rdfs:label`` or a ``skos:altLabel`` (a registry's abbreviation, ``CsA`` for ciclosporin), in any
    letter case. :meth:`code_for` gives the code of either; no name stands for two members of one
    value set (``tests/test_ontology.py`` holds the ontology to that).

    Example:
        >>> v = vocabulary()
        >>> v.iri("graft_source", "UCB")
        rdflib.term.URIRef('https://w3id.org/graftkg/UCB')
        >>> v.code(GK.UCB)
        'UCB'
        >>> v.code_for("gvhd_prophylaxis", "CsA"), v.code_for("conditioning_agents", "FLU")
        ('cyclosporine', 'fludarabine')
        >>> v.calculates, v.calculated_from
        ({'neutrophil_pct_x_wbc': 'ANC'}, {'neutrophil_pct_x_wbc': ('WBC', 'neutrophil_pct')})
    """

    def __init__(self, graph: Graph) -> None:
        self._codes: dict[URIRef, dict[str, URIRef]] = {}
        self._code_of: dict[URIRef, str] = {}
        for subject, code in graph.subject_objects(GK.code):
            if isinstance(subject, URIRef) and isinstance(code, Literal):
                self._code_of[subject] = str(code)
        for cls in set(FIELD_VALUE_SETS.values()):
            members: dict[str, URIRef] = {}
            classes = set(graph.transitive_subjects(RDFS.subClassOf, cls))
            for c in classes:
                for member in graph.subjects(RDF.type, c):
                    if isinstance(member, URIRef) and member in self._code_of:
                        members[self._code_of[member]] = member
                    # classes (outcomes) carry codes too
                if c != cls and isinstance(c, URIRef) and c in self._code_of and cls == GK.Outcome:
                    members[self._code_of[c]] = c
            self._codes[cls] = members
        #: each calculation's code -> the code of the measure it gives (see gk:Calculation)
        self.calculates: dict[str, str] = {}
        #: each calculation's code -> the codes of what it multiplies
        self.calculated_from: dict[str, tuple[str, ...]] = {}
        for calc, measure in graph.subject_objects(GK.calculates):
            calc_code, measure_code = self._code_of.get(calc), self._code_of.get(measure)  # type: ignore[call-overload]
            if calc_code is not None and measure_code is not None:
                self.calculates[calc_code] = measure_code
                inputs = (self._code_of.get(i) for i in graph.objects(calc, GK.calculatedFrom))  # type: ignore[call-overload]
                self.calculated_from[calc_code] = tuple(sorted(i for i in inputs if i is not None))
        # every name of a member, case-folded -> its code (a code stands for itself, whatever its case)
        self._names: dict[URIRef, dict[str, str]] = {}
        for value_set, in_set in self._codes.items():
            names: dict[str, str] = {}
            for member_code, member in in_set.items():
                names.setdefault(member_code.casefold(), member_code)
                for prop in (RDFS.label, SKOS.altLabel):
                    for name in graph.objects(member, prop):
                        names.setdefault(str(name).casefold(), member_code)
            for member_code in in_set:  # a code wins over another member's label
                names[member_code.casefold()] = member_code
            self._names[value_set] = names

    def codes(self, field: str) -> list[str]:
        """The codes field ``field`` accepts, sorted."""
        return sorted(self._codes[FIELD_VALUE_SETS[field]])

    def iri(self, field: str, code: str) -> URIRef | None:
        """The IRI of ``code`` in ``field``'s value set, or None when the code is not in it."""
        return self._codes[FIELD_VALUE_SETS[field]].get(code)

    def code_for(self, field: str, text: str) -> str | None:
        """The code ``text`` names in ``field``'s value set: itself, or the code of the member it is a
        name of (see the class docstring); None when it names none."""
        cls = FIELD_VALUE_SETS[field]
        if text in self._codes[cls]:
            return text
        return self._names[cls].get(text.casefold())

    def synonyms(self, field: str) -> dict[str, str]:
        """Every name ``field`` accepts besides its codes (case-folded), with the code it stands for."""
        cls = FIELD_VALUE_SETS[field]
        return {n: c for n, c in self._names[cls].items() if n not in {k.casefold() for k in self._codes[cls]}}

    def code(self, iri: URIRef) -> str | None:
        """The code of a value-set member or coded class."""
        return self._code_of.get(iri)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The vocabulary of the ontology (value sets do not depend on the definition profile)."""
    return Vocabulary(load_ontology(DEFAULT_PROFILE))
