"""report = one page on one transplant: classification and why, counts and chimerism by day, risk
factors, the recommendations that apply with the evidence behind each, and the contraindications checked.

The content comes from the classifier and from the named queries (``recommendations-for-transplant``,
``evidence-for-recommendation``, ``risk-factors-for-transplant``) run on the embedded store; the
thresholds drawn on the plot are read from the ontology.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from rdflib import Literal, URIRef

from graftkg.errors import InputError
from graftkg.model import RECORD_FIELDS, TransplantRecord
from graftkg.rdf import GK, OWL, RDF, RDFS, Value
from graftkg.reporting.svg import INTENDED_USE, PAGE_STYLE, TimeAxis, esc
from graftkg.semantics.classify import Classification, classify_records
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.derive import daily_series
from graftkg.semantics.ontology import DEFAULT_PROFILE
from graftkg.semantics.vocabulary import vocabulary
from graftkg.store.embedded import add_classified, knowledge_store
from graftkg.store.query import run_embedded

FORMATS = ("markdown", "html", "json")

#: Plotted measures: code -> (label, unit, the ontology datatype whose bound is drawn as a line).
PLOTTED: dict[str, tuple[str, str, URIRef]] = {
    "ANC": ("ANC", "x10^9/L", GK.EngraftmentANC),
    "PLT": ("platelets", "x10^9/L", GK.PlateletRecoveryCount),
    "donor_chimerism_pct": ("donor chimerism", "%", GK.FullDonorChimerism),
}


@dataclass
class Contraindication:
    """A contraindication of an applicable recommendation, checked against the transplant's data."""

    code: str
    label: str
    status: str  # recorded | not_recorded | check_clinically
    detail: str
    order: int = 0


@dataclass
class Recommendation:
    """An applicable recommendation with its evidence and checked contraindications."""

    code: str
    aspect: str
    aspect_label: str
    strength: str
    strength_label: str
    statement: str
    applies_because: str
    wording: str
    references: str
    evidence_for: list[dict[str, Value]] = field(default_factory=list)
    evidence_against: list[dict[str, Value]] = field(default_factory=list)
    contraindications: list[Contraindication] = field(default_factory=list)
    #: whether it is a key point, to lead with (see :func:`key_points`)
    key: bool = False


@dataclass
class Report:
    """Everything a report shows, before rendering (``--format json`` prints it as is)."""

    transplant_id: str
    profile: str
    classification: dict[str, Any]
    facts: dict[str, Any]
    series: dict[str, list[tuple[int, float]]]
    thresholds: dict[str, float]
    window_last_day: int | None
    risk_factors: list[dict[str, Value]]
    recommendations: list[Recommendation]
    contraindications: list[Contraindication] = field(default_factory=list)
    note: str | None = None
    #: what made it: the graftkg version, the ontology's version, and the day it was made
    graftkg_version: str = ""
    ontology_version: str = ""
    generated: str = ""
    #: the label of each fact shown (a field's label in the ontology), by the fact's key
    labels: dict[str, str] = field(default_factory=dict)
    #: each fact as shown: a code with its label, a list joined
    shown: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return asdict(self)

    def render(self, format: str = "markdown") -> str:
        """The report as ``graftkg report --format`` writes it: ``markdown``, ``html`` (with an SVG
        plot) or ``json`` (see :func:`render_report`).

        Example:
            >>> build_report(["examples/paper-patients/csv"], "P1-T1").render().startswith("# ")
            True
        """
        return render_report(self, format)


def build_report(
    paths: Sequence[str | Path],
    transplant_id: str,
    *,
    profile: str = DEFAULT_PROFILE,
    definitions: Definitions | None = None,
) -> Report:
    """Build the report of transplant ``transplant_id`` found in the submission at ``paths``, under
    ``definitions`` (without them, those of ``profile``, read for this call).

    Example:
        >>> r = build_report(["examples/paper-patients/csv"], "P1-T1")
        >>> r.classification["outcome"], r.window_last_day
        ('primary_graft_failure', 28)
        >>> [x.code for x in r.recommendations if x.aspect == "donor"][:2]
        ['different_donor', 'different_haploidentical_donor']
    """
    from graftkg.readers import read_inputs

    records = read_inputs(paths)
    record = next((r for r in records if r.transplant_id == transplant_id), None)
    if record is None:
        known = ", ".join(r.transplant_id for r in records[:10]) + (" ..." if len(records) > 10 else "")
        raise InputError(f"transplant '{transplant_id}' is not in the input (it has: {known})", field="--transplant")
    defs = definitions or Definitions(profile)
    results = classify_records(records, definitions=defs)
    result = next(c for r, c in zip(records, results, strict=True) if r.transplant_id == transplant_id)
    return ReportBuilder(defs).report(record, result)


#: what a named query reads of a transplant: the classes it is in that the query can match (those the
#: knowledge base names as a recommendation's situation, a contraindication's indicator or a risk
#: factor's class), and the risk factors its centre asserts. Transplants with equal signatures get
#: equal answers, but for their id
Signature = tuple[frozenset[URIRef], tuple[str, ...]]


