"""Import the UCI "bone marrow transplant: children" dataset (ARFF) as a registry CSV bundle.

Handled the way a registry would: ``?`` is not reported; ``1000000`` in a recovery or GvHD time means
never; its platelet recovery is to 50 x 10^9/L, kept as ``reported_platelet_50_recovery_day`` and
never put in place of the 20 x 10^9/L recovery of the definitions; all donors are unrelated (the
source study), so the donor type follows the HLA match (10/10 matched, below mismatched). Attributes
the bundle has no column for are written, per transplant, to ``unmapped.csv`` beside it, so nothing
is lost; ``import-notes.txt`` states every mapping decision.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from graftkg.errors import InputError, read_input_bytes
from graftkg.readers.importing import number_cell, write_table

NEVER = "1000000"

TRANSPLANT_COLUMNS = [
    "transplant_id",
    "patient_id",
    "recipient_age_years",
    "recipient_sex",
    "diagnosis",
    "transplant_number",
    "donor_type",
    "donor_age_years",
    "donor_sex",
    "hla_match",
    "abo_match",
    "graft_source",
    "cd34_dose_1e6_per_kg",
    "recipient_cmv",
    "donor_cmv",
    "reported_neutrophil_recovery_day",
    "reported_platelet_50_recovery_day",
    "asserted_risk_factors",
    "last_follow_up_day",
    "death_day",
]
UNMAPPED = [
    "donor_age_below_35",
    "recipient_age_below_10",
    "recipient_age_int",
    "recipient_body_mass",
    "recipient_rh",
    "disease_group",
    "CMV_status",
    "HLA_mismatch",
    "antigen",
    "allel",
    "HLA_group_1",
    "risk_group",
    "tx_post_relapse",
    "CD3_x1e8_per_kg",
    "CD3_to_CD34_ratio",
    "acute_GvHD_II_III_IV",
    "acute_GvHD_III_IV",
    "time_to_acute_GvHD_III_IV",
    "extensive_chronic_GvHD",
    "relapse",
]

NOTES = """Imported from the UCI "bone marrow transplant: children" dataset (ARFF).
- '?' is not reported (an empty cell).
- ANC_recovery (days to ANC > 0.5 x 10^9/L) -> reported_neutrophil_recovery_day; 1000000 -> never.
- PLT_recovery is recovery to > 50 x 10^9/L, not the 20 x 10^9/L of the definitions: it goes to
  reported_platelet_50_recovery_day (1000000 -> never); reported_platelet_recovery_day stays empty.
- Every donor is unrelated (source study): HLA 10/10 -> MUD, 9/10, 8/10, 7/10 -> MMUD.
- ABO compatibility from donor_ABO and recipient_ABO: donor antigens the recipient lacks -> major,
  recipient antigens the donor lacks -> minor, both -> bidirectional ('0' is group O).
- recipient and donor CMV: present -> pos, absent -> neg. Donor sex is known only for female donors
  of male recipients (gender_match = female_to_male).
- disease: chronic -> other_malignant, nonmalignant -> other_nonmalignant.
- GvHD (acute grade II-IV or extensive chronic) -> asserted risk factor gvhd (no day is given for
  grade II; the day of grade III-IV is in unmapped.csv).
- survival_time -> last_follow_up_day; survival_status 1 -> death_day = survival_time.
- No chimerism, conditioning regimen, disease status or relapse day is in the dataset: those columns
  stay empty, and validation reports what a registry requires.
