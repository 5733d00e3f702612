"""validate = read a submission leniently -> classify -> check the SHACL shapes -> located findings.

The validated graph of a transplant is its submitted data plus what the definitions derive from it
(derived days, inferred classes): conformance, completeness, plausibility and chronology shapes read
the submitted data; the cross-check shapes compare what the centre reports with what the ontology's
definitions derive, and the submission-check classes of ``ontology/submission-checks.ttl`` carry the
rules that depend on the definitions (e.g. the engraftment window has closed).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

from rdflib import BNode, Graph, Literal, URIRef

from graftkg.errors import InputError
from graftkg.findings import SEVERITY_ORDER, Finding
from graftkg.model import TransplantRecord
from graftkg.parallel import ranges, run, worker_count
from graftkg.rdf import GK, ID, RDF, XSD, node_id, to_literal
from graftkg.readers.refusals import Refusals
from graftkg.readers.rules import content_problems
from graftkg.reporting.acknowledgements import Acknowledgement, Acknowledgements
from graftkg.semantics.classify import Classification, prepare, summarise
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.derive import derive
from graftkg.semantics.facts import TransplantFacts, add_lab_observations, add_to_graph, build_facts
from graftkg.semantics.ontology import DEFAULT_PROFILE
from graftkg.semantics.owlexpr import Facts, Item
from graftkg.semantics.vocabulary import vocabulary
from graftkg.validation.shacl import SH, Result, Shape, ShapeSet, evaluate, load_shapes

FORMATS = ("text", "json", "turtle", "csv", "fhir")
#: a finding of one validation range: its key (equal findings of two ranges are one), the finding,
#: and the SHACL result it reports (None for a finding no shape makes, see ``_content_findings``)
Checked = tuple[tuple[object, ...], Finding, Result | None]
#: the rule of a finding on a cell or row that could not be read (a number that is not one, an
#: unknown measure, a row naming no transplant of the submission); declared in the ontology
READABLE_INPUT = "ReadableInput"


@dataclass
class ValidationReport:
    """The findings of one validation run, with what was checked."""

    findings: list[Finding]
    results: list[Result] = field(repr=False, default_factory=list)
    transplants: int = 0
    profile: str = DEFAULT_PROFILE
    #: for each rule, the number of transplants it applies to (that have a node its shape targets):
    #: the denominator of the share of transplants failing it (see ``graftkg review``)
    applicable: dict[str, int] = field(repr=False, default_factory=dict)
    #: the acknowledgement of each acknowledged finding, by its index in ``findings`` (see :meth:`acknowledge`)
    acknowledged: dict[int, Acknowledgement] = field(repr=False, default_factory=dict)
    #: whether acknowledgements were given (the JSON then says of each finding whether it is acknowledged)
    reviewed: bool = field(repr=False, default=False)

    def conforms(self, fail_on: str = "violation") -> bool:
        """Whether no finding is at or above ``fail_on``, but those acknowledged.

        Example:
            >>> ValidationReport([]).conforms()
            True
        """
        return not any(f.at_least(fail_on) for k, f in enumerate(self.findings) if k not in self.acknowledged)

    def acknowledge(self, acks: Acknowledgements, refused: Collection[str] = ()) -> ValidationReport:
        """Mark the findings ``acks`` acknowledges (they no longer count against ``fail_on``), but those of
        the ``refused`` rules (see :func:`refused_rules`: they cannot be acknowledged); return self.

        Example:
            >>> from graftkg.reporting.acknowledgements import Acknowledgement
            >>> f = Finding("violation", "T1", "donor_type", None, "donor type missing", "DonorTypeRequired",
            ...             "completeness")
            >>> a = Acknowledgement("DonorTypeRequired", "T1", "donor_type", "", "not_collected", "", "me",
            ...                     "2026-12-06")
            >>> ValidationReport([f]).acknowledge(Acknowledgements([a])).conforms()
            True
        """
        self.reviewed = True
        self.acknowledged = {k: a for k, f in enumerate(self.findings) if (a := acks.match(f, refused)) is not None}
        return self

    def counts(self) -> dict[str, int]:
        """Findings by severity."""
        c = Counter(f.severity for f in self.findings)
        return {s: c.get(s, 0) for s in SEVERITY_ORDER}

    def render(self, format: str = "text", fail_on: str = "violation") -> str:
        """The report as ``graftkg validate --format`` prints it: a ``text`` summary, the findings as
        ``json`` or ``csv``, a ``turtle`` sh:ValidationReport, or a FHIR OperationOutcome (``fhir``);
        ``fail_on`` is the level the verdict is at (see the module-level :func:`render`).

        Example:
            >>> ValidationReport([], transplants=2).render().splitlines()[0]
            '2 transplants checked: 0 violations, 0 warnings, 0 info (conforms at level violation)'
        """
        return render(self, format, fail_on)


def refused_rules(shapes: ShapeSet) -> frozenset[str]:
    """The rules whose findings make ``classify`` refuse the record: the shapes marked
    ``gk:refusedOnReading``, and ``ReadableInput``. Their findings are corrected, never acknowledged.

    Example:
        >>> from graftkg.validation.shacl import load_shapes
        >>> rules = refused_rules(load_shapes())
        >>> "ChimerismPossible" in rules, "ReadableInput" in rules, "CD34DosePlausible" in rules
        (True, True, False)
    """
    return frozenset(_rule(s.iri) for s in shapes if s.refused_on_reading) | {READABLE_INPUT}


def validation_facts(record: TransplantRecord, result: Classification) -> TransplantFacts:
    """The facts the shapes see for one transplant: submitted data, derived facts, inferred classes."""
    tf = build_facts(record, result.derived, vocabulary(), observations=True)
    _add_types(tf.facts[tf.node][RDF.type], result.classes)
    return tf


def _add_types(types: list[Item], classes: set[URIRef]) -> None:
    """Add the inferred ``classes`` to a node's ``types``, in IRI order, each once."""
    present = set(types)
    types.extend(c for c in sorted(classes, key=str) if c not in present)


