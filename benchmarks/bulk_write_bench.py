"""Bulk-write benchmark: how fast the store's own loaders write graftkg's triples, apart from graftkg.

    python benchmarks/bulk_write_bench.py --n 10000
    python benchmarks/bulk_write_bench.py --n 100000 --modes pyoxigraph,cli      # the registry-sized store

Generates N synthetic transplants, reads and classifies them, and writes their data and inferred
triples as N-Quads in the submission and inferred graphs, exactly as ``graftkg load --bulk`` does
(not timed). Then it loads the same N-Quads into a new on-disk store in each mode and prints the
rate (triples/s):

* ``pyoxigraph``: ``Store.bulk_load`` on one file - what ``graftkg load --bulk`` calls;
* ``lenient``: the same with ``lenient=True`` (skips IRI validation);
* ``cli``: the ``oxigraph load`` command line (PyPI ``oxigraph``) on ``--parts`` files, which it
  loads in parallel;
* ``cli-non-atomic``: the same with ``--non-atomic`` (RocksDB compacts while it loads).

This separates the loader's own rate from graftkg's reading, classifying and serialising: if the
``pyoxigraph`` line is below a target, no change to graftkg can reach it on that machine.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from graftkg.readers import read_inputs
from graftkg.semantics.classify import classify_records
from graftkg.store.load import inferred_graph, record_lines, submission_graph
from graftkg.store.serve import oxigraph_binary
from graftkg.synthetic.generate import write_bundle

MODES = ("pyoxigraph", "lenient", "cli", "cli-non-atomic")


def write_nquads(n: int, seed: int, folder: Path, parts: int) -> tuple[list[Path], int]:
    """Write N synthetic transplants' triples as N-Quads in ``parts`` files; return the files and the count."""
    bundle = write_bundle(folder / "bundle", n=n, seed=seed)
    records = read_inputs([bundle])
    results = classify_records(records)
    data, inferred = f" <{submission_graph('bench')}> .\n", f" <{inferred_graph('bench')}> .\n"
    files = [folder / f"part{k}.nq" for k in range(parts)]
    outs = [f.open("w", encoding="utf-8") for f in files]
    count = 0
    try:
        for i, (record, result) in enumerate(zip(records, results, strict=True)):
            lines, extra = record_lines(record, result, "paper")
            out = outs[i % parts]
            out.writelines(line[:-2] + data for line in lines)
            out.writelines(line[:-2] + inferred for line in extra)
            count += len(lines) + len(extra)
    finally:
        for out in outs:
            out.close()
    return files, count


def load(mode: str, files: list[Path], store: Path) -> None:
    """Load ``files`` into a new store at ``store`` in ``mode``."""
    if mode.startswith("cli"):
        command = [oxigraph_binary(), "load", "--location", str(store), "--lenient"]
        if mode == "cli-non-atomic":
            command.append("--non-atomic")
        subprocess.run([*command, "--file", *map(str, files)], check=True, capture_output=True)
        return
    s = ox.Store(str(store))
    for f in files:
        s.bulk_load(path=str(f), format=ox.RdfFormat.N_QUADS, lenient=mode == "lenient")
    s.flush()
    del s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="synthetic transplants (default: %(default)s)")
    parser.add_argument("--parts", type=int, default=2, help="N-Quads files for the command line (default: 2)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of: {', '.join(MODES)}")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="graftkg-bwbench-") as tmp:
        t0 = time.perf_counter()
        files, count = write_nquads(args.n, args.seed, Path(tmp), args.parts)
        size = sum(f.stat().st_size for f in files) / 1e9
        took = time.perf_counter() - t0
        print(f"{args.n:,} transplants: {count:,} triples, {size:.1f} GB of N-Quads in {took:.0f} s")
        for mode in modes:
            store = Path(tmp) / f"store-{mode}"
            # one file for Store.bulk_load (as graftkg calls it), the parts for the parallel command line
            given = files if mode.startswith("cli") else [_joined(files, Path(tmp) / "all.nq")]
            t = time.perf_counter()
            load(mode, given, store)
            seconds = time.perf_counter() - t
            print(f"  {mode:<15} {seconds:8.1f} s = {count / seconds:>9,.0f} triples/s")
            shutil.rmtree(store)
    return 0


def _joined(files: list[Path], target: Path) -> Path:
    if not target.exists():
        with target.open("wb") as out:
            for f in files:
                with f.open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
    return target


if __name__ == "__main__":
    raise SystemExit(main())
