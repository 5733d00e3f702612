"""The registry counting rules of the ontology as SQL window functions: the derived facts of every
transplant at once, as :func:`graftkg.semantics.derive.derive` gives them one record at a time.

Every threshold, count, window and period is read from the ontology's terms (the same
:class:`~graftkg.semantics.definitions.CountingRule` objects ``derive`` reads) and written into the
SQL tree as a literal; nothing clinical is written here. ``tests/test_columnar.py`` holds the result
to ``derive`` on every case file, the edge-case generator, the paper's patients and synthetic data.

How a rule reads as SQL (one lineage's daily series ``s``: one value a day, the lowest):

- the **nadir**: values count from just after the lowest value of the first run below the threshold.
  A running count of values at or above it numbers the runs below it; the first run below is the
  one with the lowest such number;
- the **first run of k** from there: a running count of values below the threshold numbers the runs
  at or above it; a value starts a run of k when its run goes on for k values or more from it;
- the **earliest day a recovery could still begin**, when there is no such run: the first day of a
  trailing run still too short, else the day after the last value.

Example:
    >>> from graftkg.semantics.definitions import Definitions
    >>> query = derive_query(Definitions())
    >>> "ROW_NUMBER() OVER" in query.sql("duckdb")
    True
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp, select

from graftkg.columnar.classes import ClassCompiler
from graftkg.columnar.sql import (
    TRUE,
    Expr,
    add,
    alias,
    and_,
    case,
    coalesce,
    col,
    eq,
    filtered,
    first_of,
    fn,
    ge,
    gt,
    in_,
    integer,
    is_null,
    last_of,
    le,
    not_,
    not_null,
    null,
    or_,
    over,
    smallest,
    sub,
    text,
)
from graftkg.semantics.definitions import CountingRule, Definitions
from graftkg.semantics.owlexpr import DataRange

T = "transplant_id"


def _daily(measures: list[str]) -> exp.Select:
    """One value a day of each of ``measures`` per transplant: the lowest of the day."""
    where = and_(in_(col("measure"), [text(m) for m in measures]), not_null(col("day")), not_null(col("value")))
    return (
        select(col(T), col("measure"), col("day"), alias(fn("min", col("value")), "v"))
        .from_("observations")
        .where(where)
        .group_by(col(T), col("measure"), col("day"))
    )


def _runs(
    source: exp.Select | str, tests: dict[str, tuple[Expr, int]], partition: Sequence[Expr], keep: Sequence[Expr]
) -> exp.Select:
    """A series (``day``, ``v``) with its index ``i`` (from 0), and per test ``name`` of ``tests``
    (a predicate on ``v`` and a run length k): ``name`` itself, and ``name_k``, true where a run of k
    values passing it begins. ``low`` numbers the runs below the first test (a running count of the
    values passing it). One ordering of each partition serves every window."""
    order = [col("day")]
    tested = select(*keep, col("day"), col("v"), *(alias(t, name) for name, (t, _) in tests.items()))
    tested = tested.from_(source if isinstance(source, str) else source.subquery("s"))
    columns: list[Expr] = [
        *keep,
        col("day"),
        col("v"),
        alias(sub(over(exp.RowNumber(), partition, order), integer(1)), "i"),
    ]
    first = next(iter(tests))
    passing = case([(col(first), integer(1))], integer(0))
    columns.append(alias(over(fn("sum", passing), partition, order, running=True), "low"))
    for name, (_, k) in tests.items():
        ahead = over(fn("sum", case([(col(name), integer(1))], integer(0))), partition, order, ahead=k - 1)
        columns += [col(name), alias(eq(ahead, integer(k)), f"{name}_k")]
    return select(*columns).from_(tested.subquery("t"))


def _summary(rows: str) -> exp.Select:
    """Per transplant of a series ``rows`` (see :func:`_runs`, test ``ok``): ``start``, the index values
    count from (just after the lowest value of the first run below the threshold, 0 without one), and
    ``last_low``, the index of the last value below it."""
    below = not_(col("ok"))
    nadir = smallest([("run", col("low")), ("v", col("v")), ("i", col("i"))], below, "i")
    return (
        select(
            col(T),
            alias(coalesce(add(nadir, integer(1)), integer(0)), "start"),
            alias(filtered(fn("max", col("i")), below), "last_low"),
        )
        .from_(rows)
        .group_by(col(T))
    )


def _first_run(rows: str, summary: str, allowed: Expr = TRUE) -> exp.Select:
    """Per transplant: the first run of k values passing ``ok`` from ``start`` (see :func:`_summary`)
    whose first day ``allowed`` accepts (its index and day); and what a recovery needs when there is
    none: the trailing run still too short (its first day and length), the last day, how many values
    there are and how many are below the threshold."""
    found = and_(ge(col("i", "r"), col("start", "m")), col("ok_k", "r"), allowed)
    trailing = and_(
        ge(col("i", "r"), col("start", "m")), gt(col("i", "r"), coalesce(col("last_low", "m"), integer(-1)))
    )
    return (
        select(
            col(T, "r"),
            alias(filtered(fn("min", col("i", "r")), found), "idx"),
            alias(filtered(fn("min", col("day", "r")), found), "day"),
            alias(filtered(fn("min", col("day", "r")), trailing), "tail_day"),
            alias(filtered(fn("count", exp.Star()), trailing), "tail_n"),
            alias(fn("max", col("day", "r")), "last_day"),
            alias(fn("count", exp.Star()), "n"),
            alias(filtered(fn("count", exp.Star()), not_(col("ok", "r"))), "low_n"),
        )
        .from_(f"{rows} AS r")
        .join(f"{summary} AS m", on=eq(col(T, "r"), col(T, "m")))
        .group_by(col(T, "r"))
    )


def _not_before(k: int, table: str) -> Expr:
    """The earliest day a recovery could still begin, where ``table`` (a :func:`_first_run`) found none."""
    too_short = and_(gt(col("tail_n", table), integer(0)), exp.LT(this=col("tail_n", table), expression=integer(k)))
    return case(
        [
            (
                is_null(col("idx", table)),
                case([(too_short, col("tail_day", table))], add(col("last_day", table), integer(1))),
            )
        ]
    )


class DeriveSQL:
    """The SQL of the derivation step for one profile (see the module docstring).

    ``cases`` is the table of transplants to derive (a transplant without a graft source appears once
    as it is and once under each graft source, see :mod:`graftkg.columnar.engine`): its columns are
    the record's fields, with ``variant``.
    """

    def __init__(self, definitions: Definitions, compiler: ClassCompiler) -> None:
        self.defs = definitions
        self.sql = compiler

    def test(self, dr: DataRange, value: Expr, kind: str = "num") -> Expr:
        return self.sql.data_range(dr, value, kind)

    def ctes(self) -> list[tuple[str, exp.Select]]:
        """The named queries the derived facts are selected from, in order (each reads those before it)."""
        defs = self.defs
        n_rule, p_rule, loss = defs.neutrophil_recovery, defs.platelet_recovery, defs.graft_function_loss
        cyto = defs.severe_cytopenia
        v = col("v")
        by_t = [col(T)]
        out: list[tuple[str, exp.Select]] = []
        measures = sorted({"ANC", "PLT", "donor_chimerism_pct", *cyto.thresholds})
        out.append(("daily", _daily(measures)))

        def series(measure: str) -> exp.Select:
            after = and_(eq(col("measure"), text(measure)), gt(col("day"), integer(0)))
            return select(col(T), col("day"), col("v")).from_("daily").where(after)

        # neutrophils: recovery, its loss, recovery after the loss
        tests = {
            "ok": (self.test(n_rule.threshold, v), n_rule.consecutive),
            "lost": (self.test(loss.threshold, v), loss.consecutive),
        }
        out.append(("anc", _runs(series("ANC"), tests, by_t, by_t)))
        out.append(("anc_start", _summary("anc")))
        out.append(("anc_run", _first_run("anc", "anc_start")))
        lost = and_(ge(col("i", "a"), add(col("idx", "r"), integer(n_rule.consecutive))), col("lost_k", "a"))
        out.append(
            (
                "anc_loss",
                select(
                    col(T, "a"),
                    alias(filtered(fn("min", col("i", "a")), lost), "loss_i"),
                    alias(filtered(fn("min", col("day", "a")), lost), "loss_day"),
                )
                .from_("anc AS a")
                .join("anc_run AS r", on=eq(col(T, "a"), col(T, "r")))
                .where(not_null(col("idx", "r")))
                .group_by(col(T, "a")),
            )
        )
        again = and_(ge(col("i", "a"), add(col("loss_i", "l"), integer(loss.consecutive))), col("ok_k", "a"))
        out.append(
            (
                "anc_again",
                select(col(T, "a"), alias(filtered(fn("min", col("day", "a")), again), "again_day"))
                .from_("anc AS a")
                .join("anc_loss AS l", on=eq(col(T, "a"), col(T, "l")))
                .where(not_null(col("loss_i", "l")))
                .group_by(col(T, "a")),
            )
        )
        # platelets: recovery, counted only from a day with the transfusion-free days before it
        plt_tests = {"ok": (self.test(p_rule.threshold, v), p_rule.consecutive)}
        free = p_rule.transfusion_free_days
        allowed: Expr = TRUE
        if free is None:
            out.append(("plt", _runs(series("PLT"), plt_tests, by_t, by_t)))
        else:
            # the latest transfusion on or before each count's day: a running maximum over the counts and
            # the transfusions in one ordering (a transfusion first on its day: one that day counts)
            counts = select(col(T), col("day"), col("v"), alias(integer(1), "is_count")).from_(series("PLT").subquery())
            transfused = (
                select(col(T), col("day"), alias(exp.cast(null(), "DOUBLE"), "v"), alias(integer(0), "is_count"))
                .from_("observations")
                .where(and_(eq(col("measure"), text("platelet_transfusion")), not_null(col("day"))))
            )
            stream = counts.union(transfused, distinct=False)
            latest = over(
                fn("max", case([(eq(col("is_count"), integer(0)), col("day"))])),
                by_t,
                [col("day"), col("is_count")],
                running=True,
            )
            marked = select(col(T), col("day"), col("v"), col("is_count"), alias(latest, "last_transfusion"))
            marked = marked.from_(stream.subquery("u"))
            kept = select(col(T), col("day"), col("v"), col("last_transfusion")).from_(marked.subquery("m"))
            kept = kept.where(eq(col("is_count"), integer(1)))
            out.append(("plt", _runs(kept, plt_tests, by_t, [*by_t, col("last_transfusion")])))
            allowed = or_(
                is_null(col("last_transfusion", "r")),
                le(col("last_transfusion", "r"), sub(col("day", "r"), integer(free))),
            )
        out.append(("plt_start", _summary("plt")))
        out.append(("plt_run", _first_run("plt", "plt_start", allowed)))
        # chimerism: the latest assay, the highest, and the one by each case's engraftment window
        chim = series("donor_chimerism_pct")
        peak = (
            select(col(T), alias(fn("max", col("value")), "peak"))
            .from_("observations")
            .where(
                and_(
                    eq(col("measure"), text("donor_chimerism_pct")), not_null(col("value")), gt(col("day"), integer(0))
                )
            )
            .group_by(col(T))
        )
        out.append(("chim_peak", peak))
        latest_q = select(col(T), alias(last_of(col("v"), col("day")), "latest")).from_(chim.subquery("s"))
        out.append(("chim_latest", latest_q.group_by(col(T))))
        by_window = le(col("day", "s"), col("last_day", "w"))
        window_pct = coalesce(
            filtered(last_of(col("v", "s"), col("day", "s")), by_window), first_of(col("v", "s"), col("day", "s"))
        )
        window_q = (
            select(col(T, "c"), col("variant", "c"), alias(window_pct, "window_pct"))
            .from_("cases AS c")
            .join("windows AS w", on=eq(col("graft_source", "c"), col("graft_source", "w")))
            .join(chim.subquery("s"), on=eq(col(T, "s"), col(T, "c")))
            .group_by(col(T, "c"), col("variant", "c"))
        )
        out.append(("chim_window", window_q))
        # severe cytopenia: per lineage, a run of k below its threshold after the window, within the period
        if cyto.thresholds:
            in_period = self.test(cyto.period, col("day", "d"), "int") if cyto.period is not None else TRUE
            after_window = (
                select(col(T, "d"), col("variant", "c"), col("measure", "d"), col("day", "d"), col("v", "d"))
                .from_("daily AS d")
                .join("cases AS c", on=eq(col(T, "c"), col(T, "d")))
                .join("windows AS w", on=eq(col("graft_source", "c"), col("graft_source", "w")))
                .where(
                    and_(
                        in_(col("measure", "d"), [text(m) for m in sorted(cyto.thresholds)]),
                        in_period,
                        gt(col("day", "d"), col("last_day", "w")),
                    )
                )
            )
            low = case([(eq(col("measure"), text(m)), self.test(t, v)) for m, t in sorted(cyto.thresholds.items())])
            keep = [col(T), col("variant"), col("measure")]
            rows = _runs(after_window, {"ok": (coalesce(low, exp.false()), cyto.consecutive)}, keep, keep)
            lineages = filtered(fn("count", exp.Distinct(expressions=[col("measure")])), col("ok_k"))
            out.append(
                (
                    "cyto",
                    select(col(T), col("variant"), alias(lineages, "lineages"))
                    .from_(rows.subquery("g"))
                    .group_by(col(T), col("variant")),
                )
            )
        dsa = (
            select(col(T), alias(fn("max", col("value")), "mfi"))
            .from_("observations")
            .where(and_(eq(col("measure"), text("dsa_mfi")), not_null(col("value"))))
            .group_by(col(T))
        )
        out.append(("dsa", dsa))
        return out

    def derived(self) -> exp.Select:
        """The derived facts of each case: one row per ``(transplant_id, variant)`` of ``cases``, a
        column per :class:`~graftkg.semantics.derive.Derived` field."""
        defs = self.defs
        k = defs.neutrophil_recovery.consecutive
        never = and_(ge(col("n", "a"), integer(k)), eq(col("low_n", "a"), integer(0)))
        end_of_data = add(fn("least", col("death_day", "c"), col("last_follow_up_day", "c")), integer(1))

        def recovery(run: str, reported: str, reported_never: str, rule: CountingRule) -> tuple[Expr, Expr]:
            measured = gt(coalesce(col("n", run), integer(0)), integer(0))
            day = case([(measured, col("day", run)), (not_null(col(reported, "c")), col(reported, "c"))])
            not_before = case(
                [
                    (measured, _not_before(rule.consecutive, run)),
                    (not_null(col(reported, "c")), null()),
                    (coalesce(col(reported_never, "c"), exp.false()), end_of_data),
                ]
            )
            return day, not_before

        n_day, n_not_before = recovery(
            "a", "reported_neutrophil_recovery_day", "reported_neutrophil_never", defs.neutrophil_recovery
        )
        p_day, p_not_before = recovery(
            "p", "reported_platelet_recovery_day", "reported_platelet_never", defs.platelet_recovery
        )
        is_never = coalesce(never, exp.false())

        def unless_never(e: Expr) -> Expr:
            return case([(is_never, null())], e)

        has_window = not_null(col("last_day", "w"))
        columns = [
            col(T, "c"),
            col("variant", "c"),
            alias(unless_never(n_day), "neutrophil_recovery_day"),
            alias(unless_never(n_not_before), "neutrophil_recovery_not_before_day"),
            alias(case([(is_never, exp.true())]), "neutrophils_never_below"),
            alias(p_day, "platelet_recovery_day"),
            alias(p_not_before, "platelet_recovery_not_before_day"),
            alias(unless_never(col("loss_day", "l")), "graft_function_loss_day"),
            alias(unless_never(col("again_day", "g")), "neutrophil_recovery_after_loss_day"),
            alias(case([(has_window, col("window_pct", "cw"))]), "window_donor_chimerism_pct"),
            alias(col("latest", "cl"), "latest_donor_chimerism_pct"),
            alias(case([(not_null(col("latest", "cl")), col("peak", "cp"))]), "peak_donor_chimerism_pct"),
            alias(
                case([(has_window, col("lineages", "cy") if self.defs.severe_cytopenia.thresholds else null())]),
                "severe_cytopenia_lineage_count",
            ),
            alias(fn("greatest", col("mfi", "d"), col("dsa_max_mfi", "c")), "highest_dsa_mfi"),
            alias(unless_never(col("day", "a")), "derived_neutrophil_day"),
            alias(col("day", "p"), "derived_platelet_day"),
        ]

        def on_t(a: str) -> Expr:
            return eq(col(T, a), col(T, "c"))

        def on_case(a: str) -> Expr:
            return and_(on_t(a), exp.NullSafeEQ(this=col("variant", a), expression=col("variant", "c")))

        query = (
            select(*columns)
            .from_("cases AS c")
            .join("anc_run AS a", on=on_t("a"), join_type="left")
            .join("anc_loss AS l", on=on_t("l"), join_type="left")
            .join("anc_again AS g", on=on_t("g"), join_type="left")
            .join("plt_run AS p", on=on_t("p"), join_type="left")
            .join("chim_peak AS cp", on=on_t("cp"), join_type="left")
            .join("chim_latest AS cl", on=on_t("cl"), join_type="left")
            .join("windows AS w", on=eq(col("graft_source", "w"), col("graft_source", "c")), join_type="left")
            .join("chim_window AS cw", on=on_case("cw"), join_type="left")
            .join("dsa AS d", on=on_t("d"), join_type="left")
        )
        if self.defs.severe_cytopenia.thresholds:
            query = query.join("cyto AS cy", on=on_case("cy"), join_type="left")
        return query

    def stages(self) -> list[tuple[str, exp.Select]]:
        """The queries of the derivation, in order, each named by the table it makes; the last is ``derived``."""
        return [*self.ctes(), ("derived", self.derived())]


def derive_query(definitions: Definitions) -> exp.Select:
    """The derivation of ``definitions`` as one query (its stages as common table expressions) over
    the tables ``cases``, ``observations`` and ``windows``."""
    stages = DeriveSQL(definitions, ClassCompiler(definitions)).stages()
    query = stages[-1][1]
    for name, stage in stages[:-1]:
        query = query.with_(name, as_=stage)
    return query