def transplant_index(records: Sequence[TransplantRecord]) -> dict[Item, dict[URIRef, list[Item]]]:
    """Facts that span partitions: each transplant node's own facts (for ``gk:priorTransplant`` paths)
    and each patient node's facts merged over all the patient's transplants (so that two transplants
    stating different sexes for one patient are found, as in the whole graph).

    Every node at once; validation asks a :class:`TransplantIndex` for the nodes it meets instead.

    Example:
        >>> index = transplant_index([TransplantRecord("T1", patient_id="P1", recipient_sex="F")])
        >>> [str(n).rsplit("/", 2)[1] for n in index]
        ['patient', 'transplant']
    """
    lazy = TransplantIndex(records)
    index: dict[Item, dict[URIRef, list[Item]]] = {}
    for pid, own in lazy.patients.items():
        index[node_id("patient", pid)] = _patient_props(pid, own)
    for r in records:
        index[node_id("transplant", r.transplant_id)] = _transplant_props(r)
    return index


class TransplantIndex:
    """The facts of :func:`transplant_index`, made for a node when it is first asked for.

    A worker validating a share of the transplants meets only the nodes its share reaches (its
    patients, and the transplants before its own), so it makes only those.

    Example:
        >>> index = TransplantIndex([TransplantRecord("T1", patient_id="P1"), TransplantRecord("T2", patient_id="P1")])
        >>> index.get(node_id("patient", "P1")) == transplant_index(index.records)[node_id("patient", "P1")]
        True
        >>> index.get(node_id("patient", "P2")) is None
        True
    """

    def __init__(self, records: Sequence[TransplantRecord]) -> None:
        self.records = records
        self.by_id: dict[str, TransplantRecord] = {}
        self.patients: dict[str, list[TransplantRecord]] = {}
        for r in records:
            self.by_id[r.transplant_id] = r
            if r.patient_id is not None:
                own = self.patients.get(r.patient_id)
                if own is None:
                    self.patients[r.patient_id] = [r]
                else:
                    own.append(r)
        self._made: dict[Item, dict[URIRef, list[Item]] | None] = {}

    def __reduce__(self) -> tuple[type[TransplantIndex], tuple[Sequence[TransplantRecord]]]:
        """Pickled as its records (a worker process started by ``spawn`` rebuilds the rest)."""
        return TransplantIndex, (self.records,)

    def get(self, node: Item) -> dict[URIRef, list[Item]] | None:
        """The facts of ``node`` if it is a transplant or patient node of these records, else None."""
        if node in self._made:
            return self._made[node]
        props: dict[URIRef, list[Item]] | None = None
        if isinstance(node, URIRef):
            if node.startswith(_TRANSPLANT_NODE):
                tid = unquote(node[len(_TRANSPLANT_NODE) :])
                r = self.by_id.get(tid)
                if r is not None and node_id("transplant", tid) == node:
                    props = _transplant_props(r)
            elif node.startswith(_PATIENT_NODE):
                pid = unquote(node[len(_PATIENT_NODE) :])
                own = self.patients.get(pid)
                if own is not None and node_id("patient", pid) == node:
                    props = _patient_props(pid, own)
        self._made[node] = props
        return props

    def lookup(self, node: Item) -> dict[URIRef, list[Item]]:
        """:meth:`get`, with no facts for a node outside the index (a :data:`~graftkg.validation.shacl.Lookup`)."""
        props = self.get(node)
        return _NO_FACTS if props is None else props


