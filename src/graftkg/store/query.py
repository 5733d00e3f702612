"""query = run a named SPARQL query, with bound parameters, on the embedded store or an endpoint.

Each query is a ``queries/<name>.rq`` file whose header comment states the question, the parameters
and what it returns::

    # Question: Which ... ?
    # Parameter: transplant_id (string, required) - the transplant's identifier
    # Parameter: outcome (code of gk:Outcome, required) - one of the codes of a class of the ontology
    # Data: transplants (or: knowledge) - what the query reads
    # Returns: one row per ...

Parameters are bound, never pasted: each value is checked against the parameter's declared type and
made a typed RDF term, serialised by rdflib (escaped), in a ``VALUES`` block placed first in the
query's outermost ``WHERE`` group, on the embedded store and on an endpoint alike (the SPARQL 1.1
Protocol has no binding mechanism, and on pyoxigraph this was measured 4 to 12 times faster than its
substitutions). Queries project their parameters and use them in that outermost group; a test runs
every query with pyoxigraph's substitutions too (``tests/reference_queries.py``) and requires the
same rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Literal as RdfLiteral
from rdflib import URIRef

from graftkg.assets import query_files
from graftkg.errors import GraftkgError
from graftkg.rdf import XSD, Value

FORMATS = ("table", "json", "csv")
#: what a query reads: transplant data (a source is required), or the knowledge base alone
DATA_KINDS = ("transplants", "knowledge")

_HEADER = re.compile(r"^#\s*(Question|Parameters?|Data|Returns):\s*(.*)$")
_PARAM = re.compile(
    r"^(\w+)\s*\((string|integer|decimal|iri|code of gk:\w+),\s*(required|optional)"
    r"(?:,\s*default\s+\"([^\"]*)\")?\)\s*-\s*(.*)$"
)


@dataclass(frozen=True)
class Parameter:
    """A parameter a named query declares in its header."""

    name: str
    type: str
    required: bool
    description: str
    default: str | None = None
    #: for a ``code`` parameter, the ontology class (local name) whose codes it takes
    value_set: str | None = None

    def allowed(self) -> list[str]:
        """The values a ``code`` parameter takes: every ``gk:code`` of a member (or, for classes of
        classes such as outcomes, a subclass) of its class in the knowledge base; empty for others.

        Example:
            >>> named_query("transplants-by-outcome").parameters[0].allowed()[:2]
            ['engrafted', 'not_evaluable']
        """
        return [] if self.value_set is None else list(_codes_of(self.value_set))


@dataclass(frozen=True)
class NamedQuery:
    """A named query: its text, the question it answers, its parameters and what it returns.

    Example:
        >>> q = named_query("recommendations-for-transplant")
        >>> [p.name for p in q.parameters]
        ['transplant_id']
    """

    name: str
    path: Path
    text: str
    question: str
    returns: str
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    #: what the query reads (see :data:`DATA_KINDS`)
    data: str = "transplants"

    @property
    def lists(self) -> dict[str, str]:
        """The columns a ``GROUP_CONCAT`` makes, with their separators. SPARQL leaves the order of a
        ``GROUP_CONCAT`` undefined (engines differ, and one engine differs between loads), so graftkg
        sorts each such cell's items: a named query gives the same bytes on every run and every store.

        Example:
            >>> named_query("risk-factors-for-transplant").lists
            {'higher_risk_than': ', '}
        """
        found = re.findall(
            r'GROUP_CONCAT\s*\(\s*(?:DISTINCT\s+)?\?\w+\s*;\s*separator\s*=\s*"([^"]*)"\s*\)\s*AS\s*\?(\w+)',
            self.text,
            flags=re.IGNORECASE,
        )
        return {column: separator for separator, column in found}

    def ordered(self, result: QueryResult) -> QueryResult:
        """``result`` with the items of each list column (see :attr:`lists`) in sorted order."""
        lists = self.lists
        for row in result.rows:
            for column, separator in lists.items():
                cell = row.get(column)
                if isinstance(cell, str) and separator and separator in cell:
                    row[column] = separator.join(sorted(cell.split(separator)))
        return result


@dataclass
class QueryResult:
    """The rows of a query: ``variables`` in the query's order, each row a dict (missing = unbound)."""

    variables: list[str]
    rows: list[dict[str, Value]]

    def render(self, format: str = "table") -> str:
        """The rows as ``graftkg query --format`` prints them: an aligned ``table``, a ``json`` array
        of objects, or ``csv`` (see the module-level :func:`render`).

        Example:
            >>> print(QueryResult(["a"], [{"a": 1}]).render())
            a
            1
            (1 row)
        """
        return render(self, format)


class QueryError(GraftkgError):
    """A named query is unknown, malformed, or was given unusable parameters."""


