"""Named SPARQL queries: headers, parameter binding, and each query's rows on a small data file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from graftkg.cli import main
from graftkg.store.embedded import knowledge_store, store_with_data
from graftkg.store.query import (
    QueryError,
    bind,
    named_queries,
    named_query,
    render,
    run_embedded,
    with_values,
)
from reference_queries import run_embedded_substituted

from conftest import EXAMPLES, ROOT, normal_rows

CASES = ROOT / "tests" / "cases" / "queries"
CASE_FILES = sorted(CASES.glob("*.json"))


def test_every_query_has_a_case_file() -> None:
    assert {p.stem for p in CASE_FILES} == set(named_queries())


def test_the_issue_queries_exist() -> None:
    required = {
        "recommendations-for-transplant",
        "evidence-for-recommendation",
        "risk-factors-for-transplant",
        "transplants-by-outcome",
        "graft-failure-after-haploidentical-with-dsa",
        "evidence-same-vs-different-donor",
        "studies-by-measure",
        "outcomes-by-donor-type-and-graft-source",
        "median-recovery-day-by-graft-source",
    }
    assert required <= set(named_queries())


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_header_and_parameters_are_declared_and_used(name: str) -> None:
    q = named_query(name)
    assert q.question.endswith("?"), q.question
    assert q.returns
    body = "\n".join(line for line in q.text.splitlines() if not line.startswith("#"))
    used = set(re.findall(r"[?$](\w+)", body))
    for p in q.parameters:
        assert p.name in used, f"{name}: parameter {p.name} is declared but not used"
        # projected (pyoxigraph substitutes projected variables) and used in the outermost group
        select = body[body.index("SELECT") : re.search(r"\bWHERE\b", body).start()]  # type: ignore[union-attr]
        assert re.search(rf"[?$]{p.name}\b", select), f"{name}: parameter {p.name} must be projected"
        outer = re.split(r"\{\s*SELECT\b", body, maxsplit=1)[0]
        assert re.search(rf"[?$]{p.name}\b", outer), f"{name}: parameter {p.name} used only inside a subquery"


@pytest.mark.parametrize("case", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_query_rows(case: Path) -> None:
    spec = json.loads(case.read_text(encoding="utf-8"))
    store = store_with_data([ROOT / d for d in spec["data"]])
    result = run_embedded(store, spec["query"], spec["params"])
    assert set(spec["columns"]) <= set(result.variables)
    got = [{c: row.get(c) for c in spec["columns"]} for row in result.rows]
    if spec["ordered"]:
        assert got == spec["expected"]
    else:
        key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
        assert sorted(map(key, got)) == sorted(map(key, spec["expected"]))


@pytest.mark.parametrize("case", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_substitution_and_values_binding_agree(case: Path) -> None:
    """The embedded run (substitutions) and the endpoint form (VALUES) of each query give the same rows."""
    spec = json.loads(case.read_text(encoding="utf-8"))
    store = store_with_data([ROOT / d for d in spec["data"]])
    a = run_embedded(store, spec["query"], spec["params"])
    b = run_embedded_substituted(store, spec["query"], spec["params"])
    assert a.variables == b.variables and normal_rows(a.rows) == normal_rows(b.rows)


def test_parameters_are_bound_as_escaped_terms_not_pasted() -> None:
    store = store_with_data([EXAMPLES / "paper-patients" / "csv"])
    hostile = 'P1-T1" } } SELECT * WHERE { ?s ?p ?o } #'
    assert run_embedded(store, "recommendations-for-transplant", {"transplant_id": hostile}).rows == []
    assert run_embedded_substituted(store, "recommendations-for-transplant", {"transplant_id": hostile}).rows == []
    text = with_values(
        named_query("risk-factors-for-transplant"),
        bind(named_query("risk-factors-for-transplant"), {"transplant_id": 'x"y'}),
    )
    assert '"x\\"y"' in text
    # a code parameter takes only its codes
    with pytest.raises(QueryError, match=r"'x\"y' is not one of engrafted, not_evaluable"):
        bind(named_query("transplants-by-outcome"), {"outcome": 'x"y'})
    # the same parameter value still finds the real transplant
    assert run_embedded(store, "recommendations-for-transplant", {"transplant_id": "P1-T1"}).rows


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("recommendations-for-transplant", {}, "parameter 'transplant_id' is required"),
        ("recommendations-for-transplant", {"transplant_id": "P1-T1", "patient": "P1"}, "unknown parameter 'patient'"),
        ("no-such-query", {}, "unknown query 'no-such-query'"),
        ("transplants-by-outcome", {"outcome": "Engrafted"}, "'Engrafted' is not one of engrafted, not_evaluable"),
        ("studies-by-measure", {"measure": "odds"}, "'odds' is not one of cumulative_incidence"),
    ],
)
def test_bad_parameters_are_clear_errors(name: str, params: dict[str, str], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        run_embedded(knowledge_store(), name, params)


def test_render_formats() -> None:
    result = run_embedded(knowledge_store(), "studies-by-measure", {"measure": "hazard_ratio"})
    assert json.loads(render(result, "json"))[0]["estimate"] == 2.9
    csv_text = render(result, "csv")
    assert csv_text.splitlines()[0].split(",")[:3] == ["measure", "study", "design"]
    assert render(result, "table").endswith("(1 row)")


def test_cli_queries_lists_every_query(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queries"]) == 0
    out = capsys.readouterr().out
    for name in named_queries():
        assert name in out


def test_cli_query_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["query", "recommendations-for-transplant", "--param", "transplant_id=P1-T1"]
    assert main([*args, "--data", str(EXAMPLES / "paper-patients" / "csv"), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    codes = [r["recommendation"] for r in rows]
    assert {"salvage_hsct", "fludarabine_based_ric", "different_haploidentical_donor"} <= set(codes)
    assert "donor_without_dsa" not in codes  # patient 1's DSA were negative


def test_cli_query_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "transplants-by-outcome", "--param", "outcome"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "key=value" in err
