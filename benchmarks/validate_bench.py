"""Validation benchmark: N synthetic transplant records with injected errors, fast evaluator vs pySHACL.

    python benchmarks/validate_bench.py --n 100000                 # graftkg validate's path: files in, report out
    python benchmarks/validate_bench.py --n 100000 --whole-read    # and the path that reads everything first
    python benchmarks/validate_bench.py --n 0 --pyshacl 2000       # pySHACL on the same shapes, 2,000 records

About 1 % of the records get one injected error each (graftkg.synthetic.mutate, one kind after another); the
mutated records are written as a CSV bundle (not timed), and ``validate_paths`` validates that bundle
as ``graftkg validate`` does: ``transplants.csv`` is read in the main process, and each worker reads
and checks its share of ``observations.csv``. ``--whole-read`` also times reading the whole bundle in
the main process and then validating the records (``validate_records``), and checks that both give
the same report. Each validation runs in a fresh process, so its peak memory is its own. With
``--pyshacl M`` it validates the first M records with pySHACL on the same graph too and reports
whether the results are identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import peak_mb  # type: ignore[import-not-found]
from rdflib import Graph

from graftkg.readers import read_inputs
from graftkg.readers.csv_bundle import write_bundle_records
from graftkg.semantics.classify import classify_records
from graftkg.semantics.facts import add_to_graph
from graftkg.semantics.ontology import load_ontology
from graftkg.synthetic.generate import write_bundle
from graftkg.synthetic.mutate import MUTATIONS, inject
from graftkg.validation.validate import (
    check_partitions,
    transplant_index,
    validate_paths,
    validate_records,
    validation_facts,
)
from reference_shacl import run_pyshacl  # type: ignore[import-not-found]  # tests/: see _common


def _measure(mode: str, bundle: Path, workers: int | None) -> dict[str, object]:
    """Validate ``bundle`` in a fresh process (so its memory is the validation's alone); its figures."""
    command = [sys.executable, __file__, "--measure", mode, str(bundle)]
    if workers is not None:
        command += ["--workers", str(workers)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def _measured(mode: str, bundle: Path, workers: int | None) -> int:
    """The child side of :func:`_measure`: validate, then print the figures as JSON."""
    t0 = time.perf_counter()
    if mode == "paths":
        report = validate_paths([bundle], workers=workers)
        t1 = t2 = time.perf_counter()
    else:
        records = read_inputs([bundle], lenient=True)
        t1 = time.perf_counter()
        report = validate_records(records, workers=workers)
        t2 = time.perf_counter()
    own, children = peak_mb()
    figures = {
        "read": t1 - t0,
        "check": t2 - t1,
        "total": t2 - t0,
        "own_mb": own,
        "children_mb": children,
        "counts": report.counts(),
        "found": sorted({(f.transplant_id, f.rule) for f in report.findings}),
        "rules": Counter(f.rule for f in report.findings).most_common(6),
        "digest": hashlib.sha256(
            json.dumps([[f.as_json() for f in report.findings], [repr(r) for r in report.results]]).encode()
        ).hexdigest(),
    }
    print(json.dumps(figures))
    return 0


def _summary(figures: dict[str, Any], injected: dict[str, str], n: int) -> None:
    found = {tuple(pair) for pair in figures["found"]}
    caught = sum(1 for tid, name in injected.items() if (tid, MUTATIONS[name][0]) in found)
    print(f"  total                 {figures['total']:8.1f} s = {n / figures['total']:,.0f} records/s")
    own, largest = figures["own_mb"], figures["children_mb"]
    print(f"  peak memory           {own:8.0f} MB main process, {largest:.0f} MB largest worker")
    print(f"  findings by severity  {figures['counts']}")
    print(f"  injected errors found {caught}/{len(injected)}")
    print(f"  top rules             {figures['rules']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="records for the fast path (0: skip)")
    parser.add_argument("--error-rate", type=float, default=0.01)
    parser.add_argument("--whole-read", action="store_true", help="also time read_inputs + validate_records")
    parser.add_argument("--pyshacl", type=int, default=0, help="records to validate with pySHACL too (0: skip)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "BUNDLE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        return _measured(args.measure[0], Path(args.measure[1]), args.workers)

    with tempfile.TemporaryDirectory(prefix="graftkg-vbench-") as tmp:
        n = max(args.n, args.pyshacl)
        t0 = time.perf_counter()
        bundle = write_bundle(Path(tmp) / "b", n=n, seed=args.seed)
        if args.n:
            records = read_inputs([bundle], lenient=True)[: args.n]
            injected = inject(records, args.error_rate, seed=args.seed)
            mutated = write_bundle_records(records, Path(tmp) / "mutated")
            n_obs = sum(len(r.observations) for r in records)
            del records
        print(f"generated {n:,} records and wrote them with injected errors in {time.perf_counter() - t0:.1f} s")
        if args.n:
            print(f"graftkg validate: {args.n:,} records, {n_obs:,} observations, {len(injected):,} injected errors")
            print("validate_paths (each worker reads its share of observations.csv):")
            paths = _measure("paths", mutated, args.workers)
            _summary(paths, injected, args.n)
            if args.whole_read:
                print("read_inputs, then validate_records (the whole bundle read in the main process first):")
                whole = _measure("records", mutated, args.workers)
                print(f"  read (lenient)        {whole['read']:8.1f} s")
                print(f"  classify + shapes     {whole['check']:8.1f} s")
                _summary(whole, injected, args.n)
                print(f"  same report           {whole['digest'] == paths['digest']}")
        if args.pyshacl:
            records = read_inputs([bundle], lenient=True)[: args.pyshacl]
            inject(records, max(args.error_rate, 0.05), seed=args.seed)
            results = classify_records(records)
            partitions = [validation_facts(r, c).facts for r, c in zip(records, results, strict=True)]
            t5 = time.perf_counter()
            fast = check_partitions(partitions, transplant_index(records))
            t6 = time.perf_counter()
            graph = Graph()
            ontology = load_ontology()
            for facts in partitions:
                add_to_graph(graph, facts, ontology, close=False)
            t7 = time.perf_counter()
            reference = run_pyshacl(graph)
            t8 = time.perf_counter()

            def key(r: object) -> tuple[str, ...]:
                return (str(r.focus), str(r.shape), r.component, str(r.value))  # type: ignore[attr-defined]

            same = Counter(key(r) for _, r in fast) == Counter(key(r) for r in reference)
            print(f"pySHACL on {args.pyshacl:,} records ({len(graph):,} triples, graph built in {t7 - t6:.1f} s):")
            print(f"  pySHACL               {t8 - t7:8.1f} s = {args.pyshacl / (t8 - t7):,.0f} records/s")
            print(f"  fast evaluator        {t6 - t5:8.2f} s (shapes only, same facts)")
            print(f"  identical results     {same} ({len(reference):,} results)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
