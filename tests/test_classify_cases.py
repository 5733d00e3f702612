"""Every case in tests/cases/classify/ classifies as its file says, under each profile it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from graftkg.semantics.classify import classify_records

from conftest import classify_cases, definitions, record_from_case


@pytest.mark.parametrize("path", classify_cases(), ids=lambda p: p.stem)
def test_case(path: Path) -> None:
    record, expectations = record_from_case(path)
    assert expectations, "a case must state what it expects"
    for profile, expected in expectations.items():
        (result,) = classify_records([record], definitions=definitions(profile))
        got = result.as_json()
        for key, value in expected.items():
            assert got[key] == value, f"{profile}: {key} is {got[key]!r}, expected {value!r}; {got['explanation']}"
        assert got["explanation"], "every classification carries its reasons"
