"""The public API, used as a library user would: only the names ``graftkg.__all__`` lists."""

from __future__ import annotations

import ast
import json
import pickle
import pkgutil
import subprocess
import sys
from importlib import import_module
from importlib.resources import files
from pathlib import Path
from types import ModuleType

import pytest

import graftkg

from conftest import EXAMPLES

PAPER = EXAMPLES / "paper-patients" / "csv"
PUBLIC = {
    "Acknowledgement",
    "Classification",
    "Engine",
    "Finding",
    "GraftkgError",
    "History",
    "InputError",
    "InputNote",
    "LoadReport",
    "Observation",
    "QueryResult",
    "Refusals",
    "Report",
    "Review",
    "TransplantRecord",
    "ValidationReport",
    "__version__",
    "read",
}
#: the subpackages whose ``__all__`` the command line's maintainers' tools may import from
TOOL_PACKAGES = ("graftkg.store", "graftkg.ontology_tools", "graftkg.synthetic", "graftkg.readers")


def test_the_public_names_are_exactly_these_and_resolve() -> None:
    assert set(graftkg.__all__) == PUBLIC
    for name in graftkg.__all__:
        assert getattr(graftkg, name) is not None, name
    assert set(dir(graftkg)) >= PUBLIC
    with pytest.raises(AttributeError):
        graftkg.classify_records  # type: ignore[attr-defined]  # noqa: B018


def test_importing_graftkg_is_cheap_and_the_package_is_typed() -> None:
    code = "import sys, graftkg; print(sorted(m for m in ('rdflib', 'pyoxigraph', 'owlready2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert files("graftkg").joinpath("py.typed").is_file()


def test_a_user_classifies_validates_reports_queries_and_loads_through_the_api(tmp_path: Path) -> None:
    records = graftkg.read(PAPER)
    assert all(isinstance(r, graftkg.TransplantRecord) for r in records)
    assert all(isinstance(o, graftkg.Observation) for r in records for o in r.observations)
    engine = graftkg.Engine(profile="paper")
    results = engine.classify(records)
    assert all(isinstance(c, graftkg.Classification) for c in results)
    outcomes = {c.transplant_id: c.outcome for c in results}
    assert outcomes["P1-T1"] == "primary_graft_failure" and outcomes["P2-T1"] == "secondary_graft_failure"
    assert outcomes["P1-T2"] == "engrafted"
    # validation from paths and from records gives the same findings
    from_paths = engine.validate(PAPER)
    assert isinstance(from_paths, graftkg.ValidationReport) and from_paths.conforms()
    assert engine.validate(records).findings == from_paths.findings
    invalid = engine.validate(EXAMPLES / "invalid-submission")
    assert not invalid.conforms() and all(isinstance(f, graftkg.Finding) for f in invalid.findings)
    report = engine.report(PAPER, "P1-T1")
    assert isinstance(report, graftkg.Report) and report.classification["outcome"] == "primary_graft_failure"
    rows = engine.query("recommendations-for-transplant", {"transplant_id": "P1-T1"}, data=PAPER)
    assert isinstance(rows, graftkg.QueryResult) and "salvage_hsct" in [r["recommendation"] for r in rows.rows]
    loaded = engine.load(PAPER, store=tmp_path / "store", name="paper")
    assert isinstance(loaded, graftkg.LoadReport) and loaded.transplants == len(records)
    assert len(engine.to_graph(records, results)) > 1000


def test_bad_input_and_bad_settings_are_graftkg_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(graftkg.InputError, match=r"bad\.ttl"):
        graftkg.read(bad)
    with pytest.raises(graftkg.GraftkgError, match="unknown definitions profile"):
        graftkg.Engine(profile="nope")
    with pytest.raises(graftkg.GraftkgError, match="unknown reasoner"):
        graftkg.Engine(reasoner="nope")
    assert issubclass(graftkg.InputError, graftkg.GraftkgError)


def test_engines_are_independent_values() -> None:
    """Two engines under different profiles, used in turn, give what each gives alone; an engine
    pickles (it crosses process boundaries) and holds no data."""
    records = graftkg.read(PAPER)
    paper, astct = graftkg.Engine(profile="paper"), graftkg.Engine(profile="astct-2021")
    alone = [c.outcome for c in astct.classify(records)]
    paper.classify(records)
    assert [c.outcome for c in astct.classify(records)] == alone
    assert pickle.loads(pickle.dumps(astct)) == astct
    limited = graftkg.Engine(backend="sql", memory_limit="1GB", temp_directory=str(Path.cwd()))
    assert pickle.loads(pickle.dumps(limited)) == limited
    own = graftkg.Engine(profile=str(Path("ontology/profiles/astct-2021.ttl").resolve()))
    assert [c.outcome for c in own.classify(records)] == alone


