"""RDF input (Turtle, N-Triples, JSON-LD) in the ontology's terms."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from graftkg.errors import InputError, excerpt, read_input_bytes
from graftkg.model import ENTITIES, RECORD_FIELDS, Observation, TransplantRecord
from graftkg.rdf import GK, RDF, to_python
from graftkg.readers.refusals import Refusals
from graftkg.readers.units import units as measure_units
from graftkg.semantics.vocabulary import vocabulary

RDF_SUFFIXES = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld"}

#: how a value of each kind of record field is read from a literal (or, for codes, a term)
_CONVERT: dict[str, Any] = {
    "int": int,
    "day_or_never": int,
    "float": float,
    "bool": bool,
    "never": bool,
    "text": str,
    "date": date,
    "code": "code",
}


class _Reader:
    def __init__(self, graph: Graph, path: str, lenient: bool = False) -> None:
        self.graph = graph
        self.path = path
        self.vocab = vocabulary()
        self.lenient = lenient
        self.units = measure_units().converter()

    def fail(self, node: Node, prop: URIRef, message: str) -> InputError:
        return InputError(f"{node}: {message}", path=self.path, field=str(prop).rsplit("/", 1)[-1])

    def one(self, node: Node, prop: URIRef) -> Node | None:
        values = list(self.graph.objects(node, prop))
        if len(values) > 1:
            raise self.fail(node, prop, f"has {len(values)} values, at most one is allowed")
        return values[0] if values else None

    def convert(self, node: Node, prop: URIRef, value: Node, kind: Any, field: str) -> Any:
        if kind in ("code", "outcome"):
            if kind == "outcome" and isinstance(value, Literal):
                text = self.vocab.code_for(field, str(value))
                if text is None:
                    raise self.fail(node, prop, f"unknown outcome '{value}'")
                return text
            code = self.vocab.code(value) if isinstance(value, URIRef) else None
            if code is None:
                if self.lenient and isinstance(value, Literal) and str(value):
                    return str(value)  # kept as submitted, for the value-set shapes to report (as in CSV)
                raise self.fail(node, prop, f"'{excerpt(str(value))}' is not a term of the ontology's value set")
            return code
        if not isinstance(value, Literal):
            raise self.fail(node, prop, f"expected a literal, got {value}")
        py = to_python(value)
        if kind is date:
            if type(py) is not date:
                raise self.fail(node, prop, f"'{excerpt(str(value))}' is not an xsd:date (YYYY-MM-DD)")
            return py
        if kind is bool:
            if not isinstance(py, bool):
                raise self.fail(node, prop, f"'{excerpt(str(value))}' is not a boolean")
            return py
        if kind in (int, float):
            if isinstance(py, bool) or not isinstance(py, int | float):
                raise self.fail(node, prop, f"'{excerpt(str(value))}' is not a number")
            if isinstance(py, float) and not math.isfinite(py):
                raise self.fail(node, prop, f"'{excerpt(str(value))}' is not a finite number")
            if kind is int and not float(py).is_integer():
                raise self.fail(node, prop, f"'{excerpt(str(value))}' is not a whole number")
            return kind(py)
        return str(value)

    def fill(self, node: Node, table: dict[URIRef, tuple[str, Any]], values: dict[str, Any]) -> None:
        for prop, (field, kind) in table.items():
            value = self.one(node, prop)
            if value is not None:
                values[field] = self.convert(node, prop, value, kind, field)

    def identifier(self, node: Node) -> str:
        value = self.one(node, GK.identifier)
        if value is None:
            raise self.fail(node, GK.identifier, "has no gk:identifier")
        return str(value)

    def codes(self, node: Node, prop: URIRef) -> list[str]:
        return [self.convert(node, prop, v, "code", "") for v in sorted(self.graph.objects(node, prop), key=str)]

    def in_unit(self, node: Node, obs: Observation) -> Observation:
        """``obs`` with its ``gk:unitCode``: a value in another UCUM unit is converted into its measure's
        (see :mod:`graftkg.readers.units`); one that does not convert is kept as given, for the rules."""
        unit = self.one(node, GK.unitCode)
        if unit is not None:
            obs.unit = str(self.convert(node, GK.unitCode, unit, str, "unit"))
            converted = self.units(obs.measure, obs.value, obs.unit)
            if converted is not None:
                obs.value, obs.unit = converted
        return obs

    def observation(self, node: Node) -> Observation:
        g = self.graph
        day_node = self.one(node, GK.day)
        day = None if day_node is None else self.convert(node, GK.day, day_node, int, "day")
        measured = self.one(node, GK.measured)
        if measured is not None:
            measure = self.convert(node, GK.measured, measured, "code", "measure")
            value = self.one(node, GK.value)
            if value is None:
                raise self.fail(node, GK.value, "laboratory observation has no value")
            obs = Observation(day, measure, self.convert(node, GK.value, value, float, "value"))
            calculated = self.one(node, GK.calculatedBy)
            if calculated is not None:
                obs.method = self.convert(node, GK.calculatedBy, calculated, "code", "method")
                if self.vocab.calculates.get(obs.method) != measure:
                    raise self.fail(
                        node, GK.calculatedBy, f"'{excerpt(str(calculated))}' is not a calculation of {measure}"
                    )
            return self.in_unit(node, obs)
        support = self.one(node, GK.support)
        if support is not None:
            return Observation(day, self.convert(node, GK.support, support, "code", "support"))
        pct = self.one(node, GK.donorChimerismPct)
        if pct is not None:
            lineage = self.one(node, GK.lineage)
            method = self.one(node, GK.assayMethod)
            return self.in_unit(
                node,
                Observation(
                    day,
                    "donor_chimerism_pct",
                    self.convert(node, GK.donorChimerismPct, pct, float, "value"),
                    lineage=None if lineage is None else self.convert(node, GK.lineage, lineage, "code", "lineage"),
                    method=None if method is None else str(method),
                ),
            )
        mfi = self.one(node, GK.mfi)
        if mfi is not None:
            return Observation(day, "dsa_mfi", self.convert(node, GK.mfi, mfi, float, "value"))
        pathogen = self.one(node, GK.pathogen)
        if pathogen is not None:
            return Observation(day, "infection", code=self.convert(node, GK.pathogen, pathogen, "code", "value"))
        if (node, RDF.type, GK.GvHDEpisode) in g:
            grade = self.one(node, GK.gvhdGrade)
            return Observation(
                day, "gvhd", None if grade is None else self.convert(node, GK.gvhdGrade, grade, int, "value")
            )
        raise self.fail(
            node,
            GK.observation,
            "observation of unknown kind (no measured, support, donorChimerismPct, mfi, pathogen, or GvHDEpisode type)",
        )

    def transplant(self, node: Node) -> TransplantRecord:
        """Read the record's fields from the nodes their declarations name (:data:`RECORD_FIELDS`)."""
        nodes = {"transplant": node}
        for entity, (link, _cls) in ENTITIES.items():
            linked = self.one(node, GK[link])
            if linked is not None:
                nodes[entity] = linked
        values: dict[str, Any] = {}
        for declared in RECORD_FIELDS:
            spec, name = declared.spec, declared.name
            at = nodes.get(spec.entity)  # a dayless observation (DSA) is read with the observations
            if at is None or name == "transplant_id":
                continue
            prop = GK[spec.prop]
            if spec.kind == "id":  # a patient without one is read as such (and reported by validation)
                identifier = self.one(at, GK.identifier)
                if identifier is not None:
                    values[name] = str(identifier)
            elif spec.kind == "ref":
                target = self.one(at, prop)
                if target is not None:
                    values[name] = self.identifier(target)
            elif spec.kind == "codes":
                values[name] = self.codes(at, prop)
            else:
                value = self.one(at, prop)
                if value is not None:
                    kind = "outcome" if spec.stated_as_code else _CONVERT[spec.kind]
                    values[name] = self.convert(at, prop, value, kind, name)
        observations = [self.observation(o) for o in self.graph.objects(node, GK.observation)]
        observations.sort(key=lambda o: (o.day is None, o.day or 0, o.measure))
        return TransplantRecord(self.identifier(node), observations=observations, source=self.path, **values)


