"""The on-disk store, the endpoint and pushing to other stores: load, reload, unload, serve, push.

Servers here are real: ``graftkg serve`` starts the Oxigraph server (PyPI ``oxigraph``) behind its
gate; the push target is the Oxigraph server ``.ci/run`` starts on 127.0.0.1 (``GRAFTKG_TEST_OXIGRAPH``)
or, outside CI, one these tests start themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graftkg.cli import main
from graftkg.errors import GraftkgError, InputError
from graftkg.store.embedded import open_store, store_with_data
from graftkg.store.load import (
    EVIDENCE_GRAPH,
    ONTOLOGY_GRAPH,
    StoreError,
    inferred_graph,
    load,
    submission_graph,
    submissions,
    unload,
)
from graftkg.store.push import PushError, Remote, local_graphs, push
from graftkg.store.query import named_queries, run_embedded, run_endpoint
from graftkg.store.serve import Server, Settings, free_port, oxigraph_binary

from conftest import EXAMPLES, ROOT, normal_rows

PAPER = EXAMPLES / "paper-patients" / "csv"
CASES = sorted((ROOT / "tests" / "cases" / "queries").glob("*.json"))


def _count(store: Path, graph: str) -> int:
    s = open_store(store)
    return len(list(s.quads_for_pattern(None, None, None, _node(graph))))


def _node(iri: str) -> object:
    import pyoxigraph as ox

    return ox.NamedNode(iri)


def _http(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None
) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), {k.lower(): v for k, v in exc.headers.items()}


def _select(base: str, query: str) -> list[dict[str, str]]:
    status, body, _ = _http(
        base + "/query",
        query.encode(),
        {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert status == 200, body
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]


# ------------------------------------------------------------------------------- embedded store


def test_load_writes_named_graphs_with_provenance(tmp_path: Path) -> None:
    store = tmp_path / "store"
    report = load(PAPER, store=store, name="paper")
    assert (report.transplants, report.replaced) == (8, False)
    s = open_store(store)
    names = {g.value for g in s.named_graphs()}
    assert names == {ONTOLOGY_GRAPH, EVIDENCE_GRAPH, submission_graph("paper"), inferred_graph("paper")}
    # provenance: each source file with its SHA-256, the time, the profile and the software
    rows = list(
        s.query(
            "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX gk: <https://w3id.org/graftkg/> "
            "SELECT ?where ?sum ?profile ?agent WHERE { GRAPH ?g { ?g prov:wasDerivedFrom ?f ; gk:definitionProfile "
            "?profile ; prov:wasGeneratedBy/prov:wasAssociatedWith ?agent . ?f prov:atLocation ?where ; "
            "gk:sha256 ?sum } }"
        )
    )
    found = {Path(r["where"].value).name: r["sum"].value for r in rows}  # type: ignore[index]
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in PAPER.glob("*.csv")}
    assert found == expected
    assert {r["profile"].value for r in rows} == {"paper"}  # type: ignore[index]
    assert all("graftkg/software/graftkg/" in r["agent"].value for r in rows)  # type: ignore[index]
    # the inferred graph holds the classes and is tied to its submission
    inferred, data = inferred_graph("paper"), submission_graph("paper")
    assert bool(
        s.query(
            f"ASK {{ GRAPH <{inferred}> {{ ?t a <https://w3id.org/graftkg/PrimaryGraftFailure> . <{inferred}> "
            f"<http://www.w3.org/ns/prov#wasDerivedFrom> <{data}> }} }}"
        )
    )
    # the submitted data carry no inferred class
    assert not bool(s.query(f"ASK {{ GRAPH <{data}> {{ ?t a <https://w3id.org/graftkg/Engrafted> }} }}"))


def test_reload_replaces_and_is_idempotent(tmp_path: Path) -> None:
    store = tmp_path / "store"
    load(PAPER, store=store, name="paper")
    first = {g: _count(store, g) for g in (submission_graph("paper"), inferred_graph("paper"), ONTOLOGY_GRAPH)}
    again = load(PAPER, store=store, name="paper")
    assert again.replaced
    assert {g: _count(store, g) for g in first} == first
    assert [r["name"] for r in submissions(store)] == ["paper"]


def test_failed_load_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = tmp_path / "store"
    load(PAPER, store=store, name="paper")
    before = sorted(str(q) for q in open_store(store))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "transplants.csv").write_text((PAPER / "transplants.csv").read_text(encoding="utf-8"), encoding="utf-8")
    lines = (PAPER / "observations.csv").read_text(encoding="utf-8").splitlines()
    lines[-1] = lines[-1].replace(lines[-1].split(",")[1], "day9", 1)
    (bad / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"observations\.csv"):
        load(bad, store=store, name="paper")
    assert sorted(str(q) for q in open_store(store)) == before


def test_bulk_load_writes_the_same_triples(tmp_path: Path) -> None:
    from graftkg.synthetic.generate import write_bundle

    bundle = write_bundle(tmp_path / "b", n=60, seed=4)
    a, b = tmp_path / "a", tmp_path / "b-store"
    normal = load(bundle, store=a, name="x")
    bulk = load(bundle, store=b, name="x", bulk=True)
    assert (normal.data_triples, normal.inferred_triples) == (bulk.data_triples, bulk.inferred_triples)

    def data_quads(store: Path) -> set[str]:
        return {str(q) for q in open_store(store) if q.subject.value.startswith("https://w3id.org/graftkg/id/")}

    assert data_quads(a) == data_quads(b) and len(data_quads(a)) > 5000
    assert {g: _count(a, g) for g in (submission_graph("x"), inferred_graph("x"))} == {
        g: _count(b, g) for g in (submission_graph("x"), inferred_graph("x"))
    }
    again = load(bundle, store=b, name="x", bulk=True)  # a bulk reload replaces too
    assert again.replaced and _count(b, inferred_graph("x")) == _count(a, inferred_graph("x"))


def test_unload_removes_a_submission_and_its_inferences(tmp_path: Path) -> None:
    store = tmp_path / "store"
    load(PAPER, store=store, name="a")
    load(PAPER, store=store, name="b")
    removed = unload("a", store=store)
    assert removed > 1000
    names = {g.value for g in open_store(store).named_graphs()}
    assert submission_graph("a") not in names and inferred_graph("a") not in names
    assert submission_graph("b") in names and inferred_graph("b") in names
    with pytest.raises(StoreError, match=r"no submission 'a'.*loaded: b"):
        unload("a", store=store)


def test_a_store_keeps_one_definitions_profile(tmp_path: Path) -> None:
    store = tmp_path / "store"
    load(PAPER, store=store, name="paper")
    with pytest.raises(StoreError, match="holds definitions 'paper'"):
        load(PAPER, store=store, name="other", profile="astct-2021")


def test_bad_submission_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a usable submission name"):
        load(PAPER, store=tmp_path / "s", name="../escape")


def _case_sets() -> dict[tuple[str, ...], list[dict[str, object]]]:
    """The query case files by data set (a knowledge-only case runs with the paper patients loaded)."""
    sets: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for case in CASES:
        spec = json.loads(case.read_text(encoding="utf-8"))
        data = tuple(spec["data"]) or (str(PAPER.relative_to(ROOT)),)
        sets.setdefault(data, []).append(spec)
    return sets


@pytest.fixture(scope="module")
def loaded_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, ...], Path]:
    """One store per distinct data set of the query case files, each input its own submission."""
    out = {}
    for n, data in enumerate(_case_sets()):
        store = tmp_path_factory.mktemp(f"store{n}") / "store"
        for m, path in enumerate(data):
            load(ROOT / path, store=store, name=f"s{m}")
        out[data] = store
    return out


def test_every_named_query_gives_the_same_rows_on_a_loaded_store(loaded_stores: dict[tuple[str, ...], Path]) -> None:
    checked = set()
    for data, specs in _case_sets().items():
        store = open_store(loaded_stores[data])
        memory = store_with_data([ROOT / d for d in data])
        for spec in specs:
            a = run_embedded(store, str(spec["query"]), spec["params"])  # type: ignore[arg-type]
            b = run_embedded(memory, str(spec["query"]), spec["params"])  # type: ignore[arg-type]
            assert a.variables == b.variables
            assert normal_rows(a.rows) == normal_rows(b.rows), spec["query"]
            checked.add(spec["query"])
    assert checked == set(named_queries())


def test_cli_load_list_query_unload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    assert main(["load", str(PAPER), "--store", store, "--name", "paper"]) == 0
    assert "loaded submission 'paper': 8 transplants" in capsys.readouterr().out
    assert main(["load", "--list", "--store", store]) == 0
    assert capsys.readouterr().out.startswith("paper\t8 transplants\tdefinitions paper")
    args = ["query", "transplants-by-outcome", "--param", "outcome=primary_graft_failure", "--format", "json"]
    assert main([*args, "--store", store]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert main([*args, "--data", str(PAPER)]) == 0
    assert normal_rows(stored) == normal_rows(json.loads(capsys.readouterr().out))
    assert "P1-T1" in {r["transplant_id"] for r in stored}
    assert main(["unload", "paper", "--store", store]) == 0
    assert main(["unload", "paper", "--store", store]) == 2
    assert "no submission 'paper'" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ endpoint


@pytest.fixture(scope="module")
def served(loaded_stores: dict[tuple[str, ...], Path]) -> Iterator[tuple[Server, Path, tuple[str, ...]]]:
    data = next(d for d in loaded_stores if any("cohort" in p for p in d))
    store = loaded_stores[data]
    with Server(store, Settings(port=0, write_token="test-token", timeout_s=5, max_result_mb=0.25)) as server:
        yield server, store, data


def test_every_named_query_through_the_endpoint_matches_the_embedded_store(
    served: tuple[Server, Path, tuple[str, ...]],
) -> None:
    server, _store, data = served
    memory = store_with_data([ROOT / d for d in data])
    specs = _case_sets()[data]
    for spec in specs:
        a = run_endpoint(server.url + "/query", str(spec["query"]), spec["params"])  # type: ignore[arg-type]
        b = run_embedded(memory, str(spec["query"]), spec["params"])  # type: ignore[arg-type]
        assert a.variables == b.variables
        assert normal_rows(a.rows) == normal_rows(b.rows), spec["query"]
    # and every other named query answers without error
    for name in sorted(set(named_queries()) - {str(s["query"]) for s in specs}):
        from graftkg.store.query import named_query

        # a code parameter takes one of its codes; any other parameter any text
        params = {
            p.name: (p.allowed()[0] if p.type == "code" else "x") for p in named_query(name).parameters if p.required
        }
        run_endpoint(server.url + "/query", name, params)


def test_endpoint_is_read_only_without_the_token(served: tuple[Server, Path, tuple[str, ...]]) -> None:
    server, _, _ = served
    update = b"INSERT DATA { <urn:x> <urn:y> <urn:z> }"
    header = {"Content-Type": "application/sparql-update"}
    assert _http(server.url + "/update", update, header)[0] == 401
    assert _http(server.url + "/update", update, {**header, "Authorization": "Bearer wrong"})[0] == 401
    assert (
        _http(
            server.url + "/store?default",
            b"<urn:x> <urn:y> <urn:z> .",
            {"Content-Type": "application/n-triples"},
            "PUT",
        )[0]
        == 401
    )
    assert _select(server.url, "ASK { <urn:x> <urn:y> <urn:z> }".replace("ASK", "SELECT * WHERE")) == []
    status, _, _ = _http(server.url + "/update", update, {**header, "Authorization": "Bearer test-token"})
    assert status in (200, 204)
    assert _select(server.url, "SELECT * WHERE { <urn:x> <urn:y> ?o }") == [{"o": "urn:z"}]
    _http(
        server.url + "/update",
        b"DELETE DATA { <urn:x> <urn:y> <urn:z> }",
        {**header, "Authorization": "Bearer test-token"},
    )


def test_server_without_a_token_refuses_every_write(tmp_path: Path) -> None:
    with Server(tmp_path / "s", Settings(port=0)) as server:
        status, body, _ = _http(
            server.url + "/update",
            b"DROP ALL",
            {"Content-Type": "application/sparql-update", "Authorization": "Bearer x"},
        )
        assert status == 403 and b"read-only" in body


def test_endpoint_speaks_the_protocol(served: tuple[Server, Path, tuple[str, ...]]) -> None:
    server, _, _ = served
    q = urllib.parse.urlencode({"query": "SELECT ?g WHERE { GRAPH ?g { } } ORDER BY ?g"})
    for accept, marker in [
        ("application/sparql-results+json", b'"bindings"'),
        ("application/sparql-results+xml", b"<sparql"),
        ("text/csv", b"g\r\n"),
        ("text/tab-separated-values", b"?g"),
    ]:
        status, body, _ = _http(server.url + "/query?" + q, headers={"Accept": accept})
        assert status == 200 and marker in body, accept
    construct = urllib.parse.urlencode({"query": "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 3"})
    for accept, marker in [("text/turtle", b" a "), ("application/n-triples", b"> .")]:
        status, body, _ = _http(server.url + "/query?" + construct, headers={"Accept": accept})
        assert status == 200 and marker in body, accept
    status, body, _ = _http(server.url + "/query", headers={"Accept": "text/turtle"})
    assert status == 200 and b"sd:Service" in body  # service description
    status, body, _ = _http(server.url + "/")
    assert status == 200 and b"<html" in body.lower()  # the query page
    _, _, headers = _http(server.url + "/query?" + q, headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in headers  # CORS is off unless origins are named


def test_result_size_and_query_time_are_bounded(served: tuple[Server, Path, tuple[str, ...]]) -> None:
    server, _, _ = served
    big = urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p ?o }"})
    status, body, _ = _http(server.url + "/query?" + big, headers={"Accept": "application/sparql-results+json"})
    assert status == 413 and b"limit of 0.25 MB" in body
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    status, body, _ = _http(
        server.url + "/query",
        slow.encode(),
        {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert status == 503 and b"limit of 5 s" in body and time.monotonic() - started < 30
    # the server still answers afterwards
    assert _select(server.url, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")


def test_load_through_a_running_server_is_atomic_for_readers(tmp_path: Path) -> None:
    """While a reload runs, queries keep answering and see the old or the new submission, nothing between."""
    store = tmp_path / "store"
    small = tmp_path / "small"
    from graftkg.synthetic.generate import write_bundle

    write_bundle(small, n=40, seed=5)
    big = tmp_path / "big"
    write_bundle(big, n=400, seed=6)
    load(small, store=store, name="sub")
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{submission_graph('sub')}> {{ ?s ?p ?o }} }}"
    with Server(store, Settings(port=0, write_token="t")) as server:
        old = int(_select(server.url, count)[0]["n"])
        seen: list[int] = []
        done = threading.Event()

        def reader() -> None:
            while not done.is_set():
                seen.append(int(_select(server.url, count)[0]["n"]))

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            report = load(big, store=store, name="sub")  # goes through the server
        finally:
            done.set()
            thread.join()
        new = int(_select(server.url, count)[0]["n"])
    assert report.replaced and new > old
    assert len(seen) >= 2, "queries must keep answering during the load"
    assert set(seen) <= {old, new}, sorted(set(seen) - {old, new})[:3]


def test_a_reload_through_a_running_server_sends_only_what_changed(tmp_path: Path) -> None:
    """Through ``graftkg serve`` a reload goes to the write worker's ``/replace``: the same diff, so the
    served store ends as a first load of the corrected submission would."""
    from graftkg.store.load import release

    store, fresh = tmp_path / "store", tmp_path / "fresh"
    first = load(PAPER, store=store, name="paper")
    release(store)
    changed = _changed_copy(tmp_path)
    with Server(store, Settings(port=0, write_token="t")) as server:
        report = load(changed, store=store, name="paper")
        rows = _select(
            server.url, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{submission_graph('paper')}> {{ ?s ?p ?o }} }}"
        )
    assert report.replaced and 0 < report.added < report.removed < (first.data_triples + first.inferred_triples) / 3
    load(changed, store=fresh, name="paper")
    release(fresh)
    assert _submission_quads(store, "paper") == _submission_quads(fresh, "paper")
    assert int(rows[0]["n"]) == _count(fresh, submission_graph("paper"))


def test_a_stale_server_file_is_a_clear_error(tmp_path: Path) -> None:
    store = tmp_path / "s"
    store.mkdir()
    (store / ".graftkg-serve.json").write_text(json.dumps({"url": f"http://127.0.0.1:{free_port()}"}), encoding="utf-8")
    with pytest.raises(StoreError, match="none answers; remove the file"):
        load(PAPER, store=store, name="x")


def test_cli_serve_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s"
    store.mkdir()
    (store / ".graftkg-serve.json").write_text("{}", encoding="utf-8")
    assert main(["serve", "--store", str(store), "--port", "0"]) == 2
    assert "unreadable server file" in capsys.readouterr().err


# --------------------------------------------------------------------------------------- push


@dataclass
class External:
    """A second store standing in for a site's own: its Update, Graph Store and query addresses."""

    name: str
    update: str
    graph_store: str
    query: str