_RISK_FACTORS = "risk-factors-for-transplant"


class ReportBuilder:
    """Builds the reports of many classified transplants of one submission, under one set of definitions.

    The named queries (``risk-factors-for-transplant``, ``recommendations-for-transplant``,
    ``evidence-for-recommendation``) read of a transplant only its classes and asserted risk factors,
    so they run once per distinct :data:`Signature`, on a store holding the knowledge base and one
    transplant of that signature, and once per recommendation; a submission of thousands of
    transplants meets a few hundred signatures. ``tests/test_report.py`` holds every report built
    this way equal to one built alone.

    Example:
        >>> from graftkg.readers import read_inputs
        >>> records = read_inputs(["examples/paper-patients/csv"])
        >>> builder = ReportBuilder(Definitions())
        >>> reports = [builder.report(r, c) for r, c in zip(records, classify_records(records), strict=True)]
        >>> [len(r.recommendations) for r in reports][:3], builder.queried < len(records)
        ([19, 0, 20], True)
    """

    def __init__(self, definitions: Definitions) -> None:
        from graftkg import __version__

        self.defs = definitions
        self.kb = definitions.knowledge_base
        self.store = knowledge_store(definitions=definitions)
        self.general = {str(self.kb.value(c, RDFS.label)) for c in GENERAL_SITUATIONS}
        self.version = __version__
        self.ontology_version = ontology_version(definitions)
        self.labels = field_labels(definitions)
        self.thresholds = plot_thresholds(definitions)
        #: the signatures whose answers were queried (the number of transplants added to the store)
        self.queried = 0
        self._answers: dict[tuple[str, Signature], tuple[str, list[dict[str, Value]]]] = {}
        kb = self.kb
        #: the classes each query matches a transplant's classes against
        self._read_by = {
            "recommendations-for-transplant": frozenset(
                {o for o in kb.objects(None, GK.applicableTo) if isinstance(o, URIRef)}
                | {o for o in kb.objects(None, GK.indicatedBy) if isinstance(o, URIRef)}
            ),
            _RISK_FACTORS: frozenset(s for s in kb.subjects(GK.riskFactor, None) if isinstance(s, URIRef)),
        }
        self._evidence: dict[str, list[dict[str, Value]]] = {}
        self._added: set[str] = set()
        #: the risk factors (codes) of each class that has some; and a risk factor's row, by its code and
        #: whether the centre asserts it (the query gives one row a factor: a transplant's rows are its
        #: factors' rows, in the query's order)
        self._factors_of = {
            cls: {str(kb.value(f, GK.code)) for f in kb.objects(cls, GK.riskFactor)}
            for cls in self._read_by[_RISK_FACTORS]
        }
        self._factor_rows: dict[tuple[str, bool], dict[str, Value]] = {}
        #: what the knowledge base states of each recommendation (by code), of the contraindications
        #: stated on each set of recommendations, and each fact's value as shown: read once
        self._stated: dict[str, _Stated] = {}
        self._stated_cis: dict[tuple[URIRef, ...], list[_StatedContraindication]] = {}
        self._shown_as: dict[tuple[str, str], str] = {}

    def _answered(self, query: str, record: TransplantRecord, result: Classification) -> list[dict[str, Value]]:
        """The rows of transplant query ``query`` for ``record``, with its own id: queried once per signature."""
        signature: Signature = (
            self._read_by[query] & result.classes,
            tuple(sorted(record.asserted_risk_factors)) if query == _RISK_FACTORS else (),
        )
        answer = self._answers.get((query, signature))
        if answer is None:
            tid = record.transplant_id
            if tid not in self._added:
                self.queried += 1
                graph = str(GK[f"graph/data/report/{self.queried}"])
                add_classified(self.store, [record], [result], self.defs.profile, graph)
                self._added.add(tid)
            answer = self._answers[query, signature] = (
                tid,
                run_embedded(self.store, query, {"transplant_id": tid}).rows,
            )
        queried_id, rows = answer
        own = record.transplant_id
        if queried_id == own:
            return rows
        return [{**row, "transplant_id": own} if "transplant_id" in row else row for row in rows]

    def _risk_factors(self, record: TransplantRecord, result: Classification) -> list[dict[str, Value]]:
        """The rows of ``risk-factors-for-transplant`` for ``record``: its factors' rows once each is known."""
        asserted = set(record.asserted_risk_factors)
        codes = sorted(
            {code for cls in self._read_by[_RISK_FACTORS] & result.classes for code in self._factors_of[cls]}
        )
        keys = [(code, code in asserted) for code in codes]
        if not all(k in self._factor_rows for k in keys):
            rows = self._answered(_RISK_FACTORS, record, result)
            for row in rows:
                self._factor_rows.setdefault((str(row["risk_factor"]), row["recognised"] == "asserted"), row)
            return rows
        own = record.transplant_id
        rows = [{**self._factor_rows[k], "transplant_id": own} for k in keys]
        return sorted(rows, key=lambda r: (str(r["group"]), str(r["risk_factor"])))

    def _evidence_for(self, code: str) -> list[dict[str, Value]]:
        rows = self._evidence.get(code)
        if rows is None:
            rows = self._evidence[code] = _unique(
                run_embedded(self.store, "evidence-for-recommendation", {"recommendation": code}).rows
            )
        return rows

    def _stated_of(self, code: str) -> _Stated:
        """What the knowledge base states of the recommendation ``code``, read once."""
        found = self._stated.get(code)
        if found is None:
            kb = self.kb
            iri = _by_code(kb, GK.Recommendation, code)
            found = self._stated[code] = _Stated(
                iri=iri,
                aspect_label=_label(kb, kb.value(iri, GK.aspect)),
                strength_label=_label(kb, kb.value(iri, GK.strength)),
                wording=str(kb.value(iri, GK.paperWording) or ""),
                references=str(kb.value(iri, GK.referenceNumber) or ""),
                parents=frozenset(p for p in kb.objects(iri, GK.refines) if isinstance(p, URIRef)),
            )
        return found

    def _contraindications_of(self, recs: Sequence[URIRef]) -> list[_StatedContraindication]:
        """The contraindications stated on ``recs``, read once per set of them."""
        key = tuple(recs)
        found = self._stated_cis.get(key)
        if found is None:
            found = self._stated_cis[key] = _stated_contraindications(self.kb, recs)
        return found

    def report(self, record: TransplantRecord, result: Classification) -> Report:
        """The report of ``record``, classified as ``result`` under these definitions."""
        defs = self.defs
        risk_factors = self._risk_factors(record, result)
        rows = self._answered("recommendations-for-transplant", record, result)
        recommendations = []
        parents: set[URIRef] = set()
        for row in rows:
            code = str(row["recommendation"])
            stated = self._stated_of(code)
            parents |= stated.parents
            evidence = self._evidence_for(code)
            recommendations.append(
                Recommendation(
                    code=code,
                    aspect=str(row["aspect"]),
                    aspect_label=stated.aspect_label,
                    strength=str(row["strength"]),
                    strength_label=stated.strength_label,
                    statement=str(row["statement"]),
                    applies_because=str(row["applies_because"]),
                    wording=stated.wording,
                    references=stated.references,
                    evidence_for=[e for e in evidence if e["direction"] == "supports"],
                    evidence_against=[e for e in evidence if e["direction"] == "disputes"],
                    contraindications=_checked(self._contraindications_of([stated.iri]), record, result),
                    key=str(row["strength"]) in ("preferred", "should_be_considered")
                    or any(s.strip() not in self.general for s in str(row["applies_because"]).split(";")),
                )
            )
        checked = {c.code: c for r in recommendations for c in r.contraindications}
        for c in _checked(self._contraindications_of(sorted(parents)), record, result):
            checked.setdefault(c.code, c)
        note = None
        if not recommendations:
            note = (
                "The source review's treatment recommendations concern graft failure; none applies to a transplant "
                f"classified {result.outcome.replace('_', ' ')}"
                + (
                    " (the review gives no treatment recommendation for poor graft function)."
                    if result.outcome == "poor_graft_function"
                    else "."
                )
            )
        facts = _facts(record)
        return Report(
            transplant_id=record.transplant_id,
            profile=defs.profile,
            classification=result.as_json(),
            facts=facts,
            series={m: daily_series(record, m) for m in PLOTTED},
            thresholds=dict(self.thresholds),
            window_last_day=defs.window_last_day.get(record.graft_source or ""),
            risk_factors=risk_factors,
            recommendations=recommendations,
            contraindications=sorted(checked.values(), key=lambda c: c.order),
            note=note,
            graftkg_version=self.version,
            ontology_version=self.ontology_version,
            generated=date.today().isoformat(),
            labels={k: self.labels.get(k, k) for k in facts},
            shown={k: self._shown(k, v) for k, v in facts.items()},
        )

    def _shown(self, name: str, value: Any) -> str:
        """A fact as a report shows it: each code with its label (``MUD`` -> ``matched unrelated donor (MUD)``)."""
        items = value if isinstance(value, list) else [value]
        return ", ".join(self._item_shown(name, item) for item in items)

    def _item_shown(self, name: str, item: Any) -> str:
        """One value of a fact as shown; a code's, read once."""
        from graftkg.semantics.vocabulary import FIELD_VALUE_SETS

        if not isinstance(item, str) or name not in FIELD_VALUE_SETS:
            return _fmt(item)
        found = self._shown_as.get((name, item))
        if found is None:
            iri = vocabulary().iri(name, item)
            label = self.defs.graph.value(iri, RDFS.label) if iri is not None else None
            found = f"{label} ({item})" if label is not None and str(label) != item else _fmt(item)
            if len(self._shown_as) < _MOST_SHOWN:
                self._shown_as[name, item] = found
        return found


