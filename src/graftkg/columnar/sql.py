"""Small builders over sqlglot's expression tree: the SQL of the columnar engine is built as a tree of
sqlglot expressions, never by pasting text, and printed in the dialect of the engine that runs it
(DuckDB here; Spark SQL, for instance, from the same tree).

Example:
    >>> print(ge(col("v"), num(0.5)).sql("duckdb"))
    "v" >= 0.5
    >>> print(first_of(col("day"), col("i")).sql("duckdb"), first_of(col("day"), col("i")).sql("spark"))
    ARG_MIN("day", "i") MIN_BY(`day`, `i`)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlglot import exp

Expr = exp.Expr

TRUE: Expr = exp.true()
FALSE: Expr = exp.false()


def col(name: str, table: str | None = None) -> exp.Column:
    """A column, optionally of ``table``."""
    return exp.column(name, table=table, quoted=True)


def num(value: float) -> Expr:
    """A number literal (an int stays an int)."""
    return exp.Literal.number(int(value) if float(value).is_integer() and isinstance(value, int) else value)


def integer(value: int) -> Expr:
    return exp.Literal.number(int(value))


def text(value: str) -> Expr:
    return exp.Literal.string(value)


def null() -> Expr:
    return exp.null()


def ge(a: Expr, b: Expr) -> Expr:
    return exp.GTE(this=a, expression=b)


def gt(a: Expr, b: Expr) -> Expr:
    return exp.GT(this=a, expression=b)


def le(a: Expr, b: Expr) -> Expr:
    return exp.LTE(this=a, expression=b)


def lt(a: Expr, b: Expr) -> Expr:
    return exp.LT(this=a, expression=b)


def eq(a: Expr, b: Expr) -> Expr:
    return exp.EQ(this=a, expression=b)


def add(a: Expr, b: Expr) -> Expr:
    return exp.Add(this=a, expression=b)


def sub(a: Expr, b: Expr) -> Expr:
    return exp.Sub(this=a, expression=b)


def paren(e: Expr) -> Expr:
    return exp.Paren(this=e)


def and_(*items: Expr) -> Expr:
    """Conjunction (TRUE when empty); TRUE items are left out."""
    kept = [i for i in items if i != TRUE]
    if any(i == FALSE for i in kept):
        return FALSE
    if not kept:
        return TRUE
    out = kept[0]
    for item in kept[1:]:
        out = exp.And(this=_grouped(out), expression=_grouped(item))
    return out


def or_(*items: Expr) -> Expr:
    """Disjunction (FALSE when empty); FALSE items are left out."""
    kept = [i for i in items if i != FALSE]
    if any(i == TRUE for i in kept):
        return TRUE
    if not kept:
        return FALSE
    out = kept[0]
    for item in kept[1:]:
        out = exp.Or(this=_grouped(out), expression=_grouped(item))
    return out


def _grouped(e: Expr) -> Expr:
    """``e`` in parentheses, unless it is a single term (a column, a literal, a call)."""
    if isinstance(e, exp.Binary | exp.Unary | exp.Predicate | exp.In | exp.Is | exp.Not):
        return paren(e)
    return e if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Paren | exp.Func) else paren(e)


def not_(e: Expr) -> Expr:
    if e == TRUE:
        return FALSE
    if e == FALSE:
        return TRUE
    return exp.not_(paren(e), copy=False)


def is_null(e: Expr) -> Expr:
    return exp.Is(this=e, expression=exp.null())


def not_null(e: Expr) -> Expr:
    return exp.not_(exp.Is(this=e, expression=exp.null()), copy=False)


def in_(e: Expr, values: Iterable[Expr]) -> Expr:
    items = list(values)
    if not items:
        return FALSE
    return exp.In(this=e, expressions=items)


def coalesce(*items: Expr) -> Expr:
    return exp.Coalesce(this=items[0], expressions=list(items[1:]))


def case(whens: Sequence[tuple[Expr, Expr]], default: Expr | None = None) -> Expr:
    """``CASE WHEN c1 THEN v1 ... ELSE default END`` (the default alone when there is no branch)."""
    if not whens:
        return default if default is not None else null()
    out = exp.Case()
    for cond, value in whens:
        out = out.when(cond, value, copy=False)
    return out.else_(default, copy=False) if default is not None else out


def cast(e: Expr, to: str) -> Expr:
    return exp.cast(e, to, copy=False)


def fn(name: str, *args: Expr) -> Expr:
    """A function call by name (sqlglot maps the names it knows into each dialect)."""
    found: Expr = exp.func(name, *args)
    return found


def first_of(value: Expr, order: Expr) -> Expr:
    """The ``value`` of the row with the lowest ``order`` (``arg_min``; ``min_by`` in Spark)."""
    return exp.ArgMin(this=value, expression=order)


def last_of(value: Expr, order: Expr) -> Expr:
    """The ``value`` of the row with the highest ``order`` (``arg_max``; ``max_by`` in Spark)."""
    return exp.ArgMax(this=value, expression=order)


def filtered(aggregate: Expr, where: Expr) -> Expr:
    """``aggregate FILTER (WHERE where)``."""
    return exp.Filter(this=aggregate, expression=exp.Where(this=where))


def over(
    function: Expr,
    partition: Sequence[Expr],
    order: Sequence[Expr] = (),
    *,
    running: bool = False,
    ahead: int | None = None,
) -> Expr:
    """``function OVER (PARTITION BY ... ORDER BY ...)``; ``running``: from the partition's first row to
    this one; ``ahead``: from this row to ``ahead`` rows after it."""
    spec = None
    if running:
        spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")
    elif ahead is not None:
        spec = exp.WindowSpec(kind="ROWS", start="CURRENT ROW", end=integer(ahead), end_side="FOLLOWING")
    return exp.Window(
        this=function,
        partition_by=list(partition),
        order=exp.Order(expressions=[exp.Ordered(this=o) for o in order]) if order else None,
        spec=spec,
    )


def alias(e: Expr, name: str) -> Expr:
    return exp.alias_(e, name, quoted=True, copy=False)


def array(items: Sequence[Expr], element: str = "VARCHAR") -> Expr:
    """A list literal of ``element`` values (typed, so that an empty list concatenates)."""
    listed: Expr = exp.cast(
        exp.Array(expressions=list(items)), exp.DataType.build(f"{element}[]", dialect="duckdb"), copy=False
    )
    return listed


def concat_lists(items: Sequence[Expr]) -> Expr:
    """The concatenation of lists (an empty VARCHAR list when there are none)."""
    if not items:
        return array([])
    out = items[0]
    for item in items[1:]:
        out = fn("list_concat", out, item)
    return out


def smallest(fields: Sequence[tuple[str, Expr]], where: Expr, pick: str) -> Expr:
    """Field ``pick`` of the row (among those ``where`` accepts) that is smallest by ``fields``, in order."""
    packed = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(n), expression=e) for n, e in fields])
    return exp.Dot(this=filtered(exp.Min(this=packed), where), expression=exp.to_identifier(pick))