def _parse_jsonld(graph: Graph, path: Path, text: str) -> None:
    """Parse JSON-LD without any network or file access beyond ``path``: graftkg's published context
    is replaced by its bundled copy, and any other context that is not written out in the document
    (a remote or ``file:`` IRI, at the top, in a list, nested in a node, scoped in a term definition or
    brought in by ``@import``) is refused with a located error, before rdflib sees the document."""
    import json

    doc = json.loads(text)
    graph.parse(data=json.dumps(local_contexts(doc, str(path))), format="json-ld", base=path.resolve().as_uri())


def local_contexts(node: Any, path: str) -> Any:
    """``node`` (parsed JSON-LD) with every ``@context`` made local (see :func:`_context`).

    Example:
        >>> from graftkg.reporting.convert import CONTEXT_URL
        >>> local_contexts({"@context": CONTEXT_URL, "@id": "x"}, "in.jsonld")["@context"]["gk"]
        'https://w3id.org/graftkg/'
        >>> try:
        ...     local_contexts({"@graph": [{"@context": "http://example.org/c"}]}, "in.jsonld")
        ... except InputError as exc:
        ...     print(str(exc)[:81])
        in.jsonld: field '@context': refused: the context 'http://example.org/c' would be
    """
    if isinstance(node, list):
        return [local_contexts(item, path) for item in node]
    if isinstance(node, dict):
        return {
            key: _context(value, path) if key == "@context" else local_contexts(value, path)
            for key, value in node.items()
        }
    return node


