"""Synthetic registry data: realistic transplants built from a chosen scenario, with the true outcome.

Each transplant is generated from a scenario (engrafted, primary or secondary graft failure with or
without autologous recovery, poor graft function, not evaluable) and the ``reported_outcome`` column
holds the outcome the scenario was built to have. Windows and thresholds come from the ontology
(:mod:`graftkg.semantics.definitions`); the generator only places values clearly on the intended side of them.

A graft failure is often followed by a second transplant, the review's main salvage (its patients 1
to 3): after one, the next transplant generated is, at :data:`SALVAGE` odds, that patient's second
(transplant number 2, naming the first as its prior, with the patient's own facts), its scenario
drawn as any other's.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graftkg.model import RECORD_FIELDS
from graftkg.rdf import GK
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.ontology import DEFAULT_PROFILE

SCENARIOS: dict[str, float] = {
    "engrafted": 0.50,
    "primary_gf": 0.08,
    "primary_gf_ar": 0.04,
    "primary_gf_ric_low_chimerism": 0.03,
    "secondary_gf": 0.07,
    "secondary_gf_ar": 0.03,
    "primary_pgf": 0.04,
    "secondary_pgf": 0.06,
    "died_before_window": 0.05,
    "lost_before_window": 0.03,
    "no_chimerism": 0.03,
    "reported_only_engrafted": 0.03,
    "reported_only_never": 0.01,
}
OUTCOME = {
    "engrafted": "engrafted",
    "primary_gf": "primary_graft_failure",
    "primary_gf_ar": "primary_graft_failure",
    "primary_gf_ric_low_chimerism": "primary_graft_failure",
    "secondary_gf": "secondary_graft_failure",
    "secondary_gf_ar": "secondary_graft_failure",
    "primary_pgf": "poor_graft_function",
    "secondary_pgf": "poor_graft_function",
    "died_before_window": "not_evaluable",
    "lost_before_window": "not_evaluable",
    "no_chimerism": "not_evaluable",
    "reported_only_engrafted": "engrafted",
    "reported_only_never": "primary_graft_failure",
}

#: the share of graft failures the next transplant generated is a second transplant of (drawn from a
#: random stream of its own, so that the transplants' other values are those of the seed either way)
SALVAGE = 0.5
#: what a patient's transplants share: the patient's own facts, its disease and its centre
_PATIENT_COLUMNS = ("patient_id", "recipient_sex", "recipient_cmv", "diagnosis", "disease_status", "centre")

#: the columns of the transplants.csv written: every declared column, in declaration order
TRANSPLANT_FIELDS = [f.column for f in RECORD_FIELDS if f.column]


@dataclass
class _Levels:
    """Values on either side of the ontology's thresholds."""

    anc: float
    plt: float
    full: float
    loss: float
    dsa: float
    severe_anc: float
    severe_plt: float
    severe_hb: float
    pgf_after: int
    k: int
    free: int


def _levels(defs: Definitions) -> _Levels:
    return _Levels(
        anc=defs.bound(GK.EngraftmentANC),
        plt=defs.bound(GK.PlateletRecoveryCount),
        full=defs.bound(GK.FullDonorChimerism),
        loss=defs.bound(GK.DonorChimerismLoss),
        dsa=defs.bound(GK.DSAPositiveMFI),
        severe_anc=defs.bound(GK.SevereNeutropenia),
        severe_plt=defs.bound(GK.SevereThrombocytopenia),
        severe_hb=defs.bound(GK.SevereAnaemia),
        pgf_after=int(defs.bound(GK.PoorGraftFunctionAssessmentDays)),
        k=defs.neutrophil_recovery.consecutive,
        free=defs.platelet_recovery.transfusion_free_days or 0,
    )


def _r(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 2)


