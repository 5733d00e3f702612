"""Import the KMsurv ``bmt`` data set (Klein & Moeschberger, Section 1.3) as a registry CSV bundle.

137 allogeneic marrow transplants for acute leukaemia, one row each, as the Rdatasets CSV export
(``rownames, group, t1, t2, d1, d2, d3, ta, da, tc, dc, tp, dp, z1 ... z10``). Handled the way a
registry would, and never guessed: its platelet recovery is "returned to normal", not the
>= 20 x 10^9/L recovery of the definitions, so it is kept as ``reported_platelet_normal_recovery_day``
(``gk:reportedPlateletNormalRecoveryDay``) and never put in place of ``reported_platelet_recovery_day``;
chronic GvHD is a ``gvhd`` observation on its day (grade 0, the ontology's code for chronic GvHD
without grade), acute GvHD, whose grade is not given (an observation needs one), the asserted risk
factor ``gvhd`` with its day in ``unmapped.csv``; donor type, conditioning and disease status are not in the
file and stay empty. What the bundle cannot state (the AML risk group, the negatives "no relapse",
"no GvHD", "no methotrexate", the waiting time, FAB class, hospital) is written per transplant to
``unmapped.csv``; ``import-notes.txt`` states every mapping decision.

The import then reads the bundle back and classifies it with :class:`graftkg.Engine` (the real
definitions; nothing is re-implemented here) and writes ``classification-notes.csv``: per transplant,
its outcome, the classifier's findings and, in words, why it cannot be classified.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from graftkg.errors import InputError, read_input_bytes
from graftkg.readers.importing import number_cell, write_table

#: the columns of the Rdatasets export of KMsurv ``bmt``, in its order
SOURCE_COLUMNS = [
    "rownames",
    "group",
    "t1",
    "t2",
    "d1",
    "d2",
    "d3",
    "ta",
    "da",
    "tc",
    "dc",
    "tp",
    "dp",
    "z1",
    "z2",
    "z3",
    "z4",
    "z5",
    "z6",
    "z7",
    "z8",
    "z9",
    "z10",
]

#: where each source column goes in the bundle (``unmapped.csv`` keeps what a column cannot state)
MAPPED = {
    "rownames": "transplant_id, patient_id",
    "group": "diagnosis (1 ALL, 2 and 3 AML); the risk group is in unmapped.csv",
    "t1": "death_day (d1 = 1) and last_follow_up_day",
    "d1": "death_day (d1 = 1) and last_follow_up_day",
    "t2": "relapse_day (d2 = 1)",
    "d2": "relapse_day (d2 = 1)",
    "ta": "asserted_risk_factors: gvhd (da = 1); the day is in unmapped.csv",
    "da": "asserted_risk_factors: gvhd (da = 1)",
    "tc": "observations.csv: gvhd, value 0 (chronic, no grade) on day tc (dc = 1)",
    "dc": "observations.csv: gvhd, value 0 (chronic, no grade) on day tc (dc = 1)",
    "tp": "reported_platelet_normal_recovery_day (dp = 1)",
    "dp": "reported_platelet_normal_recovery_day: never (dp = 0)",
    "z1": "recipient_age_years",
    "z2": "donor_age_years",
    "z3": "recipient_sex",
    "z4": "donor_sex",
    "z5": "recipient_cmv",
    "z6": "donor_cmv",
    "z10": "gvhd_prophylaxis: methotrexate (z10 = 1)",
}

TRANSPLANT_COLUMNS = [
    "transplant_id",
    "patient_id",
    "recipient_age_years",
    "recipient_sex",
    "diagnosis",
    "disease_status",
    "transplant_number",
    "donor_type",
    "donor_age_years",
    "donor_sex",
    "graft_source",
    "conditioning_intensity",
    "conditioning_agents",
    "gvhd_prophylaxis",
    "recipient_cmv",
    "donor_cmv",
    "reported_neutrophil_recovery_day",
    "reported_platelet_recovery_day",
    "reported_platelet_normal_recovery_day",
    "asserted_risk_factors",
    "last_follow_up_day",
    "death_day",
    "relapse_day",
]

#: the source columns repeated raw in ``unmapped.csv``: not stated in the bundle at all, or only in part
#: (a bundle states what happened, not that something did not: "no relapse" / "no GvHD" /
#: "no methotrexate" are kept here)
UNMAPPED = ["group", "t2", "d2", "d3", "ta", "da", "dc", "z7", "z8", "z9", "z10"]
#: the unmapped columns' meanings, as ``unmapped.csv`` names them beside the raw cells
GROUPS = {"1": "ALL", "2": "AML low risk", "3": "AML high risk"}
HOSPITALS = {"1": "Ohio State", "2": "Alfred", "3": "St Vincent", "4": "Hahnemann"}

NOTES = """Imported from the KMsurv data set bmt (Klein & Moeschberger, Survival Analysis, 1997, Section 1.3;
Rdatasets CSV export): 137 allogeneic bone marrow transplants for acute leukaemia. Times are days
after transplant.
- rownames -> transplant_id KM-<rownames> and patient_id KM-P<rownames> (one transplant per patient).
- group -> diagnosis: 1 -> ALL, 2 and 3 -> AML. The AML low/high risk distinction has no column (it
  is not a disease status: the file does not say what the risk groups were made of), so group is kept
  in unmapped.csv with its meaning (disease_group); disease_status stays empty.
