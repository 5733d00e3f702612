"""qc = the checks a published ontology passes: SPARQL violation queries, and the OWL 2 DL profile.

Each check is ``queries/qc/<check>-violation.rq``: a SELECT of ``?entity ?property ?value`` that must
return no rows, with a Problem / Solution / Origin header (after ROBOT's report and the OOPS!
pitfalls). Its severity (error, warn) is data, in ``queries/qc/severity.tsv``. The checks run on the
ontology with the knowledge base under every definitions profile, with the graftkg terms the shapes
and the named queries use added as ``qc:usedIn`` statements, so that a term used there but declared
nowhere is found. The OWL 2 DL profile is checked by the OWL API that ships in owlready2's HermiT.jar
(``src/graftkg/ontology_tools/java/ProfileCheck.java``, compiled on first use; needs a JDK).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from graftkg.assets import asset_dir, profiles, query_files
from graftkg.errors import GraftkgError
from graftkg.rdf import GK
from graftkg.semantics.ontology import load_knowledge_base

QC = "https://w3id.org/graftkg/qc/"
LEVELS = ("error", "warn")
_USED = re.compile(r"(?:gk:|<https://w3id\.org/graftkg/)([A-Za-z][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Check:
    """One QC check: its name, severity, the problem and the solution its header states, and its query."""

    name: str
    severity: str
    problem: str
    solution: str
    origin: str
    text: str


@dataclass(frozen=True)
class Violation:
    """One row of a check."""

    check: str
    severity: str
    entity: str
    property: str
    value: str

    def as_json(self) -> dict[str, str]:
        """The JSON object of ``graftkg qc --format json``."""
        return {k: getattr(self, k) for k in ("check", "severity", "entity", "property", "value")}


@lru_cache(maxsize=1)
def checks() -> tuple[Check, ...]:
    """The QC checks of ``queries/qc/``, with their severities from ``severity.tsv``.

    Example:
        >>> {c.name for c in checks()} >= {"missing-label", "duplicate-label", "undeclared-term"}
        True
    """
    folder = asset_dir("queries") / "qc"
    with (folder / "severity.tsv").open(encoding="utf-8") as handle:
        severity = {row["check"]: row["severity"] for row in csv.DictReader(handle, delimiter="\t")}
    out = []
    for path in sorted(folder.glob("*-violation.rq")):
        name = path.name.removesuffix("-violation.rq")
        text = path.read_text(encoding="utf-8")
        header = {
            m.group(1).lower(): m.group(2).strip() for m in re.finditer(r"^# (\w+): (.*)$", text, flags=re.MULTILINE)
        }
        if name not in severity or severity[name] not in LEVELS:
            raise GraftkgError(f"{folder / 'severity.tsv'}: no severity (error or warn) for check '{name}'")
        if not {"problem", "solution", "origin"} <= set(header):
            raise GraftkgError(f"{path}: the header needs '# Problem:', '# Solution:' and '# Origin:' lines")
        out.append(Check(name, severity[name], header["problem"], header["solution"], header["origin"], text))
    unknown = set(severity) - {c.name for c in out}
    if unknown:
        raise GraftkgError(f"{folder / 'severity.tsv'}: severity for unknown check '{sorted(unknown)[0]}'")
    return tuple(out)


def usage_graph() -> Graph:
    """``<term> qc:usedIn "<file>"`` for every graftkg term the shapes and the named queries use.

    Example:
        >>> (GK.Outcome, URIRef(QC + "usedIn"), Literal("queries/transplants-by-outcome.rq")) in usage_graph()
        True
    """
    from graftkg.validation.shacl import shapes_graph

    used = URIRef(QC + "usedIn")
    graph = Graph()
    shapes = shapes_graph()
    for _s, p, o in shapes:
        for term in (p, o):
            if isinstance(term, URIRef) and str(term).startswith(str(GK)) and "/" not in str(term)[len(str(GK)) :]:
                graph.add((term, used, Literal("shapes/")))
    for path in query_files():
        body = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
        for name in _USED.findall(body):
            graph.add((GK[name], used, Literal(f"queries/{path.name}")))
    return graph


def qc_store(graphs: list[Graph]) -> ox.Store:
    """A store holding ``graphs`` (as one default graph) for the checks to run on.

    Example:
        >>> len(qc_store([usage_graph()])) > 10
        True
    """
    store = ox.Store()
    for graph in graphs:
        store.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


def run_checks(store: ox.Store, selected: list[Check] | None = None) -> list[Violation]:
    """Run the checks on ``store``; every row is a violation.

    Example:
        >>> run_checks(qc_store([Graph()]))
        []
    """
    out: list[Violation] = []
    for check in selected or list(checks()):
        for row in store.query(check.text):  # type: ignore[union-attr]
            values = [row[v] for v in ("entity", "property", "value")]
            entity, prop, value = (getattr(t, "value", "") if t is not None else "" for t in values)
            out.append(Violation(check.name, check.severity, entity, prop, value))
    return sorted(set(out), key=lambda v: (LEVELS.index(v.severity), v.check, v.entity, v.property, v.value))


def run_qc() -> list[Violation]:
    """Run every check on the ontology and knowledge base under every profile (with the usage of terms).

    Example:
        >>> [v for v in run_qc() if v.severity == "error"]
        []
    """
    found: set[Violation] = set()
    usage = usage_graph()
    for profile in profiles():
        found.update(run_checks(qc_store([load_knowledge_base(profile), usage])))
    return sorted(found, key=lambda v: (LEVELS.index(v.severity), v.check, v.entity, v.property, v.value))


# ------------------------------------------------------------------------------ OWL 2 DL profile


def _hermit_jar() -> Path:
    from graftkg.semantics.reason import hermit_jar

    return hermit_jar()


def _profile_checker() -> Path:
    """``ProfileCheck.java`` compiled (once per source version, in a cache folder): its folder."""
    from graftkg.semantics.reason import java_classes

    folder = java_classes(Path(__file__).parent / "java" / "ProfileCheck.java")
    if folder is None:
        raise GraftkgError(
            "the OWL 2 DL profile check needs a JDK (javac): apt-get install default-jdk-headless, "
            "or run graftkg qc --no-owl-profile to skip it"
        )
    return folder


def owl2_dl_violations(graph: Graph) -> list[str]:
    """The OWL 2 DL profile violations of ``graph`` as the OWL API reports them (empty: in the profile).

    Example:
        >>> from graftkg.semantics.ontology import load_ontology
        >>> owl2_dl_violations(load_ontology())
        []
    """
    java = shutil.which("java")
    if java is None:
        raise GraftkgError(
            "the OWL 2 DL profile check needs Java (apt-get install default-jre-headless), "
            "or run graftkg qc --no-owl-profile to skip it"
        )
    with tempfile.TemporaryDirectory(prefix="graftkg-dl-") as tmp:
        path = Path(tmp) / "ontology.owl"
        graph.serialize(path, format="xml")
        classpath = f"{_hermit_jar()}:{_profile_checker()}"
        done = subprocess.run(
            [java, "-cp", classpath, "ProfileCheck", str(path)], capture_output=True, text=True, check=False
        )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode == 2 or (done.returncode != 0 and not lines):
        detail = (lines or done.stderr.strip().splitlines() or ["no output"])[0]
        raise GraftkgError(f"the OWL API could not read the ontology: {detail}")
    return lines


def render(violations: list[Violation], fmt: str = "table") -> str:
    """Render violations as a table (grouped by check) or JSON.

    Example:
        >>> render([], "table")
        'QC: 0 errors, 0 warnings'
    """
    if fmt == "json":
        return json.dumps([v.as_json() for v in violations], indent=2, ensure_ascii=False)
    errors = sum(v.severity == "error" for v in violations)
    lines = [f"QC: {errors} errors, {len(violations) - errors} warnings"]
    by_check: dict[str, list[Violation]] = {}
    for v in violations:
        by_check.setdefault(v.check, []).append(v)
    info = {c.name: c for c in checks()}
    for name, rows in by_check.items():
        check = info.get(name)
        lines.append(f"\n{rows[0].severity:<5} {name}: {check.problem if check else ''} ({len(rows)})")
        if check:
            lines.append(f"      fix: {check.solution}")
        for v in rows:
            lines.append(f"      {v.entity}  {v.property}  {v.value}".rstrip())
    return "\n".join(lines)


__all__ = [
    "LEVELS",
    "Check",
    "Violation",
    "checks",
    "owl2_dl_violations",
    "qc_store",
    "render",
    "run_checks",
    "run_qc",
    "usage_graph",
]
