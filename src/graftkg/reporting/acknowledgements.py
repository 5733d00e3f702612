"""Acknowledgements: a reviewer's record that a validation finding was reviewed and is accepted.

An acknowledgement names a finding by its rule, transplant, field and value, and says why (a reason
code of ``ontology/review.ttl``: ``verified_against_source``, ``not_collected``, ``not_applicable``,
``agreed_with_registry``), who and when, with an optional comment. It is keyed on the value as well:
when the submitted value changes, the finding it acknowledged is gone and a new one, not
acknowledged, takes its place. Acknowledged findings are shown as such and do not count against
``--fail-on``. A finding that makes ``classify`` refuse its record (an unreadable cell, a value no
record can hold, days in an impossible order) cannot be acknowledged: it is corrected.

The file is CSV (``.csv``: the columns of :data:`COLUMNS`) or Turtle (``.ttl``: one
``gk:FindingAcknowledgement`` node each). graftkg reads it, and writes it (``graftkg acknowledge``)
whole, in a stable order, through a temporary file: an interrupted write leaves the old file.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef

from graftkg.errors import InputError
from graftkg.findings import Finding
from graftkg.rdf import DCTERMS, GK, RDF, RDFS, XSD

#: the columns of an acknowledgements CSV file, in order
COLUMNS = ("rule", "transplant_id", "field", "value", "reason", "comment", "by", "date")
#: the columns a row must fill
REQUIRED = ("rule", "transplant_id", "reason", "by", "date")


@dataclass(frozen=True, order=True)
class Acknowledgement:
    """One acknowledged finding: which (rule, transplant, field, value), why, who, when.

    Example:
        >>> a = Acknowledgement("CD34DosePlausible", "T1", "cd34_dose_1e6_per_kg", "45", "verified_against_source",
        ...                     "lab report checked", "A. Reviewer", "2026-12-06")
        >>> a.key
        ('CD34DosePlausible', 'T1', 'cd34_dose_1e6_per_kg', '45')
    """

    rule: str
    transplant_id: str
    field: str
    value: str
    reason: str
    comment: str
    by: str
    date: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What it acknowledges: rule, transplant, field and value (as :func:`finding_key` gives them)."""
        return (self.rule, self.transplant_id, self.field, self.value)

    def as_json(self) -> dict[str, str]:
        """The acknowledgement as a JSON object (its fields)."""
        return asdict(self)