def plot_thresholds(definitions: Definitions) -> dict[str, float]:
    """The bounds the plots draw, read from the ontology's named datatypes: engraftment ANC, platelet
    recovery count, full donor chimerism and donor chimerism loss.

    Example:
        >>> plot_thresholds(Definitions())["donor_chimerism_pct"]
        95.0
    """
    return {
        "ANC": definitions.bound(GK.EngraftmentANC),
        "PLT": definitions.bound(GK.PlateletRecoveryCount),
        "donor_chimerism_pct": definitions.bound(GK.FullDonorChimerism),
        "donor_chimerism_loss_pct": definitions.bound(GK.DonorChimerismLoss),
    }


def ontology_version(definitions: Definitions) -> str:
    """The ``owl:versionInfo`` of the ontology these definitions are read from.

    Example:
        >>> ontology_version(Definitions())
        '0.1.0'
    """
    for node in definitions.graph.subjects(RDF.type, OWL.Ontology):
        info = definitions.graph.value(node, OWL.versionInfo)
        if info is not None:
            return str(info)
    return ""


#: the first word of a field's name that its ontology label must name too, to tell whose value it is
_WHOSE = {"donor": "donor", "recipient": "recipient", "dsa": "DSA"}


def field_labels(definitions: Definitions) -> dict[str, str]:
    """A label for each record field, from its property's label in the ontology (with whose value it
    is, and its unit, where the label alone does not say).

    Example:
        >>> labels = field_labels(Definitions())
        >>> labels["donor_sex"], labels["cd34_dose_1e6_per_kg"], labels["patient_id"]
        ('donor sex', 'CD34+ cell dose (10^6/kg)', 'patient')
    """
    g = definitions.graph
    out = {}
    for f in RECORD_FIELDS:
        prop = GK[f.spec.prop]
        if f.spec.kind == "id":
            out[f.name] = "patient" if f.spec.entity == "patient" else "transplant"
            continue
        label = str(g.value(prop, RDFS.label) or f.name.replace("_", " "))
        whose = _WHOSE.get(f.name.split("_", 1)[0])
        if whose is not None and whose.lower() not in label.lower():
            label = f"{whose} {label}"
        unit = g.value(prop, GK.unit)
        if unit is not None:
            label += f" ({str(unit).replace('10*', '10^')})"
        elif f.name.endswith("_years") and "year" not in label:
            label += " (years)"
        out[f.name] = label
    return out