- Attributes without a bundle column are in unmapped.csv, keyed by transplant_id.
"""


@dataclass
class ImportSummary:
    """What an import wrote."""

    transplants: int
    transplants_csv: Path
    observations_csv: Path
    unmapped_csv: Path


def _arff(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    data = read_input_bytes(str(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from None
    names: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    in_data = False
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("%"):
            continue
        lower = stripped.lower()
        if not in_data and lower.startswith("@attribute"):
            parts = stripped.split(None, 2)
            if len(parts) < 3:
                raise InputError("malformed @attribute line", path=str(path), line=n)
            names.append(parts[1])
        elif not in_data and lower.startswith("@data"):
            in_data = True
        elif in_data:
            (cells,) = list(csv.reader(io.StringIO(stripped)))
            if len(cells) != len(names):
                raise InputError(
                    f"row has {len(cells)} values, {len(names)} attributes declared", path=str(path), line=n
                )
            rows.append((n, [c.strip() for c in cells]))
    if not in_data or not names:
        raise InputError("not an ARFF file (no @attribute / @data sections)", path=str(path))
    return names, rows


def _number(value: str, path: Path, line: int, name: str) -> float | None:
    if value in ("?", ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise InputError(f"'{value}' is not a number", path=str(path), line=line, field=name) from None


def _day(value: str, path: Path, line: int, name: str) -> str:
    number = _number(value, path, line, name)
    if number is None:
        return ""
    if value.split(".")[0] == NEVER:
        return "never"
    return str(round(number))


def _abo(donor: str, recipient: str, fallback: str) -> str:
    if donor in ("?", "") or recipient in ("?", ""):
        return "matched" if fallback == "matched" else ""
    antigens = {"0": set(), "A": {"A"}, "B": {"B"}, "AB": {"A", "B"}}
    d, r = antigens.get(donor), antigens.get(recipient)
    if d is None or r is None:
        return ""
    major, minor = bool(d - r), bool(r - d)
    return "bidirectional" if major and minor else "major" if major else "minor" if minor else "matched"


def import_uci_bmt(source: str | Path, outdir: str | Path) -> ImportSummary:
    """Import the UCI ARFF file ``source`` into a CSV bundle in ``outdir``; see the module notes.

    Example:
        >>> import tempfile
        >>> s = import_uci_bmt("../shared/datasets/uci-bmt-children/bone-marrow.arff", tempfile.mkdtemp())
        >>> s.transplants
        187
    """
    path = Path(source)
    names, rows = _arff(path)
    missing = [c for c in ("ANC_recovery", "PLT_recovery", "survival_time", "survival_status") if c not in names]
    if missing:
        raise InputError(f"not the UCI bone marrow dataset: attribute {missing[0]} missing", path=str(path))
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    transplants: list[dict[str, str]] = []
    unmapped: list[dict[str, str]] = []
    for n, (line, cells) in enumerate(rows, start=1):
        row = dict(zip(names, cells, strict=True))

        def get(name: str, row: dict[str, str] = row) -> str:
            value = row.get(name, "?")
            return "" if value == "?" else value

        tid = f"UCI-{n:03d}"
        hla = get("HLA_match")
        gvhd = get("acute_GvHD_II_III_IV") == "yes" or get("extensive_chronic_GvHD") == "yes"
        survival = _number(row["survival_time"], path, line, "survival_time")
        status = get("survival_status")
        if status not in ("", "0", "1"):
            raise InputError(f"'{status}' is not 0 or 1", path=str(path), line=line, field="survival_status")
        transplants.append(
            {
                "transplant_id": tid,
                "patient_id": f"UCI-P{n:03d}",
                "recipient_age_years": number_cell(_number(row.get("recipient_age", "?"), path, line, "recipient_age")),
                "recipient_sex": {"female": "F", "male": "M"}.get(get("recipient_gender"), ""),
                "diagnosis": {
                    "ALL": "ALL",
                    "AML": "AML",
                    "lymphoma": "lymphoma",
                    "chronic": "other_malignant",
                    "nonmalignant": "other_nonmalignant",
                }.get(get("disease"), ""),
                "transplant_number": "1",
                "donor_type": "" if not hla else ("MUD" if hla == "10/10" else "MMUD"),
                "donor_age_years": number_cell(_number(row.get("donor_age", "?"), path, line, "donor_age")),
                "donor_sex": "F" if get("gender_match") == "female_to_male" else "",
                "hla_match": hla,
                "abo_match": _abo(row.get("donor_ABO", "?"), row.get("recipient_ABO", "?"), get("ABO_match")),
                "graft_source": {"bone_marrow": "BM", "peripheral_blood": "PB"}.get(get("stem_cell_source"), ""),
                "cd34_dose_1e6_per_kg": number_cell(
                    _number(row.get("CD34_x1e6_per_kg", "?"), path, line, "CD34_x1e6_per_kg")
                ),
                "recipient_cmv": {"present": "pos", "absent": "neg"}.get(get("recipient_CMV"), ""),
                "donor_cmv": {"present": "pos", "absent": "neg"}.get(get("donor_CMV"), ""),
                "reported_neutrophil_recovery_day": _day(row["ANC_recovery"], path, line, "ANC_recovery"),
                "reported_platelet_50_recovery_day": _day(row["PLT_recovery"], path, line, "PLT_recovery"),
                "asserted_risk_factors": "gvhd" if gvhd else "",
                "last_follow_up_day": number_cell(survival),
                "death_day": number_cell(survival) if status == "1" else "",
            }
        )
        unmapped.append({"transplant_id": tid, **{name: get(name) for name in UNMAPPED if name in row}})
    tpath, opath, upath = out / "transplants.csv", out / "observations.csv", out / "unmapped.csv"
    write_table(tpath, TRANSPLANT_COLUMNS, transplants)
    write_table(opath, ["transplant_id", "day", "measure", "value"], [])
    write_table(upath, ["transplant_id", *[u for u in UNMAPPED if u in names]], unmapped)
    (out / "import-notes.txt").write_text(NOTES, encoding="utf-8")
    return ImportSummary(len(transplants), tpath, opath, upath)
