"""The compiled build (mypyc, see ``hatch_build.py``) against the pure-Python modules it is built from.

``scripts/test-compiled.sh`` installs a compiled wheel in its own environment and runs the tests
there with ``GRAFTKG_REQUIRE_COMPILED=1``; this file then checks that the installed modules are the
compiled ones and that they give exactly what the pure-Python source gives on the same submission,
and the same classes on the transplants ``test_reasoner_equivalence.py`` holds to HermiT's.
In the editable (pure-Python) environment of ``scripts/test.sh`` there is nothing to compare, and the
comparison is skipped.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import graftkg.validation.validate

from conftest import ROOT

COMPILED = not str(graftkg.validation.validate.__file__).endswith(".py")
REQUIRED = os.environ.get("GRAFTKG_REQUIRE_COMPILED") == "1"

#: run in a fresh interpreter: which build it imported, then a digest of everything graftkg derives
#: from one mutated synthetic submission (classes, outcomes, explanations; the validation report)
_DIGEST = """
import hashlib, json, sys
from pathlib import Path
import graftkg.validation.validate
from graftkg.semantics.classify import classify_records
from graftkg.synthetic.mutate import inject
from graftkg.readers import read_inputs
from graftkg.readers.csv_bundle import write_bundle_records
from graftkg.synthetic.generate import write_bundle
from graftkg.validation.validate import render, validate_paths

out = Path(sys.argv[1])
records = read_inputs([write_bundle(out / "clean", n=int(sys.argv[2]), seed=11)], lenient=True)
inject(records, 0.05, seed=11)
bundle = write_bundle_records(records, out / "mutated")
h = hashlib.sha256()
for c in classify_records(read_inputs([bundle], lenient=True), workers=1):
    h.update(json.dumps([c.transplant_id, c.outcome, c.findings, c.chimerism, c.neutrophil_recovery_day,
                         c.platelet_recovery_day, c.risk_factors, c.explanation, sorted(map(str, c.classes))]).encode())
for workers in (1, 2):
    report = validate_paths([bundle], workers=workers)
    h.update(render(report, "json").encode())
    h.update(repr([tuple(map(str, r)) for r in report.results]).encode())
# the transplants the HermiT equivalence test classifies, under both profiles: the compiled fast path
# must give the pure one's classes there, which that test holds to HermiT's
sys.path.insert(0, sys.argv[3])
from conftest import EXAMPLES, classify_cases, record_from_case
from test_reasoner_equivalence import N_SYNTHETIC, _synthetic
from graftkg.semantics.classify import prepare
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.reason import FastReasoner
for profile in ("paper", "astct-2021"):
    same = _synthetic(N_SYNTHETIC if profile == "paper" else 40, seed=11, profile=profile)
    same += read_inputs([EXAMPLES / "paper-patients" / "csv"]) + [record_from_case(p)[0] for p in classify_cases()]
    defs = Definitions(profile)
    fast = FastReasoner(defs)
    for tf, _ in prepare(same, defs):
        h.update(repr(sorted(map(str, fast.classify(tf)))).encode())
print(graftkg.validation.validate.__file__)
print(h.hexdigest(), len(records), report.counts())
"""


def _digest(tmp: Path, pure: bool, n: int) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pure:
        env["PYTHONPATH"] = str(ROOT / "src")  # the source tree: .py files only, ahead of the installed build
    done = subprocess.run(
        # the bundle's path relative (findings name files by the path given); then the tests' folder
        [sys.executable, "-c", _DIGEST, ".", str(n), str(ROOT / "tests")],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr
    module, digest = done.stdout.strip().splitlines()[-2:]
    return module, digest


@pytest.mark.skipif(not (COMPILED or REQUIRED), reason="graftkg is installed as pure Python (pip install -e .)")
def test_every_module_the_build_lists_is_compiled() -> None:
    tree = ast.parse((ROOT / "hatch_build.py").read_text())
    listed = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "COMPILED" for t in node.targets)
    )
    assert "graftkg/validation/validate.py" in listed
    interpreted = [
        path
        for path in listed
        if str(importlib.import_module(path.removesuffix(".py").replace("/", ".")).__file__).endswith(".py")
    ]
    assert not interpreted


@pytest.mark.skipif(not (COMPILED or REQUIRED), reason="graftkg is installed as pure Python (pip install -e .)")
def test_compiled_build_gives_what_the_source_gives(tmp_path: Path) -> None:
    assert COMPILED, (
        f"GRAFTKG_REQUIRE_COMPILED=1, but graftkg.validation.validate is {graftkg.validation.validate.__file__}"
    )
    (tmp_path / "c").mkdir()
    (tmp_path / "p").mkdir()
    compiled_module, compiled = _digest(tmp_path / "c", pure=False, n=3000)
    pure_module, pure = _digest(tmp_path / "p", pure=True, n=3000)
    assert not compiled_module.endswith(".py") and pure_module.endswith(".py")
    assert compiled == pure
