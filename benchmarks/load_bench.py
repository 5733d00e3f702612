"""Load benchmark: ``graftkg load`` (atomic) and ``graftkg load --bulk``, whole commands, side by side
with pyoxigraph writing the same quads, in one run.

    python benchmarks/load_bench.py --n 2000            # writes docs/performance/load.md
    python benchmarks/load_bench.py --n 5000 --no-doc

For N synthetic transplants it runs, each into a new on-disk store:

* ``graftkg load`` (the atomic path a submission takes), as a child process: wall time and peak RSS;
* ``Store.extend`` of the same quads (pyoxigraph's transactional write), in a child process that
  parses them from N-Quads first (the parse is not timed);
* ``graftkg load --bulk``, as a child process;
* ``Store.bulk_load`` of the same quads as one N-Quads file;
* three reloads into the first store, each a whole ``graftkg load`` command: the same input again; a
  corrected input (every tenth transplant with one value changed and its last observation dropped);
  and another synthetic submission (another seed, the same transplant ids) under the same name, which
  replaces most of the submission's triples;
* beside the last, pyoxigraph's own replacement of those graphs: ``remove_graph`` of the old ones and
  ``Store.extend`` of the new quads, in a child process on a copy of the store.

The quads are those ``graftkg load`` writes (read back from its store), so both sides write the same
data. The ratios are what targets are set on: ``extend_s / load_s`` (1 would be as fast as the
store's own transactional write), ``bulk_load_s / load_bulk_s``, and for a reload
``extend_s / reload_s`` and, for the full replacement, ``(remove_graph + extend)_s / reload_s``.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_WRITER = """
import resource, sys, time
import pyoxigraph as ox
mode, source, target = sys.argv[1:4]
if mode == "extend":
    quads = list(ox.parse(path=source, format=ox.RdfFormat.N_QUADS))
    store = ox.Store(target)
    t = time.perf_counter()
    store.extend(quads)
    store.flush()