def _by_code(kb: Any, cls: URIRef, code: str) -> URIRef:
    for s in kb.subjects(GK.code, Literal(code)):
        if (s, None, cls) in kb:
            return s  # type: ignore[no-any-return]
    raise InputError(f"no {cls} with code '{code}' in the knowledge base")


def _label(kb: Any, iri: Any) -> str:
    label = kb.value(iri, RDFS.label) if iri is not None else None
    return str(label) if label is not None else ""


def _unique(rows: list[dict[str, Value]]) -> list[dict[str, Value]]:
    seen: set[tuple[Value | None, Value | None]] = set()
    out = []
    for row in rows:
        key = (row.get("direction"), row.get("evidence"))
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


@dataclass(frozen=True)
class _Stated:
    """What the knowledge base states of a recommendation: the same for every transplant."""

    iri: URIRef
    aspect_label: str
    strength_label: str
    wording: str
    references: str
    #: the recommendations it refines
    parents: frozenset[URIRef]


class _StatedContraindication(NamedTuple):
    """A contraindication as the knowledge base states it: its code, label, order and the class that
    indicates it in a submission (None: not part of one)."""

    code: str
    label: str
    order: int
    indicator: Any


#: the most codes :class:`ReportBuilder` keeps as shown (a code outside its value set is not one of a few)
_MOST_SHOWN = 4096


def _stated_contraindications(kb: Any, recs: Sequence[URIRef]) -> list[_StatedContraindication]:
    """The contraindications stated on ``recs`` (not inherited), in their order."""
    cis = {ci for r in recs for ci in kb.objects(r, GK.contraindication)}
    stated = [
        _StatedContraindication(
            str(kb.value(ci, GK.code)),
            _label(kb, ci),
            int(kb.value(ci, GK.sortOrder) or 0),
            kb.value(ci, GK.indicatedBy),
        )
        for ci in cis
    ]
    return sorted(stated, key=lambda c: c.order)


def _checked(
    stated: Sequence[_StatedContraindication], record: TransplantRecord, result: Classification
) -> list[Contraindication]:
    """The contraindications ``stated``, each checked against the data."""
    out = []
    for code, label, order, indicator in stated:
        if indicator is None:
            detail = "not part of a registry submission: check clinically"
            out.append(Contraindication(code, label, "check_clinically", detail, order))
        elif indicator in result.classes:
            out.append(Contraindication(code, label, "recorded", _evidence_of(code, record), order))
        else:
            out.append(Contraindication(code, label, "not_recorded", "none recorded in the submission", order))
    return out


