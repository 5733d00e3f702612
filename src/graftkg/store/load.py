"""load / unload = put a classified submission into a store, or take it out, in one atomic step.

A store holds named graphs:

* ``gk:graph/ontology`` - the ontology under one definitions profile;
* ``gk:graph/evidence`` - the cited evidence and the recommendations;
* ``gk:graph/submission/<id>`` - one submission's data as submitted, with its provenance (PROV-O:
  source files and their SHA-256, time of load, definitions profile, graftkg version);
* ``gk:graph/inferred/<id>`` - what graftkg inferred from it: derived days and values, the classes of
  the definitions, the explanations; ``prov:wasDerivedFrom`` its submission graph.

Queries read the union of the graphs. A load reads and classifies everything first (bad input stops
it before the store is touched), serialises the submission as N-Quads beside the store, then writes
its two graphs in one transaction (:func:`graftkg.store.replace.replace_graphs`): a first load with one
``Store.load``, a reload with one update holding only the triples that changed. A reader sees the old
submission or the new one, never a mixture, and a failed load changes nothing.
The store is an on-disk pyoxigraph store, or, while ``graftkg serve`` runs on it, that server (the
loader finds it and writes through it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from graftkg import __version__
from graftkg.errors import GraftkgError, InputError
from graftkg.model import TransplantRecord
from graftkg.rdf import GK, RDF, XSD
from graftkg.semantics.classify import Classification, classify_records
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.derive import Derived
from graftkg.semantics.facts import DERIVED_PROPERTIES, build_facts, nt_term, ntriples
from graftkg.semantics.ontology import DEFAULT_PROFILE
from graftkg.semantics.vocabulary import vocabulary
from graftkg.store.replace import Replaced, replace_graphs

DEFAULT_STORE = "graftkg-store"
ONTOLOGY_GRAPH = str(GK["graph/ontology"])
EVIDENCE_GRAPH = str(GK["graph/evidence"])
SERVER_FILE = ".graftkg-serve.json"
PROV = "http://www.w3.org/ns/prov#"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class StoreError(GraftkgError):
    """The store cannot be opened or written, or does not hold what was asked for."""


def submission_graph(submission: str) -> str:
    """The IRI of a submission's data graph.

    Example:
        >>> submission_graph("centre-a-2026")
        'https://w3id.org/graftkg/graph/submission/centre-a-2026'
    """
    return f"{GK}graph/submission/{submission}"


def inferred_graph(submission: str) -> str:
    """The IRI of the graph of what graftkg inferred from a submission.

    Example:
        >>> inferred_graph("centre-a-2026")
        'https://w3id.org/graftkg/graph/inferred/centre-a-2026'
    """
    return f"{GK}graph/inferred/{submission}"


def submission_id(path: str | Path) -> str:
    """The default submission identifier of an input: its folder or file name without suffix.

    Example:
        >>> submission_id("examples/paper-patients/csv"), submission_id("data/centre-a.ttl")
        ('csv', 'centre-a')
    """
    p = Path(path)
    name = p.name if p.is_dir() else p.stem
    return check_id(re.sub(r"[^A-Za-z0-9._-]", "-", name).strip("-.") or "submission")


def check_id(submission: str) -> str:
    """Return ``submission`` if it is a usable identifier (letters, digits, ``.``, ``_``, ``-``).

    Example:
        >>> check_id("centre-a")
        'centre-a'
    """
    if not _ID.match(submission):
        raise InputError(
            f"'{submission}' is not a usable submission name (letters, digits, '.', '_', '-'; up to 128)",
            field="submission",
        )
    return submission


class Target(Protocol):
    """Where a load writes: an embedded store or a running server."""

    def update(self, text: str) -> None: ...

    def ask(self, text: str) -> bool: ...

    def select(self, text: str) -> list[dict[str, str]]: ...

    def replace(self, graphs: Sequence[str], nquads: Path) -> Replaced: ...


class EmbeddedTarget:
    """An on-disk pyoxigraph store opened by this process."""

    def __init__(self, path: Path) -> None:
        import pyoxigraph as ox

        self.path = path
        try:
            self.store = ox.Store(str(path))
        except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: a corrupt store (RocksDB)
            if "lock" in str(exc).lower():
                raise StoreError(
                    f"{path}: the store is in use by another process (a load, or a server without its "
                    f"{SERVER_FILE}); wait for it, or serve the store and go through the server"
                ) from None
            raise StoreError(f"{path}: cannot open the store: {str(exc).splitlines()[0]}") from None

    def update(self, text: str) -> None:
        try:
            self.store.update(text)
        except (OSError, SyntaxError) as exc:
            raise StoreError(f"{self.path}: write failed, the store is unchanged: {exc}") from None
        self.store.flush()

    def ask(self, text: str) -> bool:
        return bool(self.store.query(text))

    def select(self, text: str) -> list[dict[str, str]]:
        solutions = self.store.query(text)
        names = [v.value for v in solutions.variables]  # type: ignore[union-attr]
        return [{n: s[n].value for n in names if s[n] is not None} for s in solutions]  # type: ignore[union-attr]

    def replace(self, graphs: Sequence[str], nquads: Path) -> Replaced:
        try:
            return replace_graphs(self.store, graphs, nquads)
        except (OSError, SyntaxError, ValueError, RuntimeError) as exc:
            raise StoreError(f"{self.path}: the load failed and changed nothing: {str(exc).splitlines()[0]}") from None


class ServerTarget:
    """A store served by ``graftkg serve``: writes go through its update endpoint with the write token."""

    def __init__(self, url: str, token: str | None, writable: bool = True) -> None:
        self.url, self.token, self.writable = url.rstrip("/"), token, writable

    def _post(self, path: str, body: str | bytes, content_type: str, accept: str) -> bytes:
        from graftkg.store.http import send

        headers = {"Content-Type": content_type, "Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = body.encode("utf-8") if isinstance(body, str) else body
        return send("POST", self.url + path, data, headers, StoreError)

    def _check_writable(self) -> None:
        if not self.writable:
            raise StoreError(
                f"{self.url} serves this store read-only: stop it, or restart it with a write token, to write"
            )

    def update(self, text: str) -> None:
        self._check_writable()
        self._post("/update", text, "application/sparql-update", "*/*")

    def ask(self, text: str) -> bool:
        return bool(
            json.loads(self._post("/query", text, "application/sparql-query", "application/sparql-results+json"))[
                "boolean"
            ]
        )

    def select(self, text: str) -> list[dict[str, str]]:
        data = json.loads(self._post("/query", text, "application/sparql-query", "application/sparql-results+json"))
        return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]

    def replace(self, graphs: Sequence[str], nquads: Path) -> Replaced:
        from urllib.parse import urlencode

        self._check_writable()
        query = urlencode([("graph", g) for g in graphs])
        answer = json.loads(
            self._post(f"/replace?{query}", nquads.read_bytes(), "application/n-quads", "application/json")
        )
        return Replaced(bool(answer["existed"]), int(answer["deleted"]), int(answer["inserted"]))


def server_info(store: str | Path) -> dict[str, object] | None:
    """What ``.graftkg-serve.json`` in ``store`` says (URL, process, token), or ``None`` if no server runs.

    A file whose server process is gone is stale: it is removed, and ``None`` returned. A file that
    cannot be read, or whose server does not answer, is a :class:`StoreError`.

    Example:
        >>> import tempfile
        >>> server_info(tempfile.mkdtemp()) is None
        True
    """
    path = Path(store) / SERVER_FILE
    if not path.is_file():
        return None
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        str(info["url"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: unreadable server file ({exc}); remove it if no server runs") from None
    pid = info.get("pid")
    if isinstance(pid, int) and not _alive(pid):
        remove_server_file(store)
        return None
    if not _answers(str(info["url"])):
        raise StoreError(f"{path} says a server runs at {info['url']}, but none answers; remove the file if none runs")
    return dict(info)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_server_file(store: str | Path, url: str, token: str | None) -> None:
    """Record a running server in ``store``: its URL, process id and write token, readable by the owner only.

    Example:
        >>> import tempfile, os, stat
        >>> where = tempfile.mkdtemp()
        >>> write_server_file(where, "http://127.0.0.1:1", None)
        >>> oct(stat.S_IMODE(os.stat(Path(where) / SERVER_FILE).st_mode))
        '0o600'
    """
    import os

    path = Path(store) / SERVER_FILE
    text = json.dumps({"url": url, "pid": os.getpid(), "writable": token is not None, "write_token": token})
    temporary = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


def remove_server_file(store: str | Path) -> None:
    """Remove ``store``'s server file, if there is one.

    Example:
        >>> remove_server_file("no-such-store")
    """
    with contextlib.suppress(FileNotFoundError):
        (Path(store) / SERVER_FILE).unlink()


def open_target(store: str | Path = DEFAULT_STORE) -> EmbeddedTarget | ServerTarget:
    """Open ``store`` for writing: directly, or through the ``graftkg serve`` running on it.

    Example:
        >>> import tempfile
        >>> isinstance(open_target(Path(tempfile.mkdtemp()) / "s"), EmbeddedTarget)
        True
    """
    path = Path(store)
    info = server_info(path)
    if info is not None:
        token = info.get("write_token")
        return ServerTarget(
            str(info["url"]), token if isinstance(token, str) else None, info.get("writable") is not False
        )
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path}: not a store folder")
    key = str(path.resolve())
    if key not in _OPEN:  # one handle per store and process (the store is locked while open)
        _OPEN[key] = EmbeddedTarget(path)
    return _OPEN[key]


_OPEN: dict[str, EmbeddedTarget] = {}


def _answers(url: str) -> bool:
    import socket
    from urllib.parse import urlparse

    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=2):
            return True
    except OSError:
        return False


def release(store: str | Path) -> None:
    """Close this process's handle on ``store`` (so that a server, or another process, can open it).

    Example:
        >>> release("no-such-store")
    """
    import gc

    if _OPEN.pop(str(Path(store).resolve()), None) is not None:
        gc.collect()


@dataclass
class LoadReport:
    """What a load wrote."""

    submission: str
    transplants: int
    data_triples: int
    inferred_triples: int
    replaced: bool
    seconds: float
    removed: int = 0
    added: int = 0

    def summary(self) -> str:
        """One line for the terminal; a reload says how many stored triples it removed and added.

        Example:
            >>> LoadReport("a", 8, 900, 300, False, 1.5).summary()
            "loaded submission 'a': 8 transplants, 900 data triples, 300 inferred triples in 1.5 s"
            >>> LoadReport("a", 8, 900, 300, True, 0.5, 20, 22).summary().split(": ")[1]
            '8 transplants, 900 data triples, 300 inferred triples (20 removed, 22 added) in 0.5 s'
        """
        verb = "reloaded" if self.replaced else "loaded"
        changed = f" ({self.removed:,} removed, {self.added:,} added)" if self.replaced else ""
        return (
            f"{verb} submission '{self.submission}': {self.transplants:,} transplants, "
            f"{self.data_triples:,} data triples, {self.inferred_triples:,} inferred triples{changed} "
            f"in {self.seconds:.1f} s"
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_files(path: Path) -> list[Path]:
    if path.is_dir():
        return [p for p in (path / "transplants.csv", path / "observations.csv") if p.is_file()]
    return [path]


def _lines(graph_iri: str, lines: Iterator[str]) -> Iterator[str]:
    yield f"GRAPH <{graph_iri}> {{"
    yield from lines
    yield "}"


def provenance(
    submission: str, sources: Sequence[Path], profile: str, transplants: int, started: datetime, ended: datetime
) -> tuple[list[str], list[str]]:
    """PROV-O statements about a submission's data graph and its inferred graph (N-Triples lines).

    Example:
        >>> now = datetime(2026, 1, 1, tzinfo=UTC)
        >>> data, inferred = provenance("a", [], "paper", 0, now, now)
        >>> any("generatedAtTime" in line for line in data), any("wasDerivedFrom" in line for line in inferred)
        (True, True)
    """
    g, i = f"<{submission_graph(submission)}>", f"<{inferred_graph(submission)}>"
    activity = f"<{GK}load/{submission}/{started.strftime('%Y%m%dT%H%M%S%fZ')}>"
    agent = f"<{GK}software/graftkg/{__version__}>"
    when = f'"{started.isoformat()}"^^<{XSD.dateTime}>'
    done = f'"{ended.isoformat()}"^^<{XSD.dateTime}>'
    a = f"<{RDF.type}>"
    data = [
        f"{g} {a} <{PROV}Entity> .",
        f"{g} {a} <{GK}Submission> .",
        f"{g} <{GK}submissionName> {nt_term(submission)} .",
        f"{g} <{PROV}generatedAtTime> {done} .",
        f"{g} <{PROV}wasGeneratedBy> {activity} .",
        f"{g} <{GK}definitionProfile> {nt_term(profile)} .",
        f"{g} <{GK}transplantCount> {nt_term(transplants)} .",
        f"{activity} {a} <{PROV}Activity> .",
        f"{activity} <{PROV}startedAtTime> {when} .",
        f"{activity} <{PROV}endedAtTime> {done} .",
        f"{activity} <{PROV}wasAssociatedWith> {agent} .",
        f"{agent} {a} <{PROV}SoftwareAgent> .",
        f"{agent} <http://www.w3.org/2000/01/rdf-schema#label> {nt_term(f'graftkg {__version__}')} .",
    ]
    for source in sources:
        checksum = _sha256(source)
        node = f"<urn:sha256:{checksum}>"
        data += [
            f"{g} <{PROV}wasDerivedFrom> {node} .",
            f"{node} {a} <{PROV}Entity> .",
            f"{node} <{PROV}atLocation> {nt_term(str(source.resolve()))} .",
            f"{node} <{GK}sha256> {nt_term(checksum)} .",
            f"{activity} <{PROV}used> {node} .",
        ]
    inferred = [
        f"{i} {a} <{PROV}Entity> .",
        f"{i} <{PROV}wasDerivedFrom> {g} .",
        f"{i} <{PROV}wasGeneratedBy> {activity} .",
        f"{i} <{PROV}generatedAtTime> {done} .",
        f"{i} <{GK}definitionProfile> {nt_term(profile)} .",
    ]
    return data, inferred


def record_lines(record: TransplantRecord, result: Classification, profile: str) -> tuple[list[str], list[str]]:
    """One classified record's data triples (as submitted) and inferred triples, as N-Triples lines.

    Example:
        >>> r = TransplantRecord("T", graft_source="PB", reported_neutrophil_recovery_day=12)
        >>> data, inferred = record_lines(r, classify_records([r])[0], "paper")
        >>> any("Engrafted" in line for line in inferred), any("Engrafted" in line for line in data)
        (True, False)
    """
    tf = build_facts(record, Derived(), vocabulary(), observations=True)
    data = list(ntriples(tf.facts))
    node = f"<{tf.node}>"
    inferred = []
    for attr, prop in DERIVED_PROPERTIES.items():
        value = getattr(result.derived, attr)
        if value is not None:
            inferred.append(f"{node} <{prop}> {nt_term(value)} .")
    inferred.extend(f"{node} <{RDF.type}> <{cls}> ." for cls in sorted(result.classes))
    inferred.extend(f'{node} <{GK.explanation}> {nt_term(s)[:-1]}"@en .' for s in result.explanation)
    inferred.append(f"{node} <{GK.definitionProfile}> {nt_term(profile)} .")
    return data, inferred


def _classify(
    records: Sequence[TransplantRecord], defs: Definitions, progress: Callable[[str], None] | None
) -> list[Classification]:
    say = (lambda d, t: progress(f"classified {d:,} of {t:,}")) if progress else None
    return classify_records(records, definitions=defs, progress=say)


def _graph_lines(graph: object) -> list[str]:
    from rdflib import Graph

    assert isinstance(graph, Graph)
    text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    return [line for line in text.splitlines() if line.strip()]


def knowledge_checksum(profile: str) -> str:
    """SHA-256 over the ontology and knowledge-base files of ``profile`` (the store keeps the one it holds).

    Example:
        >>> knowledge_checksum("paper") != knowledge_checksum("astct-2021")
        True
    """
    from graftkg.assets import knowledge_files, ontology_files

    digest = hashlib.sha256()
    for path in [*ontology_files(profile), *knowledge_files()]:
        digest.update(Path(path).name.encode() + b"\0" + Path(path).read_bytes())
    return digest.hexdigest()


def _evidence_graph() -> object:
    from rdflib import Graph

    from graftkg.assets import knowledge_files
    from graftkg.semantics.ontology import parse_into

    graph = Graph()
    for path in knowledge_files():
        parse_into(graph, path)
    return graph


def _knowledge_update(target: Target, defs: Definitions) -> str:
    """The update that (re)writes the ontology and evidence graphs when they are missing or changed."""
    profile = defs.profile
    marker = ONTOLOGY_GRAPH
    rows = target.select(
        f"SELECT ?profile ?checksum WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ "
        f"<{marker}> <{GK.definitionProfile}> ?profile ; <{GK.sha256}> ?checksum }} }}"
    )
    if rows and rows[0].get("profile") != profile:
        raise StoreError(
            f"the store holds definitions '{rows[0].get('profile')}', not '{profile}': load with "
            f"--definitions {rows[0].get('profile')}, or use another store"
        )
    checksum = knowledge_checksum(profile)
    if rows and rows[0].get("checksum") == checksum:
        return ""
    ontology = _graph_lines(defs.graph)
    ontology += [
        f"<{marker}> <{GK.definitionProfile}> {nt_term(profile)} .",
        f"<{marker}> <{GK.sha256}> {nt_term(checksum)} .",
        f"<{marker}> <{GK.graftkgVersion}> {nt_term(__version__)} .",
    ]
    evidence = _graph_lines(_evidence_graph())
    return "\n".join(
        [
            f"DROP SILENT GRAPH <{ONTOLOGY_GRAPH}> ;",
            f"DROP SILENT GRAPH <{EVIDENCE_GRAPH}> ;",
            "INSERT DATA {",
            *_lines(ONTOLOGY_GRAPH, iter(ontology)),
            *_lines(EVIDENCE_GRAPH, iter(evidence)),
            "} ;",
        ]
    )


def submissions(store: str | Path = DEFAULT_STORE) -> list[dict[str, str]]:
    """The submissions in ``store``: name, transplants, profile and time of load.

    Example:
        >>> import tempfile
        >>> submissions(Path(tempfile.mkdtemp()) / "s")
        []
    """
    return _submissions(open_target(store))


def _submissions(target: Target) -> list[dict[str, str]]:
    return target.select(
        f"SELECT ?name ?transplants ?profile ?loaded WHERE {{ GRAPH ?g {{ ?g a <{GK}Submission> ; "
        f"<{GK}submissionName> ?name ; <{GK}transplantCount> ?transplants ; <{GK.definitionProfile}> ?profile ; "
        f"<{PROV}generatedAtTime> ?loaded }} }} ORDER BY ?name"
    )


def load(
    path: str | Path,
    *,
    store: str | Path = DEFAULT_STORE,
    name: str | None = None,
    profile: str = DEFAULT_PROFILE,
    definitions: Definitions | None = None,
    progress: Callable[[str], None] | None = None,
    bulk: bool = False,
) -> LoadReport:
    """Read, classify and load the submission at ``path`` into ``store``, replacing an earlier load of
    it; classified under ``definitions`` (without them, those of ``profile``, read for this call).

    Nothing is written unless the whole input reads and classifies; the graphs are then replaced in one
    transaction. ``bulk`` (embedded store only, for first loads of a whole registry) streams the triples
    through pyoxigraph's bulk loader instead: far faster and without holding them in memory, but not
    isolated from concurrent readers, and a failure while writing leaves the submission out (the old
    load is removed first; load again).

    Example:
        >>> import tempfile
        >>> where = Path(tempfile.mkdtemp()) / "store"
        >>> load("examples/paper-patients/csv", store=where, name="paper").transplants
        8
        >>> load("examples/paper-patients/csv", store=where, name="paper").replaced
        True
    """
    from graftkg.readers import read_inputs

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    source = Path(path)
    submission = check_id(name) if name is not None else submission_id(source)
    say = progress or (lambda message: None)
    say(f"reading {source}")
    records = read_inputs([source])
    defs = definitions or Definitions(profile)
    if bulk:
        return _bulk_load(records, source, submission, store, defs, started, t0, say)
    target = open_target(store)
    return _atomic_load(target, Path(store), records, source, submission, defs, started, t0, say)


def _bulk_load(
    records: Sequence[TransplantRecord],
    source: Path,
    submission: str,
    store: str | Path,
    defs: Definitions,
    started: datetime,
    t0: float,
    say: Callable[[str], None],
) -> LoadReport:
    import pyoxigraph as ox

    profile = defs.profile
    target = open_target(store)
    if not isinstance(target, EmbeddedTarget):
        raise StoreError(f"{store} is being served: a bulk load needs the store to itself (stop the server first)")
    results = _classify(records, defs, say)
    knowledge = _knowledge_update(target, defs)
    replaced = target.ask(f"ASK {{ GRAPH <{submission_graph(submission)}> {{ ?s ?p ?o }} }}")
    with _submission_nquads(Path(store), records, results, source, submission, profile, started, say) as (
        path,
        counts,
    ):
        drop = f"DROP SILENT GRAPH <{submission_graph(submission)}> ;\nDROP SILENT GRAPH <{inferred_graph(submission)}>"
        target.update(knowledge + "\n" + drop)
        say(f"bulk-writing {sum(counts):,} triples")
        try:
            target.store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        except (OSError, SyntaxError, ValueError) as exc:
            target.update(drop)
            raise StoreError(
                f"{store}: bulk write failed, submission '{submission}' removed; load again: {exc}"
            ) from None
        target.store.flush()
    return LoadReport(submission, len(records), counts[0], counts[1], replaced, time.perf_counter() - t0)


def _write_nquads(
    out: object,
    records: Sequence[TransplantRecord],
    results: Sequence[Classification],
    source: Path,
    submission: str,
    profile: str,
    started: datetime,
    say: Callable[[str], None],
) -> list[int]:
    """Write the submission's data and inferred triples, and their provenance, as N-Quads in their
    graphs to ``out``, one transplant at a time; return the [data, inferred] triple counts."""
    data_graph, inferred_graph_ = f" <{submission_graph(submission)}> .\n", f" <{inferred_graph(submission)}> .\n"
    write = out.writelines  # type: ignore[attr-defined]
    counts = [0, 0]
    for n, (record, result) in enumerate(zip(records, results, strict=True), start=1):
        data, inferred = record_lines(record, result, profile)
        write(line[:-2] + data_graph for line in data)
        write(line[:-2] + inferred_graph_ for line in inferred)
        counts[0] += len(data)
        counts[1] += len(inferred)
        if n % 10_000 == 0:
            say(f"serialised {n:,} of {len(records):,} transplants")
    extra_data, extra_inferred = provenance(
        submission, _source_files(source), profile, len(records), started, datetime.now(UTC)
    )
    write(line[:-2] + data_graph for line in extra_data)
    write(line[:-2] + inferred_graph_ for line in extra_inferred)
    counts[0] += len(extra_data)
    counts[1] += len(extra_inferred)
    return counts


@contextlib.contextmanager
def _submission_nquads(
    store: Path,
    records: Sequence[TransplantRecord],
    results: Sequence[Classification],
    source: Path,
    submission: str,
    profile: str,
    started: datetime,
    say: Callable[[str], None],
) -> Iterator[tuple[Path, list[int]]]:
    """The submission's triples as an N-Quads file, and their [data, inferred] counts, while the
    ``with`` block writes them to the store; the file is removed after it.

    The patient data stay beside the store (never in the shared temporary folder), in a folder only
    this user reads (:func:`bulk_scratch_dir`); a load killed before it removed its file leaves it there,
    and the next load of the store removes it."""
    import os
    import tempfile

    scratch = bulk_scratch_dir(store)
    for stale in scratch.glob("graftkg-*.nq"):
        stale.unlink(missing_ok=True)
    handle, name = tempfile.mkstemp(prefix="graftkg-load-", suffix=".nq", dir=scratch)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            counts = _write_nquads(out, records, results, source, submission, profile, started, say)
        yield Path(name), counts
    finally:
        os.unlink(name)


def _atomic_load(
    target: Target,
    store: Path,
    records: Sequence[TransplantRecord],
    source: Path,
    submission: str,
    defs: Definitions,
    started: datetime,
    t0: float,
    say: Callable[[str], None],
) -> LoadReport:
    """Load a submission in one transaction: its triples, serialised one transplant at a time as N-Quads
    beside the store, replace its two graphs through :func:`graftkg.store.replace.replace_graphs` (in this
    process, or in the server's write worker), which writes a new submission with one ``Store.load``
    and a reload as one update holding only the triples that changed."""
    profile = defs.profile
    results = _classify(records, defs, say)
    knowledge = _knowledge_update(target, defs)
    if knowledge:
        target.update(knowledge)  # the shared graphs first: the submission's write then stands alone
    with _submission_nquads(store, records, results, source, submission, profile, started, say) as (path, counts):
        say(f"writing {sum(counts):,} triples")
        done = target.replace([submission_graph(submission), inferred_graph(submission)], path)
    seconds = time.perf_counter() - t0
    data, inferred = counts
    return LoadReport(submission, len(records), data, inferred, done.existed, seconds, done.deleted, done.inserted)


def bulk_scratch_dir(store: Path) -> Path:
    """The folder a bulk load of ``store`` writes its temporary N-Quads in: ``.NAME.graftkg-tmp`` beside
    the store, made readable by this user only.

    Example:
        >>> import tempfile
        >>> folder = bulk_scratch_dir(Path(tempfile.mkdtemp()) / "store")
        >>> folder.name, oct(folder.stat().st_mode & 0o777)
        ('.store.graftkg-tmp', '0o700')
    """
    import os

    folder = store.parent / f".{store.name}.graftkg-tmp"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def unload(submission: str, *, store: str | Path = DEFAULT_STORE) -> int:
    """Remove a submission and everything inferred from it; return the number of triples removed.

    Example:
        >>> import tempfile
        >>> where = Path(tempfile.mkdtemp()) / "store"
        >>> _ = load("examples/paper-patients/csv", store=where, name="paper")
        >>> unload("paper", store=where) > 100, submissions(where)
        (True, [])
    """
    check_id(submission)
    target = open_target(store)
    graphs = (submission_graph(submission), inferred_graph(submission))
    rows = target.select(
        "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?g { "
        + " ".join(f"<{g}>" for g in graphs)
        + " } GRAPH ?g { ?s ?p ?o } }"
    )
    count = int(rows[0]["n"]) if rows else 0
    if not count:
        names = ", ".join(r["name"] for r in _submissions(target)) or "none"
        raise StoreError(f"no submission '{submission}' in {store} (loaded: {names})")
    target.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs))
    return count


__all__ = [
    "DEFAULT_STORE",
    "EVIDENCE_GRAPH",
    "ONTOLOGY_GRAPH",
    "LoadReport",
    "StoreError",
    "inferred_graph",
    "load",
    "open_target",
    "provenance",
    "record_lines",
    "release",
    "submission_graph",
    "submission_id",
    "submissions",
    "unload",
]
