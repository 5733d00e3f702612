"""Which IRIs a SPARQL request would make the server fetch (``SERVICE``, ``LOAD``), found by parsing it.

The endpoint refuses those requests unless the IRI starts with a prefix the operator allowed. The
decision is made on rdflib's parse of the request (prefixes and ``BASE`` resolved, ``\\u`` escapes
expanded as SPARQL 1.1 section 19.2 says), never on a text search. Text is only used to skip parsing
requests in which neither keyword can occur, even after escape expansion: a request without the
letters of ``SERVICE`` or ``LOAD`` cannot contain either operation.

The query workers run without sockets (:mod:`graftkg.endpoint.sandbox`), so this check is what gives
a clear 400; it is not the only thing standing between a query and the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_KEYWORD = re.compile(r"service|load", re.IGNORECASE)


class Refused(Exception):
    """The request names a server-side fetch that is not allowed (message: one line for the client)."""


@dataclass(frozen=True)
class Fetch:
    """One server-side fetch a request asks for: the operation and its IRI (``None``: a variable)."""

    operation: str
    iri: str | None


def _expand(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    return _ESCAPE.sub(one, text)


def might_fetch(text: str) -> bool:
    """Whether ``text`` can contain ``SERVICE`` or ``LOAD`` at all (a cheap test before parsing).

    Example:
        >>> might_fetch("SELECT * WHERE { ?s ?p ?o }"), might_fetch("SELECT * { SERV\\\\u0049CE <x> {} }")
        (False, True)
    """
    return _KEYWORD.search(_expand(text)) is not None


def _walk(node: object) -> Iterator[object]:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def fetches(text: str, *, update: bool) -> list[Fetch]:
    """The ``SERVICE`` and ``LOAD`` operations of a query or update; ``SyntaxError`` if rdflib cannot parse it.

    Example:
        >>> fetches("PREFIX e: <http://h/> SELECT * { SERVICE e:q { ?s ?p ?o } }", update=False)
        [Fetch(operation='SERVICE', iri='http://h/q')]
        >>> fetches("LOAD <file:///etc/passwd>", update=True)
        [Fetch(operation='LOAD', iri='file:///etc/passwd')]
    """
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef

    try:
        tree: object = (
            translateUpdate(parseUpdate(text)).algebra if update else translateQuery(parseQuery(text)).algebra
        )
    except Exception as exc:  # rdflib raises pyparsing's and its own errors; all mean "cannot read it"
        raise SyntaxError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    found: list[Fetch] = []
    for node in _walk(tree):
        assert isinstance(node, CompValue)
        if node.name == "ServiceGraphPattern":
            term = node.get("term")
            found.append(Fetch("SERVICE", str(term) if isinstance(term, URIRef) else None))
        elif node.name == "Load":
            term = node.get("iri")
            found.append(Fetch("LOAD", str(term) if isinstance(term, URIRef) else None))
    return found


def check(text: str, *, update: bool, allow: Sequence[str] = ()) -> None:
    """Raise :class:`Refused` if ``text`` would fetch an IRI that no prefix in ``allow`` covers.

    A request that may contain ``SERVICE`` or ``LOAD`` but that rdflib cannot parse is refused too:
    what cannot be read cannot be shown safe.

    Example:
        >>> check("SELECT * WHERE { ?s ?p ?o }", update=False)
        >>> check("SELECT * { SERVICE <http://10.0.0.1/sparql> { ?s ?p ?o } }", update=False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        graftkg.endpoint.guard.Refused: SERVICE <http://10.0.0.1/sparql> is not allowed: this endpoint does not ...
        >>> check("SELECT * { SERVICE <http://h/q> { ?s ?p ?o } }", update=False, allow=["http://h/"])
    """
    if not might_fetch(text):
        return
    try:
        found = fetches(text, update=update)
    except SyntaxError as exc:
        raise Refused(f"the request mentions SERVICE or LOAD and could not be checked: {exc}") from None
    for fetch in found:
        if fetch.iri is None:
            raise Refused(f"{fetch.operation} with a variable IRI is not allowed: the IRI must be checked first")
        if not _allowed(fetch.iri, allow):
            raise Refused(
                f"{fetch.operation} <{fetch.iri}> is not allowed: this endpoint does not fetch other servers "
                "(an operator can allow IRI prefixes with --allow-service)"
            )


def _allowed(iri: str, allow: Iterable[str]) -> bool:
    lowered = iri.lower()
    if not lowered.startswith(("http://", "https://")):
        return False  # file:, ftp:, data: ... never, even if a prefix was given for them
    return any(iri.startswith(prefix) for prefix in allow)


__all__ = ["Fetch", "Refused", "check", "fetches", "might_fetch"]