def _evidence_of(code: str, record: TransplantRecord) -> str:
    if code == "uncontrolled_infection":
        found = [f"{o.code or 'infection'} on day {o.day}" for o in record.observations if o.measure == "infection"]
        return "recorded: " + ", ".join(found) + " - check that it is controlled"
    if code == "active_gvhd":
        found = [
            f"grade {int(o.value) if o.value is not None else '?'} on day {o.day}"
            for o in record.observations
            if o.measure == "gvhd"
        ]
        return "GvHD recorded: " + (", ".join(found) or "asserted by the centre") + " - check that it is controlled"
    return "recorded in the submission"


def _facts(record: TransplantRecord) -> dict[str, Any]:
    keys = (
        "patient_id",
        "infusion_date",
        "recipient_age_years",
        "diagnosis",
        "disease_status",
        "transplant_number",
        "prior_transplant_id",
        "donor_type",
        "donor_relation",
        "hla_match",
        "graft_source",
        "cd34_dose_1e6_per_kg",
        "conditioning_intensity",
        "conditioning_agents",
        "gvhd_prophylaxis",
        "dsa_max_mfi",
        "last_follow_up_day",
        "death_day",
        "relapse_day",
    )
    values = {k: getattr(record, k) for k in keys if getattr(record, k) not in (None, [], "")}
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


# --------------------------------------------------------------------------------------- rendering


def render_report(report: Report, fmt: str) -> str:
    """Render ``report`` as ``markdown``, ``html`` (with an SVG plot) or ``json``.

    Example:
        >>> r = build_report(["examples/paper-patients/csv"], "P4-T1")
        >>> "autologous reconstitution" in render_report(r, "markdown")
        True
    """
    if fmt == "json":
        return json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return _html(report)
    if fmt == "markdown":
        return _markdown(report)
    raise InputError(f"unknown report format '{fmt}' (choose from: {', '.join(FORMATS)})", field="--format")


def format_evidence(e: dict[str, Value]) -> str:
    """One line for an evidence item: the numbers, then the finding and its citation.

    Example:
        >>> format_evidence({"measure": "hazard_ratio", "unit": "1", "estimate": 2.9, "ci_lower": 1.07,
        ...                  "ci_upper": 7.92, "p_value": 0.037, "statement": "Same donor: worse survival.",
        ...                  "study": "Kongtim et al."})
        'hazard ratio 2.9 (95% CI 1.07-7.92), P = 0.037. Same donor: worse survival. [Kongtim et al.]'
        >>> format_evidence({"measure": "overall_survival", "unit": "%", "estimate_qualifier": "<", "estimate": 10,
        ...                  "statement": "Dismal.", "study": "ref [54]"})
        'overall survival < 10%. Dismal. [ref [54]]'
    """
    unit = {"%": "%", "mo": " months"}.get(str(e.get("unit", "")), "")
    measure = str(e.get("measure", "")).replace("_", " ")
    numbers = []
    if e.get("estimate") is not None:
        qualifier = f"{e['estimate_qualifier']} " if e.get("estimate_qualifier") else ""
        text = f"{measure} {qualifier}{e['estimate']}{unit}".strip()
        if e.get("comparator_estimate") is not None:
            text += f" vs {e['comparator_estimate']}{unit}"
        if e.get("range_low") is not None and e.get("range_high") is not None:
            text += f" (range {e['range_low']}-{e['range_high']})"
        numbers.append(text)
    elif e.get("range_low") is not None and e.get("range_high") is not None:
        numbers.append(f"{measure} {e['range_low']}-{e['range_high']}{unit}".strip())
    if e.get("events") is not None and e.get("group_size") is not None:
        counts = f"{e['events']}/{e['group_size']}"
        if e.get("comparator_events") is not None and e.get("comparator_group_size") is not None:
            counts += f" vs {e['comparator_events']}/{e['comparator_group_size']}"
        numbers.append(counts)
    if e.get("ci_lower") is not None and e.get("ci_upper") is not None:
        numbers[-1:] = [(numbers[-1] if numbers else measure) + f" (95% CI {e['ci_lower']}-{e['ci_upper']})"]
    if e.get("p_value") is not None:
        numbers.append(f"P = {e['p_value']}")
    if e.get("sample_size") is not None:
        numbers.append(f"n = {e['sample_size']}")
    ids = [f"doi:{e['doi']}" if e.get("doi") else "", f"PMID {e['pmid']}" if e.get("pmid") else ""]
    cite = "; ".join(x for x in [str(e.get("study", "")), *ids] if x)
    head = ", ".join(numbers)
    return (f"{head}. " if head else "") + f"{e.get('statement', '')} [{cite}]"


def _recovery(c: dict[str, Any], lineage: str) -> str:
    """A recovery day as the report shows it: the day, with its date where the infusion's is known."""
    day, when = c[f"{lineage}_recovery_day"], c.get(f"{lineage}_recovery_date")
    return "not reached" if day is None else f"{day} ({when})" if when else str(day)


