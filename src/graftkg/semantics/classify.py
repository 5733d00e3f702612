"""classify = read -> derive -> reason -> outcome, findings and the reasons why."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from rdflib import Graph, Literal, URIRef

from graftkg.errors import ReasonerError
from graftkg.model import TransplantRecord
from graftkg.parallel import ranges, run, worker_count
from graftkg.rdf import GK, RDF
from graftkg.semantics.definitions import CodedClass, Definitions
from graftkg.semantics.derive import Derived, derive
from graftkg.semantics.facts import TransplantFacts, add_to_graph, build_facts
from graftkg.semantics.ontology import DEFAULT_PROFILE
from graftkg.semantics.reason import REASONERS, FastReasoner, HermitReasoner
from graftkg.semantics.vocabulary import vocabulary

FORMATS = ("json", "table", "turtle", "csv", "fhir")
#: how often (in records classified) a ``progress`` callback is called, and once more after the last
PROGRESS_EVERY = 10_000
#: the code (``gk:code``) of the outcome under which reasoning by cases over graft sources concludes nothing
NOT_EVALUABLE = "not_evaluable"


@dataclass
class Classification:
    """The classification of one transplant. Its days count from the infusion (day 0); where the
    record gives the infusion's date, the recovery days are dates too.

    Example:
        >>> c = classify_records([TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=15)])[0]
        >>> c.outcome, c.neutrophil_recovery_day, c.neutrophil_recovery_date
        ('engrafted', 15, None)
        >>> from datetime import date
        >>> dated = TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=15,
        ...                          infusion_date=date(2024, 2, 20))
        >>> classify_records([dated])[0].neutrophil_recovery_date
        '2024-03-06'
    """

    transplant_id: str
    outcome: str
    findings: list[str]
    chimerism: str | None
    neutrophil_recovery_day: int | None
    platelet_recovery_day: int | None
    risk_factors: list[str]
    explanation: list[str]
    classes: set[URIRef] = field(repr=False, default_factory=set)
    derived: Derived = field(repr=False, default_factory=Derived)
    infusion_date: date | None = field(repr=False, default=None)

    @property
    def neutrophil_recovery_date(self) -> str | None:
        """The neutrophil recovery day as an ISO date, where the infusion's date is known."""
        return self._date(self.neutrophil_recovery_day)

    @property
    def platelet_recovery_date(self) -> str | None:
        """The platelet recovery day as an ISO date, where the infusion's date is known."""
        return self._date(self.platelet_recovery_day)

    def _date(self, day: int | None) -> str | None:
        if day is None or self.infusion_date is None:
            return None
        return (self.infusion_date + timedelta(days=day)).isoformat()

    def as_json(self) -> dict[str, Any]:
        """The JSON object of ``graftkg classify --format json`` (a date is null where the record
        gives no infusion date)."""
        return {
            "transplant_id": self.transplant_id,
            "outcome": self.outcome,
            "findings": self.findings,
            "chimerism": self.chimerism,
            "neutrophil_recovery_day": self.neutrophil_recovery_day,
            "platelet_recovery_day": self.platelet_recovery_day,
            "infusion_date": None if self.infusion_date is None else self.infusion_date.isoformat(),
            "neutrophil_recovery_date": self.neutrophil_recovery_date,
            "platelet_recovery_date": self.platelet_recovery_date,
            "risk_factors": self.risk_factors,
            "explanation": self.explanation,
        }


def calculated_counts(record: TransplantRecord, defs: Definitions) -> list[str]:
    """A sentence for each kind of lab count of ``record`` that was calculated, not counted (such as an
    ANC from a differential: ``gk:Calculation``), with its days.

    Example:
        >>> from graftkg.model import Observation
        >>> obs = [Observation(d, "ANC", 0.6, method="neutrophil_pct_x_wbc") for d in (14, 15, 16, 20)]
        >>> calculated_counts(TransplantRecord("T", observations=obs), Definitions())  # doctest: +NORMALIZE_WHITESPACE
        ['absolute neutrophil count on days 14-16, 20 calculated as neutrophils per 100 leukocytes x
          leukocyte count (of the same sample)']
    """
    vocab = vocabulary()
    days: dict[tuple[str, str], list[int]] = {}
    for obs in record.observations:
        if obs.method is not None and obs.measure in vocab.calculates.values():
            days.setdefault((obs.measure, obs.method), []).append(-1 if obs.day is None else obs.day)
    return calculation_sentences(days, defs)