- t1, d1 -> last_follow_up_day = t1; d1 = 1 -> death_day = t1 as well.
- t2, d2 -> relapse_day = t2 when d2 = 1. t2 is the disease-free survival time, so with d2 = 0 it
  states no relapse day; t2, d2 and d3 are kept raw in unmapped.csv (d2 = 0 is "no relapse", which the
  bundle cannot state). Row 38 has d2 = 0 and t2 = 332 < t1 = 350: kept as given, in unmapped.csv.
- tc, dc -> one observation, measure gvhd, on day tc when dc = 1 (chronic GvHD), value 0: the
  ontology's code for chronic GvHD without grade (gk:gvhdGrade).
- ta, da -> acute GvHD (da = 1): its grade is not in the file, and a gvhd observation needs a grade
  (an empty value is refused on reading; none is invented), so acute GvHD is the asserted risk factor
  gvhd, and its day ta is kept in unmapped.csv.
- With da = 0 or dc = 0, ta or tc is the end of follow-up and nothing is written; ta, da and dc are
  kept raw in unmapped.csv ("no GvHD" cannot be stated in the bundle). A chronic GvHD day after t1
  (death or last follow-up) is not written (no observation can follow death or the last follow-up):
  it is named in unmapped.csv, column not_imported (row 127: chronic GvHD day 200, death day 168).
- tp, dp -> reported_platelet_normal_recovery_day (gk:reportedPlateletNormalRecoveryDay): dp = 1 -> tp;
  dp = 0 -> never (platelets did not return to normal during follow-up; tp is then t1). The data set's
  platelet recovery is "returned to normal", NOT the >= 20 x 10^9/L recovery of the definitions: it is
  recorded under its own definition, reported_platelet_recovery_day stays empty, and the
  classification never uses it.
- z1 -> recipient_age_years, z2 -> donor_age_years.
- z3, z4 -> recipient_sex, donor_sex: 1 -> M, 0 -> F.
- z5, z6 -> recipient_cmv, donor_cmv: 1 -> pos, 0 -> neg.
- z10 = 1 -> gvhd_prophylaxis methotrexate. z10 = 0 means "no methotrexate", not "no prophylaxis"
  (the other agents are not in the file): gvhd_prophylaxis stays empty (not reported) and z10 is kept
  raw in unmapped.csv.
- z7 (waiting time to transplant, days), z8 (FAB grade 4 or 5 and AML), z9 (hospital: 1 Ohio State,
  2 Alfred, 3 St Vincent, 4 Hahnemann) have no bundle column: they are in unmapped.csv.
- graft_source -> BM for every transplant: the file has no graft-source column, but the data set and
  its source (Klein & Moeschberger, Section 1.3) describe the whole cohort as bone marrow
  transplants. This sets the engraftment window of marrow grafts.
- donor_type, conditioning (intensity and agents), disease_status and transplant_number are not in
  the file: they stay empty, never guessed. Validation reports what a registry requires.
- No neutrophil counts, no reported neutrophil recovery, no chimerism and no platelet counts are in
  the file: the outcome of graft failure cannot be evaluated. classification-notes.csv gives, per
  transplant, the classifier's outcome and why it cannot be classified.
- unmapped.csv: per transplant_id, the raw cells of group, t2, d2, d3, ta, da, dc, z7, z8, z9, z10, their
  meanings (disease_group, hospital) and not_imported (a mapped cell that could not be written, and why).