def _outcome_line(report: Report) -> str:
    c = report.classification
    findings = ", ".join(f.replace("_", " ") for f in c["findings"]) or "none"
    return (
        f"**{c['outcome'].replace('_', ' ')}** (findings: {findings}; chimerism at the latest assay: "
        f"{(c['chimerism'] or 'not assessed').replace('_', ' ')}; neutrophil recovery day: "
        f"{_recovery(c, 'neutrophil')}; platelet recovery day: {_recovery(c, 'platelet')})"
    )


def _markdown(report: Report) -> str:
    lines = [f"# Transplant {report.transplant_id}", "", f"_{_made_by(report)}_", "", f"> {INTENDED_USE}", ""]
    lines += [f"- {report.labels.get(k, k)}: {report.shown.get(k, _fmt(v))}" for k, v in report.facts.items()]
    lines += ["", "## Classification", "", _outcome_line(report), "", "Why:", ""]
    lines += [f"- {s}" for s in report.classification["explanation"]]
    if report.contraindications:
        lines += ["", "## Contraindications checked", ""]
        lines += [f"- {c.label}: {c.detail}" for c in _by_urgency(report.contraindications)]
    key = key_points(report)
    if key:
        lines += ["", "## In short", ""]
        lines += [f"- {r.statement.split(':')[0].rstrip('.')} ({r.strength_label}; {r.applies_because})" for r in key]
    lines += ["", "## Counts and chimerism by day", "", "```", ascii_plot(report), "```", ""]
    lines += ["## Risk factors (Table 2)", ""]
    if report.risk_factors:
        lines += [f"- {r['label']} ({r['group']}, {r['recognised']})" for r in report.risk_factors]
    else:
        lines.append("- none recognised in the data")
    lines += ["", "## Recommendations", ""]
    if report.note:
        lines += [report.note, ""]
    aspect = None
    for rec in report.recommendations:
        if rec.aspect != aspect:
            aspect = rec.aspect
            lines += ["", f"### {rec.aspect_label[:1].upper() + rec.aspect_label[1:]}", ""]
        lines.append(f"- **{rec.statement}** _{rec.strength_label}_; applies because: {rec.applies_because}.")
        for e in rec.evidence_for:
            lines.append(f"  - for: {format_evidence(e)}")
        for e in rec.evidence_against:
            lines.append(f"  - against: {format_evidence(e)}")
        if rec.contraindications:
            lines.append("  - contraindicated by: " + "; ".join(c.label for c in rec.contraindications))
        if rec.wording:
            lines.append(f'  - the review: "{rec.wording}"' + (f" {rec.references}" if rec.references else ""))
    lines.append("")
    return "\n".join(lines)


def _made_by(report: Report) -> str:
    """The line that says what made a report, and when."""
    return (
        f"graftkg {report.graftkg_version}, ontology {report.ontology_version}, definitions {report.profile}; "
        f"made {report.generated}"
    )


#: contraindications in the order a reader must see them: those the data show first
_URGENCY = ("recorded", "check_clinically", "not_recorded")


def _by_urgency(items: Sequence[Contraindication]) -> list[Contraindication]:
    return sorted(items, key=lambda c: (_URGENCY.index(c.status) if c.status in _URGENCY else len(_URGENCY), c.order))


#: Situations every graft failure is in: recommendations for them are general, not specific to the case.
GENERAL_SITUATIONS = (GK.GraftFailure, GK.GraftFailureWithoutAutologousRecovery)


def key_points(report: Report) -> list[Recommendation]:
    """The recommendations to lead with (marked ``key`` when the report is built): those the review
    prefers or says to consider, and those specific to the transplant's situation (beyond graft
    failure in general).

    Example:
        >>> r = build_report(["examples/paper-patients/csv"], "P1-T1")
        >>> [k.code for k in key_points(r)][-3:]
        ['different_haploidentical_donor', 'immediately_available_donor', 'salvage_as_soon_as_possible']
    """
    return [r for r in report.recommendations if r.key]


