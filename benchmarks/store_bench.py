"""Store benchmark: load rates (embedded, bulk, and pushed to Oxigraph and Virtuoso servers) and query latency.

    python benchmarks/store_bench.py --n 10000 --queries 200
    python benchmarks/store_bench.py --n 100000 --no-atomic --no-push      # the registry-sized store

Generates N synthetic transplants, then measures
* the atomic load (``graftkg load``: read + classify + one SPARQL update) - skipped with --no-atomic;
* the bulk load (``graftkg load --bulk``), and its write phase alone (pyoxigraph's bulk loader);
* ``graftkg push`` of the store to an Oxigraph server and to Virtuoso (Graph Store Protocol), started
  here on 127.0.0.1 unless --oxigraph / --virtuoso give their base URLs - skipped with --no-push;
* p50/p95 latency of ``recommendations-for-transplant`` (random transplants) and of the cohort query
  ``outcomes-by-donor-type-and-graft-source``, on the embedded store and through ``graftkg serve``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import peak_mb  # type: ignore[import-not-found]

from graftkg.store.embedded import open_store
from graftkg.store.load import load, release
from graftkg.store.push import Remote, push
from graftkg.store.query import run_embedded, run_endpoint
from graftkg.store.serve import Server, Settings, free_port, oxigraph_binary
from graftkg.synthetic.generate import write_bundle

ROOT = Path(__file__).resolve().parent.parent


def _latency(run: Callable[[], object], n: int) -> str:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    p95 = statistics.quantiles(times, n=20)[18] if len(times) >= 2 else times[0]
    return f"p50 {statistics.median(times):8.1f} ms   p95 {p95:8.1f} ms   ({n} runs)"


def _queries(label: str, run: Callable[[str, dict[str, str]], object], ids: list[str], n: int, seed: int) -> None:
    rng = random.Random(seed)
    print(f"{label}:")
    rec = _latency(lambda: run("recommendations-for-transplant", {"transplant_id": rng.choice(ids)}), n)
    print(f"  recommendations-for-transplant           {rec}")
    cohort = _latency(lambda: run("outcomes-by-donor-type-and-graft-source", {}), max(3, n // 40))
    print(f"  outcomes-by-donor-type-and-graft-source  {cohort}")


def _embedded(store: Path, ids: list[str], n: int, seed: int) -> None:
    s = open_store(store)
    _queries("embedded (pyoxigraph)", lambda name, params: run_embedded(s, name, params), ids, n, seed)


def _start_oxigraph() -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    return f"http://127.0.0.1:{port}", process


def _start_virtuoso(folder: Path) -> tuple[str, int] | None:
    if shutil.which("virtuoso-t") is None:
        return None
    http_port, sql_port = free_port(), free_port()
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "start-virtuoso.sh"), str(folder), str(http_port), str(sql_port)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1], sql_port


def _push(label: str, store: Path, remote: Remote) -> None:
    t = time.perf_counter()
    sent = push(store, remote)
    seconds = time.perf_counter() - t
    total = sum(sent.values())
    print(f"push to {label:<9} {total:>12,} triples in {seconds:7.1f} s = {total / seconds:>9,.0f} triples/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="synthetic transplants (default: %(default)s)")
    parser.add_argument("--queries", type=int, default=200, help="runs of the per-transplant query (default: 200)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-atomic", action="store_true", help="skip the atomic (single-update) load")
    parser.add_argument("--no-push", action="store_true", help="skip pushing to the external servers")
    parser.add_argument("--oxigraph", metavar="URL", help="a running Oxigraph server to push to")
    parser.add_argument("--virtuoso", metavar="URL", help="a running Virtuoso to push to")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="graftkg-sbench-") as tmp:
        bundle = write_bundle(Path(tmp) / "b", n=args.n, seed=args.seed)
        ids = [f"S{i:06d}" for i in range(args.n)]
        if not args.no_atomic:
            t0 = time.perf_counter()
            report = load(bundle, store=Path(tmp) / "atomic", name="bench")
            seconds = time.perf_counter() - t0
            triples = report.data_triples + report.inferred_triples
            rate = triples / seconds
            print(
                f"atomic load  {args.n:,} transplants, {triples:,} triples in {seconds:.1f} s = {rate:,.0f} triples/s"
            )
            release(Path(tmp) / "atomic")
        store = Path(tmp) / "bulk"
        phases: dict[str, float] = {}

        def note(message: str) -> None:
            phases.setdefault(message.split(" ")[0], time.perf_counter())

        t0 = time.perf_counter()
        report = load(bundle, store=store, name="bench", bulk=True, progress=note)
        t1 = time.perf_counter()
        triples = report.data_triples + report.inferred_triples
        write = t1 - phases.get("bulk-writing", t0)
        rate = triples / (t1 - t0)
        print(f"bulk load    {args.n:,} transplants, {triples:,} triples in {t1 - t0:.1f} s = {rate:,.0f} triples/s")
        print(f"  of which the bulk write {write:.1f} s = {triples / write:,.0f} triples/s")
        own, children = peak_mb()
        print(f"  peak memory {own:.0f} MB main process, {children:.0f} MB largest worker")
        _embedded(store, ids, args.queries, args.seed)
        release(store)
        with Server(store, Settings(port=0, timeout_s=300, max_result_mb=1024)) as server:
            url = server.url + "/query"
            _queries(
                "endpoint (graftkg serve, SPARQLWrapper over HTTP)",
                lambda name, params: run_endpoint(url, name, params),
                ids,
                args.queries,
                args.seed,
            )
        if args.no_push:
            return 0
        started = None
        oxigraph = args.oxigraph
        if oxigraph is None:
            oxigraph, started = _start_oxigraph()
        try:
            _push("Oxigraph", store, Remote(update=oxigraph + "/update", graph_store=oxigraph + "/store"))
        finally:
            if started is not None:
                started.terminate()
        virtuoso, sql_port = args.virtuoso, None
        if virtuoso is None:
            found = _start_virtuoso(Path(tmp) / "virtuoso")
            if found is None:
                print("push to Virtuoso: not installed (apt-get install virtuoso-opensource-7)")
                return 0
            virtuoso, sql_port = found
        try:
            _push("Virtuoso", store, Remote(update=virtuoso + "/sparql", graph_store=virtuoso + "/sparql-graph-crud"))
        finally:
            if sql_port is not None:
                subprocess.run(
                    ["isql-vt", f"127.0.0.1:{sql_port}", "dba", "dba", "exec=shutdown;"],
                    check=False,
                    capture_output=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