def calculation_sentences(days: dict[tuple[str, str], list[int]], defs: Definitions) -> list[str]:
    """The sentences of :func:`calculated_counts` from ``(measure, method) -> days`` (-1: undated)."""
    vocab, labels = vocabulary(), defs.labels
    out = []
    for (measure, method), found in sorted(days.items()):
        calculation, counted = vocab.iri("calculation", method), vocab.iri("measure", measure)
        what = labels.label(counted) if counted is not None else measure
        how = labels.label(calculation) if calculation is not None else method
        out.append(f"{what} on {_day_ranges(found)} calculated as {how} (of the same sample)")
    return out


def _day_ranges(days: list[int]) -> str:
    """``[14, 15, 16, 20]`` as ``days 14-16, 20`` (-1: undated)."""
    parts: list[str] = []
    ordered = sorted(set(days))
    start = prev = ordered[0]
    for day in [*ordered[1:], None]:
        if day is not None and day == prev + 1:
            prev = day
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if day is not None:
            start = prev = day
    text = ", ".join(p for p in parts if p != "-1")
    return ("day " if len(ordered) == 1 else "days ") + (text or "not given")


def summarise(
    record: TransplantRecord,
    tf: TransplantFacts,
    derived: Derived,
    classes: set[URIRef],
    defs: Definitions,
    reasoner: FastReasoner,
    explain: bool = True,
) -> Classification:
    """The classification of ``record`` from the classes ``reasoner`` inferred on its facts ``tf``.

    A transplant without a graft source is classified by cases (see ``_by_every_graft_source``): the
    cases are classified by ``reasoner``, the fast path, which the HermiT equivalence test holds to
    HermiT on every case file.

    Example:
        >>> defs = Definitions()
        >>> r = TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=15)
        >>> (tf, derived), = prepare([r], defs)
        >>> fast = FastReasoner(defs)
        >>> summarise(r, tf, derived, fast.classify(tf), defs, fast).outcome
        'engrafted'
    """
    outcome = outcome_of(record.transplant_id, classes, defs)
    findings = [c for c in defs.findings if c.iri in classes]
    explanation = reasoner.explain(tf, outcome.iri) if explain else []
    for finding in findings if explain else []:
        explanation.extend(s for s in reasoner.explain(tf, finding.iri) if s not in explanation)
    if explain:
        explanation.extend(calculated_counts(record, defs))
    result = assemble(record.transplant_id, classes, derived, explanation, record.infusion_date, defs)
    if record.graft_source not in defs.window_last_day:  # none, or a code outside the value set
        return _by_every_graft_source(record, result, defs, reasoner, explain)
    return result


def outcome_of(transplant_id: str, classes: Collection[URIRef], defs: Definitions) -> CodedClass:
    """The one outcome class among ``classes``; a :class:`ReasonerError` unless there is exactly one."""
    outcomes = [c for c in defs.outcomes if c.iri in classes]
    if len(outcomes) != 1:
        found = ", ".join(c.code for c in outcomes) or "none"
        raise ReasonerError(
            f"transplant '{transplant_id}': the definitions gave {found} as outcome; exactly one is required"
        )
    return outcomes[0]


@dataclass(frozen=True)
class Reported:
    """What a classification reports of a transplant's classes, by code: its outcome, findings,
    chimerism status and risk factors (see :func:`reported`)."""

    outcome: str
    findings: tuple[str, ...]
    chimerism: str | None
    risk_factors: tuple[str, ...]


def reported(transplant_id: str, classes: Collection[URIRef], defs: Definitions) -> Reported:
    """What a classification reports of ``classes``, the classes of transplant ``transplant_id``: a
    :class:`ReasonerError` unless exactly one of them is an outcome.

    Example:
        >>> defs = Definitions()
        >>> found = {c.iri for c in defs.outcomes if c.code == "engrafted"}
        >>> reported("T", found, defs)
        Reported(outcome='engrafted', findings=(), chimerism=None, risk_factors=())
    """
    return Reported(
        outcome=outcome_of(transplant_id, classes, defs).code,
        findings=tuple(c.code for c in defs.findings if c.iri in classes),
        chimerism=next((c.code for c in defs.chimerism_statuses if c.iri in classes), None),
        risk_factors=tuple(c.code for c in defs.risk_factors if c.iri in classes),
    )