def _fmt(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(map(str, v))
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def ascii_plot(report: Report, width: int = 64, height: int = 6) -> str:
    """A text plot of ANC, platelets and donor chimerism by day, thresholds and the window marked.

    Each panel puts a ``*`` per value, ``-`` on the threshold row and ``|`` at the last day of the
    engraftment window.
    """
    days = [d for s in report.series.values() for d, _ in s]
    if not days:
        return "(no laboratory series or chimerism assays in the data)"
    lo, hi = min(min(days), 0), max(max(days), report.window_last_day or 0)
    span = max(hi - lo, 1)
    out = []
    for code, (label, unit, _) in PLOTTED.items():
        series = report.series.get(code, [])
        threshold = report.thresholds[code]
        top = 100.0 if code == "donor_chimerism_pct" else max([v for _, v in series] + [threshold * 2])
        grid = [[" "] * (width + 1) for _ in range(height + 1)]
        t_row = height - round(threshold / top * height)
        for x in range(width + 1):
            grid[t_row][x] = "-"
        if report.window_last_day is not None:
            wx = round((report.window_last_day - lo) / span * width)
            for row in grid:
                row[wx] = "|"
        for d, v in series:
            grid[height - round(v / top * height)][round((d - lo) / span * width)] = "*"
        out.append(f"{label} ({unit}); - = {threshold:g}; | = day {report.window_last_day}; max {top:g}")
        out += ["  " + "".join(r) for r in grid]
        out.append("")
    out.append(f"  day {lo} .. {hi}")
    return "\n".join(out)


def svg_plot(report: Report, width: int = 760, panel: int = 120) -> str:
    """An SVG plot: one panel per measure, the threshold as a dashed line, the engraftment window
    shaded, each value a point (labelled where a panel has few). A long follow-up does not squeeze the
    first weeks: the time axis changes scale after them (:class:`~graftkg.reporting.svg.TimeAxis`).

    Example:
        >>> r = build_report(["examples/paper-patients/csv"], "P4-T1")
        >>> plot = svg_plot(r)
        >>> plot.count("<circle") == sum(len(s) for s in r.series.values()), "scale changes after day" in plot
        (True, True)
    """
    days = [d for s in report.series.values() for d, _ in s]
    left, right, gap, pad = 48, 24, 40, 8
    plot_w = width - left - right
    axis = TimeAxis.fit(days, focus=report.window_last_day, left=left, width=plot_w)
    height = len(PLOTTED) * (panel + gap) + 48
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="11" role="img" aria-label="ANC, platelets and donor chimerism by day">'
    ]
    for i, (code, (label, unit, _)) in enumerate(PLOTTED.items()):
        top_y = 24 + i * (panel + gap)
        series = report.series.get(code, [])
        threshold = report.thresholds[code]
        vmax = max([v for _, v in series] + [threshold * 2]) if code != "donor_chimerism_pct" else 100.0

        def y(v: float, top_y: int = top_y, vmax: float = vmax) -> float:
            return top_y + pad + (panel - 2 * pad) * (1 - v / vmax)

        parts.append(f'<g class="panel" data-measure="{esc(code)}">')
        if report.window_last_day is not None:
            parts.append(
                f'<rect x="{axis.x(axis.lo):.1f}" y="{top_y}" '
                f'width="{axis.x(report.window_last_day) - axis.x(axis.lo):.1f}" height="{panel}" fill="#eef3fb">'
                f"<title>engraftment window, to day {report.window_last_day}</title></rect>"
            )
        parts.append(f'<rect x="{left}" y="{top_y}" width="{plot_w}" height="{panel}" fill="none" stroke="#bbb"/>')
        parts.append(axis.break_marks(top_y, panel))
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
            f'stroke="#c0392b" stroke-dasharray="4 3"><title>threshold {threshold:g} {esc(unit)}</title></line>'
        )
        parts.append(
            f'<text x="{left + plot_w - 4}" y="{y(threshold) - 3:.1f}" text-anchor="end" fill="#c0392b">'
            f"{threshold:g}</text>"
        )
        if code == "donor_chimerism_pct":
            loss = report.thresholds["donor_chimerism_loss_pct"]
            parts.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y(loss):.1f}" y2="{y(loss):.1f}" stroke="#c0392b" '
                f'stroke-dasharray="1 3"><title>donor chimerism loss below {loss:g} %</title></line>'
            )
            parts.append(
                f'<text x="{left + plot_w - 4}" y="{y(loss) - 3:.1f}" text-anchor="end" fill="#c0392b">{loss:g}</text>'
            )
        parts.append(
            f'<text x="{left}" y="{top_y - 6}" font-weight="bold">{esc(label)} '
            f'<tspan font-weight="normal" fill="#555">({esc(unit)})</tspan></text>'
        )
        parts.append(f'<text x="{left - 4}" y="{y(vmax) + 4:.1f}" text-anchor="end" fill="#555">{vmax:g}</text>')
        parts.append(f'<text x="{left - 4}" y="{y(0) + 4:.1f}" text-anchor="end" fill="#555">0</text>')
        marker = {"ANC": "neutrophil_recovery_day", "PLT": "platelet_recovery_day"}.get(code)
        day = report.classification.get(marker) if marker else None
        if isinstance(day, int):
            parts.append(
                f'<line x1="{axis.x(day):.1f}" x2="{axis.x(day):.1f}" y1="{top_y}" y2="{top_y + panel}" '
                f'stroke="#1e8449" stroke-dasharray="2 2"><title>recovery day {day}</title></line>'
            )
            parts.append(f'<text x="{axis.x(day) + 3:.1f}" y="{top_y + 12}" fill="#1e8449">recovery day {day}</text>')
        if series:
            if len(series) > 1:
                points = " ".join(f"{axis.x(d):.1f},{y(v):.1f}" for d, v in series)
                parts.append(f'<polyline points="{points}" fill="none" stroke="#2c3e50" stroke-width="1.5"/>')
            few = len(series) <= 4
            for d, v in series:
                parts.append(
                    f'<circle cx="{axis.x(d):.1f}" cy="{y(v):.1f}" r="3.5" fill="#2c3e50" stroke="#fff" '
                    f'stroke-width="1"><title>day {d}: {v:g} {esc(unit)}</title></circle>'
                )
                if few:
                    parts.append(
                        f'<text x="{axis.x(d) + 6:.1f}" y="{y(v) - 6:.1f}" fill="#2c3e50">day {d}: {v:g}</text>'
                    )
        else:
            parts.append(f'<text x="{left + 8}" y="{top_y + panel / 2:.1f}" fill="#777">no data</text>')
        parts.append("</g>")
    axis_y = 24 + len(PLOTTED) * (panel + gap) - gap + 14
    window = f"; shaded: engraftment window, to day {report.window_last_day}" if report.window_last_day else ""
    parts.append(axis.svg(axis_y, f"day after infusion (dashed red: thresholds{window})"))
    parts.append("</svg>")
    return "\n".join(p for p in parts if p)