_TRANSPLANT_NODE = str(ID["transplant/"])
_PATIENT_NODE = str(ID["patient/"])
_NO_FACTS: dict[URIRef, list[Item]] = {}


def _patient_props(pid: str, records: list[TransplantRecord]) -> dict[URIRef, list[Item]]:
    """A patient node's facts: its values merged over all its transplants, in record order."""
    vocab = vocabulary()
    props: dict[URIRef, list[Item]] = {RDF.type: [GK.Patient], GK.identifier: [pid]}
    for r in records:
        for prop, column, value in (
            (GK.sex, "recipient_sex", r.recipient_sex),
            (GK.cmvSerostatus, "recipient_cmv", r.recipient_cmv),
        ):
            if value is not None:
                term = vocab.iri(column, value) or value
                if term not in props.setdefault(prop, []):
                    props[prop].append(term)
    return props


def _transplant_props(r: TransplantRecord) -> dict[URIRef, list[Item]]:
    """A transplant node's own facts, as a path from another transplant reads them (those the shapes'
    ``gk:priorTransplant`` paths reach: ``tests/test_validate.py`` checks each against pySHACL)."""
    props: dict[URIRef, list[Item]] = {RDF.type: [GK.Transplant], GK.identifier: [r.transplant_id]}
    if r.patient_id is not None:
        props[GK.recipient] = [node_id("patient", r.patient_id)]
    if r.transplant_number is not None:
        props[GK.transplantNumber] = [r.transplant_number]
    if r.infusion_date is not None:
        props[GK.infusionDate] = [r.infusion_date]
    return props


def check_partitions(
    partitions: Iterable[Facts],
    index: dict[Item, dict[URIRef, list[Item]]] | None = None,
    patients: frozenset[Item] | None = None,
    shapes: ShapeSet | None = None,
) -> list[tuple[int, Result]]:
    """Evaluate ``shapes`` (default: the shipped shapes, read here) on each partition (one transplant's
    facts); return (partition, result) pairs.

    A node shared by partitions (a patient with two transplants) is reported once. ``patients`` is
    :func:`patient_nodes` of ``index`` (found here when not given).

    Example:
        >>> results = check_partitions([{URIRef("urn:t"): {RDF.type: [GK.Transplant], GK.identifier: ["T"]}}])
        >>> sorted({r.shape.rsplit("/", 1)[1] for _, r in results if r.severity == "Violation"})[:2]
        ['ConditioningIntensityRequired', 'DonorTypeRequired']
    """
    known = index or {}
    if patients is None:
        patients = patient_nodes(known)
    return _check(partitions, known.get, patients, load_shapes() if shapes is None else shapes)


def _check(
    partitions: Iterable[Facts],
    known: Callable[[Item], dict[URIRef, list[Item]] | None],
    patients: frozenset[Item],
    shapes: ShapeSet,
    applicable: Counter[URIRef] | None = None,
) -> list[tuple[int, Result]]:
    """:func:`check_partitions`, where ``known`` gives the facts of a node outside the partitions (None
    for none) and ``patients`` the patient nodes among them. With ``applicable``, count in it, for each
    shape, the partitions with a node it targets."""
    out: list[tuple[int, Result]] = []
    seen: set[tuple[object, ...]] = set()

    def lookup(node: Item) -> dict[URIRef, list[Item]]:
        props = known(node)
        return _NO_FACTS if props is None else props

    for n, partition in enumerate(partitions):
        # nodes shared by partitions (patients) are checked with their facts merged over all partitions
        facts = partition
        shared = patients.intersection(partition)  # by the partition's few keys, not all patients
        if shared:
            facts = dict(partition)
            for node in shared:
                merged = known(node)
                if merged is not None and GK.Patient in partition[node].get(RDF.type, ()):  # type: ignore[index]
                    facts[node] = merged  # type: ignore[index]
        if applicable is not None:
            applicable.update(shapes.applicable(partition))
        for r in evaluate(shapes, facts, lookup):
            key = (r.focus, r.shape, r.component, _key_of(r.value))
            if key not in seen:
                seen.add(key)
                out.append((n, r))
    return out


def patient_nodes(index: dict[Item, dict[URIRef, list[Item]]]) -> frozenset[Item]:
    """The patient nodes of a :func:`transplant_index` (found once, for checking its partitions).

    Example:
        >>> patient_nodes(transplant_index([TransplantRecord("T1", patient_id="P1")]))
        frozenset({rdflib.term.URIRef('https://w3id.org/graftkg/id/patient/P1')})
    """
    return frozenset(node for node, props in index.items() if GK.Patient in props.get(RDF.type, ()))


def _key_of(value: Item | None) -> object:
    return None if value is None else (type(value).__name__ if not isinstance(value, (int, float)) else "num", value)


