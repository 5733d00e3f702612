"""Reasoners: the fast path over compiled definitions, and an OWL 2 DL reasoner (HermiT via owlready2).

Both take the same :class:`~graftkg.semantics.facts.TransplantFacts` and return, per transplant, the set of the
ontology's defined transplant classes it belongs to. ``tests/test_reasoner_equivalence.py`` checks they
agree on synthetic transplants covering every outcome.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, URIRef

from graftkg.errors import ReasonerError
from graftkg.rdf import GK, OWL, RDF, RDFS
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.facts import TransplantFacts, add_to_graph
from graftkg.semantics.owlexpr import Context, Facts

REASONERS = ("fast", "hermit")


class FastReasoner:
    """Evaluates the ontology's defined classes over one transplant's closed facts.

    Example:
        >>> from graftkg.semantics.definitions import Definitions
        >>> from graftkg.semantics.derive import Derived
        >>> from graftkg.semantics.facts import build_facts
        >>> from graftkg.model import TransplantRecord
        >>> from graftkg.semantics.vocabulary import vocabulary
        >>> tf = build_facts(TransplantRecord("T", graft_source="PB"), Derived(neutrophil_recovery_day=12),
        ...                  vocabulary())
        >>> from graftkg.rdf import GK
        >>> GK.Engrafted in FastReasoner(Definitions()).classify(tf)
        True
    """

    def __init__(self, defs: Definitions) -> None:
        self.defs = defs
        g = defs.graph
        self._supers: dict[URIRef, frozenset[URIRef]] = {}
        for cls in set(g.subjects(RDF.type, OWL.Class)):
            if isinstance(cls, URIRef):
                ups = {c for c in g.transitive_objects(cls, RDFS.subClassOf) if isinstance(c, URIRef)}
                self._supers[cls] = frozenset(ups)
        self._individual_types: dict[URIRef, frozenset[URIRef]] = {}
        for ind in set(g.subjects(RDF.type, OWL.NamedIndividual)):
            if isinstance(ind, URIRef):
                asserted = {c for c in g.objects(ind, RDF.type) if isinstance(c, URIRef)}
                self._individual_types[ind] = self._close(asserted)

    def _close(self, classes: Iterable[URIRef]) -> frozenset[URIRef]:
        out: set[URIRef] = set()
        for c in classes:
            out |= self._supers.get(c, frozenset({c}))
        return frozenset(out)

    def types_of(self, node: URIRef, facts: Facts) -> frozenset[URIRef]:
        """The named types of ``node``: asserted in the facts or in the ontology, with superclasses."""
        asserted = facts.get(node, {}).get(RDF.type)
        if asserted:
            return self._close(c for c in asserted if isinstance(c, URIRef))
        return self._individual_types.get(node, frozenset())

    def classify(self, tf: TransplantFacts) -> set[URIRef]:
        """The defined transplant classes ``tf`` belongs to."""
        ctx = Context(tf.facts, self.types_of)
        node, out = tf.node, set()
        memo = ctx.tested(node)
        for c in self.defs.defined_classes:
            if c.definition is None:
                continue
            # a class another definition has already tested on this node is in the memo (Named.holds)
            holds = memo.get(c.iri)
            if holds is None:
                holds = memo[c.iri] = c.definition.holds(ctx, node)
            if holds:
                out.add(c.iri)
        return out

    def explain(self, tf: TransplantFacts, cls: URIRef) -> list[str]:
        """Sentences saying why ``tf`` belongs to ``cls``: the definition clauses and facts used."""
        ctx = Context(tf.facts, self.types_of)
        out: list[str] = []
        self.defs.compiler.named(cls).explain(ctx, tf.node, self.defs.labels, out)
        seen: set[str] = set()
        return [s for s in out if not (s in seen or seen.add(s))]  # type: ignore[func-returns-value]


class HermitReasoner:
    """Classifies transplants with HermiT (the jar owlready2 ships), in independent batches.

    One transplant's facts never touch another's, so batches are classified separately; this keeps
    HermiT's super-linear cost in check (a batch of 10 took 33 s where 10 batches of one took 12 s).
    Each of ``workers`` threads runs one Java process that classifies its batches one after another
    (``HermitBatches.java``, compiled once with the JDK's ``javac``): a new HermiT reasoner per batch,
    but Java started and HermiT loaded once. Without a JDK, or with ``persistent=False``, each batch
    is a run of HermiT's command line (:func:`hermit`), on ``workers`` processes; a batch the
    persistent process fails on is run that way too. ``java_memory_mb`` sets each Java heap.
    """

    def __init__(
        self,
        defs: Definitions,
        *,
        batch_size: int = 1,
        workers: int = 1,
        java_memory_mb: int = 2000,
        persistent: bool = True,
    ) -> None:
        self.defs = defs
        self.batch_size = batch_size
        self.workers = workers
        self.java_memory_mb = java_memory_mb
        self.persistent = persistent
        self._defined = {c.iri for c in defs.defined_classes}

    def classify_many(self, items: Sequence[TransplantFacts]) -> list[set[URIRef]]:
        """The defined transplant classes of each item, in order."""
        batches = [list(items[i : i + self.batch_size]) for i in range(0, len(items), self.batch_size)]
        folder = java_classes(_BATCHES_SOURCE) if self.persistent and batches else None
        if folder is not None:
            return self._persistent(batches, folder)
        out: list[set[URIRef]] = []
        if self.workers <= 1 or len(batches) <= 1:
            for batch in batches:
                out.extend(self._batch(batch))
            return out
        from graftkg.parallel import run

        # each worker process makes its own reasoner (definitions pickle as their profile, see Definitions)
        state = (self.defs, self.batch_size, self.java_memory_mb)
        for part in run(_hermit_batch, state, batches, workers=self.workers):
            out.extend(part)
        return out

    def _persistent(self, batches: list[list[TransplantFacts]], folder: Path) -> list[set[URIRef]]:
        """:meth:`classify_many` on persistent Java processes: ``workers`` threads, each with its own
        process and its share of the batches (in order), joined in order."""
        from concurrent.futures import ThreadPoolExecutor

        tbox = self.defs.graph.serialize(format="nt", encoding="utf-8")
        workers = max(1, min(self.workers, len(batches)))
        share = -(-len(batches) // workers)
        parts = [batches[i : i + share] for i in range(0, len(batches), share)]
        with tempfile.TemporaryDirectory(prefix="graftkg-hermit-") as tmp:
            if len(parts) == 1:
                answers = [self._session(parts[0], folder, tbox, Path(tmp) / "0")]
            else:
                with ThreadPoolExecutor(len(parts)) as pool:
                    answers = list(
                        pool.map(lambda k: self._session(parts[k], folder, tbox, Path(tmp) / str(k)), range(len(parts)))
                    )
        return [classes for answer in answers for classes in answer]

    def _session(self, batches: list[list[TransplantFacts]], folder: Path, tbox: bytes, tmp: Path) -> list[set[URIRef]]:
        """Classify ``batches`` in order on one Java process (restarted if it dies)."""
        import owlready2

        tmp.mkdir()
        path = tmp / "batch.nt"
        classpath = os.pathsep.join([str(folder), str(hermit_jar())])
        command = [owlready2.JAVA_EXE, f"-Xmx{self.java_memory_mb}M", "-cp", classpath, "HermitBatches"]
        command.append(str(GK.Transplant))
        process: subprocess.Popen[str] | None = None
        out: list[set[URIRef]] = []
        try:
            for batch in batches:
                graph = Graph()
                for tf in batch:
                    add_to_graph(graph, tf.facts, self.defs.closable)
                path.write_bytes(tbox + graph.serialize(format="nt", encoding="utf-8"))
                if process is None:
                    process = subprocess.Popen(
                        command,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL,
                        text=True,
                        encoding="utf-8",
                    )
                assert process.stdin is not None and process.stdout is not None
                lines: list[str] = []
                try:
                    process.stdin.write(f"{path}\n")
                    process.stdin.flush()
                    for line in process.stdout:
                        if line.startswith("Type( "):
                            lines.append(line)
                            continue
                        end = line.strip()
                        break
                    else:
                        end = "FAILED the Java process ended"
                except BrokenPipeError:
                    end = "FAILED the Java process ended"
                if end == "INCONSISTENT":
                    raise ReasonerError("the OWL reasoner found the ontology and data inconsistent")
                if end != "END":  # as HermiT's command line would: retried, then split (see _batch)
                    if end == "FAILED the Java process ended":
                        process.kill()
                        process.wait()
                        process = None
                    out.extend(self._batch(batch))
                    continue
                out.extend(self._types(batch, indirect_types("".join(lines))))
        finally:
            if process is not None:
                if process.stdin is not None:
                    process.stdin.close()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        return out

    def _types(self, items: Sequence[TransplantFacts], types: dict[str, set[str]]) -> list[set[URIRef]]:
        results: list[set[URIRef]] = []
        for tf in items:
            found = types.get(str(tf.node))
            if found is None:
                raise ReasonerError(f"the OWL reasoner gave no types for individual {tf.node}")
            results.append({URIRef(c) for c in found} & self._defined)
        return results

    def _batch(self, items: Sequence[TransplantFacts]) -> list[set[URIRef]]:
        """Classify one batch with HermiT's command line; on a Java crash, retry once, then split the
        batch in halves.

        HermiT has been seen to crash (a NullPointerException while classifying data properties) on a
        batch that runs cleanly when retried or split; the classes compared are unchanged either way,
        and a transplant that HermiT cannot classify on its own still raises.
        """
        try:
            return self._run(items)
        except _JavaCrash as first:
            try:
                return self._run(items)
            except _JavaCrash:
                if len(items) == 1:
                    raise ReasonerError(str(first)) from first
                half = len(items) // 2
                return self._batch(items[:half]) + self._batch(items[half:])

    def _run(self, items: Sequence[TransplantFacts]) -> list[set[URIRef]]:
        graph = Graph()
        for triple in self.defs.graph:
            graph.add(triple)
        for tf in items:
            add_to_graph(graph, tf.facts, self.defs.closable)
        with tempfile.TemporaryDirectory(prefix="graftkg-hermit-") as tmp:
            path = Path(tmp) / "kb.nt"
            graph.serialize(path, format="nt", encoding="utf-8")
            try:
                output = hermit(path, java_memory_mb=self.java_memory_mb)
            except _JavaCrash as exc:
                keep = os.environ.get("GRAFTKG_KEEP_FAILED_BATCH")
                if keep:
                    import shutil

                    Path(keep).mkdir(parents=True, exist_ok=True)
                    shutil.copy(path, Path(keep) / f"batch-{os.getpid()}-{id(items)}.nt")
                ids = ", ".join(str(tf.node).rsplit("/", 1)[-1] for tf in items)
                raise _JavaCrash(f"the OWL reasoner failed on transplants {ids}: {exc}") from exc
        return self._types(items, indirect_types(output))


#: the Java source of :class:`HermitReasoner`'s persistent process
_BATCHES_SOURCE = Path(__file__).parent / "java" / "HermitBatches.java"


@lru_cache(maxsize=4)
def java_classes(source: Path) -> Path | None:
    """The folder of ``source`` compiled against HermiT.jar (and the OWL API in it), once per version
    of the source, in the user's cache (``$XDG_CACHE_HOME/graftkg``, else ``~/.cache/graftkg``); None
    when there is no JDK (``javac``) to compile it with.

    Example (compiles Java once)::

        folder = java_classes(Path("src/graftkg/semantics/java/HermitBatches.java"))
    """
    import hashlib
    import shutil

    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    # the user's own cache (classes a shared /tmp held could be anyone's), else a private folder
    try:
        cache: Path | None = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "graftkg"
    except (RuntimeError, KeyError):  # no home folder to be found
        cache = None
    folder = (cache or Path("/nonexistent")) / f"{source.stem.lower()}-{digest}"
    if cache is not None and (folder / f"{source.stem}.class").is_file() and folder.stat().st_uid == os.getuid():
        return folder
    javac = shutil.which("javac")
    if javac is None:
        return None
    try:
        if cache is None:
            raise OSError("no cache folder")
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        build = Path(tempfile.mkdtemp(prefix=f"{folder.name}-", dir=cache))
    except OSError:  # no writable cache: compile for this process only, in a private folder
        folder = build = Path(tempfile.mkdtemp(prefix=f"graftkg-{source.stem.lower()}-"))
    done = subprocess.run(
        [javac, "-nowarn", "-cp", str(hermit_jar()), "-d", str(build), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(build, ignore_errors=True)
        raise ReasonerError(f"{source}: does not compile: {(done.stderr.strip().splitlines() or [''])[0]}")
    if build != folder:
        try:  # the compiled folder appears whole, or not at all (another process may be compiling it too)
            build.rename(folder)
        except OSError:
            if folder.stat().st_uid != os.getuid():  # not ours: keep using our own build
                return build
            shutil.rmtree(build, ignore_errors=True)
    return folder


_HERMIT_LINE = re.compile(r"^(SubClassOf|EquivalentClasses|Type)\( ((?:<[^>]+>\s*)+)\)$", re.MULTILINE)


def hermit_jar() -> Path:
    """HermiT.jar as owlready2 ships it (HermiT, and the OWL API the profile check uses).

    Example:
        >>> hermit_jar().name
        'HermiT.jar'
    """
    import owlready2

    jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
    if not jar.is_file():
        raise ReasonerError(f"{jar}: not found (owlready2 ships HermiT and the OWL API in it)")
    return jar


def hermit(path: Path, *, java_memory_mb: int = 2000) -> str:
    """Run HermiT (the jar owlready2 ships) on the ontology in ``path``: classify it and realise its
    individuals (``-c -I``); return what HermiT prints.

    Only the class hierarchy and the individuals' types are asked for. Classifying the object and
    data property hierarchies as well (``-O -D``, what owlready2's ``sync_reasoner_hermit`` runs) took
    29 s instead of 16 s on a batch of five transplants, answered nothing the classes need, and is
    where HermiT was seen to crash (a ``NullPointerException`` while classifying data properties).

    Example (starts Java; ``tests/test_reasoner_equivalence.py`` runs it)::

        output = hermit(Path("kb.nt"))
        types = indirect_types(output)
    """
    import owlready2

    jar = hermit_jar()
    command = [
        owlready2.JAVA_EXE,
        f"-Xmx{java_memory_mb}M",
        "-cp",
        os.pathsep.join([str(jar.parent), str(jar)]),
        "org.semanticweb.HermiT.cli.CommandLine",
        "-c",
        "-I",
        path.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ReasonerError(f"could not start Java for the OWL reasoner: {exc}") from exc
    if done.returncode != 0:
        text = done.stdout + done.stderr
        if "Inconsistent ontology" in text:
            raise ReasonerError("the OWL reasoner found the ontology and data inconsistent")
        lines = [x.strip() for x in text.splitlines() if x.strip()]
        detail = next((x for x in lines if "Exception" in x or "Error" in x), lines[-1] if lines else "")
        raise _JavaCrash(f"exit code {done.returncode}: {detail[:300]}")
    return done.stdout


def indirect_types(output: str) -> dict[str, set[str]]:
    """Every named type of each individual in HermiT's ``-c -I`` output: its direct types (``Type``)
    closed under the class hierarchy (``SubClassOf``, ``EquivalentClasses``).

    Example:
        >>> out = "SubClassOf( <urn:B> <urn:A> )\\nEquivalentClasses( <urn:C> <urn:B> )\\nType( <urn:i> <urn:C> )"
        >>> sorted(indirect_types(out)["urn:i"])
        ['urn:A', 'urn:B', 'urn:C']
    """
    parents: dict[str, set[str]] = {}
    direct: dict[str, set[str]] = {}
    for relation, iris in _HERMIT_LINE.findall(output):
        names = [x.strip("<> ") for x in iris.split("> <")]
        if relation == "SubClassOf":
            parents.setdefault(names[0], set()).add(names[1])
        elif relation == "EquivalentClasses":
            for x in names:
                parents.setdefault(x, set()).update(n for n in names if n != x)
        else:
            direct.setdefault(names[0], set()).add(names[1])
    closed: dict[str, set[str]] = {}

    def ancestors(cls: str) -> set[str]:
        found = closed.get(cls)
        if found is None:
            found, todo = {cls}, [cls]
            while todo:
                for parent in parents.get(todo.pop(), ()):
                    if parent not in found:
                        found.add(parent)
                        todo.append(parent)
            closed[cls] = found
        return found

    return {ind: set().union(*(ancestors(c) for c in classes)) for ind, classes in direct.items()}


class _JavaCrash(ReasonerError):
    """HermiT (Java) crashed on a batch, as opposed to finding it inconsistent."""


def _hermit_batch(state: tuple[Definitions, int, int], batch: list[TransplantFacts]) -> list[set[URIRef]]:
    """One batch of :meth:`HermitReasoner.classify_many` (see :func:`graftkg.parallel.run`)."""
    defs, batch_size, java_memory_mb = state
    return HermitReasoner(defs, batch_size=batch_size, java_memory_mb=java_memory_mb)._batch(batch)


def check_consistency(ontology: Graph) -> None:
    """Raise :class:`ReasonerError` unless HermiT finds ``ontology`` consistent and every class satisfiable.

    Example (starts Java; ``tests/test_ontology_reasoning.py`` runs it)::

        from graftkg.semantics.ontology import load_ontology
        check_consistency(load_ontology("paper"))  # returns None: consistent and coherent
    """
    import owlready2

    with tempfile.TemporaryDirectory(prefix="graftkg-hermit-") as tmp:
        path = Path(tmp) / "onto.nt"
        ontology.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            raise ReasonerError("ontology is inconsistent") from exc
        unsat = [str(c.iri) for c in world.inconsistent_classes()]
        world.close()
    if unsat:
        raise ReasonerError(f"unsatisfiable classes: {', '.join(sorted(unsat))}")
