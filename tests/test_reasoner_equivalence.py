"""The fast path assigns exactly the classes an OWL 2 DL reasoner (HermiT) assigns, on the same facts.

Compared: every defined transplant class of the ontology (outcomes, findings, chimerism status, risk
factors and the definition building blocks), over the paper's patients, every classification case
file and 200 synthetic transplants covering every outcome, under both definition profiles. The facts
are exactly those the fast path classifies (raw record, derived facts and their closure; the raw lab
counts are summarised by the derived facts and no definition refers to them). A separate test shows
that adding every lab-count individual changes nothing HermiT infers.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from graftkg.model import Observation, TransplantRecord
from graftkg.readers import read_inputs
from graftkg.semantics.classify import prepare
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.reason import FastReasoner, HermitReasoner
from graftkg.synthetic.generate import generate

from conftest import EXAMPLES, classify_cases, record_from_case

#: one read of each profile's definitions for this module's many records
definitions = cache(Definitions)

pytestmark = pytest.mark.reasoner

N_SYNTHETIC = 200


def _synthetic(n: int, seed: int, profile: str) -> list[TransplantRecord]:
    rows, observations = generate(n, seed=seed, profile=profile)
    import csv
    import tempfile
    from pathlib import Path

    from graftkg.synthetic.generate import TRANSPLANT_FIELDS

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        with (out / "transplants.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, TRANSPLANT_FIELDS)
            w.writeheader()
            w.writerows({k: r.get(k, "") for k in TRANSPLANT_FIELDS} for r in rows)
        with (out / "observations.csv").open("w", newline="") as f:
            w2 = csv.writer(f)
            w2.writerow(["transplant_id", "day", "measure", "value", "lineage", "method"])
            w2.writerows(observations)
        return read_inputs([out])


@pytest.mark.parametrize("profile", ["paper", "astct-2021"])
def test_fast_path_matches_hermit(profile: str) -> None:
    n = N_SYNTHETIC if profile == "paper" else 40
    records = _synthetic(n, seed=11, profile=profile)
    records += read_inputs([EXAMPLES / "paper-patients" / "csv"])
    records += [record_from_case(p)[0] for p in classify_cases()]
    defs = definitions(profile)
    prepared = prepare(records, defs)
    facts = [tf for tf, _ in prepared]
    fast = FastReasoner(defs)
    expected = HermitReasoner(defs, workers=2).classify_many(facts)
    got = [fast.classify(tf) for tf in facts]
    outcomes = Counter(next(c.code for c in defs.outcomes if c.iri in classes) for classes in expected)
    if profile == "paper":
        assert set(outcomes) == {c.code for c in defs.outcomes}, f"synthetic data must cover every outcome: {outcomes}"
    mismatches = [
        (r.transplant_id, sorted(str(c) for c in (g ^ e)))
        for r, g, e in zip(records, got, expected, strict=True)
        if g != e
    ]
    assert not mismatches, f"{len(mismatches)} transplants differ: {mismatches[:5]}"
    assert all(expected), "the reasoner must classify every transplant"


def test_lab_count_individuals_change_nothing() -> None:
    defs = definitions("paper")
    records = read_inputs([EXAMPLES / "paper-patients" / "csv"])
    hermit = HermitReasoner(defs, workers=2)
    with_labs = hermit.classify_many([tf for tf, _ in prepare(records, defs, observations=True)])
    without = hermit.classify_many([tf for tf, _ in prepare(records, defs)])
    assert with_labs == without


def test_difference_would_be_caught() -> None:
    """Sanity check of the comparison itself: changing one derived fact changes the reasoner's answer."""
    defs = definitions("paper")
    record = TransplantRecord(
        "T-sanity",
        graft_source="PB",
        conditioning_intensity="MAC",
        observations=[Observation(28, "donor_chimerism_pct", 2.0)],
        reported_neutrophil_never=True,
        last_follow_up_day=60,
    )
    ((tf, _),) = prepare([record], defs)
    hermit = HermitReasoner(defs)
    before = hermit.classify_many([tf])[0]
    from graftkg.rdf import GK

    tf.facts[tf.node][GK.windowDonorChimerismPct] = [99.0]
    tf.facts[tf.node][GK.latestDonorChimerismPct] = [99.0]
    after = hermit.classify_many([tf])[0]
    assert GK.PrimaryGraftFailure in before
    assert GK.PrimaryGraftFailure not in after and GK.PoorGraftFunction in after
    assert FastReasoner(defs).classify(tf) == after


def test_the_persistent_java_process_answers_as_hermit_s_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HermiT run batch by batch in one Java process gives the classes its command line gives, one
    Java run a batch; and a batch the process cannot answer (here: it cannot even start) is answered
    by the command line."""
    from graftkg.semantics import reason

    defs = definitions("paper")
    records = read_inputs([EXAMPLES / "paper-patients" / "csv"])  # Table 4: failures and engraftment
    facts = [tf for tf, _ in prepare(records, defs)]
    persistent = HermitReasoner(defs, batch_size=2, workers=2).classify_many(facts)
    command_line = HermitReasoner(defs, batch_size=5, workers=2, persistent=False).classify_many(facts)
    assert len({frozenset(c) for c in persistent}) > 3, "the sample must hold transplants of different classes"
    assert persistent == command_line and all(persistent)
    monkeypatch.setattr(reason, "java_classes", lambda source: tmp_path)  # no HermitBatches.class there
    assert HermitReasoner(defs, batch_size=2).classify_many(facts[:2]) == persistent[:2]


def test_java_helpers_compile_privately_without_a_home_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a cache folder of the user's own, a Java helper is compiled into a fresh private
    folder (never into a predictable folder of the shared temporary directory)."""
    import os
    import stat

    from graftkg.semantics import reason

    def no_home() -> Path:
        raise RuntimeError("no home folder")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    reason.java_classes.cache_clear()
    try:
        folder = reason.java_classes(reason._BATCHES_SOURCE)
    finally:
        reason.java_classes.cache_clear()
    assert folder is not None and (folder / "HermitBatches.class").is_file()
    assert folder.stat().st_uid == os.getuid() and not folder.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    assert ".cache" not in folder.parts
