"""FHIR R4 in: a transplant centre's export (a Bundle, single resources, or Bulk Data NDJSON) read
into transplant records.

What is read, and from where (``docs/fhir.md`` has the full mapping):

* **Patient**: the patient's identifier, ``gender`` (sex), ``birthDate`` (age at the infusion) and
  ``deceasedDateTime`` (the day of death).
* **Procedure**, one per transplant, recognised by its code: SNOMED CT 234336002 (haemopoietic stem
  cell transplant), the ICD-10-PCS codes of an allogeneic transfusion of bone marrow or stem cells
  (table 302, e.g. ``30233G2``), or graftkg's own code. ``performed[x]`` is the infusion: day 0.
  Its graft may be a BiologicallyDerivedProduct it names as the PanCareSurPass IG does (graft
  source and donor type, :func:`_graft`).
  The transplant's other fields (graft source, donor, conditioning, reported recovery days ...) are
  graftkg extensions on the Procedure, one per column of ``transplants.csv`` (url
  ``https://w3id.org/graftkg/fhir/StructureDefinition/<column>``), read by the CSV reader's own rules.
* **Observation**: laboratory counts by LOINC code (every code of the CIBMTR priority-variables value
  set for neutrophils, platelets, haemoglobin and leukocytes that the ontology's verified mappings
  list), other observations by graftkg's measure codes. ``effective[x]`` minus day 0 is the day; a
  ``valueQuantity`` in another UCUM unit is converted (:mod:`graftkg.readers.units`). An observation
  belongs to the transplant its ``partOf`` names, else to the patient's latest transplant on or
  before its date. The neutrophils per 100 leukocytes of a differential, times the leukocyte count
  of the same time, give an ANC marked as calculated (the ontology's ``gk:ANCFromDifferential``;
  see :class:`_Samples`), which the classification's explanation names.
* **Condition** coded as GvHD (the CIBMTR IG's GvHD value sets: ICD-10-CM D89.81x, SNOMED CT
  234646005): a GvHD episode, its ``onset[x]`` the day, its grade a ``stage.summary``.
* **MedicationAdministration** and **MedicationRequest** of an agent of the CIBMTR IG's per-drug
  RxNorm value sets: a conditioning agent or GvHD prophylaxis of the transplant (see
  :func:`_medication_uses`).

Each resource becomes a row of the CSV bundle, read by the bundle's parsers: the same rules, the same
errors, located here to the file (and line, in NDJSON) and the resource, with a FHIRPath expression
to the element (``Observation/o1 Observation.valueQuantity.code``). Resources of other types, and
observations of codes graftkg does not read, are left out and counted in ``notes``; nothing else is.
Reading never opens a network connection.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from graftkg.errors import InputError, InputNote, excerpt, read_input_bytes
from graftkg.model import Observation, TransplantRecord
from graftkg.readers.csv_bundle import FIELD_OF_COLUMN, OBSERVATION_COLUMNS, cell_reader, observation_parser
from graftkg.readers.refusals import Refusals
from graftkg.readers.units import significant, units
from graftkg.semantics.facts import OBSERVATION_MEASURES, SUPPORT_MEASURES
from graftkg.semantics.vocabulary import vocabulary

__all__ = [
    "CODE_SYSTEM",
    "DAY0_PLACEHOLDER",
    "EXTENSION",
    "FHIR_SUFFIXES",
    "LOINC",
    "SNOMED",
    "UCUM",
    "is_fhir",
    "procedure_codes",
    "read_fhir",
]

#: the base of graftkg's FHIR extensions: one a ``transplants.csv`` column, named after it
EXTENSION = "https://w3id.org/graftkg/fhir/StructureDefinition/"
#: graftkg's extension of a Procedure's ``performedDateTime`` (``_performedDateTime``), ``valueBoolean``
#: true: the infusion date was not reported, and the date is a placeholder day 0 the transplant's
#: other dates count its days from (a record read so has no infusion date)
DAY0_PLACEHOLDER = EXTENSION + "day0-placeholder"
#: graftkg's code systems: ``measure`` (the observation codes of ``observations.csv``) and ``procedure``
CODE_SYSTEM = "https://w3id.org/graftkg/fhir/CodeSystem/"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
#: graftkg's code of an allogeneic HSCT procedure (in ``CODE_SYSTEM + "procedure"``)
GRAFTKG_PROCEDURE = "allogeneic-hsct"
#: the identifier systems graftkg writes (a FHIR id allows fewer characters than a graftkg identifier)
IDENTIFIER = {"Patient": "https://w3id.org/graftkg/id/patient", "Procedure": "https://w3id.org/graftkg/id/transplant"}
#: file suffixes always read as FHIR (a ``.json`` file is FHIR when it holds a ``resourceType``)
FHIR_SUFFIXES = (".ndjson",)
#: the statuses of a resource that did not happen or was recorded in error: left out, and counted
_NOT_DONE = {"entered-in-error", "cancelled", "not-done", "stopped", "preparation"}
#: the PanCareSurPass IG: its code system, and its extensions naming a transplant's graft
PCSP_CODES = "http://hl7.eu/fhir/ig/pcsp/CodeSystem/cs-generic-eu-pcsp"
PCSP_EXTENSION = "http://hl7.eu/fhir/ig/pcsp/StructureDefinition/"
#: the HL7 extension naming what caused a Condition (a GvHD's transplant Procedure)
CONDITION_DUE_TO = "http://hl7.org/fhir/StructureDefinition/condition-dueTo"
#: the verification statuses of a Condition that is not a diagnosis: left out, and counted
_NOT_VERIFIED = {"refuted", "entered-in-error"}
#: graftkg's code system of a GvHD grade (0-4), a Condition's ``stage.summary``
GVHD_GRADE = "gvhd-grade"
#: the IRI prefixes of the codes in the verified mappings, and the FHIR code system of each
_MAPPED_SYSTEMS = {
    "https://loinc.org/": LOINC,
    "http://snomed.info/id/": SNOMED,
    "http://purl.bioontology.org/ontology/ICD10PCS/": ICD10PCS,
    "http://purl.bioontology.org/ontology/ICD10CM/": ICD10CM,
}
#: a procedure's columns that the resource itself states (not as extensions)
_STATED = {"transplant_id", "patient_id", "infusion_date"}


@dataclass(frozen=True)
class Codes:
    """The codes graftkg reads and writes, from the ontology's verified mappings
    (``ontology/mappings.ttl``): each lab LOINC code's measure, the transplant procedure's codes, and
    the ICD-10-CM codes of a graft failure: the narrower one (bone marrow transplant failure) for a
    bone marrow graft, the related one (complications of stem cell transplant) for the others."""

    loinc: dict[str, str]
    procedures: frozenset[tuple[str, str]]
    graft_failure_icd10cm: dict[str, str]
    #: the (system, code) of a GvHD Condition: ICD-10-CM and SNOMED CT codes of gk:GvHDEpisode
    gvhd: frozenset[tuple[str, str]]
    #: the (system, code) of an infection Condition, and the pathogen it names (ICD-10-CM codes
    #: related to the ontology's pathogens)
    infections: dict[tuple[str, str], str]
    #: the (system, code) of a transfusion Procedure, and the support event it is (ICD-10-PCS)
    transfusions: dict[tuple[str, str], str]


@lru_cache(maxsize=1)
def procedure_codes() -> Codes:
    """The codes of :class:`Codes`, read from the verified mappings once.

    Example:
        >>> codes = procedure_codes()
        >>> codes.loinc["751-8"], codes.loinc["59260-0"], (SNOMED, "234336002") in codes.procedures
        ('ANC', 'HB', True)
        >>> codes.loinc["770-8"]  # neutrophils per 100 leukocytes: an ANC with a leukocyte count
        'neutrophil_pct'
        >>> sorted(c for s, c in codes.procedures if s == ICD10PCS)[:3]
        ['30233G2', '30233G3', '30233G4']
        >>> codes.infections[ICD10CM, "B25.9"]
        'CMV'
        >>> sorted(codes.gvhd)[:2]
        [('http://hl7.org/fhir/sid/icd-10-cm', 'D89.81'), ('http://hl7.org/fhir/sid/icd-10-cm', 'D89.810')]
    """
    from rdflib import Graph, URIRef

    from graftkg.assets import asset_dir
    from graftkg.rdf import GK, SKOS
    from graftkg.semantics.facts import LAB_MEASURES
    from graftkg.semantics.ontology import parse_into

    graph = Graph()
    parse_into(graph, asset_dir("ontology") / "mappings.ttl")
    reading = (SKOS.exactMatch, SKOS.closeMatch, SKOS.narrowMatch)
    vocab = vocabulary()

    def mapped(term: URIRef | None, *props: URIRef) -> list[tuple[str, str]]:
        """The ``(FHIR system, code)`` of each code ``term`` is mapped to by ``props``."""
        out = []
        for prop in props:
            for target in graph.objects(term, prop):
                for prefix, system in _MAPPED_SYSTEMS.items():
                    if str(target).startswith(prefix):
                        out.append((system, str(target).removeprefix(prefix)))
        return out

    loinc: dict[str, str] = {}
    # the lab counts, and what a count is calculated from (neutrophils per 100 leukocytes)
    for measure in [*sorted(LAB_MEASURES), *vocab.codes("calculation_input")]:
        term = vocab.iri("measure", measure) or vocab.iri("calculation_input", measure)
        loinc.update((code, measure) for system, code in mapped(term, *reading) if system == LOINC)
    procedures = {(CODE_SYSTEM + "procedure", GRAFTKG_PROCEDURE)}
    procedures.update(c for c in mapped(GK.Transplant, *reading, SKOS.broadMatch) if c[0] in (SNOMED, ICD10PCS))

    def failure(prop: URIRef) -> str:
        [code] = [code for system, code in mapped(GK.GraftFailure, prop) if system == ICD10CM]
        return code

    graft_failure = {"bone_marrow": failure(SKOS.narrowMatch), "stem_cells": failure(SKOS.relatedMatch)}
    gvhd = {c for c in mapped(GK.GvHDEpisode, *reading) if c[0] in (ICD10CM, SNOMED)}
    infections = {
        c: pathogen
        for pathogen in vocab.codes("infection")
        for c in mapped(vocab.iri("infection", pathogen), SKOS.relatedMatch)
        if c[0] == ICD10CM
    }
    transfusions = {
        c: support for support, term in SUPPORT_MEASURES.items() for c in mapped(term, *reading) if c[0] == ICD10PCS
    }
    return Codes(loinc, frozenset(procedures), graft_failure, frozenset(gvhd), infections, transfusions)


def is_fhir(path: Path) -> bool:
    """Whether the file at ``path`` is FHIR: NDJSON, or JSON whose top-level object has a ``resourceType``.

    Example:
        >>> is_fhir(Path("tests/fhir/cibmtr-ig/Patient-PatientExample1.json"))
        True
        >>> is_fhir(Path("examples/paper-patients/paper-patients.jsonld"))
        False
    """
    if path.suffix.lower() in FHIR_SUFFIXES:
        return True
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    head = path.open("rb").read(4096).lstrip()
    return head.startswith(b"{") and re.search(rb'"resourceType"\s*:', head) is not None


@dataclass(slots=True)
class _Resource:
    """One resource with where it was read: file, line (NDJSON) and its path in the file."""

    data: dict[str, Any]
    path: str
    line: int | None
    pointer: str
    #: its resourceType
    kind: str

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.data.get('id', '?')}"

    def error(self, message: str, element: str) -> InputError:
        """An error located to this resource and one of its elements (a FHIRPath expression)."""
        where = f"{self.pointer} " if self.pointer != self.kind else ""
        return InputError(message, path=self.path, line=self.line, field=f"{where}{self.ref} {element}")


@dataclass
class _Read:
    resources: list[_Resource] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)
    #: the ids of the BiologicallyDerivedProducts a transplant Procedure names
    used: set[str] = field(default_factory=set)


def _resources(path: Path, out: _Read) -> None:
    """The resources of one file (a Bundle's entries in order), each with where it was read."""
    name = str(path)
    data = read_input_bytes(name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", path=name, line=line) from None
    if path.suffix.lower() in FHIR_SUFFIXES:
        rows = [(n, row) for n, row in enumerate(text.split("\n"), start=1) if row.strip()]
        del text
        try:  # the lines as one JSON array: one call of the parser instead of one a line
            parsed = json.loads("[" + ",".join(row for _, row in rows) + "]")
        except (json.JSONDecodeError, RecursionError):
            parsed = None
        if parsed is None or len(parsed) != len(rows):  # a bad line (or one holding two values): find it
            parsed = [_json(row, name, n) for n, row in rows]
        for (n, _), data in zip(rows, parsed, strict=True):
            _add(data, name, n, "", out)
        return
    _add(_json(text, name, None), name, None, "", out)


def _json(text: str, path: str, line: int | None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = exc.lineno if line is None else line
        raise InputError(f"not JSON: {exc.msg} (column {exc.colno})", path=path, line=at) from None
    except RecursionError:
        raise InputError("not JSON this reader accepts: nested too deeply", path=path, line=line) from None


def _add(data: Any, path: str, line: int | None, pointer: str, out: _Read) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise InputError(
            f"not a FHIR resource (no resourceType){' at ' + pointer if pointer else ''}", path=path, line=line
        )
    kind = data["resourceType"]
    here = pointer or kind
    if kind == "Bundle":
        entries = data.get("entry", [])
        if not isinstance(entries, list):
            raise InputError(f"{here}.entry is not a list", path=path, line=line)
        for i, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if resource is None:
                raise InputError(f"{here}.entry[{i}] has no resource", path=path, line=line)
            _add(resource, path, line, f"{here}.entry[{i}].resource", out)
        return
    out.resources.append(_Resource(data, path, line, here, kind))


def read_fhir(
    paths: list[Path], *, refusals: Refusals | None = None, notes: list[str] | None = None
) -> list[TransplantRecord]:
    """Read the FHIR files ``paths`` into transplant records (see the module's docstring).

    Resources left out are counted into ``notes`` (one line each), or, without ``notes``, each count
    is an :class:`~graftkg.errors.InputNote` warning (the command line prints them); an error raises, or with
    ``refusals`` refuses its transplant (see :class:`~graftkg.readers.refusals.Refusals`).

    Example:
        >>> records = read_fhir([Path("examples/paper-patients/fhir/paper-patients.json")])
        >>> [(r.transplant_id, r.graft_source, len(r.observations)) for r in records][:2]
        [('P1-T1', 'PB', 22), ('P1-T2', 'PB', 19)]
    """
    read = _Read()
    for path in paths:
        _resources(path, read)
    codes = procedure_codes()
    site = site_codes(sorted({p.parent for p in paths}))
    patients: dict[str, _Resource] = {}
    procedures: list[_Resource] = []
    observations: list[_Resource] = []
    medications: dict[str, _Resource] = {}  # by id: what a MedicationAdministration/Request names
    products: dict[str, _Resource] = {}  # by id: the grafts transplant Procedures name (PanCareSurPass)
    uses: list[_Resource] = []
    for res in read.resources:
        status = res.data.get("status")
        if res.kind == "Patient":
            patients.setdefault(_id(res), res)
        elif res.kind == "Procedure":
            transfusion = any(coding in codes.transfusions for coding in _codings(res))
            if not transfusion and not _is_transplant(res, codes):
                read.ignored["Procedure (neither an allogeneic HSCT nor a transfusion graftkg reads)"] += 1
            elif status in _NOT_DONE:
                read.ignored[f"Procedure ({status})"] += 1
            else:  # a transfusion is a support event of its transplant, read with the observations
                (observations if transfusion else procedures).append(res)
        elif res.kind == "Observation":
            if status in _NOT_DONE:
                read.ignored[f"Observation ({status})"] += 1
            else:
                observations.append(res)
        elif res.kind == "Medication":
            medications.setdefault(str(res.data.get("id", "")), res)
        elif res.kind == "BiologicallyDerivedProduct":
            products.setdefault(str(res.data.get("id", "")), res)
        elif res.kind in _MEDICATION_USES:
            if status in _NOT_DONE or status == "draft":
                read.ignored[f"{res.kind} ({status})"] += 1
            else:
                uses.append(res)
        elif res.kind == "Condition":
            verified = _status_code(res, "verificationStatus")
            if _condition_measure(res, codes) is None:
                read.ignored["Condition (neither GvHD nor an infection graftkg reads)"] += 1
            elif verified in _NOT_VERIFIED:
                read.ignored[f"Condition ({verified})"] += 1
            else:
                observations.append(res)
        else:
            read.ignored[res.kind] += 1
    records, by_patient, by_id, placeholders = _transplants(procedures, patients, products, read, refusals)
    unused = sum(1 for pid in products if pid not in read.used)
    if unused:
        read.ignored["BiologicallyDerivedProduct (named by no transplant Procedure)"] += unused
    alone = sum(1 for res in patients.values() if (res.data.get("id") not in by_patient and _id(res) not in by_patient))
    if alone:
        read.ignored["Patient (no transplant Procedure)"] += alone
    dead = sum(1 for res in patients.values() if res.data.get("deceasedBoolean") is True)
    if dead:  # deceased without a date: no day of death can be given
        read.ignored["Patient.deceasedBoolean (no date, so no day of death)"] += dead
    _observations(observations, codes, site, records, by_patient, by_id, read, refusals)
    named = _medication_uses(uses, medications, by_patient, by_id, read, refusals)
    for record in placeholders:  # the days are counted: a placeholder day 0 is no infusion date
        record.infusion_date = None
    unnamed = sum(1 for mid in medications if mid not in named)
    if unnamed:
        read.ignored["Medication (named by no medication use graftkg reads)"] += unnamed
    for what, count in sorted(read.ignored.items()):
        note = f"left out {count} {what} resource(s): graftkg does not read them"
        if notes is not None:
            notes.append(note)
        else:
            warnings.warn(InputNote(note), stacklevel=2)
    return records


def _id(res: _Resource) -> str:
    """A Patient's or Procedure's graftkg identifier: its graftkg identifier, else its id."""
    for identifier in res.data.get("identifier", []) or []:
        if isinstance(identifier, dict) and identifier.get("system") == IDENTIFIER.get(res.kind):
            value = identifier.get("value")
            if isinstance(value, str) and value:
                return value
    value = res.data.get("id")
    if not isinstance(value, str) or not value:
        raise res.error("has no id", f"{res.kind}.id")
    return value


def _codings(res: _Resource, element: str = "code") -> Iterator[tuple[str, str]]:
    """The ``(system, code)`` of each coding of the CodeableConcept ``element`` of ``res``."""
    return _concept_codings(res.data.get(element))


def _concept_codings(concept: Any) -> Iterator[tuple[str, str]]:
    """The ``(system, code)`` of each coding of a CodeableConcept (nothing for anything else)."""
    for coding in concept.get("coding", []) if isinstance(concept, dict) else []:
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            yield str(coding.get("system", "")), coding["code"]


def _extensions(data: dict[str, Any], url: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each extension of ``data`` with ``url``, with its index."""
    for n, ext in enumerate(data.get("extension", []) or []):
        if isinstance(ext, dict) and ext.get("url") == url:
            yield n, ext


def _contained(res: _Resource, text: str, kind: str, element: str) -> _Resource:
    """The resource contained in ``res`` that the local reference ``text`` (``#id``) names."""
    for n, contained in enumerate(res.data.get("contained", []) or []):
        if isinstance(contained, dict) and contained.get("id") == text[1:]:
            return _Resource(contained, res.path, res.line, f"{res.pointer or res.kind}.contained[{n}]", kind)
    raise res.error(f"'{excerpt(text)}' names no contained {kind}", element)


def _condition_measure(res: _Resource, codes: Codes) -> str | None:
    """``gvhd`` or ``infection`` for a Condition graftkg reads as one (by its code), else None."""
    codings = list(_codings(res))
    if any(coding in codes.gvhd for coding in codings):
        return "gvhd"
    if any(coding in codes.infections for coding in codings):
        return "infection"
    return None


def _status_code(res: _Resource, element: str) -> str | None:
    """The code of a status CodeableConcept (a Condition's ``verificationStatus``), or None."""
    return next((code for _, code in _codings(res, element)), None)


def _is_transplant(res: _Resource, codes: Codes) -> bool:
    return any(coding in codes.procedures for coding in _codings(res))


def _reference(res: _Resource, element: str, kind: str) -> str | None:
    """The id a reference of ``res`` names (``Patient/p1`` -> ``p1``), or None when absent."""
    value = res.data.get(element)
    prefix = kind + "/"
    if type(value) is list and value and type(value[0]) is dict:  # the usual case: the first names one
        first = value[0].get("reference")
        if type(first) is str and first.startswith(prefix):
            return first[len(prefix) :]
    if isinstance(value, list):  # the first reference to a resource of this kind
        listed, value = value, None
        for item in listed:
            if isinstance(item, dict) and str(item.get("reference", "")).startswith(prefix):
                value = item
                break
    if value is None:
        return None
    ref = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(ref, str) or not ref.startswith(prefix):
        raise res.error(f"expected a reference to a {kind}", f"{res.kind}.{element}.reference")
    return ref[len(prefix) :]


def _when(res: _Resource, prefix: str, dates: dict[str, date] | None = None) -> date:
    """The date of ``<prefix>DateTime``, ``<prefix>Period.start`` or ``<prefix>Instant`` (``dates``:
    the texts read so far, kept by the caller); of ``prefix`` itself for a plain dateTime element
    (``authoredOn``)."""
    plain = prefix in _PLAIN_DATES
    forms = (
        ((prefix, None),)
        if plain
        else ((f"{prefix}DateTime", None), (f"{prefix}Period", "start"), (f"{prefix}Instant", None))
    )
    for element, read in forms:
        value = res.data.get(element)
        if value is None:
            continue
        text = value.get(read) if read and isinstance(value, dict) else value
        if dates is not None and isinstance(text, str):
            known = dates.get(text)
            if known is not None:
                return known
        where = f"{res.kind}.{element}" + (f".{read}" if read else "")
        if not isinstance(text, str) or not _DATE.match(text):
            raise res.error(f"'{excerpt(str(text))}' is not a date (YYYY-MM-DD...)", where)
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            raise res.error(f"'{excerpt(text)}' is not a date", where) from None
        if dates is not None:
            dates[text] = day
        return day
    if plain:
        raise res.error(f"has no {prefix} date", f"{res.kind}.{prefix}")
    raise res.error(f"has no {prefix}[x] date", f"{res.kind}.{prefix}[x]")


#: dateTime elements without a choice of type
_PLAIN_DATES = {"authoredOn"}


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _cell(value: Any) -> str:
    """An extension's value as the text of a ``transplants.csv`` cell."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _transplants(
    procedures: list[_Resource],
    patients: dict[str, _Resource],
    products: dict[str, _Resource],
    read: _Read,
    refusals: Refusals | None,
) -> tuple[
    list[TransplantRecord],
    dict[str, list[tuple[date, TransplantRecord]]],
    dict[str, TransplantRecord],
    list[TransplantRecord],
]:
    """The records of the transplant procedures, with each patient's transplants by date, and those
    whose date is a placeholder day 0 (:data:`DAY0_PLACEHOLDER`): their infusion date, day 0 while
    their other dates are read, is to be none."""
    dated: list[tuple[str, date, _Resource]] = []
    for res in procedures:
        try:
            patient = _reference(res, "subject", "Patient")
            if patient is None:
                raise res.error("names no subject Patient", "Procedure.subject")
            dated.append((patient, _when(res, "performed"), res))
        except InputError as exc:
            _fail(exc, None, refusals)
    records: list[TransplantRecord] = []
    by_patient: dict[str, list[tuple[date, TransplantRecord]]] = {}
    by_id: dict[str, TransplantRecord] = {}
    placeholders: list[TransplantRecord] = []
    readers: dict[tuple[str, str], Any] = {}
    for patient_ref, day0, res in sorted(dated, key=lambda d: (d[0], d[1])):
        tid = None
        try:
            tid = _id(res)
            record = _record(res, tid, day0, patients.get(patient_ref), patient_ref, readers, products, read)
            if _placeholder(res):
                placeholders.append(record)
        except InputError as exc:
            _fail(exc, tid, refusals)
            continue
        earlier = by_patient.setdefault(patient_ref, [])
        if earlier and record.transplant_number is None:
            record.transplant_number = len(earlier) + 1
            record.prior_transplant_id = earlier[-1][1].transplant_id
        earlier.append((day0, record))
        by_id[res.data.get("id", tid)] = record
        records.append(record)
    records.sort(key=lambda r: (r.source or "", r.transplant_id))
    return records, by_patient, by_id, placeholders


def _record(
    res: _Resource,
    tid: str,
    day0: date,
    patient: _Resource | None,
    patient_ref: str,
    readers: dict[tuple[str, str], Any],
    products: dict[str, _Resource],
    read: _Read,
) -> TransplantRecord:
    """The record of a transplant procedure (``readers``: the column readers made so far, by file)."""
    cells: dict[str, list[tuple[str, str]]] = {}  # column -> (its cell text, the element it came from)
    for n, ext in enumerate(res.data.get("extension", []) or []):
        url = ext.get("url") if isinstance(ext, dict) else None
        if not isinstance(url, str) or not url.startswith(EXTENSION):
            continue  # another party's extension: not graftkg's to read
        column = url.removeprefix(EXTENSION)
        element = f"Procedure.extension[{n}]"
        if column not in FIELD_OF_COLUMN or column in _STATED:
            raise res.error(f"unknown graftkg extension '{excerpt(column)}'", f"{element}.url")
        value = [v for k, v in ext.items() if k.startswith("value")]
        if len(value) != 1:
            raise res.error("a graftkg extension has one value[x]", element)
        if cells.get(column) and FIELD_OF_COLUMN[column].spec.kind != "codes":
            raise res.error(f"extension '{column}' given twice (it holds one value)", element)
        cells.setdefault(column, []).append((_cell(value[0]), f"{element}.value[x]"))
    for column, given in _graft(res, products, read).items():
        cells.setdefault(column, given)  # graftkg's own extension, if any, says it first
    values: dict[str, Any] = {}
    for column, given in cells.items():
        cell = readers.get((column, res.path))
        if cell is None:
            cell = readers[column, res.path] = cell_reader(column, res.path)
        try:  # the transplants.csv cell of the column (a code list is one cell, its codes joined by ';')
            cell(values, 0, ";".join(text for text, _ in given))
        except InputError as exc:
            raise res.error(exc.message, given[0][1]) from None
    columns = set(cells)
    record = TransplantRecord(tid, source=res.path, line=res.line)
    for name, value in values.items():
        setattr(record, name, value)
    record.patient_id = _id(patient) if patient is not None else patient_ref
    record.infusion_date = day0  # a placeholder too, until the transplant's other dates are read
    if patient is not None:
        _patient_fields(record, patient, day0, columns)
    return record


def _placeholder(res: _Resource) -> bool:
    """Whether a transplant Procedure's date is a placeholder day 0 (:data:`DAY0_PLACEHOLDER`)."""
    element = res.data.get("_performedDateTime")
    if not isinstance(element, dict):
        return False
    for n, ext in enumerate(element.get("extension", []) or []):
        if isinstance(ext, dict) and ext.get("url") == DAY0_PLACEHOLDER:
            value = ext.get("valueBoolean")
            if not isinstance(value, bool):
                raise res.error(
                    "the day-0 placeholder extension holds a valueBoolean",
                    f"Procedure._performedDateTime.extension[{n}]",
                )
            return value
    return False


def _graft(res: _Resource, products: dict[str, _Resource], read: _Read) -> dict[str, list[tuple[str, str]]]:
    """The graft source and donor type of the BiologicallyDerivedProduct a transplant Procedure names
    as the PanCareSurPass IG does (its ``procedure-usedReference`` extension), as cells of
    ``transplants.csv`` columns, each with the element it came from (:func:`pcsp_codes`)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for n, ext in _extensions(res.data, PCSP_EXTENSION + "procedure-usedReference"):
        ref = ext.get("valueReference")
        text = ref.get("reference") if isinstance(ref, dict) else None
        element = f"Procedure.extension[{n}].valueReference"
        product: _Resource | None = None
        if isinstance(text, str) and text.startswith("#"):
            product = _contained(res, text, "BiologicallyDerivedProduct", element)
        elif isinstance(text, str) and text.startswith("BiologicallyDerivedProduct/"):
            product = products.get(text.removeprefix("BiologicallyDerivedProduct/"))
            if product is not None:
                read.used.add(text.removeprefix("BiologicallyDerivedProduct/"))
        else:
            raise res.error("expected a reference to a BiologicallyDerivedProduct", element)
        if product is None:
            read.ignored["Procedure graft (its BiologicallyDerivedProduct is not in the export)"] += 1
            continue
        codes = pcsp_codes()
        details = [*_extensions(product.data, PCSP_EXTENSION + "sct-donor-type")]
        details += _extensions(product.data, PCSP_EXTENSION + "sct-source-type")
        for k, detail in sorted(details, key=lambda d: d[0]):
            for code in (c for s, c in _concept_codings(detail.get("valueCodeableConcept")) if s == PCSP_CODES):
                mapped = codes.get(code)
                if mapped is None or mapped[0] not in ("donor_type", "graft_source"):
                    read.ignored[f"BiologicallyDerivedProduct code {excerpt(code)} (no graftkg code for it)"] += 1
                    continue
                where = f"{product.kind}/{product.data.get('id', '?')} extension[{k}].valueCodeableConcept"
                out.setdefault(mapped[0], []).append((mapped[1], where))
    return out


@lru_cache(maxsize=1)
def pcsp_codes() -> dict[str, tuple[str, str]]:
    """The PanCareSurPass IG's codes graftkg reads: ``code -> (field, graftkg code)``
    (``ontology/mappings/pcsp/codes.csv``, with its source): a graft source, a donor type, an acute
    GvHD grade.

    Example:
        >>> pcsp_codes()["sct-pbsc"], pcsp_codes()["Gvhd-acute-2"]
        (('graft_source', 'PB'), ('gvhd_grade', '2'))
    """
    import csv

    from graftkg.assets import asset_dir

    with (asset_dir("ontology") / "mappings" / "pcsp" / "codes.csv").open(newline="", encoding="utf-8") as handle:
        return {row["code"]: (row["field"], row["graftkg"]) for row in csv.DictReader(handle)}


def _patient_fields(record: TransplantRecord, patient: _Resource, day0: date, columns: set[str]) -> None:
    """Sex, age at the infusion and day of death from the Patient, unless an extension gave them."""
    gender = patient.data.get("gender")
    if "recipient_sex" not in columns and gender in ("male", "female"):
        record.recipient_sex = "M" if gender == "male" else "F"
    born = patient.data.get("birthDate")
    if "recipient_age_years" not in columns and isinstance(born, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", born):
        try:
            birth = date.fromisoformat(born)
        except ValueError:
            raise patient.error(f"'{excerpt(born)}' is not a date", "Patient.birthDate") from None
        record.recipient_age_years = round((day0 - birth).days / 365.25, 2)
    if "death_day" not in columns and "deceasedDateTime" in patient.data:
        record.death_day = (_when(patient, "deceased") - day0).days


def _observations(
    observations: list[_Resource],
    codes: Codes,
    site: dict[tuple[str, str], tuple[str, str]],
    records: list[TransplantRecord],
    by_patient: dict[str, list[tuple[date, TransplantRecord]]],
    by_id: dict[str, TransplantRecord],
    read: _Read,
    refusals: Refusals | None,
) -> None:
    header = ["transplant_id", *(c for c in OBSERVATION_COLUMNS if c != "date")]
    parsers: dict[str, Any] = {}
    dates: dict[str, date] = {}  # the date texts read so far: days repeat across patients
    samples = _Samples()
    for res in observations:
        measure, lineage = _measure(res, codes, site)
        if measure is None:
            read.ignored["Observation (a code graftkg does not read)"] += 1
            continue
        record = None
        try:
            record = _transplant_of(res, by_patient, by_id, dates)
            if measure in samples.inputs:
                samples.fraction(res, measure, record, _observation_cells(res, measure, record, dates))
                continue
            cells = _observation_cells(res, measure, record, dates)
            if lineage and "lineage" not in cells:  # the code map's lineage, unless the resource gives one
                cells["lineage"] = lineage
            parse = parsers.get(res.path)
            if parse is None:
                parse = parsers[res.path] = observation_parser(header, res.path)
            errors: list[InputError] = []
            parsed = parse(0, [cells.get(c, "") for c in header], errors)
            if errors:
                first = errors[0]
                raise res.error(
                    first.message,
                    _ELEMENTS.get(res.kind, _ELEMENT).get(first.field or "", f"{res.kind}.{first.field}"),
                )
            assert parsed is not None
            obs: Observation = parsed[1]
            obs.line = res.line
            record.observations.append(obs)
            samples.count(res, obs, record)
        except InputError as exc:
            _fail(exc, None if record is None else record.transplant_id, refusals)
    samples.calculate(read, refusals)


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
#: the resources of a medication given or ordered that graftkg reads
_MEDICATION_USES = ("MedicationAdministration", "MedicationRequest")
#: the CIBMTR Reporting IG's Medication profiles that say a medication's role, and the field it fills
_ROLE_PROFILES = {
    "cibmtr-prep-regimen-medication": "conditioning_agents",
    "cibmtr-gvhd-prophylaxis-medication": "gvhd_prophylaxis",
}
_RXN_LINE = re.compile(r'^\* \$RXN#(\S+)\s+"([^"]*)"', re.M)


@lru_cache(maxsize=1)
def medication_codes() -> dict[str, tuple[str, str]]:
    """Each RxNorm code graftkg reads, with its agent (a ``gk:code`` of the ontology's agents) and
    the agent's role when no profile states one (``conditioning_agents``, ``gvhd_prophylaxis``, or
    ``by_day``: before day 0 conditioning, from day 0 on GvHD prophylaxis).

    The codes are the CIBMTR Reporting IG's value sets, copied in
    ``ontology/mappings/cibmtr-medications/``; ``agents.csv`` there names the agent of each value
    set, or, for the IG's combined GvHD prophylaxis value set, the agent of each code whose RxNorm
    name holds the agent's name as words (``display``) and none of the words of a form that is not
    given systemically (``exclude``: ophthalmic, topical).

    Example:
        >>> codes = medication_codes()
        >>> codes["1828"], codes["3002"], codes["1157871"]  # busulfan, cyclophosphamide, MMF oral
        (('busulfan', 'conditioning_agents'), ('cyclophosphamide', 'by_day'), ('MMF', 'gvhd_prophylaxis'))
        >>> "1093174" in codes  # cyclosporine ophthalmic ointment: not a systemic prophylaxis
        False
    """
    import csv

    from graftkg.assets import asset_dir

    folder = asset_dir("ontology") / "mappings" / "cibmtr-medications"
    out: dict[str, tuple[str, str]] = {}
    with (folder / "agents.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            excluded = [w for w in row["exclude"].casefold().split(";") if w]
            for code, display in _RXN_LINE.findall((folder / row["value_set"]).read_text(encoding="utf-8")):
                words = f" {' '.join(re.findall(r'[a-z0-9]+', display.casefold()))} "
                if row["display"] and f" {row['display'].casefold()} " not in words:
                    continue
                if any(f" {w} " in words for w in excluded):
                    continue
                out.setdefault(code, (row["agent"], row["role"]))
    return out


def _medication_uses(
    uses: list[_Resource],
    medications: dict[str, _Resource],
    by_patient: dict[str, list[tuple[date, TransplantRecord]]],
    by_id: dict[str, TransplantRecord],
    read: _Read,
    refusals: Refusals | None,
) -> set[str]:
    """Add the conditioning agents and GvHD prophylaxis of the medications given or ordered to their
    transplants' records; return the ids of the Medication resources they name.

    A medication is read by its RxNorm code (:func:`medication_codes`), in
    ``medicationCodeableConcept`` or the code of the Medication ``medicationReference`` names. Its
    role is the CIBMTR IG profile of the resource or its Medication (preparative regimen: a
    conditioning agent; GvHD prophylaxis); without one, the agent's usual role
    (:func:`medication_codes`): cyclophosphamide from day 0 on is post-transplant cyclophosphamide
    (``PTCy``, GvHD prophylaxis), before it conditioning.
    It belongs to the transplant its ``partOf`` names, else to the patient's transplant whose day 0 is
    nearest its date (the later of two as near): conditioning comes before the infusion.
    """
    agents = medication_codes()
    named: set[str] = set()
    for res in uses:
        tid = None
        try:
            concept, medication = res.data.get("medicationCodeableConcept"), None
            if concept is None:
                medication = _medication_of(res, medications)
                if medication is None:
                    read.ignored[f"{res.kind} (its Medication is not in the export)"] += 1
                    continue
                mid = str(medication.data.get("id", ""))
                if medications.get(mid) is medication:  # not a contained one
                    named.add(mid)
                concept = medication.data.get("code")
            found = next((agents[c] for s, c in _concept_codings(concept) if s == RXNORM and c in agents), None)
            if found is None:
                read.ignored[f"{res.kind} (a medication graftkg does not read)"] += 1
                continue
            agent, usual = found
            record, day = _medication_transplant(res, by_patient, by_id)
            tid = record.transplant_id
            role = next(
                (
                    _ROLE_PROFILES[p.rsplit("/", 1)[-1]]
                    for r in (res, medication)
                    if r is not None
                    for p in _profiles(r)
                    if p.rsplit("/", 1)[-1] in _ROLE_PROFILES
                ),
                None,
            )
            if role is None and usual == "by_day":
                role = "gvhd_prophylaxis" if day is not None and day >= 0 else "conditioning_agents"
            role = role or usual
            if role == "gvhd_prophylaxis" and agent == "cyclophosphamide":
                agent = "PTCy"
            given = getattr(record, role) or []
            if agent not in given:
                setattr(record, role, [*given, agent])
        except InputError as exc:
            _fail(exc, tid, refusals)
    return named


def _profiles(res: _Resource) -> list[str]:
    meta = res.data.get("meta")
    profiles = meta.get("profile", []) if isinstance(meta, dict) else []
    return [p for p in profiles if isinstance(p, str)] if isinstance(profiles, list) else []


def _medication_of(res: _Resource, medications: dict[str, _Resource]) -> _Resource | None:
    """The Medication ``medicationReference`` names: contained (``#id``) or read from the export."""
    ref = res.data.get("medicationReference")
    text = ref.get("reference") if isinstance(ref, dict) else None
    if text is None:
        raise res.error("names no medication", f"{res.kind}.medication[x]")
    if isinstance(text, str) and text.startswith("#"):
        return _contained(res, text, "Medication", f"{res.kind}.medicationReference")
    if isinstance(text, str) and text.startswith("Medication/"):
        return medications.get(text.removeprefix("Medication/"))  # None: not in the export
    raise res.error(f"'{excerpt(str(text))}' is not a reference to a Medication", f"{res.kind}.medicationReference")


def _medication_transplant(
    res: _Resource, by_patient: dict[str, list[tuple[date, TransplantRecord]]], by_id: dict[str, TransplantRecord]
) -> tuple[TransplantRecord, int | None]:
    """The transplant a medication use belongs to, and its day (see :func:`_medication_uses`)."""
    kind = res.kind
    transplants = _patient_transplants(res, by_patient)
    when: date | None = None
    if kind == "MedicationAdministration":
        when = _when(res, "effective")
    elif "authoredOn" in res.data:
        when = _when(res, "authoredOn")
    part_of = _reference(res, "partOf", "Procedure") if kind == "MedicationAdministration" else None
    if part_of is not None:
        record = _named_transplant(res, part_of, by_id)
    elif when is not None:
        record = min(transplants, key=lambda t: (abs((when - t[0]).days), -t[0].toordinal()))[1]
    elif len(transplants) == 1:
        record = transplants[0][1]
    else:
        raise res.error(f"has no date to tell which of {len(transplants)} transplants it is of", f"{kind}.authoredOn")
    day = None if when is None or record.infusion_date is None else (when - record.infusion_date).days
    return record, day


class _Samples:
    """The counts calculated from others of the same sample (``gk:Calculation``): an ANC from the
    neutrophils per 100 leukocytes of a differential and the leukocyte count.

    The fraction and the count pair when they belong to one transplant and give one ``effective[x]``
    time (a laboratory reports a differential and its leukocyte count together). A fraction is not
    read, and counted as left out, when a measured count of the calculated measure (an absolute
    neutrophil count) has that time as well (that count is read), or when no count it multiplies has
    it; two such counts at one time that differ are an error.
    """

    def __init__(self) -> None:
        vocab = vocabulary()
        #: calculation input -> (calculation, the count it multiplies, the measure it gives)
        self.inputs: dict[str, tuple[str, str, str]] = {}
        for calculation, factors in vocab.calculated_from.items():
            counts = [f for f in factors if f in OBSERVATION_MEASURES]
            for factor in factors:
                if factor not in OBSERVATION_MEASURES and len(counts) == 1:
                    self.inputs[factor] = (calculation, counts[0], vocab.calculates[calculation])
        self._read = {m for _, count, gives in self.inputs.values() for m in (count, gives)}
        #: the counts read that a calculation may need, with their resources (indexed when one does)
        self._counts: list[tuple[Observation, _Resource, TransplantRecord]] = []
        self._at: dict[tuple[str, str, str], list[tuple[Observation, _Resource]]] = {}
        self._fractions: list[tuple[_Resource, str, TransplantRecord, str, float]] = []
        self._convert = units().converter()

    def count(self, res: _Resource, obs: Observation, record: TransplantRecord) -> None:
        """Remember a count read (a leukocyte count, an absolute neutrophil count)."""
        if obs.measure in self._read:
            self._counts.append((obs, res, record))

    def fraction(self, res: _Resource, measure: str, record: TransplantRecord, cells: dict[str, str]) -> None:
        """Read a fraction (``cells``: its observation's cells) to calculate with, once all counts are read."""
        when = _time(res)
        if when is None:
            raise res.error(
                f"has no effective[x] time to find the count {measure} multiplies", "Observation.effective[x]"
            )
        text = cells.get("value", "")
        try:
            value = float(text)
        except ValueError:
            raise res.error(f"'{excerpt(text)}' is not a number", "Observation.value[x]") from None
        given = units()
        unit = cells.get("unit", given.unit_of[measure])
        converted = self._convert(measure, value, unit)
        if converted is None:
            raise res.error(str(given.problem(measure, unit)), "Observation.valueQuantity.code")
        ratio = given.dimensionless(measure, float(converted[0] or 0.0))
        if not 0 <= ratio <= 1:
            raise res.error(f"{excerpt(text)} {unit} is not a fraction of the leukocytes", "Observation.value[x]")
        self._fractions.append((res, measure, record, when, ratio))

    def calculate(self, read: _Read, refusals: Refusals | None) -> None:
        """Add the calculated counts to their transplants."""
        if self._fractions:  # the counts by measure, transplant and time
            for obs, res, record in self._counts:
                when = _time(res)
                if when is not None:
                    self._at.setdefault((obs.measure, record.transplant_id, when), []).append((obs, res))
        for res, measure, record, when, ratio in self._fractions:
            calculation, multiplied, gives = self.inputs[measure]
            tid = record.transplant_id
            if self._at.get((gives, tid, when)):
                read.ignored[f"Observation ({measure}, with a measured {gives} of the same time, which is read)"] += 1
                continue
            counts = self._at.get((multiplied, tid, when), [])
            if not counts:
                read.ignored[f"Observation ({measure} with no {multiplied} of the same time)"] += 1
                continue
            if len({obs.value for obs, _ in counts}) > 1:
                ids = " and ".join(other.ref for _, other in counts[:2])
                error = res.error(
                    f"the {multiplied} counts {ids} of its time differ: which one it is a fraction of is unclear",
                    "Observation.effective[x]",
                )
                _fail(error, tid, refusals)
                continue
            count = counts[0][0]
            if count.value is None or count.unit not in (None, units().unit_of[multiplied]):
                continue  # a count the rules refuse: its own error is reported
            value = significant(ratio * count.value)
            record.observations.append(
                Observation(count.day, gives, value, method=calculation, line=res.line, source=res.path)
            )


def _time(res: _Resource) -> str | None:
    """The text of an observation's ``effective[x]`` time (a period's start), or None."""
    data = res.data
    value = data.get("effectiveDateTime") or data.get("effectiveInstant")
    if value is None and isinstance(data.get("effectivePeriod"), dict):
        value = data["effectivePeriod"].get("start")
    return value if isinstance(value, str) else None


#: the FHIRPath of the element a cell of ``observations.csv`` was read from
_ELEMENT = {
    "day": "Observation.effective[x]",
    "value": "Observation.value[x]",
    "unit": "Observation.valueQuantity.code",
    "measure": "Observation.code",
    "lineage": "Observation.extension('lineage')",
    "method": "Observation.method",
}


#: the same, for a Condition (GvHD, an infection) and a Procedure (a transfusion)
_ELEMENTS = {
    "Condition": {"day": "Condition.onset[x]", "value": "Condition.stage.summary", "measure": "Condition.code"},
    "Procedure": {"day": "Procedure.performed[x]", "measure": "Procedure.code"},
}

_MEASURE_SYSTEM = CODE_SYSTEM + "measure"


def _measure(res: _Resource, codes: Codes, site: dict[tuple[str, str], tuple[str, str]]) -> tuple[str | None, str]:
    """The measure of an observation (by LOINC, graftkg's measure code, or the site's code map) and
    the lineage the code map gives with it (``""`` for none); None when graftkg reads no code of it."""
    if res.kind == "Condition":  # read only when coded as GvHD or an infection (see read_fhir)
        return _condition_measure(res, codes), ""
    if res.kind == "Procedure":  # read only when coded as a transfusion (see read_fhir)
        return next(codes.transfusions[c] for c in _codings(res) if c in codes.transfusions), ""
    concept = res.data.get("code")
    for coding in concept.get("coding", ()) if isinstance(concept, dict) else ():
        if not isinstance(coding, dict):
            continue
        system, code = coding.get("system"), coding.get("code")
        if system == LOINC and code in codes.loinc:
            return codes.loinc[code], ""
        if system == _MEASURE_SYSTEM and code in OBSERVATION_MEASURES:
            return code, ""
        if site:
            mapped = site.get((str(system), str(code)))
            if mapped is not None:
                return mapped
    return None, ""


#: the name of a site's code map, in the folder of the FHIR files it serves
CODE_MAP = "code-map.csv"
#: its columns; ``lineage`` may be empty
CODE_MAP_COLUMNS = ["system", "code", "measure", "lineage"]


def site_codes(folders: list[Path]) -> dict[tuple[str, str], tuple[str, str]]:
    """The site's own codes: ``(system, code) -> (measure, lineage)``, from the ``code-map.csv`` of
    each folder that has one (a chimerism assay has no usable LOINC code: a site codes it its way).

    Example:
        >>> site_codes([Path("examples")])
        {}
    """
    import csv

    out: dict[tuple[str, str], tuple[str, str]] = {}
    for folder in folders:
        path = folder / CODE_MAP
        if not path.is_file():
            continue
        name = str(path)
        try:
            text = read_input_bytes(name).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", path=name) from None
        rows = list(csv.reader(text.splitlines()))
        if not rows or [c.strip() for c in rows[0]][:3] != CODE_MAP_COLUMNS[:3]:
            raise InputError(
                f"the header must be {','.join(CODE_MAP_COLUMNS)} (lineage may be left out)", path=name, line=1
            )
        for n, row in enumerate(rows[1:], start=2):
            cells = [c.strip() for c in row] + [""] * (4 - len(row))
            if not any(cells):
                continue
            system, code, measure, lineage = cells[:4]
            if not system or not code:
                raise InputError(
                    "a row gives a system and a code", path=name, line=n, field="system" if not system else "code"
                )
            if measure not in OBSERVATION_MEASURES:
                raise InputError(
                    f"unknown measure '{excerpt(measure)}' (known: {', '.join(sorted(OBSERVATION_MEASURES))})",
                    path=name,
                    line=n,
                    field="measure",
                )
            if lineage and vocabulary().code_for("lineage", lineage) is None:
                raise InputError(
                    f"unknown lineage '{excerpt(lineage)}' (allowed: {', '.join(vocabulary().codes('lineage'))})",
                    path=name,
                    line=n,
                    field="lineage",
                )
            if (system, code) in out and out[system, code] != (measure, lineage):
                raise InputError(f"{system}|{code} is mapped twice, differently", path=name, line=n, field="code")
            out[system, code] = (measure, lineage)
    return out


def _transplant_of(
    res: _Resource,
    by_patient: dict[str, list[tuple[date, TransplantRecord]]],
    by_id: dict[str, TransplantRecord],
    dates: dict[str, date],
) -> TransplantRecord:
    """The transplant an observation (or a GvHD Condition) belongs to: the Procedure its ``partOf``
    names, else the patient's latest transplant on or before its date (its first, for an
    observation before any)."""
    kind = res.kind
    part_of = _reference(res, "partOf", "Procedure") if kind != "Condition" else _transplant_extension(res)
    if part_of is not None:
        return _named_transplant(res, part_of, by_id)
    transplants = _patient_transplants(res, by_patient)
    when = _when(res, _DATED[kind], dates)
    earlier = [record for day0, record in transplants if day0 <= when]
    return earlier[-1] if earlier else transplants[0][1]


def _named_transplant(res: _Resource, procedure: str, by_id: dict[str, TransplantRecord]) -> TransplantRecord:
    """The transplant of the Procedure ``res`` names (its ``partOf``, or a Condition's
    ``condition-dueTo``)."""
    if procedure not in by_id:
        where = f"{res.kind}.partOf" if res.kind != "Condition" else f"{res.kind}.extension('condition-dueTo')"
        raise res.error(f"names Procedure/{excerpt(procedure)}, not a transplant read", where)
    return by_id[procedure]


def _patient_transplants(
    res: _Resource, by_patient: dict[str, list[tuple[date, TransplantRecord]]]
) -> list[tuple[date, TransplantRecord]]:
    """The transplants (by day 0) of the Patient ``res`` names as its subject."""
    patient = _reference(res, "subject", "Patient")
    if patient is None:
        raise res.error("names no subject Patient", f"{res.kind}.subject")
    transplants = by_patient.get(patient)
    if not transplants:
        raise res.error(f"Patient/{excerpt(patient)} has no transplant Procedure read", f"{res.kind}.subject")
    return transplants


def _transplant_extension(res: _Resource) -> str | None:
    """The Procedure id a Condition's ``condition-dueTo`` extension names (its cause: a GvHD's
    transplant, as the PanCareSurPass IG gives it), or None."""
    for n, ext in _extensions(res.data, CONDITION_DUE_TO):
        ref = ext.get("valueReference")
        text = ref.get("reference") if isinstance(ref, dict) else None
        if not isinstance(text, str) or not text.startswith("Procedure/"):
            raise res.error("expected a reference to a Procedure", f"{res.kind}.extension[{n}].valueReference")
        return text.removeprefix("Procedure/")
    return None


#: the date element of each kind of resource read as an observation
_DATED = {"Observation": "effective", "Condition": "onset", "Procedure": "performed"}


def _observation_cells(
    res: _Resource, measure: str, record: TransplantRecord, dates: dict[str, date]
) -> dict[str, str]:
    """The cells of the ``observations.csv`` row ``res`` is."""
    assert record.infusion_date is not None
    cells = {"transplant_id": record.transplant_id, "measure": measure}
    data = res.data
    prefix = _DATED[res.kind]
    if prefix + "DateTime" in data or any(k.startswith(prefix) for k in data):  # else no day (an undated DSA test)
        cells["day"] = str((_when(res, prefix, dates) - record.infusion_date).days)
    if res.kind == "Procedure":  # a transfusion: the event is what counts
        return cells
    if res.kind == "Condition" and measure == "infection":  # the pathogen its code names
        infections = procedure_codes().infections
        cells["value"] = next(infections[c] for c in _codings(res) if c in infections)
        return cells
    if res.kind == "Condition":  # a GvHD diagnosis: its grade, if staged in graftkg's grades
        for stage in data.get("stage", []) or []:
            summary = stage.get("summary") if isinstance(stage, dict) else None
            for coding in summary.get("coding", []) if isinstance(summary, dict) else []:
                system = coding.get("system") if isinstance(coding, dict) else None
                if system == CODE_SYSTEM + GVHD_GRADE:
                    grade = coding.get("code")  # read by the bundle's number rule, as a cell
                    cells["value"] = grade if isinstance(grade, str) else f"'{grade}'"
                elif system == PCSP_CODES:  # the PanCareSurPass IG's acute grades
                    mapped = pcsp_codes().get(str(coding.get("code")))
                    if mapped is not None and mapped[0] == "gvhd_grade":
                        cells["value"] = mapped[1]
        return cells
    quantity = res.data.get("valueQuantity")
    if isinstance(quantity, dict):
        if "value" not in quantity:
            raise res.error("valueQuantity has no value", "Observation.valueQuantity.value")
        cells["value"] = _number(quantity["value"])
        unit = quantity.get("code")
        if unit is not None:
            if quantity.get("system") != UCUM:
                raise res.error(
                    "the unit's system is not UCUM (http://unitsofmeasure.org)", "Observation.valueQuantity.system"
                )
            cells["unit"] = str(unit)
        elif quantity.get("unit") is not None:
            raise res.error("valueQuantity gives a unit without its UCUM code", "Observation.valueQuantity.code")
    elif "valueInteger" in res.data:
        cells["value"] = _number(res.data["valueInteger"])
    elif "valueCodeableConcept" in res.data:
        coding = next(iter(_codings(res, "valueCodeableConcept")), None)
        if coding is None:
            raise res.error("valueCodeableConcept has no coding", "Observation.valueCodeableConcept")
        cells["value"] = coding[1]
    elif any(k.startswith("value") for k in res.data):
        kind = next(k for k in res.data if k.startswith("value"))
        raise res.error(f"{kind} is not a value graftkg reads for {measure}", f"Observation.{kind}")
    for _, ext in _extensions(res.data, EXTENSION + "lineage"):
        cells["lineage"] = str(ext.get("valueCode", ""))
    method = res.data.get("method")
    if isinstance(method, dict):  # a calculated count's calculation, by graftkg's code, else the text
        code = next((c for s, c in _codings(res, "method") if s == CODE_SYSTEM + "calculation"), None)
        if code is not None or isinstance(method.get("text"), str):
            cells["method"] = code if code is not None else method["text"]
    return cells


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"'{value}'"  # read by the bundle's number rule, which refuses it
    return repr(value) if isinstance(value, float) else str(value)


def _fail(error: InputError, transplant: str | None, refusals: Refusals | None) -> None:
    if refusals is None:
        raise error
    refusals.add(error, transplant)