"""


@dataclass
class KMsurvImportSummary:
    """What an import wrote, and how the imported transplants classify: ``outcomes`` (outcome -> count)
    and ``not_evaluable`` (finding -> count of the transplants not evaluable with it: why)."""

    transplants: int
    transplants_csv: Path
    observations_csv: Path
    unmapped_csv: Path
    classification_notes_csv: Path
    outcomes: dict[str, int] = field(default_factory=dict)
    not_evaluable: dict[str, int] = field(default_factory=dict)


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    data = read_input_bytes(str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from None
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(f"not CSV: {exc}", path=str(path)) from None
    if not table or not any(cell.strip() for cell in table[0]):
        raise InputError("empty file: no header row", path=str(path), line=1)
    header = [c.strip() for c in table[0]]
    if header[0] == "":
        header[0] = "rownames"  # R's write.csv leaves the row-names column unnamed
    for name in SOURCE_COLUMNS:
        if name not in header:
            raise InputError(f"not the KMsurv bmt data set: column {name} missing", path=str(path), line=1, field=name)
    extra = [h for h in header if h not in SOURCE_COLUMNS]
    if extra:
        raise InputError(f"unknown column '{extra[0]}'", path=str(path), line=1, field=extra[0])
    rows: list[tuple[int, dict[str, str]]] = []
    for n, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InputError(f"row has {len(cells)} cells, the header {len(header)}", path=str(path), line=n)
        rows.append((n, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    if not rows:
        raise InputError("no transplants: the file has a header and no rows", path=str(path))
    return rows


class _Row:
    """One source row, with located readers of its cells."""

    def __init__(self, path: Path, line: int, cells: dict[str, str]) -> None:
        self.path, self.line, self.cells = path, line, cells

    def error(self, name: str, message: str) -> InputError:
        return InputError(message, path=str(self.path), line=self.line, field=name)

    def number(self, name: str) -> float | None:
        value = self.cells[name]
        if value in ("", "NA"):
            return None
        try:
            number = float(value)
        except ValueError:
            raise self.error(name, f"'{value}' is not a number") from None
        if not math.isfinite(number):
            raise self.error(name, f"'{value}' is not a number")
        return number

    def day(self, name: str) -> int | None:
        number = self.number(name)
        if number is None:
            return None
        if not number.is_integer():
            raise self.error(name, f"'{self.cells[name]}' is not a whole number of days")
        return int(number)

    def code(self, name: str, allowed: Sequence[str]) -> str:
        value = self.cells[name]
        if value in ("", "NA"):
            return ""
        number = self.number(name)
        text = number_cell(number)
        if text not in allowed:
            raise self.error(name, f"'{value}' is not one of {', '.join(allowed)}")
        return text


def _within(name: str, day: int | None, t1: int | None, d1: str, not_imported: list[str]) -> bool:
    """Whether the event day ``day`` of column ``name`` lies within follow-up (up to ``t1``); if not,
    say so in ``not_imported``."""
    if day is None or t1 is None or day <= t1:
        return True
    end = "death" if d1 == "1" else "last follow-up"
    not_imported.append(f"{name}={day}: after {end} on day {t1} (t1)")
    return False


def _codes(field_name: str, *wanted: str) -> None:
    """Fail loudly if the ontology's value set of ``field_name`` lacks a code this importer writes."""
    from graftkg.semantics.vocabulary import vocabulary

    known = vocabulary().codes(field_name)
    missing = [w for w in wanted if w not in known]
    if missing:  # pragma: no cover - the ontology and this importer are shipped together
        raise InputError(f"the ontology has no {field_name} code {missing[0]}")


