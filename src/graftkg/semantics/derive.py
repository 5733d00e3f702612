"""Deriving closed facts from raw laboratory series, by the registry counting rules of the ontology.

OWL cannot count runs of consecutive values, so this step does: it turns a record's series into the
derived properties the ontology's definitions are written over (recovery days, the earliest day a
recovery could still begin, graft function loss, chimerism by the window and at the latest assay,
severely cytopenic lineages, the highest donor-specific antibody MFI). Every threshold, count and
window comes from :mod:`graftkg.semantics.definitions`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from graftkg.model import Observation, TransplantRecord
from graftkg.semantics.definitions import CountingRule, Definitions

Series = list[tuple[int, float]]


@dataclass(slots=True)
class Derived:
    """The derived facts of one transplant; None means "cannot be derived" (stated as max 0 in OWL)."""

    neutrophil_recovery_day: int | None = None
    neutrophil_recovery_not_before_day: int | None = None
    neutrophils_never_below: bool | None = None
    platelet_recovery_day: int | None = None
    platelet_recovery_not_before_day: int | None = None
    graft_function_loss_day: int | None = None
    neutrophil_recovery_after_loss_day: int | None = None
    window_donor_chimerism_pct: float | None = None
    latest_donor_chimerism_pct: float | None = None
    peak_donor_chimerism_pct: float | None = None
    severe_cytopenia_lineage_count: int | None = None
    highest_dsa_mfi: float | None = None
    derived_neutrophil_day: int | None = None
    derived_platelet_day: int | None = None


def daily_series(record: TransplantRecord, measure: str, *, pick: Callable[[Sequence[float]], float] = min) -> Series:
    """One value per day for ``measure`` (the lowest of the day by default), sorted by day.

    Example:
        >>> from graftkg.model import Observation
        >>> r = TransplantRecord("T", observations=[Observation(2, "ANC", 0.4), Observation(1, "ANC", 0.1),
        ...                                         Observation(2, "ANC", 0.3)])
        >>> daily_series(r, "ANC")
        [(1, 0.1), (2, 0.3)]
    """
    return _daily([o for o in record.observations if o.measure == measure], pick)


def _daily(observations: Sequence[Observation], pick: Callable[[Sequence[float]], float] = min) -> Series:
    """One value per day of ``observations`` (all of one measure), by ``pick``, sorted by day."""
    series = [(obs.day, obs.value) for obs in observations if obs.day is not None and obs.value is not None]
    days = [day for day, _ in series]
    if days == sorted(set(days)):  # the usual series: one value a day, in order (pick of one value is itself)
        return series
    by_day: dict[int, list[float]] = {}
    for day, value in series:
        by_day.setdefault(day, []).append(value)
    return [(day, pick(values)) for day, values in sorted(by_day.items())]


def _after_infusion(series: Series) -> Series:
    """The values of ``series`` after day 0, the day of the infusion.

    Values on or before day 0 are the recipient's own, before the graft: they define no nadir, no
    recovery run, no loss and no chimerism fact (CIBMTR counts ANC recovery from the post-HCT nadir).

    Example:
        >>> _after_infusion([(-5, 0.0), (0, 1.0), (1, 0.3)])
        [(1, 0.3)]
    """
    return series if not series or series[0][0] > 0 else [(day, value) for day, value in series if day > 0]


def window_assay(assays: Series, last_day: int) -> float:
    """Donor chimerism by the engraftment window: the latest assay on or before ``last_day``, else the first after it.

    ``assays`` holds one value a day (the lowest of that day), sorted by day. The latest assay by the
    window, not the highest, says whether the graft is there when the window closes: a graft at 96 %
    on day 14 and 40 % on day 27 is falling, not engrafted.

    Example:
        >>> window_assay([(14, 96.0), (27, 40.0), (35, 97.0)], 28), window_assay([(35, 97.0), (60, 99.0)], 28)
        (40.0, 97.0)
    """
    within = [value for day, value in assays if day <= last_day]
    return within[-1] if within else assays[0][1]


def _by_measure(record: TransplantRecord) -> dict[str, list[Observation]]:
    """The observations of ``record`` by measure, in their order (one pass instead of one per series)."""
    out: dict[str, list[Observation]] = {}
    for obs in record.observations:
        out.setdefault(obs.measure, []).append(obs)
    return out


def nadir_index(series: Series, recovered: Callable[[float], bool]) -> int:
    """Index from which values count: just after the lowest value of the first run below the threshold.

    Values before the first fall below the threshold are residual pre-transplant counts and never count.
    When the series never falls below the threshold, every value counts (index 0).

    Example:
        >>> nadir_index([(0, 1.2), (2, 0.3), (4, 0.0), (6, 0.1), (8, 0.7)], lambda v: v >= 0.5)
        3
    """
    first_low = next((i for i, (_, v) in enumerate(series) if not recovered(v)), None)
    if first_low is None:
        return 0
    end = first_low
    while end < len(series) and not recovered(series[end][1]):
        end += 1
    low_run = series[first_low:end]
    lowest = min(v for _, v in low_run)
    return first_low + next(i for i, (_, v) in enumerate(low_run) if v == lowest) + 1


def first_run(
    series: Series,
    start: int,
    ok: Callable[[float], bool],
    k: int,
    *,
    allowed_start: Callable[[int], bool] = lambda day: True,
) -> tuple[int | None, int | None]:
    """Find the first run of ``k`` consecutive values satisfying ``ok`` from index ``start``.

    Returns ``(index of the run's first value, None)`` when found; otherwise ``(None, not_before_day)``
    where ``not_before_day`` is the earliest day such a run could still begin: the start of a trailing
    run that is still too short, or the day after the last value.

    Example:
        >>> s = [(10, 0.1), (12, 0.6), (13, 0.7), (15, 0.9)]
        >>> first_run(s, 0, lambda v: v >= 0.5, 3)
        (1, None)
        >>> first_run(s[:3], 0, lambda v: v >= 0.5, 3)
        (None, 12)
    """
    if k < 1:
        raise ValueError(f"a run needs at least one value (k={k})")
    n = len(series)
    run = 0  # how many values in a row satisfy ok, up to index j; a run of k ends at j
    for j in range(start, n):
        if not ok(series[j][1]):
            run = 0
            continue
        run += 1
        if run >= k and allowed_start(series[j - k + 1][0]):  # the run of k ending at j, by its first day
            return j - k + 1, None
    if start >= n:
        return None, (series[-1][0] + 1 if series else None)
    tail = n
    while tail > start and ok(series[tail - 1][1]):
        tail -= 1
    if tail < n and n - tail < k:
        return None, series[tail][0]
    return None, series[-1][0] + 1


def _end_of_data_day(record: TransplantRecord) -> int | None:
    ends = [d for d in (record.death_day, record.last_follow_up_day) if d is not None]
    return min(ends) + 1 if ends else None


def _recovery(
    record: TransplantRecord,
    series: Series,
    rule: CountingRule,
    reported_day: int | None,
    never: bool,
    allowed_start: Callable[[int], bool] = lambda day: True,
) -> tuple[int | None, int | None, int | None, int | None]:
    """(recovery day, not-before day, index of the recovery run, derived day) for one lineage."""
    ok = rule.threshold.test
    if series:
        idx, not_before = first_run(series, nadir_index(series, ok), ok, rule.consecutive, allowed_start=allowed_start)
        if idx is not None:
            return series[idx][0], None, idx, series[idx][0]
        return None, not_before, None, None
    if reported_day is not None:
        return reported_day, None, None, None
    if never:
        return None, _end_of_data_day(record), None, None
    return None, None, None, None


def derive(record: TransplantRecord, defs: Definitions) -> Derived:
    """Derive the closed facts of ``record`` under the definitions ``defs``.

    Example:
        >>> from graftkg.semantics.definitions import Definitions
        >>> from graftkg.model import Observation
        >>> obs = [Observation(d, "ANC", v) for d, v in [(1, 0.2), (5, 0.0), (12, 0.6), (13, 0.8), (14, 1.1)]]
        >>> derive(TransplantRecord("T", graft_source="PB", observations=obs), Definitions()).neutrophil_recovery_day
        12
    """
    out = Derived()
    nrule, prule = defs.neutrophil_recovery, defs.platelet_recovery
    measured = _by_measure(record)
    none: list[Observation] = []

    anc = _after_infusion(_daily(measured.get("ANC", none)))
    if len(anc) >= nrule.consecutive and all(nrule.threshold.test(v) for _, v in anc):
        # never below the threshold after the infusion (at least a run's worth of values): no nadir, so
        # no recovery day to report, and no failure of recovery either (CIBMTR: "never below")
        out.neutrophils_never_below = True
        r1 = n1 = idx = derived_day = None
    else:
        r1, n1, idx, derived_day = _recovery(
            record, anc, nrule, record.reported_neutrophil_recovery_day, record.reported_neutrophil_never
        )
    out.neutrophil_recovery_day, out.neutrophil_recovery_not_before_day = r1, n1
    out.derived_neutrophil_day = derived_day
    if idx is not None:
        loss = defs.graft_function_loss
        lidx, _ = first_run(anc, idx + nrule.consecutive, loss.threshold.test, loss.consecutive)
        if lidx is not None:
            out.graft_function_loss_day = anc[lidx][0]
            ridx, _ = first_run(anc, lidx + loss.consecutive, nrule.threshold.test, nrule.consecutive)
            if ridx is not None:
                out.neutrophil_recovery_after_loss_day = anc[ridx][0]

    plt = _after_infusion(_daily(measured.get("PLT", none)))
    free = prule.transfusion_free_days
    transfused = sorted(o.day for o in measured.get("platelet_transfusion", none) if o.day is not None)

    def no_recent_transfusion(day: int) -> bool:
        # ``free`` transfusion-free days ending on the run's first day (CIBMTR: a transfusion on day 0
        # and a first count on day 7 is recovery on day 7; one on the first day itself is not)
        return free is None or not any(day - free < t <= day for t in transfused)

    p1, pn, _, pday = _recovery(
        record,
        plt,
        prule,
        record.reported_platelet_recovery_day,
        record.reported_platelet_never,
        no_recent_transfusion,
    )
    out.platelet_recovery_day, out.platelet_recovery_not_before_day = p1, pn
    out.derived_platelet_day = pday

    chimerism = measured.get("donor_chimerism_pct", none)
    assays = _after_infusion(_daily(chimerism, min))
    if assays:
        out.latest_donor_chimerism_pct = assays[-1][1]
        out.peak_donor_chimerism_pct = max(o.value for o in chimerism if o.value is not None and (o.day or 0) > 0)
        last_day = defs.window_last_day.get(record.graft_source or "")
        if last_day is not None:
            out.window_donor_chimerism_pct = window_assay(assays, last_day)

    cyto = defs.severe_cytopenia
    period = cyto.period
    window_end = defs.window_last_day.get(record.graft_source or "")
    counted, assessed = 0, False
    for measure, threshold in cyto.thresholds.items() if window_end is not None else ():  # no window, no period
        series = [
            (d, v)
            for d, v in _daily(measured.get(measure, none))
            if (period is None or period.test(d)) and (window_end is None or d > window_end)
        ]
        if series:
            assessed = True
            if first_run(series, 0, threshold.test, cyto.consecutive)[0] is not None:
                counted += 1
    out.severe_cytopenia_lineage_count = counted if assessed else None

    mfis = [o.value for o in measured.get("dsa_mfi", none) if o.value is not None]
    if record.dsa_max_mfi is not None:
        mfis.append(record.dsa_max_mfi)
    out.highest_dsa_mfi = max(mfis) if mfis else None
    return out
