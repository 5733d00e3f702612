"""Endpoint benchmark: latency at 1, 10 and 100 concurrent clients, graftkg serve beside the Oxigraph server.

    python benchmarks/serve_bench.py --n 1000 --requests 600
    python benchmarks/serve_bench.py --n 1000 --requests 600 --write docs/performance/serve.md

Generates N synthetic transplants and loads them into a store, copies the store, then serves one copy
with ``graftkg serve`` (read-only: every request in a sandboxed worker process) and the other with
the Oxigraph server (``oxigraph serve-read-only``, no sandbox, no per-request process), both on
127.0.0.1, and sends each the same requests from C client threads, each with its own connections
(``http.client``), for C in 1, 10 and 100. Two queries: a light one (the named query
``recommendations-for-transplant`` for a random transplant) and a cohort one (``outcomes-by-donor-
type-and-graft-source``). Reports p50 / p95 latency and throughput for each server, and graftkg's
p50 and throughput as ratios of Oxigraph's, measured side by side in one run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from graftkg.store.load import load, release
from graftkg.store.query import bind, named_query, with_values
from graftkg.store.serve import Settings, free_port, oxigraph_binary
from graftkg.synthetic.generate import write_bundle


def _text(name: str, params: dict[str, str]) -> str:
    query = named_query(name)
    return with_values(query, bind(query, params))


def _one(port: int, body: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(
            "POST",
            "/query",
            body,
            {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        )
        response = connection.getresponse()
        response.read()
        return time.perf_counter() - started, response.status
    finally:
        connection.close()


def _run(port: int, bodies: list[bytes], clients: int) -> dict[str, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda b: _one(port, b), bodies))
    wall = time.perf_counter() - started
    failed = sum(1 for _, status in results if status != 200)
    times = sorted(t for t, _ in results)
    return {
        "p50": statistics.median(times) * 1000,
        "p95": times[int(0.95 * (len(times) - 1))] * 1000,
        "throughput": len(times) / wall,
        "failed": failed,
    }


def _wait(port: int) -> None:
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the Oxigraph server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="synthetic transplants in the store")
    parser.add_argument("--requests", type=int, default=600, help="requests per query, server and concurrency")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--write", metavar="FILE", help="also write the results as a Markdown page")
    args = parser.parse_args()
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="graftkg-serve-bench-"))
    try:
        write_bundle(work / "bundle", n=args.n, seed=11)
        load(work / "bundle", store=work / "a", name="bench")
        release(work / "a")
        shutil.copytree(work / "a", work / "b")
        ids = [line.split(",", 1)[0] for line in (work / "bundle" / "transplants.csv").read_text().splitlines()[1:]]
        queries = {
            "light": [
                _text("recommendations-for-transplant", {"transplant_id": rng.choice(ids)}).encode()
                for _ in range(args.requests)
            ],
            "cohort": [_text("outcomes-by-donor-type-and-graft-source", {}).encode()] * max(1, args.requests // 4),
        }
        port = free_port()
        oxigraph = subprocess.Popen(
            [
                oxigraph_binary(),
                "serve-read-only",
                "--location",
                str(work / "b"),
                "--bind",
                f"127.0.0.1:{port}",
                "--union-default-graph",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        rows = []
        ours = free_port()
        graftkg = subprocess.Popen(  # its own process, as Oxigraph's: the clients' threads are not its GIL's
            [sys.executable, "-m", "graftkg", "serve", "--store", str(work / "a"), "--port", str(ours)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        workers = Settings().workers
        try:
            _wait(port)
            _wait(ours)
            for name, bodies in queries.items():
                for clients in args.clients:
                    _run(ours, bodies[:20], min(clients, 20))  # warm both
                    _run(port, bodies[:20], min(clients, 20))
                    g = _run(ours, bodies, clients)
                    o = _run(port, bodies, clients)
                    rows.append((name, clients, len(bodies), g, o, workers))
                    print(
                        f"{name:6} C={clients:3}: graftkg p50 {g['p50']:7.1f} ms p95 {g['p95']:7.1f} ms "
                        f"{g['throughput']:6.0f}/s fail {g['failed']:.0f} | oxigraph p50 {o['p50']:7.1f} ms "
                        f"p95 {o['p95']:7.1f} ms {o['throughput']:6.0f}/s fail {o['failed']:.0f} | "
                        f"ratios: p50 {g['p50'] / o['p50']:.2f}, throughput {g['throughput'] / o['throughput']:.2f}",
                        flush=True,
                    )
        finally:
            for process in (oxigraph, graftkg):
                process.terminate()
                process.wait()
        if args.write:
            _page(Path(args.write), args, rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _shown(path: Path) -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _page(
    path: Path, args: argparse.Namespace, rows: list[tuple[str, int, int, dict[str, float], dict[str, float], int]]
) -> None:
    lines = [
        "# Endpoint performance",
        "",
        "Generated by `benchmarks/serve_bench.py`; do not edit by hand. Reproduce with:",
        "",
        "```sh",
        f"python benchmarks/serve_bench.py --n {args.n} --requests {args.requests} --write {_shown(path)}",
        "```",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; store of {args.n:,} synthetic transplants. graftkg serve "
        f"(read-only, {rows[0][5] if rows else '?'} sandboxed worker processes) and the Oxigraph server "
        "(`serve-read-only`) on copies of the same store, side by side in one run, each request on a new "
        "connection. Latency in ms; ratios are graftkg / Oxigraph (p50: lower is better; throughput: "
        "higher is better).",
        "",
        "| query | clients | requests | graftkg p50 | graftkg p95 | graftkg req/s | Oxigraph p50 | Oxigraph p95 "
        "| Oxigraph req/s | p50 ratio | throughput ratio | failed (graftkg / Oxigraph) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, clients, n, g, o, _ in rows:
        lines.append(
            f"| {name} | {clients} | {n} | {g['p50']:.1f} | {g['p95']:.1f} | {g['throughput']:.0f} | {o['p50']:.1f} "
            f"| {o['p95']:.1f} | {o['throughput']:.0f} | {g['p50'] / o['p50']:.2f} | "
            f"{g['throughput'] / o['throughput']:.2f} | {g['failed']:.0f} / {o['failed']:.0f} |"
        )
    lines += [
        "",
        "`light` is `recommendations-for-transplant` for a random transplant; `cohort` is "
        "`outcomes-by-donor-type-and-graft-source` over the whole store.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
