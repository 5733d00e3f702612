"""Which IRIs a SPARQL request would make the server fetch (``SERVICE``, ``LOAD``), found by parsing it.

The endpoint refuses those requests unless the IRI starts with a prefix the operator allowed. The
decision is made on rdflib's parse of the request (prefixes and ``BASE`` resolved), never on a text
search. Parsing is skipped only for requests whose tokens, read as Oxigraph's lexer reads them
(strings, IRIs, comments, names, variables, keywords), hold no ``SERVICE`` or ``LOAD`` keyword: such a
request cannot contain either operation, and rdflib's parser is far too slow for the megabytes of a
load's ``INSERT DATA``.

The query workers run without sockets (:mod:`graftkg.store.endpoint.sandbox`), so this check is what gives
a clear 400; it is not the only thing standing between a query and the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

_ESCAPE = re.compile(r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}")
_KEYWORD = re.compile(r"service|load", re.IGNORECASE)
# SPARQL's lexical tokens, as far as telling a keyword from everything else needs them. \u escapes
# are not expanded outside strings and IRIs: Oxigraph does not expand them there either.
_DELIMITERS = r"""\s{}()\[\];,<>"'#=!&|+*/^?$"""
_TOKEN = re.compile(
    r"(?P<comment>#[^\n\r]*)"
    r'|(?P<long>"""(?:"{0,2}(?:[^"\\]|\\.))*"""'
    r"|'''(?:'{0,2}(?:[^'\\]|\\.))*''')"
    r'|(?P<string>"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*')"
    r'|(?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)'
    rf"|(?P<variable>[?$][^{_DELIMITERS}]*)"
    rf"|(?P<word>(?:[^{_DELIMITERS}\\]|\\.)+)"
    r"|(?P<other>.)",
    re.DOTALL,
)


class Refused(Exception):
    """The request names a server-side fetch that is not allowed (message: one line for the client)."""


@dataclass(frozen=True)
class Fetch:
    """One server-side fetch a request asks for: the operation and its IRI (``None``: a variable)."""

    operation: str
    iri: str | None


def keywords(text: str) -> int:
    """How many ``SERVICE`` and ``LOAD`` keywords ``text`` holds, read as SPARQL's lexer reads it.

    Words inside strings, IRIs and comments, and prefixed names and variables, do not count.

    Example:
        >>> keywords('SELECT ?load WHERE { ?s <urn:service> "LOAD" . ?s ex:service ?o } # SERVICE')
        0
        >>> keywords("SELECT * { service <http://h/> { ?s ?p ?o } }"), keywords("LOAD <http://h/d.ttl>")
        (1, 1)
    """
    if _KEYWORD.search(text) is None:
        return 0  # the letters are not even there
    return sum(
        1
        for match in _TOKEN.finditer(text)
        if match.lastgroup == "word" and match.group().lower() in ("service", "load")
    )


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

    A request with ``SERVICE`` or ``LOAD`` keywords is refused, too, if rdflib cannot parse it, finds
    fewer such operations than there are keywords, or the text holds ``\\u`` escapes (rdflib expands
    them everywhere, Oxigraph only in strings and IRIs, so the two could read it differently): what
    cannot be read one way only cannot be shown safe.

    Example:
        >>> check("SELECT * WHERE { ?s ?p ?o }", update=False)
        >>> check("SELECT * { SERVICE <http://10.0.0.1/sparql> { ?s ?p ?o } }", update=False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        graftkg.store.endpoint.guard.Refused: SERVICE <http://10.0.0.1/sparql> is not allowed: ...
        >>> check("SELECT * { SERVICE <http://h/q> { ?s ?p ?o } }", update=False, allow=["http://h/"])
    """
    expected = keywords(text)
    if not expected:
        return
    if _ESCAPE.search(text):
        raise Refused("a request with SERVICE or LOAD must not use \\u escapes: they could hide what it fetches")
    try:
        found = fetches(text, update=update)
    except SyntaxError as exc:
        raise Refused(f"the request has SERVICE or LOAD and could not be checked: {exc}") from None
    if len(found) < expected:
        raise Refused("the request has SERVICE or LOAD keywords that could not be checked")
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


__all__ = ["Fetch", "Refused", "check", "fetches", "keywords"]