def validate_records(
    records: Sequence[TransplantRecord],
    *,
    profile: str = DEFAULT_PROFILE,
    definitions: Definitions | None = None,
    shapes: ShapeSet | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    unreadable: Iterable[tuple[str | None, InputError]] = (),
) -> ValidationReport:
    """Validate ``records`` (read with ``lenient=True``) against ``shapes``, under ``definitions``;
    the cells and rows the read could not read (``unreadable``, see :func:`read_leniently`) are the
    report's first findings.

    Without ``definitions``, those of ``profile`` are read for this call; without ``shapes``, the
    shipped shapes (an :class:`~graftkg.api.Engine` keeps both, and passes them). Records are
    classified and checked in ranges, on ``workers`` processes for large inputs (default: all cores
    above 5,000 records); each process returns only its findings.

    Example:
        >>> from graftkg.readers import read_inputs
        >>> report = validate_records(read_inputs(["examples/paper-patients/csv"], lenient=True))
        >>> report.conforms(), report.counts()["violation"]
        (True, 0)
    """
    rules = _Rules(definitions or Definitions(profile), load_shapes() if shapes is None else shapes)
    report = _validate(records, rules, workers, progress)
    report.findings[:0] = read_findings(unreadable)
    return report


def read_leniently(paths: Sequence[str | Path]) -> tuple[list[TransplantRecord], Refusals]:
    """The records at ``paths``, read as validation reads them (leniently: a cell that cannot be read
    is left out), and the refusals of the cells and rows that could not be read (``sorted()``: by
    transplant, in file order).

    Example:
        >>> records, refusals = read_leniently(["examples/invalid-submission"])
        >>> len(records), refusals.sorted()
        (8, [])
    """
    from graftkg.readers import read_inputs

    refusals = Refusals(keep_records=True)
    return read_inputs(paths, lenient=True, refusals=refusals), refusals


class _Rules(NamedTuple):
    """What a validation checks with: the definitions (which classify) and the shapes (which check).
    A named tuple: it pickles by value to spawned workers, compiled or not."""

    definitions: Definitions
    shapes: ShapeSet


def _validate(
    records: Sequence[TransplantRecord],
    rules: _Rules,
    workers: int | None,
    progress: Callable[[int, int], None] | None,
) -> ValidationReport:
    findings, results, applicable = _merge(_parts(records, rules, workers, progress))
    return ValidationReport(findings, results, len(records), rules.definitions.profile, applicable)


def _parts(
    records: Sequence[TransplantRecord],
    rules: _Rules,
    workers: int | None,
    progress: Callable[[int, int], None] | None,
) -> list[_Part]:
    """The parts of :func:`_validate`, each a range of ``records``, in order (see :func:`_merge`)."""
    workers = worker_count(len(records), workers)
    bounds = ranges(len(records), workers)
    state: _State = (TransplantIndex(records), records, rules)
    return list(_progressing(run(_validate_range, state, bounds, workers=workers), bounds, progress))


class _Part(NamedTuple):
    """What the check of one range of the records gives: its findings, and for each shape the number
    of its transplants the shape applies to."""

    checked: list[Checked]
    applicable: Counter[URIRef]


def _merge(parts: Iterable[_Part]) -> tuple[list[Finding], list[Result], dict[str, int]]:
    """The findings and SHACL results of the ranges' parts, each once; then each content problem a
    reader refuses (see :func:`_content_findings`) that no shape reports as a violation at its place.
    Last, by rule, the number of transplants each shape applies to."""
    unique: dict[tuple[object, ...], tuple[Finding, Result | None]] = {}
    problems: dict[tuple[object, ...], Finding] = {}
    applicable: Counter[URIRef] = Counter()
    for part, targeted in parts:
        applicable.update(targeted)
        for key, finding, result in part:
            if key[0] == _CONTENT:
                problems.setdefault(key, finding)
            else:
                unique.setdefault(key, (finding, result))
    findings = [f for f, _ in unique.values()]
    # a problem is reported when a violation names its place (transplant and file line), or, for a
    # shape's own limit, when that shape reports the transplant (SHACL gives one result per value)
    at_place = {(f.transplant_id, f.location) for f in findings if f.severity == "violation"}
    by_rule = {(f.transplant_id, f.rule) for f in findings if f.severity == "violation"}
    for key, finding in problems.items():
        rule = key[-1]
        if (finding.transplant_id, finding.location) in at_place or (finding.transplant_id, rule) in by_rule:
            continue
        findings.append(finding)
    applies = {_rule(iri): n for iri, n in sorted(applicable.items())}
    return findings, [r for _, r in unique.values() if r is not None], applies


def _rule(shape: URIRef) -> str:
    """The rule a finding of ``shape`` names: the shape's local name."""
    return str(shape).rsplit("/", 1)[-1]


