"""Shared helpers: the classification case files and the repository paths."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graftkg.model import Observation, TransplantRecord

if TYPE_CHECKING:
    from graftkg.semantics.definitions import Definitions
    from graftkg.validation.shacl import ShapeSet
    from graftkg.validation.validate import ValidationReport

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"


@cache
def definitions(profile: str = "paper") -> Definitions:
    """One read of a profile's definitions for the whole test session, as an engine keeps them: the
    tests that classify or validate thousands of generated records one at a time pass it, instead of
    having each call read the ontology again."""
    from graftkg.semantics.definitions import Definitions

    return Definitions(profile)


@cache
def shapes() -> ShapeSet:
    """One compiled shape set for the whole test session (see :func:`definitions`)."""
    from graftkg.validation.shacl import load_shapes

    return load_shapes()


def classify_cases() -> list[Path]:
    return sorted((CASES / "classify").glob("*.json"))


def record_from_case(path: Path) -> tuple[TransplantRecord, dict[str, Any]]:
    """Build the record of a case file; return it with the case's expectations per profile."""
    case = json.loads(path.read_text())
    observations = []
    for item in case["observations"]:
        day, measure, value = item[:3]
        if measure == "infection":
            observations.append(Observation(day, measure, code=value))
        else:
            observations.append(Observation(day, measure, None if value is None else float(value)))
    record = TransplantRecord(path.stem, observations=observations, **case["record"])
    return record, case["expect"]


def normal_rows(rows: list[dict[str, object]], *, empty_is_unbound: bool = False) -> list[str]:
    """Query rows as sorted JSON, for comparing stores: GROUP_CONCAT lists sorted (SPARQL leaves their
    order undefined), whole decimals as integers; with ``empty_is_unbound``, an empty string is no value
    (Virtuoso gives "" for a GROUP_CONCAT over nothing where Oxigraph leaves the variable unbound)."""
    import json

    def cell(v: object) -> object:
        if isinstance(v, str):
            for sep in ("; ", ", "):
                if sep in v:
                    return sep.join(sorted(v.split(sep)))
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v

    out = []
    for r in rows:
        kept = {k: cell(v) for k, v in r.items() if not (empty_is_unbound and v == "")}
        out.append(json.dumps(kept, sort_keys=True))
    return sorted(out)


def serial_validation(folder: Path) -> ValidationReport:
    """What ``graftkg validate`` reports on ``folder``, from one whole lenient read in this process:
    the reference the workers that read a bundle in shares are held to."""
    from graftkg.readers import Refusals, read_inputs
    from graftkg.validation.validate import read_findings, validate_records

    refusals = Refusals(keep_records=True)
    records = read_inputs([folder], lenient=True, refusals=refusals)
    report = validate_records(records, workers=1, definitions=definitions(), shapes=shapes())
    report.findings[:0] = read_findings(refusals.sorted())
    return report


def paper_bundle(tmp_path: Path, transplants: str | None = None, observations: str | None = None) -> Path:
    """A copy of the paper's CSV bundle in ``tmp_path/bundle``, with either file's text replaced."""
    import shutil

    out = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "paper-patients" / "csv", out)
    if transplants is not None:
        (out / "transplants.csv").write_text(transplants)
    if observations is not None:
        (out / "observations.csv").write_text(observations)
    return out
