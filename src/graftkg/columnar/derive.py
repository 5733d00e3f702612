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
    integer,
    is_null,
    last_of,
    le,
    not_,
    not_null,
    null,
    over,
    sub,
    text,
)
from graftkg.semantics.definitions import CountingRule, Definitions
from graftkg.semantics.owlexpr import DataRange

T = "transplant_id"


def _series(measure: str, *, after_infusion: bool) -> exp.Select:
    """One value a day of ``measure`` (the lowest of the day), with its index ``i`` (from 0) and the
    series' length ``n``; ``after_infusion`` leaves out day 0 and the days before it."""
    where = and_(
        eq(col("measure"), text(measure)),
        not_null(col("day")),
        not_null(col("value")),
        gt(col("day"), integer(0)) if after_infusion else TRUE,
    )
    daily = select(col(T), col("day"), alias(fn("min", col("value")), "v")).from_("observations").where(where)
    daily = daily.group_by(col(T), col("day"))
    return select(
        "*",
        alias(sub(over(exp.RowNumber(), [col(T)], [col("day")]), integer(1)), "i"),
        alias(over(fn("count", exp.Star()), [col(T)]), "n"),
    ).from_(daily.subquery("d"))


def _flags(source: exp.Select, tests: dict[str, Expr]) -> exp.Select:
    """``source`` with a boolean column per test of ``v``, and for each the number of its run:
    ``<name>_run`` counts the values failing it so far (one number per run passing it)."""
    columns: list[Expr] = [exp.Star()]
    columns += [alias(test, name) for name, test in tests.items()]
    flagged = select(*columns).from_(source.subquery("s"))
    runs: list[Expr] = [exp.Star()]
    for name in tests:
        failing = case([(col(name), integer(0))], integer(1))
        runs.append(alias(over(fn("sum", failing), [col(T)], [col("i")], running=True), f"{name}_run"))
    return select(*runs).from_(flagged.subquery("f"))


def _run_ends(source: exp.Select, names: list[str], partition: list[Expr]) -> exp.Select:
    """``source`` with ``<name>_end``: the index of the last value of the run each value is in."""
    ends = [alias(over(fn("max", col("i")), [*partition, col(f"{n}_run")]), f"{n}_end") for n in names]
    return select(exp.Star(), *ends).from_(source.subquery("r"))


def _starts_run(name: str, k: int, start: Expr) -> Expr:
    """True where a run of ``k`` values passing test ``name`` begins at or after index ``start``."""
    return and_(
        ge(col("i"), start),
        col(name),
        ge(add(sub(col(f"{name}_end"), col("i")), integer(1)), integer(k)),
    )


def _nadir(source: exp.Select) -> exp.Select:
    """``source`` (flagged with ``ok`` and its runs) with ``start``: the index values count from
    (just after the lowest value of the first run below the threshold; 0 when there is none)."""
    # a running count of passing values numbers the runs below the threshold; the first is the lowest number
    below = select(
        exp.Star(),
        alias(over(fn("sum", case([(col("ok"), integer(1))], integer(0))), [col(T)], [col("i")], running=True), "low"),
    ).from_(source.subquery("a"))
    first = select(
        exp.Star(),
        alias(over(fn("min", case([(not_(col("ok")), col("low"))])), [col(T)]), "first_low"),
    ).from_(below.subquery("b"))
    in_first = and_(not_(col("ok")), eq(col("low"), col("first_low")))
    lowest = select(exp.Star(), alias(over(fn("min", case([(in_first, col("v"))])), [col(T)]), "lowest")).from_(
        first.subquery("c")
    )
    at_lowest = and_(in_first, eq(col("v"), col("lowest")))
    start = coalesce(add(over(fn("min", case([(at_lowest, col("i"))])), [col(T)]), integer(1)), integer(0))
    return select(exp.Star(), alias(start, "start")).from_(lowest.subquery("e"))