elif mode == "replace":
    quads = list(ox.parse(path=source, format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name for q in quads}
    store = ox.Store(target)
    t = time.perf_counter()
    for graph in graphs:
        store.remove_graph(graph)
    store.extend(quads)
    store.flush()
else:
    store = ox.Store(target)
    t = time.perf_counter()
    store.bulk_load(path=source, format=ox.RdfFormat.N_QUADS)
    store.flush()
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


_CHANGED: list[str] = []


def _timed(command: list[str]) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of a child process; a reload's "(N removed, M added)" is kept in
    ``_CHANGED``."""
    import re

    t = time.perf_counter()
    run = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, check=False, cwd=ROOT)
    seconds = time.perf_counter() - t
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{run.stderr[-2000:]}")
    changed = re.search(r"\(([\d,]+ removed, [\d,]+ added)\)", run.stdout)
    if changed:
        _CHANGED.append(changed.group(1))
    return seconds, int(run.stderr.strip().splitlines()[-1]) / 1024


def _writer(mode: str, source: Path, target: Path) -> tuple[float, float]:
    run = subprocess.run(
        [sys.executable, "-c", _WRITER, mode, str(source), str(target)], capture_output=True, text=True, check=True
    )
    seconds, peak = run.stdout.split()
    return float(seconds), float(peak)


def _corrected(bundle: Path, out: Path) -> None:
    """``bundle`` with every tenth transplant's first observation value changed and its last
    observation dropped: a centre's corrected resubmission."""
    import csv

    out.mkdir()
    shutil.copy(bundle / "transplants.csv", out / "transplants.csv")
    with (bundle / "observations.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "no observations"
    ids = sorted({r["transplant_id"] for r in rows})[::10]
    firsts = {i: next(n for n, r in enumerate(rows) if r["transplant_id"] == i) for i in ids}
    lasts = {i: max(n for n, r in enumerate(rows) if r["transplant_id"] == i) for i in ids}
    for n in firsts.values():
        rows[n]["value"] = f"{float(rows[n]['value']) * 1.1 + 0.1:.2f}"
    drop = set(lasts.values()) - set(firsts.values())
    with (out / "observations.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for n, r in enumerate(rows) if n not in drop)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="synthetic transplants (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--no-doc", action="store_true", help="print only; do not write docs/performance/load.md")
    args = parser.parse_args()
    import pyoxigraph as ox

    graftkg = [sys.executable, "-m", "graftkg"]
    with tempfile.TemporaryDirectory(prefix="graftkg-loadbench-") as tmp:
        folder = Path(tmp)
        subprocess.run(
            [*graftkg, "synth", str(folder / "bundle"), "--n", str(args.n), "--seed", str(args.seed)],
            check=True,
            capture_output=True,
        )
        load_s, load_mb = _timed([*graftkg, "load", str(folder / "bundle"), "--store", str(folder / "atomic")])
        # the same quads, as graftkg wrote them (named graphs of the submission, the ontology, the evidence)
        store = ox.Store.read_only(str(folder / "atomic"))
        quads = folder / "quads.nq"
        store.dump(str(quads), format=ox.RdfFormat.N_QUADS)
        count = len(store)
        del store
        extend_s, extend_mb = _writer("extend", quads, folder / "extend")
        bulk_s, bulk_mb = _timed([*graftkg, "load", str(folder / "bundle"), "--store", str(folder / "bulk"), "--bulk"])
        bulk_load_s, bulk_load_mb = _writer("bulk_load", quads, folder / "bulk-load")
        reload = [*graftkg, "load", "--store", str(folder / "atomic"), "--name", "bundle"]
        same_s, same_mb = _timed([*reload, str(folder / "bundle")])
        _corrected(folder / "bundle", folder / "corrected")
        corrected_s, corrected_mb = _timed([*reload, str(folder / "corrected")])
        subprocess.run(
            [*graftkg, "synth", str(folder / "other"), "--n", str(args.n), "--seed", str(args.seed + 1)],
            check=True,
            capture_output=True,
        )
        shutil.copytree(folder / "atomic", folder / "before-replace")
        other_s, other_mb = _timed([*reload, str(folder / "other")])
        store = ox.Store.read_only(str(folder / "atomic"))
        replaced = folder / "replaced.nq"
        with replaced.open("wb") as out:
            for graph in ("submission", "inferred"):
                name = ox.NamedNode(f"https://w3id.org/graftkg/graph/{graph}/bundle")
                ox.serialize(store.quads_for_pattern(None, None, None, name), out, ox.RdfFormat.N_QUADS)
        del store
        replace_s, replace_mb = _writer("replace", replaced, folder / "before-replace")
    rows = [
        ("graftkg load (atomic), whole command", load_s, load_mb),
        ("pyoxigraph Store.extend, same quads", extend_s, extend_mb),
        ("graftkg load --bulk, whole command", bulk_s, bulk_mb),
        ("pyoxigraph Store.bulk_load, same quads", bulk_load_s, bulk_load_mb),
        (f"graftkg load, reload of the same input ({_CHANGED[0]}), whole command", same_s, same_mb),
        (f"graftkg load, reload of a corrected input ({_CHANGED[1]}), whole command", corrected_s, corrected_mb),
        (f"graftkg load, reload of another submission, same ids ({_CHANGED[2]}), whole command", other_s, other_mb),
        ("pyoxigraph remove_graph + Store.extend, the same replacement", replace_s, replace_mb),
    ]
    lines = [
        f"{args.n:,} synthetic transplants (seed {args.seed}), {count:,} quads in the store;"
        f" {platform.machine()}, {platform.python_version()}, pyoxigraph {ox.__version__}",
        "",
        "| run | seconds | quads/s | peak RSS MB |",
        "|---|---|---|---|",
        *(f"| {name} | {s:.1f} | {count / s:,.0f} | {mb:,.0f} |" for name, s, mb in rows),
        "",
        f"atomic ratio (Store.extend s / graftkg load s): {extend_s / load_s:.2f}",
        f"bulk ratio (Store.bulk_load s / graftkg load --bulk s): {bulk_load_s / bulk_s:.2f}",
        f"reload ratios (Store.extend s / graftkg reload s): same input {extend_s / same_s:.2f}, "
        f"corrected input {extend_s / corrected_s:.2f}, another submission {extend_s / other_s:.2f}",
        f"replacement ratio (remove_graph + Store.extend s / graftkg reload of another submission s): "
        f"{replace_s / other_s:.2f}; peak memory {other_mb / replace_mb:.2f}x",
    ]
    print("\n".join(lines))
    if not args.no_doc:
        doc = ROOT / "docs" / "performance" / "load.md"
        doc.write_text(
            "# Loading, measured\n\n"
            "Generated by `python benchmarks/load_bench.py"
            f" --n {args.n}` (whole commands in child processes; the store's own writers on the same quads in"
            " the same run). The ratios are what targets are set on; the seconds depend on the day's machine."
            "\n\n" + "\n".join(lines) + "\n"
        )
        print(f"wrote {doc.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
