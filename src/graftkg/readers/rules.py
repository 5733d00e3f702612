"""The rules of a record's content, applied to every record a reader reads, once it is read.

A reader parses what a cell *is* (a number, a day, a known column or measure) and stops or lists
the row when it cannot. What a record may *hold* is checked here, on the record, whatever format it
came in: a code must name a member of its value set, an HLA match reads like 8/10, a laboratory
value has a day and a value, in its measure's unit (a reader has converted any UCUM unit that
converts, see :mod:`graftkg.readers.units`), and no value may be one no record can truly hold (the shapes marked
``gk:refusedOnReading``, see :mod:`graftkg.readers.limits`). ``classify``, ``convert`` and ``load``
refuse a record with a problem here; ``validate`` keeps it for the shapes, and reports any problem
here that no shape reports as a violation at the same place, so that the two never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graftkg.errors import InputError, excerpt
from graftkg.model import RECORD_FIELDS, TransplantRecord
from graftkg.readers.limits import impossible_values
from graftkg.readers.refusals import Refusals
from graftkg.readers.units import units as measure_units
from graftkg.semantics.vocabulary import vocabulary

__all__ = ["content_problems", "refuse_content"]

_HLA = re.compile(r"^\d{1,2}/\d{1,2}$")
#: the support events whose value may be empty (a transfusion or G-CSF given: no number)
SUPPORT_WITHOUT_VALUE = frozenset({"platelet_transfusion", "rbc_transfusion", "gcsf"})
#: the observations whose value may be empty: those events, and a GvHD episode of unknown grade
#: (a diagnosis in a hospital's records rarely states the overall grade)
WITHOUT_VALUE = SUPPORT_WITHOUT_VALUE | {"gvhd"}
#: coded transplant fields, in the order of the columns of ``transplants.csv``
_CODED = sorted(f.name for f in RECORD_FIELDS if f.spec.value_set is not None)


def content_problems(record: TransplantRecord) -> Iterator[InputError]:
    """Each problem of ``record``'s content, located: its transplant fields in column order, then its
    observations in their order, then the values no record can truly hold.

    Example:
        >>> from graftkg.model import Observation
        >>> r = TransplantRecord("T1", graft_source="PBSC", source="t.csv", line=2,
        ...                      observations=[Observation(None, "ANC", 0.7, line=9, source="o.csv")])
        >>> [str(e) for e in content_problems(r)]  # doctest: +NORMALIZE_WHITESPACE
        ["t.csv:2: field 'graft_source': unknown code 'PBSC' (allowed: BM, PB, UCB)",
         "o.csv:9: field 'day': day is empty"]
    """
    vocab = vocabulary()
    path, line = record.source, record.line
    for field in _CODED:
        value = getattr(record, field, None)
        for code in value if isinstance(value, list) else [value]:
            if code is not None and vocab.iri(field, code) is None:
                yield InputError(
                    f"unknown code '{excerpt(code)}' (allowed: {', '.join(vocab.codes(field))})",
                    path=path,
                    line=line,
                    field=field,
                )
    if record.hla_match is not None and not _HLA.match(record.hla_match):
        yield InputError(
            f"'{excerpt(record.hla_match)}' is not an HLA match like 8/10", path=path, line=line, field="hla_match"
        )
    for obs in record.observations:
        where = {"path": obs.source or path, "line": obs.line}
        if obs.day is None and obs.measure != "dsa_mfi":  # a DSA test may be undated (pre-transplant)
            yield InputError("day is empty", field="day", **where)  # type: ignore[arg-type]
        if obs.measure == "infection":
            if obs.code is None or vocab.iri("infection", obs.code) is None:
                yield InputError(
                    f"unknown pathogen '{excerpt(obs.code or '')}' (allowed: {', '.join(vocab.codes('infection'))})",
                    field="value",
                    **where,  # type: ignore[arg-type]
                )
        elif obs.value is None and obs.measure not in WITHOUT_VALUE:
            yield InputError(f"value is empty for measure {obs.measure}", field="value", **where)  # type: ignore[arg-type]
        if obs.unit is not None:
            problem = measure_units().problem(obs.measure, obs.unit)
            if problem is not None:
                yield InputError(problem, field="unit", **where)  # type: ignore[arg-type]
        if obs.lineage is not None and vocab.iri("lineage", obs.lineage) is None:
            yield InputError(
                f"unknown lineage '{excerpt(obs.lineage)}' (allowed: {', '.join(vocab.codes('lineage'))})",
                field="lineage",
                **where,  # type: ignore[arg-type]
            )
    yield from impossible_values(record)


def refuse_content(records: list[TransplantRecord], refusals: Refusals | None) -> list[TransplantRecord]:
    """``records`` without those with a content problem (:func:`content_problems`): the first problem,
    in record order, raises; with ``refusals``, each problem is listed there and its transplant
    refused instead.

    Example:
        >>> good, bad = TransplantRecord("T1", graft_source="PB"), TransplantRecord("T2", graft_source="PBSC")
        >>> refusals = Refusals()
        >>> [r.transplant_id for r in refuse_content([good, bad], refusals)], sorted(refusals.refused)
        (['T1'], ['T2'])
    """
    kept = []
    for record in records:
        problems = content_problems(record)
        if refusals is None:
            for error in problems:
                raise error
            kept.append(record)
            continue
        for error in problems:
            refusals.add(error, record.transplant_id)
        if record.transplant_id not in refusals.refused:
            kept.append(record)
    return kept