def _context(ctx: Any, path: str) -> Any:
    """One ``@context`` value, made local: graftkg's own IRI becomes its bundled copy; an object is kept,
    its scoped contexts and ``@import`` made local in turn; any other IRI raises."""
    from graftkg.reporting.convert import CONTEXT_URL, context

    if ctx is None:
        return None
    if isinstance(ctx, str):
        if ctx == CONTEXT_URL:
            return context()
        raise InputError(
            f"refused: the context '{excerpt(ctx)}' would be read from outside the file; write the context out in "
            f"the document, or name {CONTEXT_URL}",
            path=path,
            field="@context",
        )
    if isinstance(ctx, list):
        return [_context(item, path) for item in ctx]
    if isinstance(ctx, dict):
        out: dict[str, Any] = {}
        imported = ctx.get("@import")
        if imported is not None:  # JSON-LD 1.1: the imported context's terms, then this object's own
            local = _context(imported, path)
            if not isinstance(local, dict):
                raise InputError("@import must name a context", path=path, field="@context")
            out.update(local)
        for key, value in ctx.items():
            if key == "@import":
                continue
            if isinstance(value, dict) and "@context" in value:  # a term definition with a scoped context
                value = {**value, "@context": _context(value["@context"], path)}
            out[key] = value
        return out
    raise InputError("@context must be an IRI, an object or a list of them", path=path, field="@context")


def _syntax_problem(exc: Exception) -> str:
    """What a parser found wrong, with its line where it says, but never the text it read: the file
    may be anything (a link to a system file must not have its first line echoed).

    Example:
        >>> import json
        >>> try:
        ...     json.loads("root:x:0:0")
        ... except ValueError as exc:
        ...     print(_syntax_problem(exc))
        line 1 column 1: Expecting value
    """
    import json

    from rdflib.plugins.parsers.notation3 import BadSyntax

    if isinstance(exc, BadSyntax):
        return f"line {exc.lines + 1}: {excerpt(str(exc._why), 60)}"
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno} column {exc.colno}: {exc.msg}"
    head = " ".join(str(exc).split()).split(":", 1)[0]  # rdflib's other messages quote the text after a colon
    return excerpt(head, 80) or type(exc).__name__


def read_rdf(path: Path, *, lenient: bool = False, refusals: Refusals | None = None) -> list[TransplantRecord]:
    """Read transplants described in RDF with the ontology's terms (one ``gk:Transplant`` each).

    With ``lenient`` (validation), a text where a value-set term belongs (``gk:graftSource "PBSC"``)
    is kept as submitted for the shapes to report, as a CSV read keeps an unknown code. What a record
    may hold is not checked here: :func:`~graftkg.readers.read_inputs` applies those rules
    (:mod:`graftkg.readers.rules`). With ``refusals``, a transplant with an error is left out and its
    error listed there (with ``keep_records`` too: a node that cannot be read cannot be kept in part).

    Example:
        >>> len(read_rdf(Path("examples/paper-patients/paper-patients.ttl")))
        8
    """
    fmt = RDF_SUFFIXES[path.suffix.lower()]
    data = read_input_bytes(str(path))
    if not data.strip():
        raise InputError("file is empty", path=str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", path=str(path), line=line) from None
    del data
    graph = Graph()
    try:
        if fmt == "json-ld":
            _parse_jsonld(graph, path, text)
        else:
            graph.parse(data=text, format=fmt, publicID=path.resolve().as_uri())
    except InputError:
        raise
    except Exception as exc:  # rdflib raises many types for bad syntax
        raise InputError(f"not valid {fmt}: {_syntax_problem(exc)}", path=str(path)) from None
    reader = _Reader(graph, str(path), lenient)
    nodes = sorted(graph.subjects(RDF.type, GK.Transplant), key=str)
    if not nodes:
        raise InputError("no gk:Transplant found", path=str(path))
    records = []
    for node in nodes:
        try:
            record = reader.transplant(node)
        except InputError as exc:
            if refusals is None:
                raise
            tid = graph.value(node, GK.identifier)
            refusals.add(exc, str(tid) if tid is not None else None)
            continue
        records.append(record)
    return records