def _transplant(
    rng: random.Random, i: int, scenario: str, defs: Definitions, lv: _Levels
) -> tuple[dict[str, object], list[tuple[int, str, object, str, str]]]:
    donor_type = rng.choices(["MSD", "MUD", "MMUD", "haploidentical", "cord_blood"], [25, 30, 10, 25, 10])[0]
    source = "UCB" if donor_type == "cord_blood" else rng.choices(["PB", "BM"], [65, 35])[0]
    intensity = "MAC" if scenario == "primary_pgf" else rng.choices(["MAC", "RIC", "NMA"], [60, 30, 10])[0]
    if scenario == "primary_gf_ric_low_chimerism":
        intensity = rng.choice(["RIC", "NMA"])
    ric = intensity != "MAC"
    w = defs.window_last_day[source]
    rec_sex, don_sex = rng.choice("FM"), rng.choice("FM")
    t: dict[str, object] = {
        "transplant_id": f"S{i:06d}",
        "patient_id": f"SP{i:06d}",
        "recipient_age_years": _r(rng, 0.5, 18),
        "recipient_sex": rec_sex,
        "diagnosis": rng.choices(["ALL", "AML", "MDS", "SAA", "haemoglobinopathy", "lymphoma"], [40, 25, 8, 12, 8, 7])[
            0
        ],
        "transplant_number": 1,
        "centre": f"C{i % 5 + 1:02d}",  # five reporting centres, without drawing from rng
        "donor_type": donor_type,
        "donor_relation": {"MSD": "sibling", "haploidentical": rng.choice(["father", "mother", "sibling"])}.get(
            donor_type, "unrelated"
        ),
        "donor_sex": don_sex,
        "donor_age_years": "" if source == "UCB" else _r(rng, 2, 60),
        "hla_match": {"MSD": "10/10", "MUD": "10/10", "MMUD": "9/10", "haploidentical": "5/10"}.get(donor_type, "6/8"),
        "abo_match": rng.choices(["matched", "minor", "major", "bidirectional"], [60, 15, 15, 10])[0],
        "graft_source": source,
        "cd34_dose_1e6_per_kg": _r(rng, 0.1, 0.9) if source == "UCB" else _r(rng, 1.5, 12),
        "tnc_dose_1e7_per_kg": _r(rng, 2, 8) if source == "UCB" else "",
        "t_cell_depletion": rng.choices(["none", "ex_vivo"], [95, 5])[0],
        "cryopreserved": "yes" if source == "UCB" or rng.random() < 0.15 else "no",
        "conditioning_intensity": intensity,
        "conditioning_agents": rng.choice(
            ["busulfan;cyclophosphamide", "fludarabine;busulfan;ATG", "TBI;cyclophosphamide"]
        )
        if not ric
        else rng.choice(["fludarabine;melphalan", "fludarabine;low_dose_TBI", "fludarabine;cyclophosphamide;ATG"]),
        "gvhd_prophylaxis": "PTCy;cyclosporine" if donor_type == "haploidentical" else "cyclosporine;methotrexate",
        "recipient_cmv": rng.choice(["pos", "neg"]),
        "donor_cmv": rng.choice(["pos", "neg"]),
    }
    t["disease_status"] = (
        "not_applicable"
        if t["diagnosis"] in ("SAA", "haemoglobinopathy")
        else rng.choices(["CR1", "CR2", "CR3", "active"], [45, 30, 5, 20])[0]
    )
    gf = OUTCOME[scenario] in ("primary_graft_failure", "secondary_graft_failure")
    t["dsa_max_mfi"] = (
        round(lv.dsa * rng.uniform(1.2, 8)) if gf and rng.random() < 0.3 else round(lv.dsa * rng.uniform(0, 0.8))
    )
    if rng.random() < 0.15:
        t["dsa_max_mfi"] = ""  # not tested
    obs: list[tuple[int, str, object, str, str]] = []
    follow = rng.randint(w + 60, 1500)
    t["last_follow_up_day"] = follow
    if scenario.startswith("reported_only"):
        if scenario == "reported_only_engrafted":
            t["reported_neutrophil_recovery_day"] = rng.randint(10, w - 1)
            t["reported_platelet_recovery_day"] = rng.randint(12, w + 20)
        else:
            t["reported_neutrophil_recovery_day"] = "never"
            obs.append(
                (rng.randint(w - 5, w), "donor_chimerism_pct", _r(rng, 0, lv.full * 0.8), "whole_blood", "STR-PCR")
            )
        t["reported_outcome"] = OUTCOME[scenario]
        return t, obs

    end = follow
    if scenario == "died_before_window":
        end = rng.randint(8, w - 2)
        t["death_day"] = end
        t["last_follow_up_day"] = end
    elif scenario == "lost_before_window":
        end = rng.randint(8, w - 2)
        t["last_follow_up_day"] = end
    lab_end = min(end, w + 45)
    step = rng.choice([3, 4])
    grid = sorted({*range(0, w + 1, step), *range(w + 1, lab_end + 1, 2 * step)} | {lab_end})
    grid = [d for d in grid if d <= lab_end]

    def high() -> float:
        return _r(rng, lv.anc * 1.6, lv.anc * 8)

    def low() -> float:
        return _r(rng, 0, lv.anc * 0.5)

    anc_at: dict[int, float] = {-2: _r(rng, lv.anc * 2, lv.anc * 6)}

    r = rng.randint(10, w - 4) if source != "UCB" else rng.randint(16, w - 4)
    loss = rng.randint(max(r + 8, lv.pgf_after + 2), w + 25)
    late = rng.randint(w + 6, w + 40)
    recovered_from: int | None = None
    lost_from: int | None = None
    again_from: int | None = None
    if scenario in ("engrafted", "primary_gf_ric_low_chimerism"):
        recovered_from = r
    elif scenario in ("secondary_gf", "secondary_gf_ar", "secondary_pgf"):
        recovered_from, lost_from = r, loss
        if scenario == "secondary_gf_ar":
            again_from = loss + rng.randint(12, 25)
    elif scenario in ("primary_gf_ar",):
        recovered_from = late
    for d in (recovered_from, lost_from, again_from):
        if d is not None:
            grid = sorted(set(grid) | {d + j for j in range(lv.k + 1)})
    lab_end = max(grid)
    for d in grid:
        up = recovered_from is not None and d >= recovered_from
        if lost_from is not None and d >= lost_from:
            up = again_from is not None and d >= again_from
        anc_at[d] = high() if up else low()
    if scenario in ("secondary_pgf",):
        for d in grid:
            if d >= loss:
                anc_at[d] = _r(rng, 0, lv.severe_anc * 0.8)
    for d, v in sorted(anc_at.items()):
        if d <= end:
            obs.append((d, "ANC", v, "", ""))

    # platelets: transfused while low; recovery at least the transfusion-free period after the last one
    p_rec: int | None = None
    if recovered_from is not None and scenario not in ("primary_gf_ric_low_chimerism",):
        p_rec = recovered_from + rng.randint(2, 10)
    if scenario == "primary_gf_ric_low_chimerism":
        p_rec = recovered_from
    plt_grid = sorted({*grid[::2], *([p_rec + j for j in range(lv.k)] if p_rec is not None else [])})
    cyto_from = loss if scenario in ("secondary_pgf",) else (lv.pgf_after + 1 if scenario == "primary_pgf" else None)
    for d in plt_grid:
        if d > end:
            continue
        ok = (
            p_rec is not None
            and d >= p_rec
            and (lost_from is None or d < lost_from or (again_from is not None and d >= again_from))
        )
        if cyto_from is not None and d >= cyto_from:
            ok = False
        value = _r(rng, lv.plt * 1.5, lv.plt * 15) if ok else _r(rng, lv.severe_plt * 0.2, lv.severe_plt * 0.9)
        obs.append((d, "PLT", value, "", ""))
        if not ok and rng.random() < 0.6:
            obs.append((d, "platelet_transfusion", "", "", ""))
    if p_rec is not None:
        obs = [o for o in obs if not (o[1] == "platelet_transfusion" and p_rec - lv.free - 1 <= o[0] < p_rec)]
    for d in grid[::3]:
        if d > end:
            continue
        severe = cyto_from is not None and d >= cyto_from
        obs.append(
            (
                d,
                "HB",
                _r(rng, lv.severe_hb * 0.6, lv.severe_hb * 0.95)
                if severe
                else _r(rng, lv.severe_hb * 1.25, lv.severe_hb * 2),
                "",
                "",
            )
        )
    if scenario == "primary_pgf":
        pgf_days = [d for d in grid if d > lv.pgf_after]
        for d in pgf_days:
            anc_at[d] = min(anc_at[d], _r(rng, 0, lv.severe_anc * 0.8))

    # chimerism
    def chim(d: int, pct: float) -> None:
        if d <= end:
            obs.append((d, "donor_chimerism_pct", round(pct, 1), "whole_blood", "STR-PCR"))

    early = min(w, max(grid))
    if scenario in ("engrafted",):
        chim(early, _r(rng, lv.full, 100) if not ric or rng.random() < 0.6 else _r(rng, lv.loss * 2, lv.full * 0.9))
        chim(min(lab_end, early + 60), _r(rng, lv.full, 100) if not ric else _r(rng, lv.loss * 2, 100))
    elif scenario in ("primary_gf", "primary_gf_ar"):
        chim(early, _r(rng, 0, lv.full * 0.8) if scenario == "primary_gf" else _r(rng, 0, lv.loss * 0.8))
        if scenario == "primary_gf_ar":
            chim(lab_end, _r(rng, 0, lv.loss * 0.8))
    elif scenario == "primary_gf_ric_low_chimerism":
        chim(early, _r(rng, 0, lv.loss * 0.8))
    elif scenario in ("secondary_gf", "secondary_gf_ar"):
        chim(min(r + 5, w), _r(rng, lv.full, 100))
        latest = _r(rng, 0, lv.loss * 0.8) if (ric or scenario == "secondary_gf_ar") else _r(rng, 0, lv.full * 0.8)
        chim(lab_end, latest)
    elif scenario in ("primary_pgf", "secondary_pgf"):
        chim(early, _r(rng, lv.full, 100))
        chim(lab_end, _r(rng, lv.full, 100))
    elif scenario in ("died_before_window", "lost_before_window", "no_chimerism"):
        pass
    if scenario == "primary_pgf":
        obs = [o for o in obs if o[1] != "ANC"] + [(d, "ANC", v, "", "") for d, v in sorted(anc_at.items()) if d <= end]

    if rng.random() < 0.2:
        obs.append(
            (
                rng.randint(1, max(2, min(end, 90))),
                "infection",
                rng.choice(["CMV", "BK", "EBV", "bacterial", "fungal"]),
                "",
                "",
            )
        )
    if recovered_from is not None and rng.random() < 0.25:
        onset = rng.randint(recovered_from, recovered_from + 60)  # (drawn so: the seed's draws stay the same)
        obs.append((min(onset, end), "gvhd", rng.randint(1, 4), "", ""))  # within follow-up
    if scenario.startswith("secondary") or (scenario in ("primary_gf_ar",) and rng.random() < 0.5):
        obs.extend((d, "gcsf", "", "", "") for d in grid[-4:-1])
    neut = recovered_from if scenario not in ("died_before_window", "lost_before_window") else None
    t["reported_neutrophil_recovery_day"] = neut if neut is not None else "never"
    t["reported_outcome"] = OUTCOME[scenario]
    return t, obs