def value_text(value: object) -> str:
    """A finding's value as an acknowledgement states it: empty for none, a whole number without ``.0``.

    Example:
        >>> value_text(None), value_text(45.0), value_text(0.25), value_text("PB")
        ('', '45', '0.25', 'PB')
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def finding_key(finding: Finding) -> tuple[str, str, str, str]:
    """The key of ``finding`` that an acknowledgement matches: rule, transplant, field, value.

    Example:
        >>> finding_key(Finding("warning", "T1", "cd34_dose_1e6_per_kg", 45.0, "implausible", "CD34DosePlausible",
        ...                     "plausibility"))
        ('CD34DosePlausible', 'T1', 'cd34_dose_1e6_per_kg', '45')
    """
    return (finding.rule, finding.transplant_id or "", finding.field, value_text(finding.value))


def reason_codes() -> dict[str, str]:
    """The acknowledgement reason codes, in their order, with their labels (read from the ontology).

    Example:
        >>> list(reason_codes())
        ['verified_against_source', 'not_collected', 'not_applicable', 'agreed_with_registry']
    """
    return {code: label for code, (_, label) in _reasons().items()}


def _reasons() -> dict[str, tuple[URIRef, str]]:
    """Each reason code, in order, with its individual and label, from ``ontology/review.ttl``."""
    from graftkg.assets import asset_dir
    from graftkg.semantics.ontology import parse_into

    g = Graph()
    parse_into(g, asset_dir("ontology") / "review.ttl")
    members = sorted(
        (m for m in g.subjects(RDF.type, GK.AcknowledgementReason) if isinstance(m, URIRef)),
        key=lambda m: int(str(g.value(m, GK.sortOrder) or 0)),
    )
    return {str(g.value(m, GK.code)): (m, str(g.value(m, RDFS.label))) for m in members}


class Acknowledgements:
    """The acknowledgements of a file, by the finding each names.

    Example:
        >>> acks = Acknowledgements([Acknowledgement("DonorTypeRequired", "T1", "donor_type", "", "not_collected",
        ...                                          "", "me", "2026-12-06")])
        >>> f = Finding("violation", "T1", "donor_type", None, "donor type missing", "DonorTypeRequired",
        ...             "completeness")
        >>> acks.match(f).reason
        'not_collected'
        >>> acks.unmatched([])[0].rule
        'DonorTypeRequired'
    """

    def __init__(self, items: Iterable[Acknowledgement] = ()) -> None:
        self.items: list[Acknowledgement] = sorted(set(items))
        self.by_key = {a.key: a for a in self.items}

    def __len__(self) -> int:
        return len(self.items)

    def match(self, finding: Finding, refused: Collection[str] = ()) -> Acknowledgement | None:
        """The acknowledgement of ``finding``, if there is one, and its rule is not one of ``refused``
        (those whose findings make ``classify`` refuse the record: they cannot be acknowledged)."""
        if finding.rule in refused:
            return None
        return self.by_key.get(finding_key(finding))

    def unmatched(self, findings: Sequence[Finding]) -> list[Acknowledgement]:
        """The acknowledgements that match none of ``findings``: resolved, or their value changed."""
        keys = {finding_key(f) for f in findings}
        return [a for a in self.items if a.key not in keys]

    def add(self, items: Iterable[Acknowledgement]) -> Acknowledgements:
        """These acknowledgements with ``items``; an item for a key already acknowledged replaces it."""
        merged = dict(self.by_key)
        for a in items:
            merged[a.key] = a
        return Acknowledgements(merged.values())


# ------------------------------------------------------------------------------------------ reading


def read_acknowledgements(path: str | Path) -> Acknowledgements:
    """Read an acknowledgements file: CSV (``.csv``) or Turtle (``.ttl``). A missing file has none.

    A bad row raises :class:`~graftkg.errors.InputError` naming the file, line and field: an unknown
    column, an empty required cell, an unknown reason code, a date that is not ``YYYY-MM-DD``.

    Example:
        >>> import tempfile
        >>> where = Path(tempfile.mkdtemp()) / "acks.csv"
        >>> _ = where.write_text("rule,transplant_id,field,value,reason,comment,by,date\\n"
        ...                      "DonorTypeRequired,T1,donor_type,,not_collected,,me,2026-12-06\\n")
        >>> len(read_acknowledgements(where))
        1
        >>> _ = where.write_text("rule,transplant_id,field,value,reason,comment,by,date\\n"
        ...                      "R,T1,f,,typo,,me,2026-12-06\\n")
        >>> read_acknowledgements(where)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        graftkg.errors.InputError: ...acks.csv:2: field 'reason': unknown reason code 'typo' (choose from: ...)
    """
    p = Path(path)
    if not p.exists():
        return Acknowledgements()
    if p.is_dir():
        raise InputError("is a folder: give the acknowledgements file (.csv or .ttl)", path=str(p))
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return Acknowledgements(_read_csv(p))
    if suffix == ".ttl":
        return Acknowledgements(_read_turtle(p))
    raise InputError("an acknowledgements file is .csv or .ttl", path=str(p))


def _read_csv(path: Path) -> list[Acknowledgement]:
    codes = reason_codes()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return []
    header = [h.strip() for h in header]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InputError(f"unknown column '{unknown[0]}' (the columns: {', '.join(COLUMNS)})", path=str(path), line=1)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(f"no column '{missing[0]}' (the columns: {', '.join(COLUMNS)})", path=str(path), line=1)
    out = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{len(row)} cells where the header has {len(header)}", path=str(path), line=line)
        cells = {h: c.strip() for h, c in zip(header, row, strict=True)}
        out.append(_checked(cells, codes, str(path), line))
    return out


def _checked(cells: dict[str, str], codes: dict[str, str], path: str, line: int | None) -> Acknowledgement:
    for name in REQUIRED:
        if not cells.get(name):
            hint = f" (choose from: {', '.join(codes)})" if name == "reason" else ""
            raise InputError(f"empty: every acknowledgement states its {name}{hint}", path=path, line=line, field=name)
    if cells["reason"] not in codes:
        raise InputError(
            f"unknown reason code '{cells['reason']}' (choose from: {', '.join(codes)})",
            path=path,
            line=line,
            field="reason",
        )
    try:
        date.fromisoformat(cells["date"])
    except ValueError:
        raise InputError(f"'{cells['date']}' is not a date (YYYY-MM-DD)", path=path, line=line, field="date") from None
    return Acknowledgement(*(cells.get(c, "") for c in COLUMNS))


def _read_turtle(path: Path) -> list[Acknowledgement]:
    from graftkg.semantics.ontology import parse_into

    reasons = _reasons()
    codes = {code: label for code, (_, label) in reasons.items()}
    by_iri = {iri: code for code, (iri, _) in reasons.items()}
    g = Graph()
    parse_into(g, path)
    out = []
    for node in sorted(g.subjects(RDF.type, GK.FindingAcknowledgement), key=str):
        if not isinstance(node, URIRef | BNode):
            continue  # a literal subject: not valid RDF, and no parser gives one
        where = f"acknowledgement {node.n3() if isinstance(node, URIRef) else '_:' + str(node)}"
        reason = g.value(node, GK.acknowledgementReason)
        code = ""
        if isinstance(reason, URIRef):
            code = by_iri.get(reason, str(reason))
        cells = {
            "rule": _text(g, node, GK.acknowledgedRule),
            "transplant_id": _text(g, node, GK.acknowledgedTransplant),
            "field": _text(g, node, GK.acknowledgedField),
            "value": _text(g, node, GK.acknowledgedValue),
            "reason": code,
            "comment": _text(g, node, RDFS.comment),
            "by": _text(g, node, DCTERMS.creator),
            "date": _text(g, node, DCTERMS.date),
        }
        out.append(_checked(cells, codes, f"{path}: {where}", None))
    return out


def _text(g: Graph, node: URIRef | BNode, prop: URIRef) -> str:
    value = g.value(node, prop)
    return "" if value is None else str(value).strip()


# ------------------------------------------------------------------------------------------ writing


def write_acknowledgements(path: str | Path, acks: Acknowledgements) -> Path:
    """Write ``acks`` to ``path`` (CSV or Turtle, by its suffix), whole, replacing the file atomically.

    Example:
        >>> import tempfile
        >>> where = Path(tempfile.mkdtemp()) / "acks.ttl"
        >>> a = Acknowledgement("DonorTypeRequired", "T1", "donor_type", "", "not_collected", "", "me", "2026-12-06")
        >>> _ = write_acknowledgements(where, Acknowledgements([a]))
        >>> read_acknowledgements(where).items == [a]
        True
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".ttl"):
        raise InputError("an acknowledgements file is .csv or .ttl", path=str(p))
    if not p.parent.is_dir():
        raise InputError(f"the folder {p.parent} does not exist", path=str(p))
    text = _csv_text(acks.items) if suffix == ".csv" else _turtle_text(acks.items)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def _csv_text(items: Sequence[Acknowledgement]) -> str:
    # plain CSV, not spreadsheet-escaped: the file is read back, and a value must match as it was given
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([getattr(a, c) for c in COLUMNS] for a in items)
    return out.getvalue()


def _turtle_text(items: Sequence[Acknowledgement]) -> str:
    g = Graph()
    g.bind("gk", GK)
    g.bind("dcterms", DCTERMS)
    reasons = _reasons()
    for a in items:
        node = BNode()
        g.add((node, RDF.type, GK.FindingAcknowledgement))
        g.add((node, GK.acknowledgedRule, Literal(a.rule)))
        g.add((node, GK.acknowledgedTransplant, Literal(a.transplant_id)))
        g.add((node, GK.acknowledgedField, Literal(a.field)))
        g.add((node, GK.acknowledgedValue, Literal(a.value)))
        g.add((node, GK.acknowledgementReason, reasons[a.reason][0]))
        if a.comment:
            g.add((node, RDFS.comment, Literal(a.comment)))
        g.add((node, DCTERMS.creator, Literal(a.by)))
        g.add((node, DCTERMS.date, Literal(a.date, datatype=XSD.date)))
    return g.serialize(format="turtle")


__all__ = [
    "COLUMNS",
    "Acknowledgement",
    "Acknowledgements",
    "finding_key",
    "read_acknowledgements",
    "reason_codes",
    "value_text",
    "write_acknowledgements",
]