def _wait_for(url: str) -> None:
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


def _unavailable(what: str) -> None:
    if os.environ.get("GRAFTKG_REQUIRE_SERVERS"):
        raise AssertionError(f"{what} is required (GRAFTKG_REQUIRE_SERVERS is set) but not available")
    pytest.skip(f"{what} not available here; scripts/test.sh installs and starts it")


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def external(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[External]:
    """Oxigraph (PyPI) or Virtuoso Open Source (Debian), on 127.0.0.1: started by scripts/test.sh
    (``GRAFTKG_TEST_OXIGRAPH``, ``GRAFTKG_TEST_VIRTUOSO``) or, when run alone, by this fixture."""
    if request.param == "oxigraph":
        url = os.environ.get("GRAFTKG_TEST_OXIGRAPH")
        process = None
        if not url:
            port = free_port()
            process = subprocess.Popen(
                [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            url = f"http://127.0.0.1:{port}"
            _wait_for(url + "/query?query=ASK%7B%7D")
        url = url.rstrip("/")
        yield External("oxigraph", url + "/update", url + "/store", url + "/query")
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
        return
    url = os.environ.get("GRAFTKG_TEST_VIRTUOSO")
    sql_port = None
    if not url:
        if shutil.which("virtuoso-t") is None:
            _unavailable("Virtuoso (Debian virtuoso-opensource-7)")
        http_port, sql_port = free_port(), free_port()
        folder = tmp_path_factory.mktemp("virtuoso")
        script = ROOT / "scripts" / "start-virtuoso.sh"
        done = subprocess.run(
            ["bash", str(script), str(folder), str(http_port), str(sql_port)],
            capture_output=True,
            text=True,
            check=True,
        )
        url = done.stdout.strip().splitlines()[-1]
    url = url.rstrip("/")
    _wait_for(url + "/sparql?query=ASK%7B%7D")
    yield External("virtuoso", url + "/sparql", url + "/sparql-graph-crud", url + "/sparql")
    if sql_port is not None:
        subprocess.run(
            ["isql-vt", f"127.0.0.1:{sql_port}", "dba", "dba", "exec=shutdown;"],
            capture_output=True,
            check=False,
        )


def _graph_counts(ext: External) -> dict[str, int]:
    rows = run_select(
        ext.query,
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        'FILTER(STRSTARTS(STR(?g), "https://w3id.org/graftkg/graph/")) } GROUP BY ?g',
    )
    return {r["g"]: int(r["n"]) for r in rows}


def run_select(endpoint: str, query: str) -> list[dict[str, str]]:
    body = urllib.parse.urlencode({"query": query}).encode()
    status, data, _ = _http(
        endpoint,
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"},
    )
    assert status == 200, data[:300]
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(data)["results"]["bindings"]]


_PARAMS = {
    "transplant_id": "P1-T1",
    "outcome": "primary_graft_failure",
    "recommendation": "salvage_hsct",
    "measure": "hazard_ratio",
}


def _same_rows_everywhere(ext: External, store: Path) -> None:
    """Every named query gives the same rows on the external store as on the embedded one.

    Differences of dialect that are not graftkg's, normalised here and documented in docs/guide/store.md:
    the order inside GROUP_CONCAT (SPARQL leaves it undefined); Virtuoso's "" for a GROUP_CONCAT over nothing
    (Oxigraph leaves it unbound); Virtuoso's 0/1 for booleans.
    """
    from graftkg.store.query import named_query

    def plain(rows: list[dict[str, object]]) -> list[str]:
        ints = [{k: int(v) if isinstance(v, bool) else v for k, v in r.items()} for r in rows]
        return normal_rows(ints, empty_is_unbound=True)

    here = open_store(store)
    for name in sorted(named_queries()):
        params = {p.name: _PARAMS[p.name] for p in named_query(name).parameters if p.required}
        there = run_endpoint(ext.query, name, params)
        mine = run_embedded(here, name, params)
        assert there.variables == mine.variables, name
        if ext.name == "virtuoso" and name == "recommendations-for-transplant":
            # Virtuoso 7 does not let a FILTER inside OPTIONAL see the outer variables (SPARQL 1.1
            # LeftJoin condition), so contraindications_recorded is empty there: docs/guide/store.md says so.
            # Everything else of the query must still match, and the column must be empty, not wrong.
            assert all(not r.get("contraindications_recorded") for r in there.rows)
            assert any(r.get("contraindications_recorded") for r in mine.rows)
            there_rows = [{k: v for k, v in r.items() if k != "contraindications_recorded"} for r in there.rows]
            mine_rows = [{k: v for k, v in r.items() if k != "contraindications_recorded"} for r in mine.rows]
            assert plain(there_rows) == plain(mine_rows), name
            continue
        assert plain(there.rows) == plain(mine.rows), name


@pytest.mark.parametrize("mode", ["graph-store", "update"])
def test_push_load_query_reload_unload_against_a_real_server(tmp_path: Path, external: External, mode: str) -> None:
    store = tmp_path / "store"
    load(PAPER, store=store, name="paper")
    load(ROOT / "tests" / "cases" / "queries" / "cohort", store=store, name="cohort")
    remote = Remote(update=external.update, graph_store=external.graph_store if mode == "graph-store" else None)
    for graph in _graph_counts(external):
        remote.run_update(f"DROP SILENT GRAPH <{graph}>")
    sent = push(store, remote)
    local = {g: len([line for line in data.splitlines() if line.strip()]) for g, data in local_graphs(store).items()}
    assert sent == local
    assert _graph_counts(external) == local
    _same_rows_everywhere(external, store)
    # reload here and push again: replaced there, nothing doubles
    load(PAPER, store=store, name="paper")
    push(store, remote)
    local = {g: len([line for line in data.splitlines() if line.strip()]) for g, data in local_graphs(store).items()}
    assert _graph_counts(external) == local
    _same_rows_everywhere(external, store)
    # unload here and there
    unload("cohort", store=store)
    assert main(["unload", "cohort", "--endpoint", external.update]) == 0
    assert _graph_counts(external) == {g: n for g, n in local.items() if "cohort" not in g}
    _same_rows_everywhere(external, store)


def test_push_reports_a_refusing_target_in_one_line(tmp_path: Path) -> None:
    store = tmp_path / "store"
    load(PAPER, store=store, name="paper")
    with pytest.raises(PushError, match=r"http://127.0.0.1:9/update"):
        push(store, Remote(update="http://127.0.0.1:9/update"))
    assert issubclass(PushError, GraftkgError)


def test_bulk_load_keeps_its_temporary_file_beside_the_store_and_cleans_stale_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The patient data a bulk load serialises never goes to the shared temporary folder; a file a
    killed load left behind is removed by the next bulk load, and a finished load leaves none."""
    import tempfile

    from graftkg.store.load import bulk_scratch_dir

    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    store = tmp_path / "store"
    scratch = bulk_scratch_dir(store)
    stale = scratch / "graftkg-bulk-killed.nq"
    stale.write_text("<urn:a> <urn:b> <urn:c> <urn:g> .\n")
    load(PAPER, store=store, name="paper", bulk=True)
    assert not stale.exists() and list(scratch.iterdir()) == []
    assert list(shared.iterdir()) == []
    assert oct(scratch.stat().st_mode & 0o777) == "0o700"


@pytest.mark.parametrize("first", [True, False], ids=["first load", "reload"])
def test_a_load_is_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: bool) -> None:
    """A load writes its N-Quads in one transaction (a first load with one Store.load, a reload with one
    update): when the write fails part way (here: a malformed last line), the store holds what it held
    before - nothing of a new submission, all of the old one - and no file is left beside it."""
    import graftkg.store.load as loader
    from graftkg.store.load import bulk_scratch_dir

    store = tmp_path / "store"
    if not first:
        load(PAPER, store=store, name="paper")
    before = sorted(str(q) for q in open_store(store)) if not first else []
    written = loader._write_nquads

    def broken(out: object, *args: object, **kwargs: object) -> list[int]:
        counts = written(out, *args, **kwargs)  # type: ignore[arg-type]
        out.write("<urn:a> <urn:b> broken .\n")  # type: ignore[attr-defined]
        return counts

    monkeypatch.setattr(loader, "_write_nquads", broken)
    with pytest.raises(StoreError, match="the load failed and changed nothing"):
        load(PAPER, store=store, name="paper")
    if first:
        assert _count(store, submission_graph("paper")) == 0 and _count(store, inferred_graph("paper")) == 0
    else:
        assert sorted(str(q) for q in open_store(store)) == before
    assert list(bulk_scratch_dir(store).iterdir()) == []
    monkeypatch.undo()
    report = load(PAPER, store=store, name="paper")
    assert report.replaced is not first and _count(store, submission_graph("paper")) > 1000


_PROVENANCE_TIMES = ("generatedAtTime", "startedAtTime", "endedAtTime")


def _submission_quads(store: Path, name: str) -> set[str]:
    """The quads of a submission's two graphs, with the load's activity (named by its time) and the
    times of the load blanked: two loads of the same input then compare equal."""
    import re

    quads = set()
    for graph in (submission_graph(name), inferred_graph(name)):
        for quad in open_store(store).quads_for_pattern(None, None, None, _node(graph)):  # type: ignore[attr-defined]
            if not any(quad.predicate.value.endswith(t) for t in _PROVENANCE_TIMES):
                quads.add(re.sub(r"/load/[^>]+>", "/load/ACTIVITY>", str(quad)))
    return quads


def _changed_copy(tmp_path: Path) -> Path:
    """The paper bundle with one platelet count changed, one observation removed and one transplant
    removed."""
    changed = tmp_path / "changed"
    changed.mkdir()
    transplants = (PAPER / "transplants.csv").read_text(encoding="utf-8").splitlines()
    gone = transplants[-1].split(",")[0]
    (changed / "transplants.csv").write_text("\n".join(transplants[:-1]) + "\n", encoding="utf-8")
    lines = [
        line
        for line in (PAPER / "observations.csv").read_text(encoding="utf-8").splitlines()
        if not line.startswith(gone)
    ]
    del lines[3]
    header = lines[0].split(",")
    platelet = next(i for i, line in enumerate(lines) if ",PLT," in line)
    cells = lines[platelet].split(",")
    cells[header.index("value")] = str(float(cells[header.index("value")]) + 7)
    lines[platelet] = ",".join(cells)
    (changed / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


def test_a_reload_writes_only_what_changed_and_ends_as_a_fresh_load_would(tmp_path: Path) -> None:
    """Reloading the same input changes only the load's provenance; reloading a corrected submission
    removes and adds the triples that changed, and the store then holds what a first load of the
    corrected submission holds."""
    store, fresh = tmp_path / "store", tmp_path / "fresh"
    first = load(PAPER, store=store, name="paper")
    same = load(PAPER, store=store, name="paper")
    assert same.replaced and 0 < same.removed == same.added < 20, same
    changed = _changed_copy(tmp_path)
    again = load(changed, store=store, name="paper")
    assert again.replaced and again.removed > again.added > 0
    assert again.removed + again.added < (first.data_triples + first.inferred_triples) / 4
    load(changed, store=fresh, name="paper")
    assert _submission_quads(store, "paper") == _submission_quads(fresh, "paper")
    assert [r["transplants"] for r in submissions(store)] == [str(again.transplants)]