def _parse_header(path: Path, text: str) -> NamedQuery:
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if m:
            current = "Parameter" if m.group(1).startswith("Parameter") else m.group(1)
            sections.setdefault(current, []).append(m.group(2).strip())
        elif current is not None:
            sections[current][-1] += " " + line.lstrip("#").strip()
    if "Question" not in sections or "Returns" not in sections or "Data" not in sections:
        raise QueryError(f"{path}: header must state '# Question:', '# Data:' and '# Returns:'")
    data = sections["Data"][0].split()[0] if sections["Data"][0] else ""
    if data not in DATA_KINDS:
        raise QueryError(f"{path}: '# Data:' must start with {' or '.join(DATA_KINDS)}")
    params = []
    for entry in sections.get("Parameter", []):
        if entry.lower() in ("none", ""):
            continue
        m = _PARAM.match(entry)
        if not m:
            raise QueryError(
                f"{path}: cannot read parameter '{entry}' (expected: name (type, required|optional) - description)"
            )
        name, ptype, req, default, desc = m.groups()
        value_set = ptype.rsplit(":", 1)[1] if ptype.startswith("code") else None
        params.append(
            Parameter(name, "code" if value_set else ptype, req == "required", desc.strip(), default, value_set)
        )
    return NamedQuery(
        name=path.stem,
        path=path,
        text=text,
        question=" ".join(sections["Question"]),
        returns=" ".join(sections["Returns"]),
        parameters=tuple(params),
        data=data,
    )


@lru_cache(maxsize=16)
def _codes_of(local_name: str) -> tuple[str, ...]:
    """The ``gk:code`` values of the members and subclasses of ``gk:<local_name>`` in the knowledge base."""
    from graftkg.rdf import GK, RDF, RDFS
    from graftkg.semantics.ontology import load_knowledge_base

    kb = load_knowledge_base()
    cls = GK[local_name]
    classes = set(kb.transitive_subjects(RDFS.subClassOf, cls))
    nodes = {m for c in classes for m in kb.subjects(RDF.type, c)} | (classes - {cls})
    codes = {str(code) for node in nodes for code in kb.objects(node, GK.code)}
    if not codes:
        raise QueryError(f"no codes of gk:{local_name} in the knowledge base (a parameter declares them)")
    return tuple(sorted(codes))


@lru_cache(maxsize=1)
def named_queries() -> dict[str, NamedQuery]:
    """Every named query shipped with graftkg, by name.

    Example:
        >>> "transplants-by-outcome" in named_queries()
        True
    """
    return {p.stem: _parse_header(p, p.read_text(encoding="utf-8")) for p in query_files()}


def named_query(name: str) -> NamedQuery:
    """The named query ``name``; a clear error lists the known names when it does not exist."""
    queries = named_queries()
    if name not in queries:
        raise QueryError(f"unknown query '{name}' (run 'graftkg queries' to list them: {', '.join(sorted(queries))})")
    return queries[name]


def bind(query: NamedQuery, params: Mapping[str, str]) -> dict[str, RdfLiteral | URIRef]:
    """Check ``params`` against the query's declared parameters and type each as an RDF term.

    Example:
        >>> bind(named_query("transplants-by-outcome"), {"outcome": "engrafted"})
        {'outcome': rdflib.term.Literal('engrafted')}
    """
    declared = {p.name: p for p in query.parameters}
    unknown = sorted(set(params) - set(declared))
    if unknown:
        known = ", ".join(declared) or "none"
        raise QueryError(f"query '{query.name}': unknown parameter '{unknown[0]}' (it takes: {known})")
    out: dict[str, RdfLiteral | URIRef] = {}
    for p in query.parameters:
        raw = params.get(p.name, p.default)
        if raw is None:
            if p.required:
                raise QueryError(f"query '{query.name}': parameter '{p.name}' is required ({p.description})")
            continue
        out[p.name] = _term(query.name, p, raw)
    return out


def _term(qname: str, p: Parameter, raw: str) -> RdfLiteral | URIRef:
    from graftkg.errors import excerpt

    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # bytes the command line could not decode (surrogate escapes)
        raise QueryError(f"query '{qname}': parameter '{p.name}': '{excerpt(raw)}' is not UTF-8 text") from None
    if any(not c.isprintable() for c in raw):
        raise QueryError(f"query '{qname}': parameter '{p.name}': '{excerpt(raw)}' holds a control character")
    if p.type == "iri":
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", raw):
            raise QueryError(f"query '{qname}': parameter '{p.name}': '{excerpt(raw)}' is not an IRI")
        return URIRef(raw)
    if p.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", raw.strip()):
            raise QueryError(f"query '{qname}': parameter '{p.name}': '{excerpt(raw)}' is not an integer")
        return RdfLiteral(int(raw), datatype=XSD.integer)
    if p.type == "decimal":
        try:
            return RdfLiteral(Decimal(raw.strip()), datatype=XSD.decimal)
        except InvalidOperation:
            raise QueryError(f"query '{qname}': parameter '{p.name}': '{excerpt(raw)}' is not a number") from None
    if p.type == "code":
        allowed = p.allowed()
        if raw not in allowed:
            raise QueryError(
                f"query '{qname}': parameter '{p.name}': '{excerpt(raw)}' is not one of {', '.join(allowed)}"
            )
    return RdfLiteral(raw)  # a simple literal: the same term as xsd:string in RDF 1.1, and matched by every store


