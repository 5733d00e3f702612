"""graftkg classify against a plain reference of the stated rules (tests/reference_rules.py), on
edge-heavy generated records: values exactly at the thresholds, runs ending on the window's last
days, several values a day, unsorted rows, gaps, transfusions 6, 7 and 8 days before a platelet run,
pre-transplant values and baselines, low chimerism with normal counts, falling grafts, no graft
source, reported days and "never" with and without follow-up. Both definition profiles.
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graftkg.model import Observation, TransplantRecord
from graftkg.semantics.classify import classify_records
from graftkg.semantics.definitions import Definitions

from reference_rules import reference

#: one read of each profile's definitions for this module's many records
definitions = cache(Definitions)

ANC = [0.0, 0.2, 0.49, 0.5, 0.51, 1.5]
PLT = [5.0, 19.9, 20.0, 20.1, 60.0]
HB = [60.0, 70.0, 70.1, 100.0]
CHIMERISM = [0.0, 4.9, 5.0, 50.0, 94.9, 95.0, 100.0]
DAYS = st.sampled_from([-7, -1, 0, 1, 2, 3, 5, 10, 14, 20, 26, 27, 28, 29, 30, 31, 33, 40, 41, 42, 43, 45, 60, 90])


def _run(start: int, values: list[float], measure: str) -> list[Observation]:
    return [Observation(start + i, measure, v) for i, v in enumerate(values)]


@st.composite
def records(draw: st.DrawFn) -> TransplantRecord:
    obs: list[Observation] = []
    if draw(st.booleans()):  # a trajectory: nadir, recovery, perhaps a loss and a second recovery
        day = draw(st.sampled_from([1, 2, 3]))
        for high in (False, True, False, True)[: draw(st.integers(1, 4))]:
            length = draw(st.integers(1, 5))
            pool = [v for v in ANC if (v >= 0.5) == high]
            obs += _run(day, [draw(st.sampled_from(pool)) for _ in range(length)], "ANC")
            day += length + draw(st.sampled_from([0, 1, 5, 12, 20]))
    for measure, values in (("ANC", ANC), ("PLT", PLT), ("HB", HB)):
        for _ in range(draw(st.integers(0, 3))):  # runs of consecutive days, the kind the rules count
            obs += _run(draw(DAYS), draw(st.lists(st.sampled_from(values), min_size=1, max_size=5)), measure)
        obs += [Observation(draw(DAYS), measure, draw(st.sampled_from(values))) for _ in range(draw(st.integers(0, 4)))]
    obs += [
        Observation(draw(DAYS), "donor_chimerism_pct", draw(st.sampled_from(CHIMERISM)))
        for _ in range(draw(st.integers(0, 3)))
    ]
    for _ in range(draw(st.integers(0, 2))):
        obs.append(Observation(draw(DAYS) - draw(st.sampled_from([6, 7, 8])), "platelet_transfusion", None))
    if draw(st.booleans()):  # donor-specific antibodies, at the threshold and around it
        obs.append(Observation(draw(DAYS), "dsa_mfi", draw(st.sampled_from([0.0, 1500.0, 1500.5, 8000.0]))))
    obs = draw(st.permutations(obs))  # unsorted rows
    never = draw(st.booleans()) and not any(o.measure == "ANC" for o in obs)
    return TransplantRecord(
        "R",
        graft_source=draw(st.sampled_from(["PB", "BM", "UCB", None])),
        conditioning_intensity=draw(st.sampled_from(["MAC", "RIC", "NMA", None])),
        reported_neutrophil_recovery_day=None if never else draw(st.one_of(st.none(), DAYS.filter(lambda d: d > 0))),
        reported_neutrophil_never=never,
        last_follow_up_day=draw(st.one_of(st.none(), st.sampled_from([20, 27, 28, 41, 42, 100]))),
        dsa_max_mfi=draw(st.one_of(st.none(), st.sampled_from([1500.0, 2000.0]))),
        observations=list(obs),
    )


@pytest.mark.parametrize("profile", ["paper", "astct-2021"])
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records())
def test_classify_agrees_with_the_reference(profile: str, record: TransplantRecord) -> None:
    defs = definitions(profile)
    (got,) = classify_records([record], definitions=defs)
    want = reference(record, defs)
    assert (got.outcome, got.neutrophil_recovery_day, got.platelet_recovery_day, got.chimerism) == (
        want.outcome,
        want.neutrophil_recovery_day,
        want.platelet_recovery_day,
        want.chimerism,
    ), got.explanation
    assert ("autologous_reconstitution" in got.findings) == want.autologous_reconstitution, got.explanation
    assert ("late_neutrophil_recovery" in got.findings) == want.late_neutrophil_recovery, got.explanation
    assert sorted(got.findings) == sorted(want.findings), got.explanation
