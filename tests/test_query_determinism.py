"""Every named query gives the same bytes on every run: two processes with different hash seeds
(set and dict orders differ between them), and a loaded store, on a cohort with ties and lists.

SPARQL leaves a GROUP_CONCAT's order undefined: graftkg sorts the items of list columns
(``NamedQuery.lists``), and each query's ORDER BY decides between any two rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graftkg.rdf import GK, OWL, RDF, RDFS
from graftkg.semantics.ontology import load_knowledge_base
from graftkg.store.query import named_queries

from conftest import CASES, EXAMPLES, ROOT

QUERY_CASES = sorted((CASES / "queries").glob("*.json"))


def _run(args: list[str], seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    run = subprocess.run([sys.executable, "-m", "graftkg", *args], cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert run.returncode == 0, run.stderr.decode()
    return run.stdout


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The query cohort, the paper's patients and 150 synthetic transplants (many ties, many lists)."""
    from graftkg.synthetic.generate import write_bundle

    synth = write_bundle(tmp_path_factory.mktemp("synth"), n=150, seed=4)
    return [str(CASES / "queries" / "cohort"), str(EXAMPLES / "paper-patients" / "csv"), str(synth)]


@pytest.fixture(scope="module")
def store(data: list[str], tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("store") / "store"
    for n, source in enumerate(data):
        env = {**os.environ, "PYTHONHASHSEED": str(100 + n)}
        subprocess.run(
            [sys.executable, "-m", "graftkg", "load", source, "--store", str(path), "--name", f"part{n}"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return str(path)


def test_every_query_has_a_case() -> None:
    assert {json.loads(p.read_text())["query"] for p in QUERY_CASES} == set(named_queries())


@pytest.mark.parametrize("case", QUERY_CASES, ids=lambda p: p.stem)
def test_a_query_gives_the_same_bytes_every_run(case: Path, data: list[str], store: str) -> None:
    spec = json.loads(case.read_text())
    name = spec["query"]
    params = [arg for k, v in spec.get("params", {}).items() for arg in ("--param", f"{k}={v}")]
    sources = [arg for d in data for arg in ("--data", d)]
    first = _run(["query", name, *sources, *params, "--format", "csv"], "0")
    again = _run(["query", name, *sources, *params, "--format", "csv"], "4242")
    assert first == again
    assert len(first.splitlines()) > 1, "the query must return rows for the comparison to mean something"
    if named_queries()[name].data == "transplants":
        stored = _run(["query", name, "--store", store, *params, "--format", "csv"], "77")
        assert stored == first


def test_list_items_never_hold_their_separator() -> None:
    """Sorting a list column's items splits on its separator: no item may contain it."""
    kb = load_knowledge_base()
    separators = {sep for q in named_queries().values() for sep in q.lists.values()}
    assert separators <= {", ", "; "}
    classes = set(kb.subjects(RDF.type, OWL.Class))  # the labels a list holds are of classes (applies_because)
    assert not [str(o) for c in classes for o in kb.objects(c, RDFS.label) if "; " in str(o)]
    assert not [str(o) for o in kb.objects(None, GK.code) if ", " in str(o) or "; " in str(o)]
