"""FHIR R4 out: transplant records as a FHIR Bundle that :mod:`graftkg.readers.fhir` reads back to
the same records (``graftkg convert --to fhir``).

Each patient is a Patient, each transplant a Procedure (coded with graftkg's code and SNOMED CT
234336002; ``performedDateTime`` its infusion date) carrying the transplant's other fields as graftkg
extensions, one per column of ``transplants.csv``, and each observation an Observation: a laboratory
count with its LOINC code (:data:`WRITTEN_LOINC`) and graftkg's measure code, any other observation
with graftkg's measure code, ``partOf`` its Procedure, ``effectiveDateTime`` the infusion date plus
its day. FHIR states dates: a record without an ``infusion_date`` is placed at ``day0``, the date
marked as a placeholder (:data:`~graftkg.readers.fhir.DAY0_PLACEHOLDER`), which the reader reads back
as no infusion date.

Example:
    >>> from graftkg.model import Observation, TransplantRecord
    >>> from datetime import date
    >>> r = TransplantRecord("T1", patient_id="P1", graft_source="PB", infusion_date=date(2024, 2, 20),
    ...                      observations=[Observation(14, "ANC", 0.6)])
    >>> bundle = records_to_fhir([r])
    >>> [e["resource"]["resourceType"] for e in bundle["entry"]]
    ['Patient', 'Procedure', 'Observation']
    >>> bundle["entry"][2]["resource"]["effectiveDateTime"]
    '2024-03-05'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from graftkg.errors import GraftkgError
from graftkg.model import Observation, TransplantRecord
from graftkg.readers.csv_bundle import FIELD_OF_COLUMN, TRANSPLANT_COLUMNS, cell_of
from graftkg.readers.fhir import (
    CODE_SYSTEM,
    CONDITION_DUE_TO,
    DAY0_PLACEHOLDER,
    EXTENSION,
    GRAFTKG_PROCEDURE,
    GVHD_GRADE,
    ICD10CM,
    IDENTIFIER,
    LOINC,
    SNOMED,
    UCUM,
    procedure_codes,
)
from graftkg.readers.units import units
from graftkg.semantics.vocabulary import vocabulary

__all__ = ["WRITTEN_LOINC", "extensions_fsh", "records_to_fhir"]

#: the LOINC code each laboratory measure is written with (each is one of the verified codes the
#: reader accepts for it, ``tests/test_fhir.py`` checks): the property in blood, method unspecified
WRITTEN_LOINC = {"ANC": "26499-4", "PLT": "26515-7", "HB": "718-7", "WBC": "26464-8"}
#: the day 0 of a record without an infusion date (FHIR states dates; the days are kept, the date
#: marked as a placeholder)
DEFAULT_DAY0 = date(2000, 1, 1)
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
#: the columns the resources state themselves, not as extensions
_STATED = {"transplant_id", "patient_id", "infusion_date"}
#: the SNOMED CT code a GvHD Condition is written with (a verified mapping of gk:GvHDEpisode)
GVHD_SNOMED = "234646005"


def fhir_id(identifier: str) -> str:
    """A FHIR id for a graftkg identifier: itself when FHIR allows it, else a readable, unique form
    (the identifier itself is kept in the resource's ``identifier``).

    Example:
        >>> fhir_id("P1-T1"), fhir_id("patient 7/B")
        ('P1-T1', 'patient-7-B-be04b224')
    """
    if _FHIR_ID.match(identifier):
        return identifier
    digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:8]
    return (re.sub(r"[^A-Za-z0-9\-.]+", "-", identifier).strip("-")[:55] or "id") + "-" + digest


def records_to_fhir(records: Sequence[TransplantRecord], *, day0: date = DEFAULT_DAY0) -> dict[str, Any]:
    """``records`` as a FHIR R4 Bundle (type ``collection``), as a JSON-ready dict."""
    entries: list[dict[str, Any]] = []
    patients: set[str] = set()
    for record in records:
        start = record.infusion_date or day0
        patient = record.patient_id if record.patient_id is not None else f"{record.transplant_id}.patient"
        patient_id = fhir_id(patient)
        if patient_id not in patients:
            patients.add(patient_id)
            resource: dict[str, Any] = {"resourceType": "Patient", "id": patient_id}
            if record.patient_id is not None:
                resource["identifier"] = [{"system": IDENTIFIER["Patient"], "value": record.patient_id}]
            entries.append(_entry(resource))
        procedure_id = fhir_id(record.transplant_id)
        entries.append(_entry(_procedure(record, procedure_id, patient_id, start)))
        for n, obs in enumerate(record.observations):
            entries.append(_entry(_observation(obs, f"{procedure_id[:56]}-o{n}", procedure_id, patient_id, start)))
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:graftkg:{resource['resourceType']}/{resource['id']}", "resource": resource}


def _procedure(record: TransplantRecord, fid: str, patient: str, start: date) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = []
    for column in TRANSPLANT_COLUMNS:
        if column in _STATED:
            continue
        try:
            text = cell_of(record, column)
        except ValueError as exc:
            raise GraftkgError(str(exc)) from None
        if not text:
            continue
        kind = FIELD_OF_COLUMN[column].spec.kind
        for value in text.split(";") if kind == "codes" else [text]:
            extensions.append({"url": EXTENSION + column, **_value(kind, value)})
    return {
        "resourceType": "Procedure",
        "id": fid,
        "identifier": [{"system": IDENTIFIER["Procedure"], "value": record.transplant_id}],
        "status": "completed",
        "code": {
            "coding": [
                {"system": CODE_SYSTEM + "procedure", "code": GRAFTKG_PROCEDURE, "display": "allogeneic HSCT"},
                {"system": SNOMED, "code": "234336002", "display": "Hemopoietic stem cell transplant"},
            ]
        },
        "subject": {"reference": f"Patient/{patient}"},
        "performedDateTime": start.isoformat(),
        # a record without an infusion date: the date is a placeholder, read back as none
        **(
            {"_performedDateTime": {"extension": [{"url": DAY0_PLACEHOLDER, "valueBoolean": True}]}}
            if record.infusion_date is None
            else {}
        ),
        **({"extension": extensions} if extensions else {}),
    }


def _value(kind: str, text: str) -> dict[str, Any]:
    """The value[x] of an extension holding a ``transplants.csv`` cell of ``kind``."""
    if kind in ("int", "day_or_never") and re.match(r"^-?\d+$", text):
        return {"valueInteger": int(text)}
    if kind == "float":
        return {"valueDecimal": float(text)}
    if kind == "bool":
        return {"valueBoolean": text == "yes"}
    if kind in ("code", "codes", "day_or_never"):
        return {"valueCode": text}
    return {"valueString": text}


def _observation(obs: Observation, fid: str, procedure: str, patient: str, start: date) -> dict[str, Any]:
    if obs.measure == "gvhd":
        return _gvhd(obs, fid, procedure, patient, start)
    codings = [{"system": CODE_SYSTEM + "measure", "code": obs.measure}]
    if obs.measure in WRITTEN_LOINC:
        codings.insert(0, {"system": LOINC, "code": WRITTEN_LOINC[obs.measure]})
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": fid,
        "status": "final",
        "code": {"coding": codings},
        "subject": {"reference": f"Patient/{patient}"},
        "partOf": [{"reference": f"Procedure/{procedure}"}],
    }
    if obs.day is not None:
        resource["effectiveDateTime"] = (start + timedelta(days=obs.day)).isoformat()
    if obs.measure == "infection" and obs.code is not None:
        resource["valueCodeableConcept"] = {"coding": [{"system": CODE_SYSTEM + "pathogen", "code": obs.code}]}
    elif obs.measure == "gvhd" and obs.value is not None and float(obs.value).is_integer():
        resource["valueInteger"] = int(obs.value)
    elif obs.value is not None:
        quantity: dict[str, Any] = {"value": obs.value}
        unit = obs.unit or units().unit_of.get(obs.measure)
        if unit is not None:
            quantity.update({"unit": unit, "system": UCUM, "code": unit})
        resource["valueQuantity"] = quantity
    if obs.lineage is not None:
        resource["extension"] = [{"url": EXTENSION + "lineage", "valueCode": obs.lineage}]
    if obs.method is not None and obs.measure in vocabulary().calculates.values():  # a calculated count
        resource["method"] = {"coding": [{"system": CODE_SYSTEM + "calculation", "code": obs.method}]}
    elif obs.method is not None:
        resource["method"] = {"text": obs.method}
    return resource


def _gvhd(obs: Observation, fid: str, procedure: str, patient: str, start: date) -> dict[str, Any]:
    """A GvHD episode as a confirmed Condition (SNOMED CT 234646005, the CIBMTR IG's GvHD value set),
    its transplant the cause HL7's ``condition-dueTo`` extension names (as the PanCareSurPass IG
    gives it), its onset the day, its grade a ``stage.summary``."""
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": fid,
        "extension": [{"url": CONDITION_DUE_TO, "valueReference": {"reference": f"Procedure/{procedure}"}}],
        "verificationStatus": {"coding": [{"system": _HL7 + "condition-ver-status", "code": "confirmed"}]},
        "code": {
            "coding": [{"system": SNOMED, "code": GVHD_SNOMED}, {"system": CODE_SYSTEM + "measure", "code": "gvhd"}]
        },
        "subject": {"reference": f"Patient/{patient}"},
    }
    if obs.day is not None:
        resource["onsetDateTime"] = (start + timedelta(days=obs.day)).isoformat()
    if obs.value is not None:
        grade = str(int(obs.value)) if float(obs.value).is_integer() else repr(obs.value)
        resource["stage"] = [{"summary": {"coding": [{"system": CODE_SYSTEM + GVHD_GRADE, "code": grade}]}}]
    return resource


#: the FHIR type of an extension's value, by the kind of the record field it holds
_FSH_TYPE = {
    "int": "integer",
    "float": "decimal",
    "bool": "boolean",
    "code": "code",
    "codes": "code",
    "day_or_never": "integer or code",
    "text": "string",
    "ref": "string",
}


def extensions_fsh() -> str:
    """graftkg's FHIR extensions and code systems in FHIR Shorthand (``ontology/fhir/graftkg.fsh``
    holds a copy, checked current by a test): one extension a column of ``transplants.csv``, from the
    record's field declarations, described by the ontology's definition of the field's property.

    Example:
        >>> print(extensions_fsh().split("\\n\\n")[1])  # doctest: +NORMALIZE_WHITESPACE
        Extension: GraftkgAboMatch
        Id: graftkg-abo-match
        Title: "graftkg abo_match"
        Description: "ABO compatibility between donor and recipient."
        Context: Procedure
        * ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/abo_match"
        * value[x] only code
    """
    from graftkg.rdf import GK, SKOS
    from graftkg.semantics.facts import OBSERVATION_MEASURES
    from graftkg.semantics.ontology import load_ontology
    from graftkg.semantics.vocabulary import vocabulary

    onto = load_ontology()
    parts = [
        "// graftkg's FHIR extensions and code systems, generated from the record's field declarations\n"
        "// (graftkg.model) and the ontology: do not edit; run graftkg.reporting.fhir.extensions_fsh()."
    ]
    for column in TRANSPLANT_COLUMNS:
        if column in _STATED:
            continue
        declared = FIELD_OF_COLUMN[column]
        definition = str(onto.value(GK[declared.spec.prop], SKOS.definition) or column).replace('"', "'")
        name = "Graftkg" + "".join(w.capitalize() for w in column.split("_"))
        parts.append(
            "\n".join(
                [
                    f"Extension: {name}",
                    f"Id: graftkg-{column.replace('_', '-')}",
                    f'Title: "graftkg {column}"',
                    f'Description: "{definition}"',
                    "Context: Procedure",
                    f'* ^url = "{EXTENSION}{column}"',
                    f"* value[x] only {_FSH_TYPE[declared.spec.kind]}",
                ]
            )
        )
    parts.append(
        "\n".join(
            [
                "Extension: GraftkgDay0Placeholder",
                "Id: graftkg-day0-placeholder",
                'Title: "graftkg day 0 placeholder"',
                'Description: "The infusion date of the transplant was not reported: the date this extension '
                "qualifies is a placeholder day 0, from which the transplant's other dates count its days.\"",
                "Context: Procedure.performed[x]",
                f'* ^url = "{DAY0_PLACEHOLDER}"',
                "* value[x] only boolean",
            ]
        )
    )
    parts.append(
        "\n".join(
            [
                "Extension: GraftkgLineage",
                "Id: graftkg-lineage",
                'Title: "graftkg lineage"',
                'Description: "The cell lineage a donor chimerism assay measured."',
                "Context: Observation",
                f'* ^url = "{EXTENSION}lineage"',
                "* value[x] only code",
            ]
        )
    )
    systems = {
        "measure": ("The observation codes of graftkg's observations.csv.", sorted(OBSERVATION_MEASURES)),
        "procedure": ("graftkg's code of a transplant.", [GRAFTKG_PROCEDURE]),
        "pathogen": ("The pathogens of an infection episode.", vocabulary().codes("infection")),
        "calculation": ("How a laboratory count was calculated from others.", vocabulary().codes("calculation")),
        GVHD_GRADE: ("The overall grade of a GvHD episode, 0 to 4.", ["0", "1", "2", "3", "4"]),
    }
    for system, (description, codes) in systems.items():
        lines = [
            f"CodeSystem: Graftkg{''.join(w.capitalize() for w in system.split('-'))}",
            f"Id: graftkg-{system}",
            f'Title: "graftkg {system}"',
            f'Description: "{description}"',
            f'* ^url = "{CODE_SYSTEM}{system}"',
            "* ^caseSensitive = true",
        ]
        lines += [f"* #{code}" for code in codes]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


#: graftkg's code system of the answers it derives (``CODE_SYSTEM + "derived"``)
DERIVED = CODE_SYSTEM + "derived"
_HL7 = "http://terminology.hl7.org/CodeSystem/"


def classified_fhir(
    records: Sequence[TransplantRecord], results: Sequence[Any], *, day0: date = DEFAULT_DAY0
) -> dict[str, Any]:
    """The records (as :func:`records_to_fhir` writes them) with what graftkg derives from them, as
    one Bundle (``graftkg classify --format fhir``): per transplant an Observation of the outcome
    (with its findings and the explanation), of the neutrophil and platelet recovery (whether, the
    day and the date) and of the chimerism status, each ``partOf`` its Procedure and ``derivedFrom``
    the observations it rests on; and a graft failure as a Condition, coded in graftkg's terms and in
    ICD-10-CM by the verified mappings (T86.02 for a bone marrow graft, T86.5 for stem cells).

    Example:
        >>> from graftkg import Engine, read
        >>> records = read("examples/paper-patients/csv")[:1]
        >>> bundle = classified_fhir(records, Engine().classify(records))
        >>> condition = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"][0]
        >>> [(c["system"].rsplit("/", 1)[1], c["code"]) for c in condition["code"]["coding"]]
        [('outcome', 'primary_graft_failure'), ('icd-10-cm', 'T86.5')]
    """
    bundle = records_to_fhir(records, day0=day0)
    by_transplant: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] == "Observation":
            by_transplant.setdefault(res["partOf"][0]["reference"], []).append(res)
    from graftkg.rdf import GK

    codes = procedure_codes().graft_failure_icd10cm
    for record, result in zip(records, results, strict=True):
        procedure = f"Procedure/{fhir_id(record.transplant_id)}"
        patient = next(e["resource"]["subject"] for e in bundle["entry"] if _is(e, procedure))
        start = record.infusion_date or day0
        observed = by_transplant.get(procedure, [])
        base = fhir_id(record.transplant_id)[:50]

        def evidence(*measures: str, of: list[dict[str, Any]] = observed) -> list[dict[str, str]]:
            return [{"reference": f"Observation/{o['id']}"} for o in of if _measure_of(o) in measures]

        derived = [
            _derived(
                f"{base}-outcome",
                "outcome",
                patient,
                procedure,
                {"valueCodeableConcept": {"coding": [{"system": CODE_SYSTEM + "outcome", "code": result.outcome}]}},
                components=[
                    {"code": _concept(DERIVED, "finding"), "valueCodeableConcept": _concept(CODE_SYSTEM + "finding", f)}
                    for f in result.findings
                ],
                note=result.explanation,
                evidence=evidence("ANC", "PLT", "HB", "donor_chimerism_pct"),
            )
        ]
        for lineage, day, measure in (
            ("neutrophil", result.neutrophil_recovery_day, "ANC"),
            ("platelet", result.platelet_recovery_day, "PLT"),
        ):
            components = []
            if day is not None:
                components = [
                    {"code": _concept(DERIVED, "day-after-infusion"), "valueInteger": day},
                    {"code": _concept(DERIVED, "date"), "valueDateTime": (start + timedelta(days=day)).isoformat()},
                ]
            derived.append(
                _derived(
                    f"{base}-{lineage}-recovery",
                    f"{lineage}-recovery",
                    patient,
                    procedure,
                    {"valueBoolean": day is not None},
                    components=components,
                    evidence=evidence(measure, *(("platelet_transfusion",) if measure == "PLT" else ())),
                )
            )
        if result.chimerism is not None:
            derived.append(
                _derived(
                    f"{base}-chimerism",
                    "chimerism-status",
                    patient,
                    procedure,
                    {"valueCodeableConcept": _concept(CODE_SYSTEM + "chimerism", result.chimerism)},
                    evidence=evidence("donor_chimerism_pct"),
                )
            )
        bundle["entry"] += [_entry(d) for d in derived]
        if GK.GraftFailure in result.classes:  # a graft failure, as the definitions classify it
            icd = codes["bone_marrow" if record.graft_source == "BM" else "stem_cells"]
            outcome = f"Observation/{base}-outcome"
            bundle["entry"].append(
                _entry(
                    {
                        "resourceType": "Condition",
                        "id": f"{base}-graft-failure",
                        "clinicalStatus": _concept(_HL7 + "condition-clinical", "active"),
                        "verificationStatus": _concept(_HL7 + "condition-ver-status", "confirmed"),
                        "code": {
                            "coding": [
                                {"system": CODE_SYSTEM + "outcome", "code": result.outcome},
                                {"system": ICD10CM, "code": icd},
                            ]
                        },
                        "subject": patient,
                        "evidence": [{"detail": [{"reference": procedure}, {"reference": outcome}]}],
                    }
                )
            )
    return bundle


def _is(entry: dict[str, Any], reference: str) -> bool:
    res = entry["resource"]
    return f"{res['resourceType']}/{res['id']}" == reference


def _measure_of(observation: dict[str, Any]) -> str | None:
    return next((c["code"] for c in observation["code"]["coding"] if c["system"] == CODE_SYSTEM + "measure"), None)


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _derived(
    fid: str,
    code: str,
    patient: dict[str, Any],
    procedure: str,
    value: dict[str, Any],
    *,
    components: list[dict[str, Any]] = (),  # type: ignore[assignment]
    note: list[str] = (),  # type: ignore[assignment]
    evidence: list[dict[str, str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": fid,
        "status": "final",
        "code": _concept(DERIVED, code),
        "subject": patient,
        "partOf": [{"reference": procedure}],
        **value,
    }
    if evidence:
        resource["derivedFrom"] = list(evidence)
    if components:
        resource["component"] = list(components)
    if note:
        resource["note"] = [{"text": sentence} for sentence in note]
    return resource


def operation_outcome(report: Any) -> dict[str, Any]:
    """A validation report as a FHIR OperationOutcome (``graftkg validate --format fhir``): an issue
    a finding, its severity (``error`` for a violation), the rule as its code's text and its place
    (file and line, and the transplant) in ``location``.

    Example:
        >>> from graftkg import Engine
        >>> outcome = operation_outcome(Engine().validate("examples/invalid-submission"))
        >>> outcome["resourceType"], sorted({issue["severity"] for issue in outcome["issue"]})
        ('OperationOutcome', ['error', 'information', 'warning'])
    """
    severity = {"violation": "error", "warning": "warning", "info": "information"}
    kind = {"completeness": "required", "conformance": "value", "cross-check": "business-rule"}
    issues = []
    for f in report.findings:
        where = [w for w in (f.location, f"transplant {f.transplant_id}" if f.transplant_id else None) if w]
        issues.append(
            {
                "severity": severity[f.severity],
                "code": kind.get(f.category, "invariant"),
                "details": {"coding": [{"system": CODE_SYSTEM + "rule", "code": f.rule}], "text": f.message},
                "diagnostics": f"{f.field}: {f.message}" if f.field else f.message,
                **({"location": where} if where else {}),
            }
        )
    if not issues:
        issues = [{"severity": "information", "code": "informational", "diagnostics": "no findings"}]
    return {"resourceType": "OperationOutcome", "issue": issues}