def _html(report: Report) -> str:
    e = esc
    c = report.classification
    rows = "".join(
        f"<tr><th>{e(report.labels.get(k, k))}</th><td>{e(report.shown.get(k, _fmt(v)))}</td></tr>"
        for k, v in report.facts.items()
    )
    key = key_points(report)
    parts = [
        "<!doctype html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>Transplant {e(report.transplant_id)}</title>',
        f"<style>{PAGE_STYLE}</style></head><body>",
        f"<h1>Transplant {e(report.transplant_id)}</h1>",
        f'<p class="meta">{e(_made_by(report))}</p>',
        f'<p class="use"><strong>Intended use.</strong> {e(INTENDED_USE)}</p>',
        f'<table class="facts">{rows}</table>',
        '<h2 id="classification">Classification</h2>',
        f"<p><strong>{e(c['outcome'].replace('_', ' '))}</strong>; findings: "
        f"{e(', '.join(f.replace('_', ' ') for f in c['findings']) or 'none')}; chimerism at the latest assay: "
        f"{e((c['chimerism'] or 'not assessed').replace('_', ' '))}; neutrophil recovery day: "
        f"{e(_recovery(c, 'neutrophil'))}; platelet recovery day: {e(_recovery(c, 'platelet'))}</p>",
        "<ul>" + "".join(f"<li>{e(s)}</li>" for s in c["explanation"]) + "</ul>",
    ]
    if report.contraindications:
        parts.append('<h2 id="contraindications">Contraindications checked</h2><ul>')
        parts += [
            f'<li class="ci-{e(ci.status.replace("_", "-"))}">{e(ci.label)}: {e(ci.detail)}</li>'
            for ci in _by_urgency(report.contraindications)
        ]
        parts.append("</ul>")
    if key:
        parts.append(
            '<h2 id="in-short">In short</h2><ul>'
            + "".join(f"<li>{e(r.statement)} <em>{e(r.strength_label)}</em></li>" for r in key)
            + "</ul>"
        )
    parts += [
        '<h2 id="plot">Counts and chimerism by day</h2>',
        f"<figure>{svg_plot(report)}</figure>",
        '<h2 id="risk-factors">Risk factors (Table 2)</h2><ul>'
        + (
            "".join(
                f"<li>{e(str(r['label']))} <small>({e(str(r['group']))}, {e(str(r['recognised']))})</small></li>"
                for r in report.risk_factors
            )
            or "<li>none recognised in the data</li>"
        )
        + "</ul>",
        '<h2 id="recommendations">Recommendations</h2>',
    ]
    if report.note:
        parts.append(f"<p>{e(report.note)}</p>")
    aspect = None
    for rec in report.recommendations:
        if rec.aspect != aspect:
            if aspect is not None:
                parts.append("</ul>")
            aspect = rec.aspect
            parts.append(f"<h3>{e(rec.aspect_label[:1].upper() + rec.aspect_label[1:])}</h3><ul>")
        items = [f'<li class="for">for: {e(format_evidence(x))}</li>' for x in rec.evidence_for]
        items += [f'<li class="against">against: {e(format_evidence(x))}</li>' for x in rec.evidence_against]
        if rec.contraindications:
            items.append("<li>contraindicated by: " + e("; ".join(ci.label for ci in rec.contraindications)) + "</li>")
        parts.append(
            f"<li><strong>{e(rec.statement)}</strong> <em>{e(rec.strength_label)}</em>; applies because: "
            f"{e(rec.applies_because)}.<ul>{''.join(items)}</ul>"
            + (f"<small>The review: &ldquo;{e(rec.wording)}&rdquo; {e(rec.references)}</small>" if rec.wording else "")
            + "</li>"
        )
    if aspect is not None:
        parts.append("</ul>")
    parts.append(f'<footer><p class="meta">{e(_made_by(report))}. {e(INTENDED_USE)}</p></footer>')
    parts.append("</body></html>\n")
    return "\n".join(parts)