def assemble(
    transplant_id: str,
    classes: set[URIRef],
    derived: Derived,
    explanation: list[str],
    infusion_date: date | None,
    defs: Definitions,
    *,
    report: Reported | None = None,
) -> Classification:
    """The classification of a transplant from its classes, derived facts and explanation (each
    backend finds those its own way; this reads the outcome, findings, chimerism status and risk
    factors from them the same way for both, with :func:`reported`; ``report`` is what that gives
    for ``classes``, where the caller has it already)."""
    if report is None:
        report = reported(transplant_id, classes, defs)
    return Classification(
        transplant_id=transplant_id,
        outcome=report.outcome,
        findings=list(report.findings),
        chimerism=report.chimerism,
        neutrophil_recovery_day=derived.neutrophil_recovery_day,
        platelet_recovery_day=derived.platelet_recovery_day,
        risk_factors=list(report.risk_factors),
        explanation=explanation,
        classes=classes,
        derived=derived,
        infusion_date=infusion_date,
    )


def prepare(
    records: Sequence[TransplantRecord], defs: Definitions, *, observations: bool = False
) -> list[tuple[TransplantFacts, Derived]]:
    """Derive and build the facts of each record (``observations`` keeps lab counts in the facts)."""
    vocab = vocabulary()
    out = []
    for record in records:
        derived = derive(record, defs)
        out.append((build_facts(record, derived, vocab, observations=observations), derived))
    return out


def _classify_range(
    state: tuple[Sequence[TransplantRecord], Definitions, bool], bounds: tuple[int, int]
) -> list[Classification]:
    """One range of a parallel :func:`classify_records` (see :func:`graftkg.parallel.run`)."""
    records, defs, explain = state
    return classify_records(records[bounds[0] : bounds[1]], definitions=defs, workers=1, explain=explain)


def classify_records(
    records: Sequence[TransplantRecord],
    *,
    profile: str = DEFAULT_PROFILE,
    definitions: Definitions | None = None,
    reasoner: str = "fast",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    explain: bool = True,
) -> list[Classification]:
    """Classify ``records`` under ``definitions`` (without them, those of ``profile``, read for this
    call; an :class:`~graftkg.api.Engine` keeps its own) with ``reasoner`` (``fast`` or ``hermit``).

    The fast path evaluates the ontology's definitions directly; ``hermit`` asks an OWL 2 DL reasoner
    (Java) and is far slower. Both explain with the ontology's clauses. Large inputs on the fast path
    are split over ``workers`` processes (default: all cores once there are more than 5,000 records).
    ``explain=False`` skips the explanations (validation asks for them only where it reports).

    Example:
        >>> [c.outcome for c in classify_records([TransplantRecord("T", graft_source="UCB",
        ...                                                          reported_neutrophil_never=True,
        ...                                                          last_follow_up_day=20)])]
        ['not_evaluable']
    """
    if reasoner not in REASONERS:
        raise ReasonerError(f"unknown reasoner '{reasoner}' (choose from: {', '.join(REASONERS)})")
    defs = definitions or Definitions(profile)
    fast = defs.fast_reasoner
    workers = worker_count(len(records), workers) if reasoner == "fast" else 1
    if workers > 1:
        results: list[Classification] = []
        state = (records, defs, explain)
        for part in run(_classify_range, state, ranges(len(records), workers), workers=workers):
            results.extend(part)
            if progress is not None:
                progress(len(results), len(records))
        return results
    prepared = prepare(records, defs)
    if reasoner == "hermit":
        class_sets = HermitReasoner(defs).classify_many([tf for tf, _ in prepared])
    else:
        class_sets = [fast.classify(tf) for tf, _ in prepared]
    out = []
    for n, (record, (tf, derived), classes) in enumerate(zip(records, prepared, class_sets, strict=True)):
        out.append(summarise(record, tf, derived, classes, defs, fast, explain))
        if progress is not None and ((n + 1) % PROGRESS_EVERY == 0 or n + 1 == len(records)):
            progress(n + 1, len(records))
    return out


