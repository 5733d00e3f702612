"""The clinical numbers and rules of one definition profile, read from the ontology.

Nothing here holds a clinical number: windows, thresholds, counts and periods are read from the
ontology's named datatypes and counting rules, so that ``derive.py`` and ``synth.py`` use exactly
what the reasoner uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef

from graftkg.errors import OntologyError
from graftkg.rdf import GK, OWL, RDF, RDFS, XSD
from graftkg.semantics.ontology import DEFAULT_PROFILE, load_ontology
from graftkg.semantics.owlexpr import Compiler, DataRange, Labels, Named, NamedDatatype, Restricted
from graftkg.semantics.vocabulary import vocabulary

if TYPE_CHECKING:
    from graftkg.semantics.reason import FastReasoner


@dataclass(frozen=True)
class CountingRule:
    """A registry counting rule: ``consecutive`` values in ``threshold`` (per measure code)."""

    iri: URIRef
    thresholds: dict[str, DataRange]
    consecutive: int
    transfusion_free_days: int | None = None
    period: DataRange | None = None

    @property
    def threshold(self) -> DataRange:
        """The single threshold of a one-measure rule."""
        (only,) = self.thresholds.values()
        return only


@dataclass(frozen=True)
class CodedClass:
    """A defined class graftkg reports by code (an outcome, finding, chimerism status or risk factor)."""

    iri: URIRef
    code: str
    expr: Named


class Definitions:
    """Everything the derivation and the reasoners need from one profile of the ontology, read from
    the ontology's files when made: an :class:`~graftkg.api.Engine` makes one and keeps it, with what is
    built from it (the fast reasoner, the knowledge base). Nothing is cached between two
    ``Definitions``: a profile file edited in between is read again. It pickles as its profile, and is
    read again where it is unpickled (a spawned worker process).

    Example:
        >>> d = Definitions("paper")
        >>> d.window_last_day["PB"], d.window_last_day["UCB"]
        (28, 42)
        >>> Definitions("astct-2021").window_last_day["BM"]
        30
        >>> d.neutrophil_recovery.consecutive
        3
        >>> import pickle; pickle.loads(pickle.dumps(d)).window_last_day == d.window_last_day
        True
    """

    def __init__(self, profile: str = DEFAULT_PROFILE) -> None:
        self.profile = profile
        self.graph = load_ontology(profile)
        self.compiler = Compiler(self.graph)
        self.labels = Labels(self.graph)
        #: class -> the functional properties of its domain (closed when absent, for the OWL reasoner)
        self.closable = _closable(self.graph)
        vocab = vocabulary()
        g = self.graph

        self.neutrophil_recovery = self._rule(GK.NeutrophilRecoveryRule)
        self.platelet_recovery = self._rule(GK.PlateletRecoveryRule)
        self.graft_function_loss = self._rule(GK.GraftFunctionLossRule)
        self.severe_cytopenia = self._rule(GK.SevereCytopeniaRule)

        self.window_last_day: dict[str, int] = {}
        for source in g.subjects(GK.engraftmentWindow, None):
            window = g.value(source, GK.engraftmentWindow)
            code = vocab.code(source)  # type: ignore[arg-type]
            if code is None or not isinstance(window, URIRef):
                raise OntologyError(f"graft source {source} has no code or window")
            self.window_last_day[code] = self._last_day(window)

        transplant_classes = set(g.transitive_subjects(RDFS.subClassOf, GK.Transplant))
        #: every defined class of transplants: what the fast path and the OWL reasoner must agree on.
        self.defined_classes: list[Named] = [
            self.compiler.named(c)
            for c in sorted(c for c in transplant_classes if isinstance(c, URIRef))
            if (c, OWL.equivalentClass, None) in g
        ]
        self.outcomes = self._coded(GK.Outcome)
        self.findings = self._coded(GK.Finding)
        self.chimerism_statuses = self._coded(GK.ChimerismStatus)
        self.risk_factors = self._coded(GK.RiskFactorTransplant)
        self._fast_reasoner: FastReasoner | None = None  # made when first asked for
        self._knowledge_base: Graph | None = None

    def __reduce__(self) -> tuple[type[Definitions], tuple[str]]:
        return (Definitions, (self.profile,))

    @property
    def fast_reasoner(self) -> FastReasoner:
        """The fast reasoner of these definitions (made once; it holds nothing of what it classifies).

        Example:
            >>> d = Definitions(); d.fast_reasoner is d.fast_reasoner
            True
        """
        if self._fast_reasoner is None:
            from graftkg.semantics.reason import FastReasoner

            self._fast_reasoner = FastReasoner(self)
        return self._fast_reasoner

    @property
    def knowledge_base(self) -> Graph:
        """These definitions' ontology with the knowledge base: cited evidence and recommendations
        (see :func:`~graftkg.semantics.ontology.load_knowledge_base`); read once; do not mutate.

        Example:
            >>> (GK.RecSalvageHSCT, RDF.type, GK.Recommendation) in Definitions().knowledge_base
            True
        """
        if self._knowledge_base is None:
            from graftkg.semantics.ontology import load_knowledge_base

            self._knowledge_base = load_knowledge_base(self.profile, ontology=self.graph)
        return self._knowledge_base

    def bound(self, datatype: URIRef) -> float:
        """The single facet bound of named datatype ``datatype`` (e.g. 0.5 for ``gk:EngraftmentANC``).

        Example:
            >>> Definitions().bound(GK.DSAPositiveMFI)
            1500.0
        """
        dt = self.compiler.datatype(datatype)
        inner = dt.definition if isinstance(dt, NamedDatatype) else dt
        if isinstance(inner, Restricted) and len(inner.facets) == 1:
            return inner.facets[0][1]
        raise OntologyError(f"datatype {datatype} has no single facet bound")

    def _coded(self, parent: URIRef) -> list[CodedClass]:
        out = []
        classes = (c for c in self.graph.transitive_subjects(RDFS.subClassOf, parent) if isinstance(c, URIRef))
        for c in sorted(classes):
            code = self.graph.value(c, GK.code)
            if c != parent and isinstance(code, Literal):
                out.append(CodedClass(c, str(code), self.compiler.named(c)))
        return out

    def _int(self, subject: URIRef, prop: URIRef) -> int | None:
        value = self.graph.value(subject, prop)
        return None if value is None else int(value)  # type: ignore[call-overload]

    def _rule(self, iri: URIRef) -> CountingRule:
        g = self.graph
        thresholds: dict[str, DataRange] = {}
        for dt in g.objects(iri, GK.thresholdOf):
            measure = g.value(dt, GK.measure) or g.value(iri, GK.measure)
            code = vocabulary().code(measure) if isinstance(measure, URIRef) else None
            if code is None or not isinstance(dt, URIRef):
                raise OntologyError(f"counting rule {iri}: threshold {dt} names no measure")
            thresholds[code] = self.compiler.datatype(dt)
        consecutive = self._int(iri, GK.consecutiveValues)
        if not thresholds or consecutive is None:
            raise OntologyError(f"counting rule {iri} needs gk:thresholdOf and gk:consecutiveValues")
        period = g.value(iri, GK.assessmentPeriod)
        return CountingRule(
            iri,
            thresholds,
            consecutive,
            self._int(iri, GK.transfusionFreeDays),
            self.compiler.datatype(period) if isinstance(period, URIRef) else None,
        )

    def _last_day(self, window: URIRef) -> int:
        dt = self.compiler.datatype(window)
        inner = dt.definition if isinstance(dt, NamedDatatype) else dt
        if (
            isinstance(inner, Restricted)
            and inner.base.iri == XSD.integer
            and len(inner.facets) == 1
            and inner.facets[0][0] == XSD.maxInclusive
        ):
            return int(inner.facets[0][1])
        raise OntologyError(f"engraftment window {window} must be xsd:integer with one maxInclusive facet")


def _closable(graph: Graph) -> dict[URIRef, tuple[URIRef, ...]]:
    """Domain class -> its functional properties.

    Example:
        >>> GK.deathDay in _closable(load_ontology())[GK.Transplant]
        True
    """
    table: dict[URIRef, list[URIRef]] = {}
    for prop in graph.subjects(RDF.type, OWL.FunctionalProperty):
        domain = graph.value(prop, RDFS.domain)
        if isinstance(prop, URIRef) and isinstance(domain, URIRef):
            table.setdefault(domain, []).append(prop)
    return {k: tuple(sorted(v)) for k, v in table.items()}