#: what every range of a validation reads: the records' index, the records, the definitions and shapes
_State = tuple[TransplantIndex, Sequence[TransplantRecord], _Rules]


def _progressing(
    parts: Iterable[_Part],
    ranges: list[tuple[int, int]],
    progress: Callable[[int, int], None] | None,
) -> Iterator[_Part]:
    total = ranges[-1][1] if ranges else 0
    for (_, end), part in zip(ranges, parts, strict=True):
        if progress is not None:
            progress(end, total)
        yield part


def _validate_range(state: _State, bounds: tuple[int, int]) -> _Part:
    """Classify and check one range of the records (see :func:`graftkg.parallel.run`); findings out."""
    index_, all_records, rules = state
    start, end = bounds
    records = all_records[start:end]
    defs = rules.definitions
    fast = defs.fast_reasoner
    classifications: list[Classification] = []
    vocab = vocabulary()
    # the patient nodes of these partitions: each is checked with its facts merged over all its transplants
    patients = frozenset(node_id("patient", r.patient_id) for r in records if r.patient_id is not None)

    def partitions() -> Iterator[Facts]:
        # the facts are built once: classified without the lab counts (the definitions read only the
        # derived facts), then completed with the counts and the inferred classes for the shapes. One
        # transplant's facts at a time, checked and dropped: memory stays flat however long the range
        for record in records:
            derived = derive(record, defs)
            tf = build_facts(record, derived, vocab, observations=False)
            result = summarise(record, tf, derived, fast.classify(tf), defs, fast, explain=False)
            classifications.append(result)
            add_lab_observations(tf, record)
            _add_types(tf.facts[tf.node][RDF.type], result.classes)
            yield tf.facts

    shapes = {s.iri: s for s in rules.shapes}
    explained: dict[int, Classification] = {}
    out: list[Checked] = []
    applicable: Counter[URIRef] = Counter()
    for n, r in _check(partitions(), index_.get, patients, rules.shapes, applicable):
        shape = shapes[r.shape]
        result = classifications[n]
        if shape.category == "cross-check":  # explanations only where a cross-check reports
            if n not in explained:  # what classify_records([records[n]]) gives, with this range's reasoner
                [(tf, derived)] = prepare([records[n]], defs)
                explained[n] = summarise(records[n], tf, derived, fast.classify(tf), defs, fast, explain=True)
            result = explained[n]
        key = (r.focus, r.shape, r.component, _key_of(r.value))
        out.append((key, _finding(records[n], result, r, shape), r))
    return _Part(out + _content_findings(records), applicable)


#: the first element of the key of a content problem's candidate finding (see :func:`_merge`)
_CONTENT = "content"


def _content_findings(records: Sequence[TransplantRecord]) -> list[Checked]:
    """A candidate violation (rule ``ReadableInput``) for each content problem of ``records`` that the
    readers of classify and load refuse (:func:`~graftkg.readers.rules.content_problems`): whatever a
    reader refuses, validation reports. :func:`_merge` keeps those no shape reports at the same place,
    once every range is checked (a patient's shapes may report from another range)."""
    out: list[Checked] = []
    for record in records:
        for error in content_problems(record):
            [finding] = read_findings([(record.transplant_id, error)])
            key = (_CONTENT, record.transplant_id, finding.location, error.field, error.message, error.rule)
            out.append((key, finding, None))
    return out