def _by_every_graft_source(
    record: TransplantRecord, result: Classification, defs: Definitions, reasoner: FastReasoner, explain: bool
) -> Classification:
    """A transplant without a graft source has no engraftment window: it is not evaluable, unless every
    graft source gives it the same outcome, which is then its outcome (reasoning by cases over the
    closed value set of graft sources; only what holds under every one of them is kept).

    Example:
        >>> r = TransplantRecord("T", reported_neutrophil_recovery_day=15)
        >>> c = classify_records([r])[0]
        >>> c.outcome, c.findings, c.explanation[0]
        ('engrafted', [], 'graft source not reported: the outcome is engrafted under every graft source (BM, PB, UCB)')
        >>> classify_records([TransplantRecord("T", reported_neutrophil_recovery_day=35)])[0].outcome
        'not_evaluable'
    """
    from dataclasses import replace

    sources = vocabulary().codes("graft_source")
    variants = [replace(record, graft_source=code) for code in sources]
    cases = [
        summarise(variant, tf, derived, reasoner.classify(tf), defs, reasoner, explain)
        for variant, (tf, derived) in zip(variants, prepare(variants, defs), strict=True)
    ]
    return combine_cases(record.graft_source, result, cases, sources, explain)


def combine_cases(
    graft_source: str | None, result: Classification, cases: list[Classification], sources: list[str], explain: bool
) -> Classification:
    """A transplant's classification from its classifications under each graft source of ``sources``
    (``cases``, in that order): see :func:`_by_every_graft_source`."""
    outcomes = {c.outcome for c in cases}
    if len(outcomes) != 1 or NOT_EVALUABLE in outcomes:
        return result
    (outcome,) = outcomes

    def common(lists: list[list[str]]) -> list[str]:
        return [item for item in lists[0] if all(item in other for other in lists[1:])]

    chimerism = {c.chimerism for c in cases}
    said = "not reported" if not graft_source else f"'{graft_source}' is not a graft source code"
    lead = f"graft source {said}: the outcome is {outcome} under every graft source ({', '.join(sources)})"
    return Classification(
        transplant_id=result.transplant_id,
        outcome=outcome,
        findings=common([c.findings for c in cases]),
        chimerism=chimerism.pop() if len(chimerism) == 1 else None,
        neutrophil_recovery_day=result.neutrophil_recovery_day,
        platelet_recovery_day=result.platelet_recovery_day,
        risk_factors=result.risk_factors,
        explanation=[lead, *common([c.explanation for c in cases])] if explain else [],
        classes=set.intersection(*(c.classes for c in cases)),
        derived=result.derived,
        infusion_date=result.infusion_date,
    )


def render_chunks(results: Iterable[Classification], format: str, batch: int = 10_000) -> Iterator[str]:
    """``results`` as ``csv`` or ``json`` (see :func:`to_csv`, :func:`to_json`), a chunk of text per
    ``batch`` of them, read as they come: the text of a million classifications is never held whole.
    The chunks joined are the text :func:`to_csv` or :func:`to_json` gives.

    Example:
        >>> rs = classify_records([TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=15)])
        >>> "".join(render_chunks(rs, "json")) == to_json(rs), "".join(render_chunks(rs, "csv")) == to_csv(rs)
        (True, True)
    """
    from itertools import islice

    items = iter(results)
    if format == "csv":
        from graftkg.findings import spreadsheet_csv

        yield spreadsheet_csv(_CSV_HEADER, [])
        while chunk := list(islice(items, batch)):
            yield spreadsheet_csv(_CSV_HEADER, (_csv_row(r) for r in chunk)).partition("\n")[2]
        return
    if format != "json":
        raise ValueError(f"no chunked rendering of format {format!r}")
    first = True
    while chunk := list(islice(items, batch)):
        text = ",\n".join(_indented(json.dumps(r.as_json(), indent=2, ensure_ascii=False)) for r in chunk)
        yield ("[\n" if first else ",\n") + text
        first = False
    yield "[]" if first else "\n]"


