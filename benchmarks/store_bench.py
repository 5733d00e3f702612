"""Store benchmark: load rate into the embedded store, and query latency embedded and through the endpoint.

    python benchmarks/store_bench.py --n 5000 --queries 200

Generates N synthetic transplants, loads them with ``graftkg.load.load`` (read + classify + one
atomic update) into a fresh on-disk store, then times ``recommendations-for-transplant`` for random
transplants and one cohort query (``outcomes-by-donor-type-and-graft-source``), first on the embedded
store, then through ``graftkg serve`` (Oxigraph behind the gate) with SPARQLWrapper.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from graftkg.load import load, release
from graftkg.query import run_embedded, run_endpoint
from graftkg.serve import Server, Settings
from graftkg.store import open_store
from graftkg.synth import write_bundle


def _latency(run: Callable[[], object], n: int) -> str:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    q = statistics.quantiles(times, n=20)
    return f"p50 {statistics.median(times):7.1f} ms   p95 {q[18]:7.1f} ms   ({n} runs)"


def _embedded(store: Path, ids: list[str], rng: random.Random, n: int) -> None:
    s = open_store(store)
    print("embedded (pyoxigraph):")
    print(
        "  recommendations-for-transplant ",
        _latency(lambda: run_embedded(s, "recommendations-for-transplant", {"transplant_id": rng.choice(ids)}), n),
    )
    print(
        "  outcomes-by-donor-type-and-graft-source ",
        _latency(lambda: run_embedded(s, "outcomes-by-donor-type-and-graft-source"), max(5, n // 20)),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="synthetic transplants (default: %(default)s)")
    parser.add_argument("--queries", type=int, default=200, help="runs per query (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="graftkg-sbench-") as tmp:
        bundle = write_bundle(Path(tmp) / "b", n=args.n, seed=args.seed)
        store = Path(tmp) / "store"
        t0 = time.perf_counter()
        report = load(bundle, store=store, name="bench")
        seconds = time.perf_counter() - t0
        triples = report.data_triples + report.inferred_triples
        print(
            f"load: {args.n:,} transplants, {triples:,} triples in {seconds:.1f} s = {triples / seconds:,.0f} triples/s"
        )
        print("      (read + classify + serialise + one atomic update into the on-disk store)")
        rng = random.Random(args.seed)
        ids = [f"S{i:06d}" for i in range(args.n)]
        _embedded(store, ids, rng, args.queries)
        release(store)
        with Server(store, Settings(port=0, timeout_s=120, max_result_mb=256)) as server:
            url = server.url + "/query"
            print("endpoint (graftkg serve, SPARQLWrapper over HTTP):")
            print(
                "  recommendations-for-transplant ",
                _latency(
                    lambda: run_endpoint(url, "recommendations-for-transplant", {"transplant_id": rng.choice(ids)}),
                    args.queries,
                ),
            )
            print(
                "  outcomes-by-donor-type-and-graft-source ",
                _latency(
                    lambda: run_endpoint(url, "outcomes-by-donor-type-and-graft-source"), max(5, args.queries // 20)
                ),
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