def _first_run(source: str, k: int, allowed: Expr = TRUE) -> exp.Select:
    """Per transplant of ``source`` (a series with ``start``, ``ok`` and its run ends): the first run
    of ``k`` from ``start`` whose first day ``allowed`` accepts (its index and day), and what a
    recovery needs when there is none (the trailing run still too short: its first day and length)."""
    found = and_(_starts_run("ok", k, col("start")), allowed)
    # the trailing run: from start, the values after the last one below the threshold
    trailing = and_(ge(col("i"), col("start")), gt(col("i"), coalesce(col("last_low"), integer(-1))))
    return (
        select(
            col(T),
            alias(filtered(fn("min", col("i")), found), "idx"),
            alias(filtered(fn("min", col("day")), found), "day"),
            alias(filtered(fn("min", col("day")), trailing), "tail_day"),
            alias(filtered(fn("count", exp.Star()), trailing), "tail_n"),
            alias(fn("max", col("day")), "last_day"),
            alias(fn("count", exp.Star()), "n"),
            alias(filtered(fn("count", exp.Star()), not_(col("ok"))), "low_n"),
        )
        .from_(f"{source} AS s")
        .group_by(col(T))
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
        """The named queries the derived facts are selected from, in order."""
        defs = self.defs
        n_rule, p_rule, loss = defs.neutrophil_recovery, defs.platelet_recovery, defs.graft_function_loss
        v = col("v")
        out: list[tuple[str, exp.Select]] = []
        # neutrophils: recovery, its loss, recovery after the loss
        anc = _flags(
            _series("ANC", after_infusion=True),
            {"ok": self.test(n_rule.threshold, v), "lost": self.test(loss.threshold, v)},
        )
        anc = _run_ends(anc, ["ok", "lost"], [col(T)])
        anc = select(
            exp.Star(), alias(over(fn("max", case([(not_(col("ok")), col("i"))])), [col(T)]), "last_low")
        ).from_(anc.subquery("l"))
        out.append(("anc", _nadir(anc)))
        out.append(("anc_run", _first_run("anc", n_rule.consecutive)))
        after = add(col("idx", "r"), integer(n_rule.consecutive))
        lost = and_(_starts_run("lost", loss.consecutive, after))
        loss_q = (
            select(
                col(T, "a"),
                alias(filtered(fn("min", col("i", "a")), lost), "loss_i"),
                alias(filtered(fn("min", col("day", "a")), lost), "loss_day"),
            )
            .from_("anc AS a")
            .join("anc_run AS r", on=eq(col(T, "a"), col(T, "r")))
            .where(not_null(col("idx", "r")))
            .group_by(col(T, "a"))
        )
        out.append(("anc_loss", loss_q))
        again = _starts_run("ok", n_rule.consecutive, add(col("loss_i", "l"), integer(loss.consecutive)))
        after_q = (
            select(col(T, "a"), alias(filtered(fn("min", col("day", "a")), again), "again_day"))
            .from_("anc AS a")
            .join("anc_loss AS l", on=eq(col(T, "a"), col(T, "l")))
            .where(not_null(col("loss_i", "l")))
            .group_by(col(T, "a"))
        )
        out.append(("anc_again", after_q))
        # platelets: recovery, counted only from a day the transfusion-free days before it allow
        plt = _flags(_series("PLT", after_infusion=True), {"ok": self.test(p_rule.threshold, v)})
        plt = _run_ends(plt, ["ok"], [col(T)])
        plt = select(
            exp.Star(), alias(over(fn("max", case([(not_(col("ok")), col("i"))])), [col(T)]), "last_low")
        ).from_(plt.subquery("l"))
        out.append(("plt", _nadir(plt)))
        allowed: Expr = TRUE
        if p_rule.transfusion_free_days is not None:
            recent = (
                select(TRUE)
                .from_("observations AS x")
                .where(
                    and_(
                        eq(col(T, "x"), col(T, "s")),
                        eq(col("measure", "x"), text("platelet_transfusion")),
                        gt(col("day", "x"), sub(col("day", "s"), integer(p_rule.transfusion_free_days))),
                        le(col("day", "x"), col("day", "s")),
                    )
                )
            )
            allowed = not_(exp.Exists(this=recent))
        out.append(("plt_run", _first_run("plt", p_rule.consecutive, allowed)))
        # chimerism: the latest assay, the highest, and the one by each case's engraftment window
        chim = _series("donor_chimerism_pct", after_infusion=True)
        out.append(("chim", chim))
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
        latest = select(col(T), alias(last_of(col("v"), col("day")), "latest")).from_("chim").group_by(col(T))
        out.append(("chim_latest", latest))
        by_window = le(col("day", "s"), col("last_day", "w"))
        window_q = (
            select(
                col(T, "c"),
                col("variant", "c"),
                alias(
                    coalesce(
                        filtered(last_of(col("v", "s"), col("day", "s")), by_window),
                        first_of(col("v", "s"), col("day", "s")),
                    ),
                    "window_pct",
                ),
            )
            .from_("cases AS c")
            .join("windows AS w", on=eq(col("graft_source", "c"), col("graft_source", "w")))
            .join("chim AS s", on=eq(col(T, "s"), col(T, "c")))
            .group_by(col(T, "c"), col("variant", "c"))
        )
        out.append(("chim_window", window_q))
        # severe cytopenia: per lineage, a run of k below the threshold after the window, within the period
        cyto = defs.severe_cytopenia
        parts = []
        for m, (measure, threshold) in enumerate(sorted(cyto.thresholds.items())):
            daily = (
                select(col(T), col("day"), alias(fn("min", col("value")), "v"))
                .from_("observations")
                .where(and_(eq(col("measure"), text(measure)), not_null(col("day")), not_null(col("value"))))
                .group_by(col(T), col("day"))
            )
            in_period = self.test(cyto.period, col("day", "d"), "int") if cyto.period is not None else TRUE
            series = (
                select(
                    col(T, "d"),
                    col("variant", "c"),
                    col("day", "d"),
                    col("v", "d"),
                    alias(
                        sub(over(exp.RowNumber(), [col(T, "d"), col("variant", "c")], [col("day", "d")]), integer(1)),
                        "i",
                    ),
                )
                .from_(daily.subquery("d"))
                .join("cases AS c", on=eq(col(T, "c"), col(T, "d")))
                .join("windows AS w", on=eq(col("graft_source", "c"), col("graft_source", "w")))
                .where(and_(in_period, gt(col("day", "d"), col("last_day", "w"))))
            )
            tests = {"ok": self.test(threshold, v)}
            columns: list[Expr] = [exp.Star(), *(alias(t, name) for name, t in tests.items())]
            flagged = select(*columns).from_(series.subquery("s"))
            failing = case([(col("ok"), integer(0))], integer(1))
            runs = select(
                exp.Star(),
                alias(over(fn("sum", failing), [col(T), col("variant")], [col("i")], running=True), "ok_run"),
            ).from_(flagged.subquery("f"))
            ended = _run_ends(runs, ["ok"], [col(T), col("variant")])
            name = f"cyto_{m}"
            found = _starts_run("ok", cyto.consecutive, integer(0))
            out.append(
                (
                    name,
                    select(col(T), col("variant"), alias(fn("bool_or", found), "found"))
                    .from_(ended.subquery("g"))
                    .group_by(col(T), col("variant")),
                )
            )
            parts.append(name)
        if parts:
            union: exp.Query = select(col(T), col("variant"), col("found")).from_(parts[0])
            for name in parts[1:]:
                union = union.union(select(col(T), col("variant"), col("found")).from_(name), distinct=False)
            counted = fn("sum", case([(col("found"), integer(1))], integer(0)))
            out.append(
                (
                    "cyto",
                    select(col(T), col("variant"), alias(counted, "lineages"))
                    .from_(union.subquery("u"))
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
        for name, cte in self.ctes():
            query = query.with_(name, as_=cte)
        return query


def derive_query(definitions: Definitions) -> exp.Select:
    """The query of the derived facts of ``definitions`` over ``cases``, ``observations`` and ``windows``."""
    return DeriveSQL(definitions, ClassCompiler(definitions)).derived()
