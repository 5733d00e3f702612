"""The shape cases: each valid submission gives no finding, each invalid one exactly the findings it lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from graftkg.validation.validate import validate_paths

from conftest import ROOT

CASES = ROOT / "tests" / "cases" / "shapes"
VALID = sorted((CASES / "valid").glob("*.ttl"))
INVALID = sorted((CASES / "invalid").glob("*.ttl"))


def expected(path: Path) -> set[tuple[str, str, str]]:
    """The ``# expect: <severity> <rule> <transplant>`` lines of a case file."""
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect:"):
            severity, rule, transplant = line.removeprefix("# expect:").split()
            out.add((severity, rule, transplant))
    return out


def test_there_are_cases_of_both_kinds() -> None:
    assert len(VALID) >= 2 and len(INVALID) >= 8


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_case_gives_no_finding(path: Path) -> None:
    report = validate_paths([path])
    assert report.transplants >= 1
    assert [(f.severity, f.rule, f.message) for f in report.findings] == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_case_gives_exactly_its_findings(path: Path) -> None:
    wanted = expected(path)
    assert wanted, f"{path.name} lists no '# expect:' line"
    report = validate_paths([path])
    assert {(f.severity, f.rule, f.transplant_id) for f in report.findings} == wanted