def test_an_engine_reads_its_profile_when_made_and_keeps_what_it_read(tmp_path: Path) -> None:
    """Nothing is kept outside an engine: a profile file edited after one engine was made is read
    anew by the next engine, while the first keeps the definitions it read (and so does a copy of it
    unpickled after the edit, which reads the file again)."""
    text = Path("ontology/profiles/astct-2021.ttl").read_text(encoding="utf-8")
    window = "owl:onDatatype xsd:integer ; owl:withRestrictions ( [ xsd:maxInclusive 30 ] )"
    assert text.count(window) == 1
    path = tmp_path / "own.ttl"
    path.write_text(text, encoding="utf-8")
    record = graftkg.TransplantRecord("T", graft_source="BM", reported_neutrophil_recovery_day=29)
    first = graftkg.Engine(profile=str(path))
    pickled = pickle.dumps(first)
    assert first.classify([record])[0].outcome == "engrafted"  # by day 30
    path.write_text(text.replace(window, window.replace("30", "28")), encoding="utf-8")
    second = graftkg.Engine(profile=str(path))
    assert second.classify([record])[0].outcome == "not_evaluable"  # day 29 is past a day-28 window
    assert first.classify([record])[0].outcome == "engrafted"
    assert pickle.loads(pickled).classify([record])[0].outcome == "not_evaluable"


def test_what_modules_cache_is_read_from_the_shipped_files_and_depends_on_no_profile() -> None:
    """The definitions, shapes and knowledge base an engine uses are its own: no function of the
    package caches anything that depends on a definitions profile. The caches left are of tables
    read from the shipped files alone (value sets, reader limits, measure units, the named queries,
    the QC checks)
    and the interning of lab counts' facts, each listed here, so that a new one is a decision."""
    import ast

    src = Path(graftkg.__file__).parent
    cached: dict[str, list[str]] = {}
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            names = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
            if names & {"lru_cache", "cache", "functools.lru_cache", "functools.cache", "cached_property"}:
                key = f"{path.relative_to(src).as_posix()}:{node.name}"
                cached[key] = [a.arg for a in node.args.args + node.args.kwonlyargs]
    assert cached == {
        "api.py:_shapes": ["self"],  # the engine's own
        "api.py:_columnar": ["self"],  # the engine's own SQL backend (its definitions compiled)
        # the SQL reading a kind of CSV file: from the value sets and reader limits alone
        "columnar/bundle.py:_typed": ["table", "header", "spaces"],
        "semantics/reason.py:java_classes": ["source"],  # a Java source compiled once: no profile in it
        "ontology_tools/qc.py:checks": [],
        "readers/limits.py:limits": [],
        "readers/limits.py:_plan": [],
        "readers/units.py:units": [],
        "readers/fhir.py:procedure_codes": [],
        "readers/fhir.py:medication_codes": [],
        "readers/fhir.py:pcsp_codes": [],
        "semantics/vocabulary.py:vocabulary": [],
        "store/query.py:_codes_of": ["local_name"],
        "store/query.py:named_queries": [],
        # interning: equal lab counts share one read-only dict of facts (a pure function of its
        # arguments; what a shape set learns of one is kept by the shape set, under the count's key)
    }