def generate(
    n: int, *, seed: int = 1, profile: str = DEFAULT_PROFILE
) -> tuple[list[dict[str, object]], list[tuple[str, int, str, object, str, str]]]:
    """Generate ``n`` transplants: (transplant rows, observation rows). Deterministic for a ``seed``.

    Example:
        >>> rows, obs = generate(5, seed=3)
        >>> len(rows), rows[0]["transplant_id"]
        (5, 'S000000')
    """
    transplants: list[dict[str, object]] = []
    observations: list[tuple[str, int, str, object, str, str]] = []
    for t, obs in _generated(n, seed, profile):
        transplants.append(t)
        observations.extend(obs)
    return transplants, observations


def _generated(
    n: int, seed: int, profile: str
) -> Iterator[tuple[dict[str, object], list[tuple[str, int, str, object, str, str]]]]:
    """Each of :func:`generate`'s transplants with its observation rows, made one at a time."""
    defs = Definitions(profile)
    lv = _levels(defs)
    rng = random.Random(seed)
    salvage = random.Random(f"salvage-{seed}")
    names, weights = list(SCENARIOS), list(SCENARIOS.values())
    failed: dict[str, object] | None = None  # a first transplant whose graft failed, to follow
    for i in range(n):
        scenario = names[i % len(names)] if i < len(names) else rng.choices(names, weights)[0]
        t, obs = _transplant(rng, i, scenario, defs, lv)
        if failed is not None and salvage.random() < SALVAGE:
            t.update({c: failed[c] for c in _PATIENT_COLUMNS})
            t["recipient_age_years"] = round(float(failed["recipient_age_years"]) + salvage.uniform(0.1, 0.5), 2)  # type: ignore[arg-type]
            t["transplant_number"], t["prior_transplant_id"] = 2, failed["transplant_id"]
        first = t["transplant_number"] == 1
        failed = t if first and OUTCOME[scenario] in ("primary_graft_failure", "secondary_graft_failure") else None
        yield t, [(str(t["transplant_id"]), *o) for o in sorted(obs, key=lambda o: (o[0], o[1]))]


def write_bundle(outdir: str | Path, *, n: int, seed: int = 1, profile: str = DEFAULT_PROFILE) -> Path:
    """Write a synthetic CSV bundle (``transplants.csv`` + ``observations.csv``) to ``outdir``.

    Example:
        >>> import tempfile
        >>> write_bundle(tempfile.mkdtemp(), n=3).joinpath("transplants.csv").is_file()
        True
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with (
        (out / "transplants.csv").open("w", newline="", encoding="utf-8") as f,
        (out / "observations.csv").open("w", newline="", encoding="utf-8") as g,
    ):  # written as made: a million transplants are never held in memory
        writer = csv.DictWriter(f, TRANSPLANT_FIELDS)
        writer.writeheader()
        writer2 = csv.writer(g)
        writer2.writerow(["transplant_id", "day", "measure", "value", "lineage", "method"])
        for row, observations in _generated(n, seed, profile):
            writer.writerow({k: row.get(k, "") for k in TRANSPLANT_FIELDS})
            writer2.writerows(observations)
    return out
