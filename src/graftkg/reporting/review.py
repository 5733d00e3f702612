"""review = a whole submission at once: every check with its failing transplants against a threshold,
the outcomes by centre and by definitions profile, the figures a reviewer looks at, the findings a
reviewer has acknowledged, and what changed since the centre's previous submission.

The findings are those of ``graftkg validate`` on the same input (the same function makes them);
the outcomes those of ``graftkg classify``, which refuses a transplant whose record has an unreadable
cell or a value no record can hold (shown here as ``refused``). A check's figures follow OHDSI's Data
Quality Dashboard: the transplants failing it over the transplants it applies to (those with a node
its shape targets), as a percentage, against its threshold (``gk:failureThreshold``, else its
severity's default, in ``shapes/``); the check fails when the percentage is above the threshold.
Acknowledged findings are shown as such and count neither against the check nor against ``--fail-on``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rdflib import URIRef

from graftkg.errors import GraftkgError, InputError
from graftkg.findings import SEVERITY_ORDER, Finding
from graftkg.model import TransplantRecord
from graftkg.rdf import GK, RDF, RDFS
from graftkg.readers.refusals import Refusals
from graftkg.readers.rules import content_problems
from graftkg.reporting.acknowledgements import Acknowledgement, Acknowledgements, finding_key
from graftkg.semantics.classify import Classification, classify_records
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.derive import daily_series
from graftkg.validation.shacl import ShapeSet
from graftkg.validation.validate import (
    READABLE_INPUT,
    ValidationReport,
    read_leniently,
    refused_rules,
    validate_records,
)

FORMATS = ("html", "json")
#: the outcome shown for a transplant that ``graftkg classify`` would refuse
REFUSED = "refused"
#: which per-transplant reports a dashboard links: every one, those a reviewer is likely to open, or none
REPORTS = ("all", "flagged", "none")
#: the outcomes that make a transplant worth a report of its own in a ``flagged`` dashboard
FLAGGED_OUTCOMES = ("primary_graft_failure", "secondary_graft_failure", "poor_graft_function")


@dataclass
class CheckResult:
    """One check of a submission: its failing transplants against the transplants it applies to."""

    rule: str
    name: str
    description: str
    category: str
    kahn_category: str
    kahn_subcategory: str
    severity: str
    source: str
    #: transplants with an open (not acknowledged) finding of the check
    failing: int
    #: transplants whose findings of the check are all acknowledged
    acknowledged: int
    #: transplants the check applies to (the denominator)
    applies_to: int
    #: ``failing`` as a percentage of ``applies_to`` (None when it applies to none)
    percent: float | None
    #: the percentage above which the check fails, and whether the shape states it (else its severity's)
    threshold: float
    own_threshold: bool
    #: ``pass``, ``fail``, or ``not applicable``
    status: str
    findings: int
    acknowledged_findings: int


@dataclass
class ReviewedFinding:
    """A finding of the submission, with its acknowledgement when a reviewer has given one."""

    finding: Finding
    acknowledgement: Acknowledgement | None = None

    def as_json(self) -> dict[str, Any]:
        """The finding as ``validate --format json`` gives it, with ``acknowledged`` (null or the acknowledgement)."""
        return {
            **self.finding.as_json(),
            "acknowledged": None if self.acknowledgement is None else self.acknowledgement.as_json(),
        }


@dataclass
class TransplantRow:
    """One transplant as the dashboard lists it."""

    transplant_id: str
    centre: str | None
    graft_source: str | None
    outcome: str
    open_findings: int
    report: str | None = None
    #: whether a reviewer should look at it: an open finding, refused, or graft failure / poor graft function
    flagged: bool = False


@dataclass
class Incidence:
    """A published incidence the review gives, beside the same share in the submission."""

    evidence: str
    label: str
    population: list[str]
    outcome: str
    published: float
    qualifier: str
    study: str
    transplants: int
    events: int
    percent: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass
class OutcomeChange:
    """A transplant of both submissions whose outcome changed, with both explanations."""

    transplant_id: str
    before: str
    after: str
    explanation_before: list[str]
    explanation_after: list[str]


@dataclass
class History:
    """What changed between two submissions of the same centre (``graftkg diff OLD NEW``)."""

    previous: str
    current: str
    new: list[Finding]
    resolved: list[Finding]
    still_open: list[Finding]
    outcome_changes: list[OutcomeChange]
    added: list[str]
    removed: list[str]

    def as_json(self) -> dict[str, Any]:
        """The changes as a JSON-ready dict."""
        return asdict(self)

    def render(self, format: str = "text") -> str:
        """The changes as ``graftkg diff --format`` prints them: ``text`` or ``json``.

        Example:
            >>> History("old", "new", [], [], [], [], ["T9"], []).render().splitlines()[1]
            'findings: 0 new, 0 resolved, 0 still open; outcomes changed: 0; transplants added: 1, removed: 0'
        """
        if format == "json":
            return json.dumps(self.as_json(), indent=2, ensure_ascii=False)
        if format != "text":
            raise GraftkgError(f"unknown format '{format}' (choose from: text, json)")
        lines = [
            f"{self.previous} -> {self.current}",
            f"findings: {len(self.new)} new, {len(self.resolved)} resolved, {len(self.still_open)} still open; "
            f"outcomes changed: {len(self.outcome_changes)}; transplants added: {len(self.added)}, "
            f"removed: {len(self.removed)}",
        ]
        for title, items in (("new", self.new), ("resolved", self.resolved)):
            if items:
                lines.append(f"\n{title} findings:")
                lines += [
                    f"  {f.transplant_id or '(row)'}  {f.severity:<9} {f.field}: {f.message} ({f.rule})" for f in items
                ]
        if self.outcome_changes:
            lines.append("\noutcomes changed:")
            for c in self.outcome_changes:
                lines.append(f"  {c.transplant_id}: {c.before} -> {c.after}")
                for when, why in (("before", c.explanation_before), ("now:  ", c.explanation_after)):
                    lines.append(f"    {when}: {'; '.join(why) or '(not classified: classify refuses the record)'}")
        for title, ids in (("added", self.added), ("removed", self.removed)):
            if ids:
                lines.append(f"\ntransplants {title}: {', '.join(ids)}")
        return "\n".join(lines)


@dataclass
class Review:
    """Everything ``graftkg review`` shows of a submission (``--format json`` writes it as is)."""

    submission: str
    profile: str
    graftkg_version: str
    ontology_version: str
    generated: str
    fail_on: str
    transplants: int
    refused: list[str]
    #: findings by severity: all of them, the open ones and the acknowledged ones
    counts: dict[str, dict[str, int]]
    findings_by_rule: dict[str, int]
    outcomes: dict[str, int]
    outcomes_by_profile: dict[str, dict[str, int]]
    #: the transplants with each finding beside the outcome (graft rejection, autologous reconstitution...),
    #: under this review's definitions and each other profile
    classification_findings: dict[str, dict[str, int]]
    centres: list[dict[str, Any]]
    checks: list[CheckResult]
    findings: list[ReviewedFinding]
    unmatched_acknowledgements: list[Acknowledgement]
    incidences: list[Incidence]
    not_compared: list[str]
    windows: dict[str, int]
    recovery: dict[str, dict[str, list[int]]]
    not_recovered: dict[str, dict[str, int]]
    chimerism: list[dict[str, Any]]
    transplant_rows: list[TransplantRow]
    history: History | None = None
    reports: str = "all"
    #: the findings on rows that name no transplant of the submission
    unattached_findings: int = 0
    #: the rules whose findings make ``classify`` refuse the record: corrected, never acknowledged
    unacknowledgeable: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def conforms(self) -> bool:
        """Whether no open (unacknowledged) finding is at or above ``fail_on``."""
        return not any(r.acknowledgement is None and r.finding.at_least(self.fail_on) for r in self.findings)

    def as_json(self) -> dict[str, Any]:
        """The review as a JSON-ready dict (without ``extra``, which holds what it was made from)."""
        doc = {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name not in ("extra", "findings")}
        doc["findings"] = [r.as_json() for r in self.findings]
        doc["conforms"] = self.conforms()
        return doc

    def render_json(self) -> str:
        """The review as ``graftkg review --format json`` writes it."""
        return json.dumps(self.as_json(), indent=1, ensure_ascii=False) + "\n"

    def write(self, outdir: str | Path, *, progress: Callable[[str], None] | None = None) -> list[Path]:
        """Write the dashboard to ``outdir`` (``index.html``, ``review.json``, ``open-findings.csv``,
        ``transplants.html`` and the linked transplants' reports in ``reports/``); return the files
        written. Only a review made by :func:`build_review` can write the reports it links.

        Example:
            >>> import tempfile
            >>> from graftkg.validation.shacl import load_shapes
            >>> defs, shapes = Definitions(), load_shapes()
            >>> review = build_review(read_submission(["examples/paper-patients/csv"], defs, shapes), defs, shapes)
            >>> [p.name for p in review.write(tempfile.mkdtemp())][:3]
            ['index.html', 'review.json', 'open-findings.csv']
        """
        from graftkg.reporting.dashboard import write_dashboard
        from graftkg.reporting.report import ReportBuilder, plot_thresholds, render_report

        submission: Submission | None = self.extra.get("submission")
        definitions: Definitions | None = self.extra.get("definitions")
        if submission is None or definitions is None:
            raise GraftkgError("this review holds no submission to write reports from: make it with build_review")
        by_id = {r.transplant_id: r for r in submission.records}
        builder = ReportBuilder(definitions)
        # the findings of each transplant not classified (refused), gathered in one pass
        unclassified = {tid for tid in by_id if tid not in submission.results}
        findings_of: dict[str | None, list[Finding]] = {}
        for f in submission.report.findings if unclassified else ():
            if f.transplant_id in unclassified:
                findings_of.setdefault(f.transplant_id, []).append(f)

        def page(tid: str) -> str:
            result = submission.results.get(tid)
            if result is None:
                return _refused_page(by_id[tid], findings_of.get(tid, []))
            return render_report(builder.report(by_id[tid], result), "html")

        reports = None if self.reports == "none" else page
        return write_dashboard(
            self, outdir, thresholds=plot_thresholds(definitions), reports=reports, progress=progress
        )


def _plain(value: Any) -> Any:
    """A field's value as JSON: dataclasses (in lists and dicts too) as dicts."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _refused_page(record: TransplantRecord, problems: Sequence[Finding]) -> str:
    """The page of a transplant ``classify`` refuses: why, with its findings (``problems``; no
    classification to report)."""
    from graftkg.reporting.svg import INTENDED_USE, PAGE_STYLE, esc

    items = "".join(
        f"<li>{esc(f.severity)}: <code>{esc(f.field)}</code> {esc(f.message)} <small>({esc(f.rule)}"
        f"{', ' + esc(f.location) if f.location else ''})</small></li>"
        for f in problems
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Transplant {esc(record.transplant_id)}'
        f"</title><style>{PAGE_STYLE}</style></head><body><h1>Transplant {esc(record.transplant_id)}</h1>"
        f'<p class="use"><strong>Intended use.</strong> {esc(INTENDED_USE)}</p>'
        "<p><strong>Not classified.</strong> <code>graftkg classify</code> refuses this record: a cell could not be "
        "read, or a value is one no record can hold. Correct these and submit again.</p>"
        f"<ul>{items}</ul></body></html>\n"
    )


@dataclass
class Submission:
    """A submission read leniently, validated and classified: what a review and a diff compare."""

    name: str
    records: list[TransplantRecord]
    report: ValidationReport
    #: the transplants ``classify`` would refuse (an unreadable cell, a value no record can hold)
    refused: set[str]
    #: the classification of each transplant not refused, by identifier
    results: dict[str, Classification]


#: what checks records read leniently against the shapes, with the cells and rows the read could not
#: read (``Refusals.sorted()``) as the first findings: the report ``graftkg validate`` gives
Validator = Callable[[list[TransplantRecord], list[tuple[str | None, InputError]]], ValidationReport]
#: what classifies records under one profile's definitions, as ``graftkg classify`` does
Classifier = Callable[[Sequence[TransplantRecord], Definitions], list[Classification]]


def read_submission(
    paths: Sequence[str | Path],
    definitions: Definitions,
    shapes: ShapeSet,
    *,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    validator: Validator | None = None,
    classifier: Classifier | None = None,
) -> Submission:
    """Read, validate and classify a submission (see :class:`Submission`): read leniently, then
    checked by ``validator`` and classified by ``classifier`` (default: on the record path, as
    :func:`~graftkg.validation.validate.read_and_validate` and
    :func:`~graftkg.semantics.classify.classify_records` do).

    Example:
        >>> from graftkg.validation.shacl import load_shapes
        >>> s = read_submission(["examples/invalid-submission"], Definitions(), load_shapes())
        >>> len(s.records), len(s.results) + len(s.refused) == len(s.records)
        (8, True)
    """
    say = progress or (lambda _: None)
    records, refusals = read_leniently(paths)
    if validator is None:
        report = validate_records(
            records, definitions=definitions, shapes=shapes, workers=workers, unreadable=refusals.sorted()
        )
    else:
        report = validator(records, refusals.sorted())
    say(f"validated {len(records):,} transplants: {sum(report.counts().values()):,} findings")
    refused = _refused(records, refusals)
    kept = [r for r in records if r.transplant_id not in refused]
    if classifier is None:
        results = classify_records(kept, definitions=definitions, workers=workers)
    else:
        results = classifier(kept, definitions)
    say(f"classified {len(kept):,} transplants ({len(refused):,} refused)")
    return Submission(
        _name(paths), records, report, refused, {r.transplant_id: c for r, c in zip(kept, results, strict=True)}
    )


def _name(paths: Sequence[str | Path]) -> str:
    return ", ".join(Path(p).name or str(p) for p in paths)


def _refused(records: Sequence[TransplantRecord], refusals: Refusals) -> set[str]:
    out = {tid for tid, _ in refusals.errors if tid}
    out.update(r.transplant_id for r in records if r.transplant_id not in out and next(content_problems(r), None))
    return out


def build_review(
    submission: Submission,
    definitions: Definitions,
    shapes: ShapeSet,
    *,
    acknowledgements: Acknowledgements | None = None,
    previous: Submission | None = None,
    fail_on: str = "violation",
    reports: str = "all",
    other_profiles: Iterable[Definitions] = (),
    classifier: Classifier | None = None,
) -> Review:
    """The review of ``submission`` (see the module's docstring): ``acknowledgements`` mark findings,
    ``previous`` (the centre's previous submission) gives the history, and the outcomes are counted
    under ``definitions`` and under each of ``other_profiles`` too (classified by ``classifier``;
    default: on the record path).

    Example:
        >>> from graftkg.validation.shacl import load_shapes
        >>> defs, shapes = Definitions(), load_shapes()
        >>> review = build_review(read_submission(["examples/invalid-submission"], defs, shapes), defs, shapes)
        >>> review.conforms(), review.counts["violation"]["open"] > 0
        (False, True)
        >>> sorted({c.status for c in review.checks})
        ['fail', 'not applicable', 'pass']
    """
    from graftkg import __version__
    from graftkg.reporting.report import ontology_version

    if fail_on not in SEVERITY_ORDER:
        raise GraftkgError(f"unknown --fail-on level '{fail_on}' (choose from: {', '.join(SEVERITY_ORDER)})")
    if reports not in REPORTS:
        raise GraftkgError(f"unknown --reports choice '{reports}' (choose from: {', '.join(REPORTS)})")
    acks = acknowledgements or Acknowledgements()
    refused = refused_rules(shapes)
    findings = [ReviewedFinding(f, acks.match(f, refused)) for f in submission.report.findings]
    records = submission.records
    outcome_of = {r.transplant_id: _outcome(submission, r.transplant_id) for r in records}
    open_by_tid = Counter(r.finding.transplant_id for r in findings if r.acknowledgement is None)
    rows = [
        TransplantRow(
            r.transplant_id, r.centre, r.graft_source, outcome_of[r.transplant_id], open_by_tid.get(r.transplant_id, 0)
        )
        for r in records
    ]
    for row in rows:
        row.flagged = _flagged(row)
        if reports == "all" or (reports == "flagged" and row.flagged):
            row.report = report_name(row.transplant_id)
    by_profile = {definitions.profile: Counter(outcome_of.values())}
    beside = {definitions.profile: _finding_counts(submission.results.values(), definitions)}
    kept = [r for r in records if r.transplant_id in submission.results]
    for other in other_profiles:
        if other.profile in by_profile:
            continue
        results = classify_records(kept, definitions=other) if classifier is None else classifier(kept, other)
        counts = Counter(c.outcome for c in results)
        counts[REFUSED] += len(submission.refused)
        by_profile[other.profile] = counts
        beside[other.profile] = _finding_counts(results, other)
    windows = dict(sorted(definitions.window_last_day.items()))
    recovery, not_recovered = _recovery(submission)
    review = Review(
        submission=submission.name,
        profile=definitions.profile,
        graftkg_version=__version__,
        ontology_version=ontology_version(definitions),
        generated=datetime.now(UTC).replace(microsecond=0).isoformat(),
        fail_on=fail_on,
        transplants=len(records),
        refused=sorted(submission.refused),
        counts=_counts(findings),
        findings_by_rule=dict(sorted(Counter(r.finding.rule for r in findings).items())),
        outcomes=_ordered(by_profile[definitions.profile], definitions),
        outcomes_by_profile={p: _ordered(c, definitions) for p, c in sorted(by_profile.items())},
        classification_findings=dict(sorted(beside.items())),
        centres=_centres(rows, findings),
        checks=_checks(submission, findings, shapes, definitions),
        findings=findings,
        unmatched_acknowledgements=acks.unmatched(submission.report.findings),
        incidences=_incidences(submission, definitions),
        not_compared=_not_compared(definitions),
        windows=windows,
        recovery=recovery,
        not_recovered=not_recovered,
        chimerism=_chimerism(submission),
        transplant_rows=rows,
        history=diff_submissions(previous, submission) if previous is not None else None,
        reports=reports,
        unattached_findings=sum(1 for r in findings if r.finding.transplant_id is None),
        unacknowledgeable=sorted(refused),
    )
    review.extra.update(submission=submission, definitions=definitions)  # what write() reports from
    return review


def report_name(transplant_id: str) -> str:
    """The file name of a transplant's report in a dashboard folder: letters, digits and ``-`` kept,
    any other character written ``_<hex>_`` (so two identifiers never share a name, and a name is
    never a path or a URL escape).

    Example:
        >>> report_name("P1-T1"), report_name("../x y"), report_name("a_b")
        ('reports/P1-T1.html', 'reports/_2e__2e__2f_x_20_y.html', 'reports/a_5f_b.html')
    """
    safe = "".join(ch if (ch.isascii() and ch.isalnum()) or ch == "-" else f"_{ord(ch):x}_" for ch in transplant_id)
    return f"reports/{safe}.html"


def _flagged(row: TransplantRow) -> bool:
    return row.open_findings > 0 or row.outcome in FLAGGED_OUTCOMES or row.outcome == REFUSED


def _outcome(submission: Submission, tid: str) -> str:
    result = submission.results.get(tid)
    return REFUSED if result is None else result.outcome


def _ordered(counts: Counter[str], definitions: Definitions) -> dict[str, int]:
    """Outcome counts in the ontology's order of outcomes, ``refused`` last, each outcome present."""
    order = [c.code for c in definitions.outcomes]
    out = {code: counts.get(code, 0) for code in order}
    out[REFUSED] = counts.get(REFUSED, 0)
    out.update({k: v for k, v in sorted(counts.items()) if k not in out})
    return out


def _finding_counts(results: Iterable[Classification], definitions: Definitions) -> dict[str, int]:
    """The transplants with each finding beside the outcome, in the ontology's order, each finding present."""
    counts = Counter(f for c in results for f in c.findings)
    return {f.code: counts.get(f.code, 0) for f in definitions.findings}


def _counts(findings: Sequence[ReviewedFinding]) -> dict[str, dict[str, int]]:
    out = {s: {"all": 0, "open": 0, "acknowledged": 0} for s in SEVERITY_ORDER}
    for r in findings:
        row = out[r.finding.severity]
        row["all"] += 1
        row["open" if r.acknowledgement is None else "acknowledged"] += 1
    return out


def _centres(rows: Sequence[TransplantRow], findings: Sequence[ReviewedFinding]) -> list[dict[str, Any]]:
    """Transplants, outcomes and open findings by severity for each centre (none when no record names one)."""
    if not any(row.centre for row in rows):
        return []
    centre_of = {row.transplant_id: row.centre or "(none)" for row in rows}
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        c = out.setdefault(
            row.centre or "(none)", {"transplants": 0, "outcomes": Counter(), **{s: 0 for s in SEVERITY_ORDER}}
        )
        c["transplants"] += 1
        c["outcomes"][row.outcome] += 1
    for r in findings:
        if r.acknowledgement is None and r.finding.transplant_id in centre_of:
            out[centre_of[r.finding.transplant_id]][r.finding.severity] += 1
    return [
        {"centre": name, **values, "outcomes": dict(sorted(values["outcomes"].items()))}
        for name, values in sorted(out.items())
    ]


def _checks(
    submission: Submission, findings: Sequence[ReviewedFinding], shapes: ShapeSet, definitions: Definitions
) -> list[CheckResult]:
    """One row per check: each shape, and the readable-input rule (which applies to every transplant)."""
    g = definitions.graph
    kahn = {}
    for node in g.subjects(RDF.type, GK.CheckCategory):
        kahn[str(g.value(node, GK.code))] = (
            str(g.value(node, GK.kahnCategory) or ""),
            str(g.value(node, GK.kahnSubcategory) or ""),
            int(str(g.value(node, GK.sortOrder) or 0)),
        )
    open_tids: dict[str, set[str]] = {}
    acked_tids: dict[str, set[str]] = {}
    open_n: Counter[str] = Counter()
    acked_n: Counter[str] = Counter()
    for r in findings:
        rule, tid = r.finding.rule, r.finding.transplant_id
        if r.acknowledgement is None:
            open_n[rule] += 1
            if tid:
                open_tids.setdefault(rule, set()).add(tid)
        else:
            acked_n[rule] += 1
            if tid:
                acked_tids.setdefault(rule, set()).add(tid)
    applicable = submission.report.applicable
    total = len(submission.records)
    entries = [
        (
            s.iri.rsplit("/", 1)[-1],
            s.name,
            s.description,
            s.category,
            s.severity.lower(),
            _source_label(g, s.source),
            applicable.get(s.iri.rsplit("/", 1)[-1], 0),
            s.failure_threshold,
            s.own_threshold,
        )
        for s in shapes
    ]
    entries.append(
        (
            READABLE_INPUT,
            "readable input",
            _label(g, GK.ReadableInputConstraintComponent) or "",
            "conformance",
            "violation",
            _source_label(g, GK.GraftkgDesign),
            total,
            shapes.default_thresholds["Violation"],
            False,
        )
    )
    out = []
    for rule, name, description, category, severity, source, applies, threshold, own in entries:
        failing = len(open_tids.get(rule, ()))
        acknowledged = len(acked_tids.get(rule, set()) - open_tids.get(rule, set()))
        percent = None if applies == 0 else 100.0 * failing / applies
        status = "not applicable" if percent is None else "pass" if percent <= threshold else "fail"
        k = kahn.get(category, ("", "", 99))
        out.append(
            CheckResult(
                rule,
                name,
                description,
                category,
                k[0],
                k[1],
                severity,
                source,
                failing,
                acknowledged,
                applies,
                percent,
                threshold,
                own,
                status,
                open_n[rule],
                acked_n[rule],
            )
        )
    order = {c: kahn.get(c, ("", "", 99))[2] for c in {row.category for row in out}}
    return sorted(out, key=lambda c: (c.status != "fail", SEVERITY_ORDER.index(c.severity), order[c.category], c.rule))


def _label(g: Any, node: Any) -> str:
    value = g.value(node, RDFS.label) if node is not None else None
    return "" if value is None else str(value)


def _source_label(g: Any, source: URIRef | None) -> str:
    return _label(g, source) or ("" if source is None else str(source).rsplit("/", 1)[-1])


def _recovery(submission: Submission) -> tuple[dict[str, dict[str, list[int]]], dict[str, dict[str, int]]]:
    """The derived recovery days by lineage and graft source, and how many reached none."""
    days: dict[str, dict[str, list[int]]] = {"neutrophil": {}, "platelet": {}}
    none: dict[str, dict[str, int]] = {"neutrophil": {}, "platelet": {}}
    for r in submission.records:
        c = submission.results.get(r.transplant_id)
        if c is None or c.outcome == "not_evaluable" or not r.graft_source:
            continue
        for lineage, day in (("neutrophil", c.neutrophil_recovery_day), ("platelet", c.platelet_recovery_day)):
            if day is None:
                none[lineage][r.graft_source] = none[lineage].get(r.graft_source, 0) + 1
            else:
                days[lineage].setdefault(r.graft_source, []).append(day)
    return (
        {k: {s: sorted(v) for s, v in sorted(d.items())} for k, d in days.items()},
        {k: dict(sorted(d.items())) for k, d in none.items()},
    )


#: at most this many failures' chimerism series are drawn (the JSON holds them all)
CHIMERISM_DRAWN = 200


def _chimerism(submission: Submission) -> list[dict[str, Any]]:
    """The donor chimerism series of each transplant classified as a graft failure."""
    out = []
    for r in submission.records:
        c = submission.results.get(r.transplant_id)
        if c is None or c.outcome not in ("primary_graft_failure", "secondary_graft_failure"):
            continue
        series = daily_series(r, "donor_chimerism_pct")
        if series:
            out.append({"transplant_id": r.transplant_id, "outcome": c.outcome, "series": series})
    return out


def _incidences(submission: Submission, definitions: Definitions) -> list[Incidence]:
    """Each published incidence with a population and outcome class, beside the submission's own share."""
    from graftkg.reporting.svg import wilson_interval

    kb = definitions.knowledge_base
    out = []
    for item in sorted(set(kb.subjects(GK.populationClass, None)), key=str):
        population = sorted((c for c in kb.objects(item, GK.populationClass) if isinstance(c, URIRef)), key=str)
        outcome = kb.value(item, GK.outcomeClass)
        estimate = kb.value(item, GK.estimate)
        if not isinstance(outcome, URIRef) or estimate is None:
            raise GraftkgError(f"evidence item {item} has a population class but no outcome class or estimate")
        members = [
            c
            for c in submission.results.values()
            if c.outcome != "not_evaluable" and all(p in c.classes for p in population)
        ]
        events = sum(1 for c in members if outcome in c.classes)
        low, high = wilson_interval(events, len(members))
        study = kb.value(item, GK.fromStudy)
        out.append(
            Incidence(
                evidence=str(kb.value(item, GK.code)),
                label=_label(kb, item),
                population=[_label(kb, p) for p in population],
                outcome=_label(kb, outcome),
                published=float(estimate),  # type: ignore[arg-type]
                qualifier=str(kb.value(item, GK.estimateQualifier) or ""),
                study=_label(kb, study),
                transplants=len(members),
                events=events,
                percent=100.0 * events / len(members) if members else None,
                ci_low=100.0 * low if members else None,
                ci_high=100.0 * high if members else None,
            )
        )
    return out


def _not_compared(definitions: Definitions) -> list[str]:
    """The review's incidences that name no population class: no share of a submission compares with them."""
    kb = definitions.knowledge_base
    items = set(kb.subjects(GK.statisticalMeasure, GK.IncidenceProportion))
    return sorted(_label(kb, i) for i in items if kb.value(i, GK.populationClass) is None)


def diff_submissions(previous: Submission, current: Submission) -> History:
    """What changed from ``previous`` to ``current``: findings new, resolved and still open (a finding is
    its rule, transplant, field and value: a changed value is a new finding), transplants whose outcome
    changed with both explanations, and transplants added or removed.

    Example:
        >>> from graftkg.validation.shacl import load_shapes
        >>> defs, shapes = Definitions(), load_shapes()
        >>> old = read_submission(["examples/invalid-submission"], defs, shapes)
        >>> new = read_submission(["examples/paper-patients/csv"], defs, shapes)
        >>> h = diff_submissions(old, new)
        >>> len(h.resolved) > 0, h.new
        (True, [])
    """
    before = {finding_key(f) for f in previous.report.findings}
    after = {finding_key(f) for f in current.report.findings}
    old_ids = {r.transplant_id for r in previous.records}
    new_ids = {r.transplant_id for r in current.records}
    changes = []
    for r in current.records:
        tid = r.transplant_id
        if tid not in old_ids:
            continue
        was, now = previous.results.get(tid), current.results.get(tid)
        a, b = (REFUSED if was is None else was.outcome), (REFUSED if now is None else now.outcome)
        if a != b:
            changes.append(
                OutcomeChange(tid, a, b, [] if was is None else was.explanation, [] if now is None else now.explanation)
            )
    return History(
        previous=previous.name,
        current=current.name,
        new=[f for f in current.report.findings if finding_key(f) not in before],
        resolved=[f for f in previous.report.findings if finding_key(f) not in after],
        still_open=[f for f in current.report.findings if finding_key(f) in before],
        outcome_changes=changes,
        added=sorted(new_ids - old_ids),
        removed=sorted(old_ids - new_ids),
    )


def acknowledge(
    submission: Submission,
    acks: Acknowledgements,
    refused: Collection[str],
    *,
    transplant_id: str,
    rule: str,
    reason: str,
    by: str,
    field: str | None = None,
    comment: str = "",
    on: str | None = None,
) -> tuple[Acknowledgements, list[Acknowledgement]]:
    """``acks`` with an acknowledgement of each finding of ``rule`` on ``transplant_id`` (and ``field``)
    in ``submission``, keyed on its current value; and the new ones. A finding of one of the ``refused``
    rules (:func:`~graftkg.validation.validate.refused_rules`) cannot be acknowledged: it is corrected.
    A rule with no such finding is an error.

    Example:
        >>> from graftkg.validation.shacl import load_shapes
        >>> s = read_submission(["examples/invalid-submission"], Definitions(), load_shapes())
        >>> f = next(f for f in s.report.findings if f.category == "completeness" and f.transplant_id)
        >>> acks, added = acknowledge(s, Acknowledgements(), refused_rules(load_shapes()),
        ...                           transplant_id=f.transplant_id, rule=f.rule,
        ...                           reason="not_collected", by="A. Reviewer", on="2026-12-06")
        >>> [a.rule for a in added] == [f.rule], len(acks)
        (True, 1)
    """
    from graftkg.reporting.acknowledgements import reason_codes

    codes = reason_codes()
    if reason not in codes:
        raise InputError(f"unknown reason code '{reason}' (choose from: {', '.join(codes)})", field="--reason")
    if not by.strip():
        raise InputError("empty: say who acknowledges", field="--by")
    day = on or datetime.now(UTC).date().isoformat()
    matching = [
        f
        for f in submission.report.findings
        if f.transplant_id == transplant_id and f.rule == rule and (field is None or f.field == field)
    ]
    if not matching:
        there = sorted(
            {f"{f.rule} ({f.field})" for f in submission.report.findings if f.transplant_id == transplant_id}
        )
        raise InputError(
            f"transplant '{transplant_id}' has no finding of rule '{rule}'"
            + (f" on field '{field}'" if field else "")
            + (f" (its findings: {', '.join(there)})" if there else " (it has no finding)"),
            field="--rule",
        )
    if rule in refused:
        raise InputError(
            f"rule '{rule}' makes classify refuse the record ({matching[0].message}): correct it instead",
            field="--rule",
        )
    added = [
        Acknowledgement(f.rule, transplant_id, f.field, finding_key(f)[3], reason, comment, by, day) for f in matching
    ]
    return acks.add(added), added


__all__ = [
    "FORMATS",
    "REFUSED",
    "REPORTS",
    "CheckResult",
    "Classifier",
    "History",
    "Incidence",
    "OutcomeChange",
    "Review",
    "ReviewedFinding",
    "Submission",
    "TransplantRow",
    "Validator",
    "acknowledge",
    "build_review",
    "diff_submissions",
    "read_submission",
    "report_name",
]
