"""Validation benchmark: N synthetic transplant records with injected errors, fast evaluator vs pySHACL.

    python benchmarks/validate_bench.py --n 100000                 # fast path: read + classify + shapes
    python benchmarks/validate_bench.py --n 0 --pyshacl 2000       # pySHACL on the same shapes, 2,000 records

About 1 % of the records get one injected error each (graftkg.mutate, one kind after another).
Prints wall time, throughput, peak memory and the findings; with ``--pyshacl M`` it also validates the
first M records with pySHACL on the same graph and reports whether the results are identical.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import peak_mb  # type: ignore[import-not-found]
from rdflib import Graph

from graftkg.classify import classify_records
from graftkg.facts import add_to_graph
from graftkg.mutate import inject
from graftkg.ontology import load_ontology
from graftkg.readers import read_inputs
from graftkg.shacl import run_pyshacl
from graftkg.synth import write_bundle
from graftkg.validate import check_partitions, transplant_index, validate_records, validation_facts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="records for the fast path (0: skip)")
    parser.add_argument("--error-rate", type=float, default=0.01)
    parser.add_argument("--pyshacl", type=int, default=0, help="records to validate with pySHACL too (0: skip)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="graftkg-vbench-") as tmp:
        n = max(args.n, args.pyshacl)
        t0 = time.perf_counter()
        bundle = write_bundle(Path(tmp) / "b", n=n, seed=args.seed)
        t1 = time.perf_counter()
        print(f"generated {n:,} records in {t1 - t0:.1f} s (not counted)")
        if args.n:
            t1 = time.perf_counter()
            records = read_inputs([bundle], lenient=True)
            t2 = time.perf_counter()
            injected = inject(records, args.error_rate, seed=args.seed)
            t3 = time.perf_counter()
            report = validate_records(records, workers=args.workers)
            t4 = time.perf_counter()
            own, children = peak_mb()
            n_obs = sum(len(r.observations) for r in records)
            found = {(f.transplant_id, f.rule) for f in report.findings}
            from graftkg.mutate import MUTATIONS

            caught = sum(1 for tid, name in injected.items() if (tid, MUTATIONS[name][0]) in found)
            print(f"fast path: {args.n:,} records, {n_obs:,} observations, {len(injected):,} injected errors")
            print(f"  read (lenient)        {t2 - t1:8.1f} s")
            print(f"  classify + shapes     {t4 - t3:8.1f} s")
            total = t4 - t1 - (t3 - t2)
            print(f"  total                 {total:8.1f} s = {args.n / total:,.0f} records/s")
            print(f"  peak memory           {own:8.0f} MB main process, {children:.0f} MB largest worker")
            print(f"  findings by severity  {report.counts()}")
            print(f"  injected errors found {caught}/{len(injected)}")
            print(f"  top rules             {Counter(f.rule for f in report.findings).most_common(6)}")
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
