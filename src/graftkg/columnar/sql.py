"""Small builders over sqlglot's expression tree: the SQL of the columnar engine is built as a tree of
sqlglot expressions, never by pasting text, and printed in the dialect of the engine that runs it:
:data:`DUCKDB` here, :data:`SPARK` (Spark SQL) from the same tree. They are sqlglot's DuckDB and Spark
dialects, and they print graftkg's own expressions besides, where the engines differ
(:class:`ShortNumber`, :class:`Ordinal`, :class:`OrderedList`).

Example:
    >>> print(ge(col("v"), num(0.5)).sql(DUCKDB))
    "v" >= 0.5
    >>> print(first_of(col("day"), col("i")).sql(DUCKDB), first_of(col("day"), col("i")).sql(SPARK))
    ARG_MIN("day", "i") MIN_BY(`day`, `i`)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.spark import Spark
from sqlglot.generators.duckdb import DuckDBGenerator
from sqlglot.generators.spark import SparkGenerator

Expr = exp.Expr


class ShortNumber(exp.Expression, exp.Func):
    """A number as text, as Python's ``format(value, "g")`` writes it (the record path's explanations
    do): six significant digits, no trailing zeros, an exponent from 1e+06 and below 1e-04.

    DuckDB's ``format('{:g}', …)`` is Python's own format. Spark has Java's ``%g``, which keeps
    the zeros (taken off here with two ``regexp_replace``) and rounds the shortest decimal form of
    the number half up where Python rounds its exact binary value half to even: the two differ on a
    number of seven significant digits or more whose seventh is a 5 (99999.95: ``100000``, not
    ``99999.9``).

    Example:
        >>> print(ShortNumber(this=col("v")).sql(DUCKDB))
        FORMAT('{:g}', "v")
    """

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class Ordinal(exp.Expression, exp.Func):
    """A value's place in its list, counted from 1, from the offset column of ``UNNEST ... WITH
    ORDINALITY`` (``this``): DuckDB counts from 1 there; Spark's ``POSEXPLODE``, which sqlglot prints
    for it, from 0.

    Example:
        >>> print(Ordinal(this=col("pos")).sql(DUCKDB), Ordinal(this=col("pos")).sql(SPARK))
        "pos" `pos` + 1
    """

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class OrderedList(exp.Expression, exp.Func):
    """The values ``this`` of a group, as a list in the order of the keys ``expressions`` (ascending,
    never NULL), of the rows ``where`` (optional) keeps: DuckDB's ``ARRAY_AGG(v ORDER BY ...)``.
    Spark's ``collect_list`` keeps no order (and takes no ``WITHIN GROUP``), so there each value is
    collected in a struct after its keys, the structs sorted, and the values taken out.

    Example:
        >>> listed = OrderedList(this=col("v"), expressions=[col("i")], where=not_null(col("v")))
        >>> print(listed.sql(DUCKDB))
        ARRAY_AGG("v" ORDER BY "i") FILTER(WHERE NOT "v" IS NULL)
        >>> print(listed.sql(SPARK))
        TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(`i` AS k0, `v` AS v)) FILTER(WHERE NOT `v` IS NULL)), e -> e.v)
    """

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expressions": True, "where": False}


def _ordered_list_duckdb(generator: Any, expression: OrderedList) -> str:
    keys = [exp.Ordered(this=key) for key in expression.expressions]
    listed: Expr = exp.ArrayAgg(this=exp.Order(this=expression.this, expressions=keys))
    where = expression.args.get("where")
    return str(generator.sql(listed if where is None else filtered(listed, where)))


def _ordered_list_spark(generator: Any, expression: OrderedList) -> str:
    fields = [(f"k{i}", key) for i, key in enumerate(expression.expressions)] + [("v", expression.this)]
    packed = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(n), expression=e) for n, e in fields])
    listed: Expr = exp.ArrayAgg(this=packed)
    where = expression.args.get("where")
    if where is not None:
        listed = filtered(listed, where)
    value = exp.Lambda(
        this=exp.Dot(this=exp.column("e"), expression=exp.to_identifier("v")), expressions=[exp.to_identifier("e")]
    )
    return str(generator.sql(exp.Transform(this=exp.ArraySort(this=listed), expression=value)))


def _short_number_duckdb(generator: Any, expression: ShortNumber) -> str:
    return str(generator.func("FORMAT", exp.Literal.string("{:g}"), expression.this))


def _short_number_spark(generator: Any, expression: ShortNumber) -> str:
    printed = exp.func("FORMAT_STRING", exp.Literal.string("%g"), expression.this)
    zeros = exp.RegexpReplace(
        this=printed, expression=exp.Literal.string("([.][0-9]*?)0+(e|$)"), replacement=exp.Literal.string("$1$2")
    )
    point = exp.RegexpReplace(
        this=zeros, expression=exp.Literal.string("[.](e|$)"), replacement=exp.Literal.string("$1")
    )
    return str(generator.sql(point))


_Transforms = dict[type[Expr], Callable[..., str]]


class GraftkgDuckDB(DuckDB):
    """sqlglot's DuckDB dialect, printing graftkg's own expressions too."""

    class Generator(DuckDBGenerator):
        TRANSFORMS: ClassVar[_Transforms] = {
            **DuckDBGenerator.TRANSFORMS,
            ShortNumber: _short_number_duckdb,
            OrderedList: _ordered_list_duckdb,
            Ordinal: lambda generator, e: generator.sql(e.this),
        }


class GraftkgSpark(Spark):
    """sqlglot's Spark dialect, printing graftkg's own expressions too."""

    class Generator(SparkGenerator):
        TRANSFORMS: ClassVar[_Transforms] = {
            **SparkGenerator.TRANSFORMS,
            ShortNumber: _short_number_spark,
            OrderedList: _ordered_list_spark,
            Ordinal: lambda generator, e: generator.sql(exp.Add(this=e.this, expression=exp.Literal.number(1))),
        }


#: the dialects the trees are printed in: the engine's (DuckDB), and Spark SQL's
DUCKDB, SPARK = GraftkgDuckDB, GraftkgSpark

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


def size(items: Expr) -> Expr:
    """The number of items of a list (``len`` in DuckDB, ``size`` in Spark)."""
    return exp.ArraySize(this=items)


def contains(items: Expr, item: Expr) -> Expr:
    """Whether the list ``items`` holds ``item`` (``list_contains``; ``array_contains`` in Spark)."""
    return exp.ArrayContains(this=items, expression=item)


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
        out = exp.ArrayConcat(this=out, expressions=[item])
    return out


def smallest(fields: Sequence[tuple[str, Expr]], where: Expr, pick: str) -> Expr:
    """Field ``pick`` of the row (among those ``where`` accepts) that is smallest by ``fields``, in order."""
    packed = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(n), expression=e) for n, e in fields])
    return exp.Dot(this=filtered(exp.Min(this=packed), where), expression=exp.to_identifier(pick))
