"""Classification benchmark: N synthetic transplants through the fast path, and the HermiT baseline.

    python benchmarks/classify_bench.py --n 100000            # fast path: read + derive + classify
    python benchmarks/classify_bench.py --n 0 --hermit 1000   # HermiT on 1,000
    python benchmarks/classify_bench.py --n 0 --hermit 100 --hermit-batch 4 --hermit-command-line
    python benchmarks/classify_bench.py --n 0 --hermit 20 --hermit-labs  # ... with every lab value

Prints wall time, throughput and peak memory (this process and its workers). Writes nothing to the
repository: the synthetic bundle goes to a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import peak_mb  # type: ignore[import-not-found]

from graftkg.readers import read_inputs
from graftkg.semantics.classify import classify_records, prepare
from graftkg.semantics.definitions import Definitions
from graftkg.semantics.reason import FastReasoner, HermitReasoner
from graftkg.synthetic.generate import write_bundle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="transplants for the fast path (0: skip)")
    parser.add_argument("--hermit", type=int, default=0, help="transplants for the HermiT baseline (0: skip)")
    parser.add_argument("--hermit-batch", type=int, default=1)
    parser.add_argument(
        "--hermit-command-line", action="store_true", help="HermiT's command line, one Java run a batch"
    )
    parser.add_argument(
        "--hermit-labs",
        action="store_true",
        help="also give HermiT every lab value as an individual (much slower; no definition reads them)",
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default="paper")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="graftkg-bench-") as tmp:
        if args.n:
            t0 = time.perf_counter()
            bundle = write_bundle(Path(tmp) / "fast", n=args.n, seed=args.seed, profile=args.profile)
            t1 = time.perf_counter()
            records = read_inputs([bundle])
            t2 = time.perf_counter()
            n_obs = sum(len(r.observations) for r in records)
            results = classify_records(records, profile=args.profile, workers=args.workers)
            t3 = time.perf_counter()
            own, children = peak_mb()
            wrong = sum(1 for r, c in zip(records, results, strict=True) if r.reported_outcome != c.outcome)
            print(
                f"fast path, profile {args.profile}: {args.n:,} transplants, {n_obs:,} observations "
                f"({n_obs / args.n:.1f} per transplant)"
            )
            print(f"  generate bundle   {t1 - t0:8.1f} s (not counted)")
            print(f"  read CSV bundle   {t2 - t1:8.1f} s")
            print(f"  derive + classify {t3 - t2:8.1f} s")
            print(f"  total read..out   {t3 - t1:8.1f} s  = {args.n / (t3 - t1):,.0f} transplants/s")
            print(f"  peak memory       {own:8.0f} MB main process, {children:.0f} MB largest worker")
            print(f"  outcomes          {dict(Counter(c.outcome for c in results))}")
            print(f"  disagreements with the synthetic truth: {wrong}")
        if args.hermit:
            bundle = write_bundle(Path(tmp) / "hermit", n=args.hermit, seed=args.seed, profile=args.profile)
            records = read_inputs([bundle])
            defs = Definitions(args.profile)
            facts = [tf for tf, _ in prepare(records, defs, observations=args.hermit_labs)]
            t0 = time.perf_counter()
            fast = [FastReasoner(defs).classify(tf) for tf in facts]
            t1 = time.perf_counter()
            persistent = not args.hermit_command_line
            reasoner = HermitReasoner(
                defs, batch_size=args.hermit_batch, workers=args.workers or 2, persistent=persistent
            )
            hermit = reasoner.classify_many(facts)
            t2 = time.perf_counter()
            agree = sum(1 for a, b in zip(fast, hermit, strict=True) if a == b)
            print(
                f"HermiT ({'one Java process a worker' if persistent else 'its command line a batch'}), "
                f"{args.hermit:,} transplants in batches of {args.hermit_batch}, "
                f"{args.workers or 2} workers, lab individuals {'on' if args.hermit_labs else 'off'}: "
                f"{t2 - t1:.1f} s = {args.hermit / (t2 - t1):.2f} transplants/s"
            )
            print(f"  fast path on the same facts: {t1 - t0:.2f} s; identical classes for {agree}/{len(facts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