def _python(term: object) -> Value:
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if dt in (str(XSD.integer), str(XSD.int), str(XSD.long)):
            return int(term.value)
        if dt in (str(XSD.decimal), str(XSD.double), str(XSD.float)):
            number = float(term.value)
            return (
                int(number)
                if number.is_integer() and "." not in term.value and "e" not in term.value.lower()
                else number
            )
        if dt == str(XSD.boolean):
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.NamedNode):
        return term.value
    return str(term)


def run_embedded(store: ox.Store, name: str, params: Mapping[str, str] | None = None) -> QueryResult:
    """Run named query ``name`` on an embedded pyoxigraph ``store`` (union of its graphs).

    Parameters are bound as :func:`run_endpoint` binds them: typed, escaped terms in a ``VALUES`` block
    first in the outermost group (measured 4 to 12 times faster here than pyoxigraph substitutions; a
    test requires identical rows with them).

    Example:
        >>> from graftkg.store.embedded import knowledge_store
        >>> r = run_embedded(knowledge_store(), "studies-by-measure", {"measure": "hazard_ratio"})
        >>> r.rows[0]["estimate"], r.rows[0]["ci_lower"], r.rows[0]["ci_upper"]
        (2.9, 1.07, 7.92)
    """
    query = named_query(name)
    text = with_values(query, bind(query, params or {}))
    try:
        solutions = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise QueryError(f"{query.path}: {exc}") from None
    return query.ordered(_solutions(name, solutions))


def _solutions(name: str, solutions: object) -> QueryResult:
    if not isinstance(solutions, ox.QuerySolutions):
        raise QueryError(f"query '{name}' is not a SELECT query")
    variables = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row: dict[str, Value] = {}
        for var in variables:
            value = solution[var]
            if value is not None:
                row[var] = _python(value)
        rows.append(row)
    return QueryResult(variables, rows)


def with_values(query: NamedQuery, bound: Mapping[str, RdfLiteral | URIRef]) -> str:
    """The query text with ``bound`` as a ``VALUES`` block first in the outermost ``WHERE`` group.

    The terms are RDF terms serialised by rdflib (escaped), never raw user text.

    Example:
        >>> q = named_query("transplants-by-outcome")
        >>> 'VALUES (?outcome) { ("engrafted") }' in with_values(q, bind(q, {"outcome": "engrafted"}))
        True
    """
    if not bound:
        return query.text
    body = "\n".join(line for line in query.text.splitlines() if not line.lstrip().startswith("#"))
    m = re.search(r"\bWHERE\s*\{", body, flags=re.IGNORECASE)
    if not m:
        raise QueryError(f"query '{query.name}' has no WHERE clause to bind parameters in")
    names = " ".join(f"?{k}" for k in bound)
    values = " ".join(v.n3() for v in bound.values())
    return body[: m.end()] + f"\n  VALUES ({names}) {{ ({values}) }}\n" + body[m.end() :]


def run_endpoint(
    endpoint: str, name: str, params: Mapping[str, str] | None = None, *, timeout: float = 60.0
) -> QueryResult:
    """Run named query ``name`` against a SPARQL 1.1 endpoint (its default graph) with SPARQLWrapper."""
    from urllib.error import URLError

    from SPARQLWrapper import JSON, POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    query = named_query(name)
    text = with_values(query, bind(query, params or {}))
    client = SPARQLWrapper(endpoint)
    client.setQuery(text)
    client.setMethod(POST)
    client.setReturnFormat(JSON)
    client.setTimeout(int(timeout))
    try:
        data: Any = client.queryAndConvert()
    except (SPARQLWrapperException, URLError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise GraftkgError(f"endpoint {endpoint}: query '{name}' failed: {first}") from None
    variables = list(data["head"]["vars"])
    rows = [{k: _json_value(v) for k, v in binding.items()} for binding in data["results"]["bindings"]]
    return query.ordered(QueryResult(variables, rows))


def _json_value(v: Mapping[str, str]) -> Value:
    if v.get("type") == "literal" or v.get("type") == "typed-literal":
        dt = v.get("datatype")
        lit = ox.Literal(v["value"], datatype=ox.NamedNode(dt)) if dt else ox.Literal(v["value"])
        return _python(lit)
    return v["value"]


def render(result: QueryResult, fmt: str) -> str:
    """Render rows as an aligned ``table``, a ``json`` array of objects, or ``csv``.

    Example:
        >>> print(render(QueryResult(["a", "b"], [{"a": 1}, {"a": 2, "b": "x"}]), "csv"))
        a,b
        1,
        2,x
        <BLANKLINE>
    """
    if fmt == "json":
        return json.dumps(
            [{v: row.get(v) for v in result.variables} for row in result.rows], indent=2, ensure_ascii=False
        )
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow(["" if row.get(v) is None else row[v] for v in result.variables])
        return buf.getvalue()
    if fmt != "table":
        raise QueryError(f"unknown format '{fmt}' (choose from: {', '.join(FORMATS)})")
    cells = [result.variables] + [[_cell(row.get(v)) for v in result.variables] for row in result.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(result.variables))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(lines)


def _cell(value: Value | None, limit: int = 70) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