def import_kmsurv_bmt(source: str | Path, outdir: str | Path) -> KMsurvImportSummary:
    """Import the KMsurv ``bmt`` CSV ``source`` into a CSV bundle in ``outdir``, then classify it; see the
    module notes. A bad file raises :class:`InputError` naming the file, line and field.

    Example:
        >>> import tempfile
        >>> s = import_kmsurv_bmt("../shared/datasets/kmsurv-bmt/bmt.csv", tempfile.mkdtemp())
        >>> s.transplants, s.outcomes, s.not_evaluable
        (137, {'not_evaluable': 137}, {'neutrophil_data_missing': 137})
    """
    path = Path(source)
    _codes("diagnosis", "ALL", "AML")
    _codes("recipient_sex", "F", "M")
    _codes("recipient_cmv", "neg", "pos")
    _codes("gvhd_prophylaxis", "methotrexate")
    _codes("graft_source", "BM")
    diagnosis = {"1": "ALL", "2": "AML", "3": "AML"}
    sex = {"1": "M", "0": "F"}
    cmv = {"1": "pos", "0": "neg"}
    flag = ("0", "1")
    transplants: list[dict[str, str]] = []
    observations: list[dict[str, str]] = []
    unmapped: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for line, cells in _rows(path):
        row = _Row(path, line, cells)
        number = cells["rownames"]
        if not number:
            raise row.error("rownames", "empty: every row needs its row number")
        if number in seen:
            raise row.error("rownames", f"duplicate row number '{number}' (also on line {seen[number]})")
        seen[number] = line
        tid = f"KM-{number}"
        group = row.code("group", list(GROUPS))
        t1, d1 = row.day("t1"), row.code("d1", flag)
        t2, d2 = row.day("t2"), row.code("d2", flag)
        row.day("ta")
        da = row.code("da", flag)
        tc, dc = row.day("tc"), row.code("dc", flag)
        tp, dp = row.day("tp"), row.code("dp", flag)
        z10 = row.code("z10", flag)
        row.code("d3", flag)
        row.code("z8", flag)
        row.code("z9", list(HOSPITALS))
        row.number("z7")
        not_imported: list[str] = []

        if dc == "1" and _within("tc", tc, t1, d1, not_imported):
            observations.append({"transplant_id": tid, "day": str(tc), "measure": "gvhd", "value": "0"})
        relapse = t2 if d2 == "1" and _within("t2", t2, t1, d1, not_imported) else None
        platelet = (
            "never" if dp == "0" else (number_cell(tp) if dp == "1" and _within("tp", tp, t1, d1, not_imported) else "")
        )
        transplants.append(
            {
                "transplant_id": tid,
                "patient_id": f"KM-P{number}",
                "recipient_age_years": number_cell(row.number("z1")),
                "recipient_sex": sex.get(row.code("z3", flag), ""),
                "diagnosis": diagnosis.get(group, ""),
                "donor_age_years": number_cell(row.number("z2")),
                "donor_sex": sex.get(row.code("z4", flag), ""),
                "graft_source": "BM",
                "gvhd_prophylaxis": "methotrexate" if z10 == "1" else "",
                "recipient_cmv": cmv.get(row.code("z5", flag), ""),
                "donor_cmv": cmv.get(row.code("z6", flag), ""),
                "reported_platelet_normal_recovery_day": platelet,
                "asserted_risk_factors": "gvhd" if da == "1" else "",
                "last_follow_up_day": number_cell(t1),
                "death_day": number_cell(t1) if d1 == "1" else "",
                "relapse_day": number_cell(relapse),
            }
        )
        unmapped.append(
            {
                "transplant_id": tid,
                **{name: cells[name] for name in UNMAPPED},
                "disease_group": GROUPS.get(group, ""),
                "hospital": HOSPITALS.get(row.code("z9", list(HOSPITALS)), ""),
                "not_imported": "; ".join(not_imported),
            }
        )
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    tpath, opath, upath = out / "transplants.csv", out / "observations.csv", out / "unmapped.csv"
    write_table(tpath, TRANSPLANT_COLUMNS, transplants)
    write_table(opath, ["transplant_id", "day", "measure", "value"], observations)
    write_table(upath, ["transplant_id", *UNMAPPED, "disease_group", "hospital", "not_imported"], unmapped)
    (out / "import-notes.txt").write_text(NOTES, encoding="utf-8")
    npath = out / "classification-notes.csv"
    outcomes, why = write_classification_notes(out, npath)
    return KMsurvImportSummary(len(transplants), tpath, opath, upath, npath, outcomes, why)


def write_classification_notes(bundle: str | Path, notes: str | Path) -> tuple[dict[str, int], dict[str, int]]:
    """Classify the bundle ``bundle`` with :class:`graftkg.Engine` and write, per transplant, to the CSV
    ``notes``: ``transplant_id, outcome, findings, reason``. ``reason`` is the classifier's explanation
    without its negated lines ("not engrafted", ...): why it cannot be classified, or what it rests on.
    Return the count of each outcome, and of each finding among the transplants not evaluable.

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp())
        >>> outcomes, why = write_classification_notes("examples/paper-patients/csv", out / "notes.csv")
        >>> outcomes["engrafted"], (out / "notes.csv").read_text().splitlines()[0]
        (3, 'transplant_id,outcome,findings,reason')
    """
    from graftkg import Engine, read

    results = Engine().classify(read(bundle))
    rows = [
        {
            "transplant_id": c.transplant_id,
            "outcome": c.outcome,
            "findings": ";".join(c.findings),
            "reason": "; ".join(line for line in c.explanation if not line.startswith("not ")),
        }
        for c in results
    ]
    write_table(Path(notes), ["transplant_id", "outcome", "findings", "reason"], rows)
    outcomes = Counter(c.outcome for c in results)
    why = Counter(f for c in results if c.outcome == "not_evaluable" for f in c.findings)
    return dict(sorted(outcomes.items())), dict(why.most_common())