def test_rendering_and_the_store_through_the_api(tmp_path: Path) -> None:
    """What the command line prints comes from the API: each result renders in each of its formats."""
    engine = graftkg.Engine()
    records = graftkg.read(PAPER)
    results = engine.classify(records)
    table = engine.render(results)
    assert table.splitlines()[0].startswith("transplant  outcome") and len(table.splitlines()) == 1 + len(records)
    assert [c["transplant_id"] for c in json.loads(engine.render(results, "json"))] == [
        r.transplant_id for r in records
    ]
    assert engine.render(results, "csv").endswith("\n") and engine.render(results, "csv").count("\n") == 1 + len(
        records
    )
    assert engine.render(results, "turtle", records=records) == engine.to_graph(records, results).serialize(
        format="turtle"
    )
    with pytest.raises(graftkg.GraftkgError, match="records"):
        engine.render(results, "turtle")
    with pytest.raises(graftkg.GraftkgError, match="unknown format"):
        engine.render(results, "yaml")
    report = engine.validate(EXAMPLES / "invalid-submission")
    assert report.render().startswith("8 transplants checked: 3 violations")
    assert "(does not conform at level info)" in report.render("text", "info").splitlines()[0]
    assert len(json.loads(report.render("json"))) == len(report.findings)
    assert report.render("turtle").startswith("@prefix")
    page = engine.report(PAPER, "P1-T1")
    assert page.render().startswith("# Transplant P1-T1") and page.render("html").startswith("<!doctype html>")
    assert json.loads(page.render("json")) == json.loads(json.dumps(page.as_json()))
    assert graftkg.Engine.convert(records).startswith("@prefix")
    assert json.loads(graftkg.Engine.convert(records, "json-ld"))["@context"]
    assert graftkg.Engine.checks().startswith("| check | rule |")
    assert graftkg.Engine.profiles() == ["astct-2021", "paper"]
    # the store: load, list, query, unload
    store = tmp_path / "store"
    engine.load(PAPER, store=store, name="paper")
    assert [s["name"] for s in graftkg.Engine.submissions(store)] == ["paper"]
    params = {"outcome": "primary_graft_failure"}
    stored = engine.query("transplants-by-outcome", params, store=store)
    assert stored.rows == engine.query("transplants-by-outcome", params, data=PAPER).rows
    assert stored.render("csv").splitlines()[0] == ",".join(stored.variables)
    assert stored.render().endswith("(3 rows)") and len(json.loads(stored.render("json"))) == 3
    with pytest.raises(graftkg.GraftkgError, match="at most one"):
        engine.query("transplants-by-outcome", params, data=PAPER, store=store)
    assert graftkg.Engine.unload("paper", store=store) > 100
    assert graftkg.Engine.submissions(store) == []


def test_the_command_line_imports_only_public_names() -> None:
    """cli.py imports from ``graftkg`` only names ``graftkg.__all__`` lists, and from the maintainers'
    tools' subpackages only names their ``__all__`` lists: never a module inside a subpackage (nor the
    shared modules), never an underscore name, never a relative or a plain ``import graftkg...``."""
    source = Path(graftkg.__file__).with_name("cli.py")
    imported: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        where = f"cli.py:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            assert not [a.name for a in node.names if a.name.partition(".")[0] == "graftkg"], where
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{where}: a relative import"
            module = node.module or ""
            if module.partition(".")[0] != "graftkg":
                continue
            assert module == "graftkg" or module in TOOL_PACKAGES, f"{where}: from {module} import (not public)"
            public = import_module(module).__all__
            for alias in node.names:
                assert alias.name in public, f"{where}: {alias.name} is not in {module}.__all__"
                imported.add((module, alias.name))
    assert {("graftkg", "Engine"), ("graftkg", "GraftkgError"), ("graftkg.store", "Settings")} <= imported


@pytest.mark.parametrize("package", TOOL_PACKAGES)
def test_the_tools_subpackages_export_what_their_all_lists(package: str) -> None:
    """Every name of the subpackage's ``__all__`` resolves, to an object, not to one of its modules
    (a name that is also a module's name would change meaning once that module is imported)."""
    module = import_module(package)
    modules = {m.name for m in pkgutil.iter_modules(module.__path__)}
    assert module.__all__
    for name in module.__all__:
        assert not name.startswith("_") and name not in modules, name
        value = getattr(module, name)
        assert value is not None and not isinstance(value, ModuleType), name
    assert set(dir(module)) >= set(module.__all__)
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_importing_the_tools_subpackages_is_cheap() -> None:
    """Their exports are imported when first used: importing the packages loads no RDF library."""
    packages = ", ".join(p for p in TOOL_PACKAGES if p != "graftkg.readers")  # the readers read RDF
    code = (
        f"import sys, {packages}; "
        "print(sorted(m for m in ('rdflib', 'pyoxigraph', 'owlready2', 'graftkg.api') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("backend", ["record", "sql"])
def test_progress_is_reported_on_both_backends(backend: str) -> None:
    """``progress(done, total)`` ends at ``(total, total)`` whichever backend classifies, from a
    bundle on the SQL backend too (read by DuckDB, or from records read by the record reader)."""
    engine = graftkg.Engine(backend=backend)
    for source in (EXAMPLES / "paper-patients" / "csv", graftkg.read(EXAMPLES / "paper-patients" / "csv")):
        seen: list[tuple[int, int]] = []
        assert len(engine.classify(source, progress=lambda *done, seen=seen: seen.append(done))) == 8
        assert seen[-1] == (8, 8)
        streamed: list[tuple[int, int]] = []
        assert len(list(engine.iter_classify(source, progress=lambda *done, s=streamed: s.append(done)))) == 8
        assert streamed[-1] == (8, 8)