def _indented(text: str) -> str:
    """``text`` (an object as JSON) as an item of a JSON list written with ``indent=2``."""
    return "  " + text.replace("\n", "\n  ")


_CSV_HEADER = [
    "transplant_id",
    "outcome",
    "findings",
    "chimerism",
    "neutrophil_recovery_day",
    "platelet_recovery_day",
    "neutrophil_recovery_date",
    "platelet_recovery_date",
    "risk_factors",
    "explanation",
]


def _csv_row(r: Classification) -> list[object]:
    return [
        r.transplant_id,
        r.outcome,
        "; ".join(r.findings),
        r.chimerism,
        r.neutrophil_recovery_day,
        r.platelet_recovery_day,
        r.neutrophil_recovery_date,
        r.platelet_recovery_date,
        "; ".join(r.risk_factors),
        " | ".join(r.explanation),
    ]


def to_csv(results: Sequence[Classification]) -> str:
    """Render results as CSV for a spreadsheet: one row per transplant; lists joined by ``; ``, the
    explanation's sentences by `` | ``.

    Example:
        >>> rs = [TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=15)]
        >>> to_csv(classify_records(rs)).splitlines()[0]
        'transplant_id,outcome,findings,chimerism,neutrophil_recovery_day,platelet_recovery_day,neutrophil_recovery_date,platelet_recovery_date,risk_factors,explanation'
    """
    from graftkg.findings import spreadsheet_csv

    return spreadsheet_csv(_CSV_HEADER, (_csv_row(r) for r in results))


def to_json(results: Sequence[Classification]) -> str:
    """Render results as the JSON array of ``--format json``."""
    return json.dumps([r.as_json() for r in results], indent=2, ensure_ascii=False)


def _shown(text: str) -> str:
    """``text`` with control characters escaped (an identifier may hold a line break or a terminal escape)."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def to_table(results: Sequence[Classification]) -> str:
    """Render results as a plain-text table, one line per transplant; a recovery day is followed by
    its date where the infusion's date is known.

    Example:
        >>> from datetime import date
        >>> rs = [TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=15,
        ...                        infusion_date=date(2024, 2, 20))]
        >>> print(to_table(classify_records(rs)))
        transplant  outcome    findings  chimerism  ANC day          PLT day  risk factors
        T           engrafted  -         -          15 (2024-03-06)  -        -
    """
    rows = [("transplant", "outcome", "findings", "chimerism", "ANC day", "PLT day", "risk factors")]
    for r in results:
        rows.append(
            (
                _shown(r.transplant_id),
                r.outcome,
                ", ".join(r.findings) or "-",
                r.chimerism or "-",
                _day(r.neutrophil_recovery_day, r.neutrophil_recovery_date),
                _day(r.platelet_recovery_day, r.platelet_recovery_date),
                ", ".join(r.risk_factors) or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1] for row in rows
    )


def _day(day: int | None, when: str | None) -> str:
    return "-" if day is None else str(day) if when is None else f"{day} ({when})"


def to_turtle(records: Sequence[TransplantRecord], results: Sequence[Classification], profile: str) -> str:
    """Render the data, derived facts and inferred classes (with explanations) as Turtle."""
    return to_graph(records, results, profile).serialize(format="turtle")


def to_graph(records: Sequence[TransplantRecord], results: Sequence[Classification], profile: str) -> Graph:
    """The data, derived facts, inferred classes and explanations of classified ``records`` as a graph.

    Example:
        >>> rs = [TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=15)]
        >>> g = to_graph(rs, classify_records(rs), "paper")
        >>> (None, RDF.type, GK.Engrafted) in g
        True
    """
    graph = Graph()
    graph.bind("gk", GK)
    for record, result in zip(records, results, strict=True):
        tf = build_facts(record, result.derived, vocabulary(), observations=True)
        add_to_graph(graph, tf.facts)
        for cls in sorted(result.classes):
            graph.add((tf.node, RDF.type, cls))
        for sentence in result.explanation:
            graph.add((tf.node, GK.explanation, Literal(sentence, lang="en")))
        graph.add((tf.node, GK.definitionProfile, Literal(profile)))
    return graph