def validate_paths(
    paths: Sequence[str | Path],
    *,
    profile: str = DEFAULT_PROFILE,
    definitions: Definitions | None = None,
    shapes: ShapeSet | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ValidationReport:
    """Read ``paths`` leniently and validate them (see :func:`validate_records`, which says what
    ``profile``, ``definitions`` and ``shapes`` are).

    A CSV bundle is read where it is checked: ``transplants.csv`` here, then each worker process reads
    the rows of ``observations.csv`` that belong to its share of the transplants and validates them, so
    reading runs in parallel too and the observations never gather in one process. The report is the
    one ``validate_records(read_inputs(paths, lenient=True))`` gives, and the first unusable row, by
    line, raises the same :class:`~graftkg.errors.InputError`.

    Example:
        >>> validate_paths(["examples/paper-patients/csv"]).transplants
        8
    """
    from graftkg.readers import bundle_files

    rules = _Rules(definitions or Definitions(profile), load_shapes() if shapes is None else shapes)
    files = bundle_files(paths)
    if files is None:
        return _read_and_validate(paths, rules, workers, progress)[2]
    return _validate_bundle(*files, rules=rules, workers=workers, progress=progress)


def read_and_validate(
    paths: Sequence[str | Path],
    *,
    definitions: Definitions,
    shapes: ShapeSet,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[TransplantRecord], Refusals, ValidationReport]:
    """Read ``paths`` leniently in this process and validate the records: the records, the cells and rows
    that could not be read, and the report (the one :func:`validate_paths` gives, for a CSV bundle too).

    Example:
        >>> from graftkg.validation.shacl import load_shapes
        >>> records, refusals, report = read_and_validate(["examples/invalid-submission"],
        ...                                               definitions=Definitions(), shapes=load_shapes())
        >>> len(records), report.transplants, bool(refusals), report.conforms()
        (8, 8, False, False)
    """
    records, refusals, report = _read_and_validate(paths, _Rules(definitions, shapes), workers, progress)
    return records, refusals, report


def _read_and_validate(
    paths: Sequence[str | Path], rules: _Rules, workers: int | None, progress: Callable[[int, int], None] | None
) -> tuple[list[TransplantRecord], Refusals, ValidationReport]:
    records, refusals = read_leniently(paths)
    report = _validate(records, rules, workers, progress)
    report.findings[:0] = read_findings(refusals.sorted())
    return records, refusals, report


def read_findings(errors: Iterable[tuple[str | None, InputError]]) -> list[Finding]:
    """The findings of the cells and rows a lenient read could not read (each a violation).

    Example:
        >>> error = InputError("'x' is not a number", path="o.csv", line=3, field="value")
        >>> [(f.rule, f.transplant_id, f.location) for f in read_findings([("T1", error)])]
        [('ReadableInput', 'T1', 'o.csv:3')]
    """
    out = []
    for tid, error in errors:
        where = error.path
        if where is not None and error.line is not None:
            where += f":{error.line}"
        out.append(
            Finding(
                severity="violation",
                transplant_id=tid,
                field=error.field or "",
                value=None,
                message=error.message,
                rule=READABLE_INPUT,
                category="conformance",
                location=where,
            )
        )
    return out


def _validate_bundle(
    transplants: Path,
    observations: Path,
    *,
    rules: _Rules,
    workers: int | None,
    progress: Callable[[int, int], None] | None,
) -> ValidationReport:
    from graftkg.readers.csv_bundle import read_observations, read_transplants

    refusals = Refusals(keep_records=True)
    by_id = read_transplants(transplants, observations, refusals=refusals)
    records = list(by_id.values())
    workers = max(1, min(worker_count(len(records), workers), len(records)))
    if workers == 1:
        read_observations(observations, by_id, refusals=refusals)
        report = _validate(records, rules, 1, progress)
        report.findings[:0] = read_findings(refusals.sorted())
        return report

    share = -(-len(records) // workers)
    shares = [(k * share, min((k + 1) * share, len(records))) for k in range(workers)]
    state = (TransplantIndex(records), records, rules, observations)  # the index's by_id: the records by id
    outcomes: list[_ShareOutcome] = []
    checked = 0
    for (start, end), outcome in zip(shares, run(_validate_share, state, shares, workers=workers), strict=True):
        outcomes.append(outcome)
        checked += end - start
        if progress is not None:
            progress(checked, len(records))
    fatal = [error for error, _, _ in outcomes if error is not None]
    if fatal:  # a file that cannot be read at all: the first error by line
        message, path, line, field_ = min(fatal, key=lambda e: e[2] or 0)
        raise InputError(message, path=path, line=line, field=field_)
    seen: set[tuple[str | None, tuple[str, str | None, int | None, str | None]]] = set()
    for _, unreadable_, _ in outcomes:
        for tid, error in unreadable_:
            if (tid, error) not in seen:  # a row naming no transplant is read by every worker: list it once
                seen.add((tid, error))
                message, path, line, field_ = error
                refusals.add(InputError(message, path=path, line=line, field=field_), tid)
    unreadable = read_findings(refusals.sorted())
    parts = [part for _, _, share_parts in outcomes for part in share_parts]
    findings, results, applicable = _merge(parts)
    return ValidationReport(unreadable + findings, results, len(records), rules.definitions.profile, applicable)


#: an :class:`InputError` as plain values (message, path, line, field), to cross a process boundary
_Error = tuple[str, str | None, int | None, str | None]
#: what one share of a bundle gives: the error that stopped its reading (or None), the cells and rows
#: it could not read (by transplant), and its ranges' findings
_ShareOutcome = tuple[_Error | None, list[tuple[str | None, _Error]], list[_Part]]


def _validate_share(
    state: tuple[TransplantIndex, Sequence[TransplantRecord], _Rules, Path], share: tuple[int, int]
) -> _ShareOutcome:
    """One worker's share of :func:`_validate_bundle`: read the rows of ``observations.csv`` that belong
    to its transplants, then validate them in ranges (see :func:`graftkg.parallel.run`)."""
    from graftkg.readers.csv_bundle import read_observations

    index_, records, rules, observations = state
    start, end = share
    owned = {r.transplant_id for r in records[start:end]}
    refusals = Refusals(keep_records=True)
    try:
        read_observations(observations, index_.by_id, owned=owned, refusals=refusals)
    except InputError as exc:
        return (exc.message, exc.path, exc.line, exc.field), [], []
    unreadable = [(tid, (e.message, e.path, e.line, e.field)) for tid, e in refusals.errors]
    size = max(1, -(-(end - start) // 8))
    sub: _State = (index_, records, rules)
    parts = [_validate_range(sub, (i, min(i + size, end))) for i in range(start, end, size)]
    return None, unreadable, parts


def validation_graph(records: Sequence[TransplantRecord], classifications: Sequence[Classification]) -> Graph:
    """The RDF graph the shapes are checked on: submitted data, derived facts and inferred classes.

    Example:
        >>> from graftkg.semantics.classify import classify_records
        >>> from graftkg.readers import read_inputs
        >>> rs = read_inputs(["examples/paper-patients/csv"], lenient=True)
        >>> (None, RDF.type, GK.ANCObservation) in validation_graph(rs, classify_records(rs))
        True
    """
    graph = Graph()
    for record, result in zip(records, classifications, strict=True):
        add_to_graph(graph, validation_facts(record, result).facts)
    return graph


# ----------------------------------------------------------------------------------- findings


def _observation_of(record: TransplantRecord, focus: Item) -> int | None:
    prefix = str(ID["observation/"])
    if isinstance(focus, URIRef) and str(focus).startswith(prefix):
        index = str(focus).rsplit("/", 1)[1]
        return int(index) if index.isdigit() else None
    return None


def _location(record: TransplantRecord, focus: Item, shape: Shape, value: Item | None = None) -> str | None:
    i = _observation_of(record, focus)
    if i is None and shape.path[:1] == (GK.observation,) and isinstance(value, int) and not isinstance(value, bool):
        # a value reached through the transplant's observations (a day after death): the first row with it
        i = next((k for k, o in enumerate(record.observations) if o.day == value and o.line is not None), None)
    if i is not None and i < len(record.observations):
        obs = record.observations[i]
        source = obs.source or record.source
        return f"{source}:{obs.line}" if obs.line is not None else source
    if record.source is None:
        return None
    return f"{record.source}:{record.line}" if record.line is not None else record.source


def _plain(value: Item | None) -> object:
    """A result's value as a finding states it: a code, a node's local name, a date as its CSV cell
    (ISO 8601), any other value as it is."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, URIRef):
        code = vocabulary().code(value)
        if code is not None:
            return code
        return str(value).rsplit("/", 1)[-1] if str(value).startswith(str(ID)) else str(value)
    return value


def _finding(record: TransplantRecord, result: Classification, r: Result, shape: Shape) -> Finding:
    location = _location(record, r.focus, shape, r.value)
    return finding_at(r, shape, record.transplant_id, location, record, result)


def finding_at(
    r: Result,
    shape: Shape,
    transplant_id: str,
    location: str | None,
    record: TransplantRecord | None,
    result: Classification | None,
) -> Finding:
    """The finding of SHACL result ``r`` of ``shape``, on transplant ``transplant_id`` at ``location``;
    a cross-check's message names what ``record`` reports and what its classification ``result`` gives
    (the other shapes' messages need neither)."""
    value = _plain(r.value)
    message = shape.message
    if shape.category == "cross-check":
        assert record is not None and result is not None
        message = _cross_check_message(record, result, shape, value)
    elif value is not None:
        shown = int(value) if isinstance(value, float) and value.is_integer() else value
        message = f"{message}: {shown!s}"
    return Finding(
        severity=r.severity.lower(),
        transplant_id=transplant_id,
        field=shape.column,
        value=value,  # type: ignore[arg-type]
        message=message,
        rule=_rule(shape.iri),
        category=shape.category,
        location=location,
    )


def _cross_check_message(record: TransplantRecord, result: Classification, shape: Shape, value: object) -> str:
    why = "; ".join(result.explanation)
    if "Outcome" in str(shape.iri):
        return (
            f"reported {record.reported_outcome}, but the definitions give {result.outcome} from the same record: {why}"
        )
    lineage = "neutrophil" if "Neutrophil" in str(shape.iri) else "platelet"
    reported = getattr(record, f"reported_{lineage}_recovery_day")
    if reported is None and getattr(record, f"reported_{lineage}_never"):
        reported = "never"
    derived = result.neutrophil_recovery_day if lineage == "neutrophil" else result.platelet_recovery_day
    series = "ANC" if lineage == "neutrophil" else "platelet"
    return (
        f"reported {lineage} recovery day {reported}, but the {series} series gives "
        f"{'no recovery' if derived is None else f'day {derived}'} by the counting rule"
    )


# ---------------------------------------------------------------------------------- rendering


def render(report: ValidationReport, fmt: str, fail_on: str = "violation") -> str:
    """Render ``report`` as a human ``text`` summary, a ``json`` list of findings, or a ``turtle`` sh:ValidationReport.

    Example:
        >>> print(render(ValidationReport([], transplants=2), "text").splitlines()[0])
        2 transplants checked: 0 violations, 0 warnings, 0 info (conforms at level violation)
    """
    if fmt == "json":
        if report.reviewed:
            acked = report.acknowledged
            return json.dumps(
                [
                    {**f.as_json(), "acknowledged": acked[k].as_json() if k in acked else None}
                    for k, f in enumerate(report.findings)
                ],
                indent=2,
                ensure_ascii=False,
            )
        return json.dumps([f.as_json() for f in report.findings], indent=2, ensure_ascii=False)
    if fmt == "fhir":
        from graftkg.reporting.fhir import operation_outcome

        return json.dumps(operation_outcome(report), indent=1, ensure_ascii=False)
    if fmt == "csv":
        from graftkg.findings import spreadsheet_csv

        columns = ["severity", "transplant_id", "field", "value", "message", "rule", "category", "location"]
        rows = ([getattr(f, c) for c in columns] for f in report.findings)
        return spreadsheet_csv(columns, rows).removesuffix("\n")
    if fmt == "turtle":
        return _turtle(report, fail_on)
    counts = report.counts()
    verdict = "conforms" if report.conforms(fail_on) else "does not conform"
    acked = report.acknowledged
    lines = [
        f"{report.transplants} transplants checked: {counts['violation']} violations, {counts['warning']} warnings, "
        f"{counts['info']} info"
        + (f", {len(acked)} of them acknowledged" if report.reviewed else "")
        + f" ({verdict} at level {fail_on})"
    ]
    by_transplant: dict[str, list[tuple[int, Finding]]] = {}
    order = sorted(
        enumerate(report.findings),
        key=lambda kf: (kf[1].transplant_id or "", SEVERITY_ORDER.index(kf[1].severity), kf[1].rule),
    )
    for k, f in order:
        by_transplant.setdefault(f.transplant_id or "(submission)", []).append((k, f))
    for tid, items in by_transplant.items():
        lines.append(f"\n{tid}")
        for k, f in items:
            where = f" [{f.location}]" if f.location else ""
            ack = f" (acknowledged: {acked[k].reason}, {acked[k].by}, {acked[k].date})" if k in acked else ""
            lines.append(f"  {f.severity:<9} {f.field}: {f.message} ({f.rule}){where}{ack}")
    return "\n".join(lines)


def _turtle(report: ValidationReport, fail_on: str) -> str:
    g = Graph()
    g.bind("sh", SH)
    g.bind("gk", GK)
    root = BNode()
    g.add((root, RDF.type, SH.ValidationReport))
    g.add((root, SH.conforms, Literal(report.conforms(fail_on))))
    for r in report.results:
        node = BNode()
        g.add((root, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.focusNode, r.focus if isinstance(r.focus, URIRef) else to_literal(r.focus)))
        g.add((node, SH.resultSeverity, SH[r.severity]))
        g.add((node, SH.sourceShape, r.shape))
        g.add((node, SH.sourceConstraintComponent, SH[r.component]))
        path = r.path
        g.add((node, SH.resultPath, path[0] if len(path) == 1 else _list(g, path)))
        if r.value is not None:
            g.add((node, SH.value, r.value if isinstance(r.value, URIRef) else to_literal(r.value)))
        g.add((node, SH.resultMessage, Literal(r.message, lang="en")))
    for f in report.findings:
        if f.rule != READABLE_INPUT:
            continue
        node = BNode()
        g.add((root, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        focus = node_id("transplant", f.transplant_id) if f.transplant_id else Literal(f.location or "")
        g.add((node, SH.focusNode, focus))
        g.add((node, SH.resultSeverity, SH.Violation))
        g.add((node, SH.sourceConstraintComponent, GK.ReadableInputConstraintComponent))
        where = f"{f.location}: " if f.location else ""
        g.add((node, SH.resultMessage, Literal(f"{where}field '{f.field}': {f.message}", lang="en")))
    g.add((root, GK.definitionProfile, Literal(report.profile, datatype=XSD.string)))
    return g.serialize(format="turtle")


def _list(g: Graph, items: tuple[URIRef, ...]) -> BNode:
    from rdflib.collection import Collection

    head = BNode()
    Collection(g, head, list(items))
    return head


__all__ = [
    "FORMATS",
    "TransplantIndex",
    "ValidationReport",
    "check_partitions",
    "patient_nodes",
    "read_and_validate",
    "refused_rules",
    "render",
    "transplant_index",
    "validate_paths",
    "validate_records",
    "validation_facts",
    "validation_graph",
]
