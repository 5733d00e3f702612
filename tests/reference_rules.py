"""A plain reference of the classification rules, written from docs/model.md's tables, for tests.

It is a test oracle, not a second product: short, readable, no speed tricks, no ontology reasoning.
It takes its numbers (thresholds, counts, windows) from the ontology through ``graftkg.semantics.definitions``,
as the numbers live once; the rules that combine them are written out here from the stated rules,
not from ``graftkg.semantics.derive`` or the class definitions. ``tests/test_reference.py`` holds
``graftkg classify`` to it on edge-heavy generated records.
"""

from __future__ import annotations

from dataclasses import dataclass

from graftkg.model import TransplantRecord
from graftkg.rdf import GK
from graftkg.semantics.definitions import Definitions

SOURCES = ("BM", "PB", "UCB")


@dataclass
class Reference:
    outcome: str
    neutrophil_recovery_day: int | None
    platelet_recovery_day: int | None
    chimerism: str | None
    autologous_reconstitution: bool
    late_neutrophil_recovery: bool
    #: every finding, by code (the two above among them)
    findings: frozenset[str] = frozenset()


def _test(defs: Definitions, datatype: str, value: float) -> bool:
    return bool(defs.compiler.datatype(GK[datatype]).test(value))


def _per_day(record: TransplantRecord, measure: str, pick: type[min] | type[max] = min) -> list[tuple[int, float]]:
    """One value a day (lowest, unless ``pick`` says otherwise), days after 0 only, in day order."""
    days: dict[int, list[float]] = {}
    for o in record.observations:
        if o.measure == measure and o.day is not None and o.value is not None and o.day > 0:
            days.setdefault(o.day, []).append(o.value)
    return [(d, pick(vs)) for d, vs in sorted(days.items())]


def _first_run(values: list[tuple[int, float]], start: int, ok, k: int, allowed=lambda day: True) -> int | None:
    for i in range(start, len(values) - k + 1):
        if all(ok(v) for _, v in values[i : i + k]) and allowed(values[i][0]):
            return i
    return None


def _recovery(values, ok, k, reported, never, end_day, allowed=lambda day: True):
    """(recovery day, not-before day, index of the run)."""
    if values:
        low = next((i for i, (_, v) in enumerate(values) if not ok(v)), None)
        start = 0
        if low is not None:  # the nadir: the lowest value of the first run below the threshold
            end = low
            while end < len(values) and not ok(values[end][1]):
                end += 1
            lowest = min(v for _, v in values[low:end])
            start = next(i for i in range(low, end) if values[i][1] == lowest) + 1
        idx = _first_run(values, start, ok, k, allowed)
        if idx is not None:
            return values[idx][0], None, idx
        tail = len(values)
        while tail > start and ok(values[tail - 1][1]):
            tail -= 1
        if tail < len(values) and len(values) - tail < k:
            return None, values[tail][0], None
        return None, values[-1][0] + 1, None
    if reported is not None:
        return reported, None, None
    if never and end_day is not None:
        return None, end_day + 1, None
    return None, None, None


def reference(record: TransplantRecord, defs: Definitions) -> Reference:
    """The outcome and derived days of ``record`` by the stated rules."""
    if record.graft_source not in defs.window_last_day:
        cases = [reference(_with_source(record, s), defs) for s in SOURCES]
        own = _one(record, defs, None)
        if len({c.outcome for c in cases}) == 1 and cases[0].outcome != "not_evaluable":
            return Reference(
                cases[0].outcome,
                own.neutrophil_recovery_day,
                own.platelet_recovery_day,
                own.chimerism if len({c.chimerism for c in cases}) == 1 else None,
                all(c.autologous_reconstitution for c in cases),
                all(c.late_neutrophil_recovery for c in cases),
                frozenset.intersection(*(c.findings for c in cases)),  # what holds under every source
            )
        return own
    return _one(record, defs, defs.window_last_day[record.graft_source])


def _with_source(record: TransplantRecord, source: str) -> TransplantRecord:
    from dataclasses import replace

    return replace(record, graft_source=source)


