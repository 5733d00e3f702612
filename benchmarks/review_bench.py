"""Review benchmark: the dashboard of an N-transplant submission with injected errors, beside
``graftkg validate`` on the same input, each as the command line runs it, in a fresh process.

    python benchmarks/review_bench.py --n 10000          # writes docs/performance/review.md

The submission is synthetic (``graftkg.synthetic``), with an error injected into a share of the
transplants (``graftkg.synthetic.mutate``, 5 % by default), written as a CSV bundle (not timed). Then,
side by side on the same machine: ``graftkg validate --format json`` (the reference), and ``graftkg
review --output DIR`` (reading, validation, classification under every shipped profile, the figures,
the page, its JSON and a report for every transplant) on the backend ``auto`` picks (SQL, for a bundle
this large) and with ``--backend record``, three times each, alternating; then once with
``--reports flagged`` (the reports of the transplants needing review only). The
figure a target is set on is the ratio of their medians; the issue's own target, a 10,000-transplant
dashboard in under a minute, is reported too. Last, the dashboard's counts are compared with
validate's JSON, finding for finding, and the two backends' ``review.json`` with each other.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from graftkg.readers import read_inputs
from graftkg.readers.csv_bundle import write_bundle_records
from graftkg.synthetic import write_bundle
from graftkg.synthetic.mutate import inject

PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance" / "review.md"


def _graftkg(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "graftkg", *args], capture_output=True, text=True)
    return time.perf_counter() - start, run


def _key(f: dict[str, object]) -> tuple[object, ...]:
    return tuple(f[k] for k in ("severity", "transplant_id", "rule", "field", "location", "message"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="transplants (default: %(default)s)")
    parser.add_argument("--error-rate", type=float, default=0.05, help="share with an injected error")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, help="runs of each command, alternating (default: 3)")
    parser.add_argument("--page", type=Path, default=PAGE, help="the performance page to write")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="graftkg-review-bench-") as tmp:
        root = Path(tmp)
        records = read_inputs([write_bundle(root / "clean", n=args.n, seed=args.seed)], lenient=True)
        injected = inject(records, args.error_rate, seed=args.seed)
        bundle = write_bundle_records(records, root / "submission")
        print(f"{args.n:,} transplants, {len(injected):,} with an injected error, written to {bundle}")
        validate_s, review_s, record_s = [], [], []
        expected: list[dict[str, object]] = []
        for k in range(args.runs):
            seconds, run = _graftkg("validate", str(bundle), "--format", "json")
            assert run.returncode in (0, 1), run.stderr
            validate_s.append(seconds)
            expected = json.loads(run.stdout)
            out = root / f"dash{k}"
            seconds, run = _graftkg("review", str(bundle), "--output", str(out))
            assert run.returncode in (0, 1), run.stderr
            review_s.append(seconds)
            seconds, run = _graftkg("review", str(bundle), "--output", str(root / f"record{k}"), "--backend", "record")
            assert run.returncode in (0, 1), run.stderr
            record_s.append(seconds)
            print(
                f"run {k + 1}: validate {validate_s[-1]:.1f} s, review {review_s[-1]:.1f} s, "
                f"on the record path {record_s[-1]:.1f} s"
            )
        flagged_s, run = _graftkg("review", str(bundle), "--output", str(root / "flagged"), "--reports", "flagged")
        assert run.returncode in (0, 1), run.stderr
        flagged_mb = sum(p.stat().st_size for p in (root / "flagged").rglob("*") if p.is_file()) / 1e6
        flagged_n = len(list((root / "flagged" / "reports").glob("*.html")))
        print(f"review --reports flagged: {flagged_s:.1f} s")
        doc = json.loads((root / "dash0" / "review.json").read_text(encoding="utf-8"))
        on_record = json.loads((root / "record0" / "review.json").read_text(encoding="utf-8"))
        backends_agree = {k: v for k, v in doc.items() if k != "generated"} == {
            k: v for k, v in on_record.items() if k != "generated"
        }
        same = Counter(map(_key, doc["findings"])) == Counter(map(_key, expected))
        reports = len(list((root / "dash0" / "reports").glob("*.html")))
        size_mb = sum(p.stat().st_size for p in (root / "dash0").rglob("*") if p.is_file()) / 1e6
        page_mb = (root / "dash0" / "index.html").stat().st_size / 1e6
    v, r, rr = statistics.median(validate_s), statistics.median(review_s), statistics.median(record_s)
    counts = {s: c["all"] for s, c in doc["counts"].items()}
    lines = [
        "# Reviewing a submission, measured",
        "",
        f"Generated by `python benchmarks/review_bench.py --n {args.n}` (each command in a fresh process, as the "
        f"command line runs it, {args.runs} runs each, alternating). The ratio is what a target is set on; the "
        "seconds depend on the day's machine.",
        "",
        f"{args.n:,} synthetic transplants (seed {args.seed}), {len(injected):,} with an injected error; "
        f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores",
        "",
        "| command | median s | runs s |",
        "|---|---|---|",
        f"| `graftkg validate --format json` (reference) | {v:.1f} | {', '.join(f'{s:.1f}' for s in validate_s)} |",
        f"| `graftkg review --output DIR` (auto: SQL) | {r:.1f} | {', '.join(f'{s:.1f}' for s in review_s)} |",
        f"| `graftkg review --output DIR --backend record` | {rr:.1f} | {', '.join(f'{s:.1f}' for s in record_s)} |",
        "",
        f"ratio (review s / validate s): {r / v:.2f}; on the record path: {rr / v:.2f}",
        "",
        f"The dashboard: {doc['transplants']:,} transplants, findings {counts}, "
        f"{sum(1 for c in doc['checks'] if c['status'] == 'fail')} checks failing their threshold; "
        f"{reports:,} transplant reports; index.html {page_mb:.1f} MB, the folder {size_mb:.0f} MB.",
        "",
        f"With the reports of the {flagged_n:,} transplants needing review only (`--reports flagged`, one run): "
        f"{flagged_s:.1f} s, the folder {flagged_mb:.0f} MB.",
        "",
        f"Its findings equal `graftkg validate --format json`'s, finding for finding: {same}. "
        f"The two backends' `review.json` are the same but for the time it was generated: {backends_agree}.",
        "",
        f"Target (issue): a {args.n:,}-transplant dashboard in under 60 s: "
        + ("met" if r < 60 else "not met")
        + f" ({r:.1f} s median).",
        "",
    ]
    args.page.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0 if same and backends_agree else 1


if __name__ == "__main__":
    sys.exit(main())