def _one(record: TransplantRecord, defs: Definitions, window: int | None) -> Reference:
    def anc_ok(v: float) -> bool:
        return _test(defs, "EngraftmentANC", v)

    def plt_ok(v: float) -> bool:
        return _test(defs, "PlateletRecoveryCount", v)

    ends = [d for d in (record.death_day, record.last_follow_up_day) if d is not None]
    end_day = min(ends) if ends else None
    anc = _per_day(record, "ANC")
    never_below = len(anc) >= 3 and all(anc_ok(v) for _, v in anc)  # "ANC never below 0.5": no day, no failure
    n_day, n_not_before, idx = (
        (None, None, None)
        if never_below
        else _recovery(
            anc, anc_ok, 3, record.reported_neutrophil_recovery_day, record.reported_neutrophil_never, end_day
        )
    )
    recovered = n_day is not None or never_below
    loss = again = False
    if idx is not None:
        lidx = _first_run(anc, idx + 3, lambda v: not anc_ok(v), 3)
        if lidx is not None:
            loss = True
            again = _first_run(anc, lidx + 3, anc_ok, 3) is not None
    transfusions = [o.day for o in record.observations if o.measure == "platelet_transfusion" and o.day is not None]
    free = defs.platelet_recovery.transfusion_free_days or 0
    p_day, _, _ = _recovery(
        _per_day(record, "PLT"),
        plt_ok,
        3,
        record.reported_platelet_recovery_day,
        record.reported_platelet_never,
        end_day,
        allowed=lambda day: not any(day - free < t <= day for t in transfusions),
    )
    assays = _per_day(record, "donor_chimerism_pct")
    latest = assays[-1][1] if assays else None
    peak = max(v for _, v in _per_day(record, "donor_chimerism_pct", max)) if assays else None
    by_window = None
    if assays and window is not None:
        within = [v for d, v in assays if d <= window]
        by_window = within[-1] if within else assays[0][1]

    def full(v: float | None) -> bool:
        return v is not None and _test(defs, "FullDonorChimerism", v)

    def lost(v: float | None) -> bool:
        return v is not None and _test(defs, "DonorChimerismLoss", v)

    cytopenic = None
    if window is not None:
        cyto = defs.severe_cytopenia
        counted = assessed = 0
        for measure, threshold in cyto.thresholds.items():
            values = [
                (d, v)
                for d, v in _per_day(record, measure)
                if (cyto.period is None or cyto.period.test(d)) and d > window
            ]
            if values:
                assessed += 1
                counted += _first_run(values, 0, threshold.test, cyto.consecutive) is not None
        cytopenic = counted if assessed else None

    ric = record.conditioning_intensity in ("RIC", "NMA")
    mac = record.conditioning_intensity == "MAC"
    known = window is not None
    by_w = known and ((n_day is not None and n_day <= window) or never_below)
    fail_by_w = known and (
        (n_day is not None and n_day > window) or (n_not_before is not None and n_not_before > window)
    )
    primary = (
        (fail_by_w and by_window is not None and not full(by_window))
        or (ric and lost(by_window))
        or (known and recovered and lost(peak))
    )
    secondary = (
        known
        and recovered
        and loss
        and not primary
        and (
            (mac and latest is not None and not full(latest))
            or (by_window is not None and not lost(by_window) and lost(latest))
        )
    )
    multi = cytopenic is not None and cytopenic >= 2
    poor = (multi or (fail_by_w and full(by_window))) and full(latest) and not primary and not secondary
    if primary:
        outcome = "primary_graft_failure"
    elif secondary:
        outcome = "secondary_graft_failure"
    elif poor:
        outcome = "poor_graft_function"
    elif by_w:
        outcome = "engrafted"
    else:
        outcome = "not_evaluable"
    status = None
    if latest is not None:
        status = "full_donor" if full(latest) else "donor_loss" if lost(latest) else "mixed"
    autologous = lost(latest) and ((primary and recovered) or (secondary and again))
    late = n_day is not None and fail_by_w
    findings = set()
    if autologous:
        findings.add("autologous_reconstitution")
    if late:
        findings.add("late_neutrophil_recovery")
    dsa = [v for v in [record.dsa_max_mfi] + [o.value for o in record.observations if o.measure == "dsa_mfi"] if v]
    if (primary or secondary) and any(_test(defs, "DSAPositiveMFI", v) for v in dsa):
        findings.add("graft_rejection")  # any DSA test, pre-transplant ones too: their antibodies reject
    if outcome == "poor_graft_function":
        prompt = by_w and p_day is not None  # both lineages recovered: the counts fell after it
        findings.add("secondary_poor_graft_function" if prompt else "primary_poor_graft_function")
    if outcome == "not_evaluable":  # its reasons: the data missing, else a course no definition covers
        if known and n_day is None and n_not_before is not None and n_not_before <= window:
            findings.add("window_not_reached")
        if fail_by_w and by_window is None:
            findings.add("chimerism_not_assessed")
        if n_day is None and n_not_before is None:
            findings.add("neutrophil_data_missing")
        if not known:
            findings.add("graft_source_missing")
        if not findings - {"late_neutrophil_recovery"}:
            findings.add("outside_definitions")
    return Reference(outcome, n_day, p_day, status, autologous, late, frozenset(findings))
