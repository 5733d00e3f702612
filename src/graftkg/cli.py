"""The ``graftkg`` command line: parse arguments, call one verb, map errors to exit codes.

Exit codes: 0 success; 1 the run completed with findings at or above the failure threshold
(validation, QC); 2 unusable input or a runtime error, reported as one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from graftkg import __version__
from graftkg.errors import GraftkgError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _progress(done: int, total: int) -> None:
    print(f"classified {done:,} of {total:,} transplants", file=sys.stderr, flush=True)


def _cmd_classify(args: argparse.Namespace) -> int:
    from graftkg.classify import classify_records, to_json, to_table, to_turtle
    from graftkg.readers import read_inputs

    records = read_inputs(args.paths)
    results = classify_records(
        records,
        profile=args.definitions,
        reasoner=args.reasoner,
        progress=_progress if args.progress else None,
    )
    if args.format == "json":
        print(to_json(results))
    elif args.format == "table":
        print(to_table(results))
    else:
        print(to_turtle(records, results, args.definitions), end="")
    return EXIT_OK


def _cmd_convert(args: argparse.Namespace) -> int:
    from graftkg.convert import records_to_graph, to_jsonld
    from graftkg.readers import read_inputs

    graph = records_to_graph(read_inputs(args.paths))
    print(to_jsonld(graph) if args.to == "json-ld" else graph.serialize(format="turtle"), end="")
    return EXIT_OK


def _cmd_synth(args: argparse.Namespace) -> int:
    from graftkg.synth import write_bundle

    path = write_bundle(args.outdir, n=args.n, seed=args.seed, profile=args.definitions)
    print(f"wrote {args.n} synthetic transplants to {path}", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``graftkg`` (exposed for documentation and tests)."""
    from graftkg.assets import profiles
    from graftkg.classify import FORMATS
    from graftkg.ontology import DEFAULT_PROFILE
    from graftkg.reason import REASONERS

    parser = argparse.ArgumentParser(prog="graftkg", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"graftkg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("classify", help="classify transplants: outcome, findings, risk factors, reasons")
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="CSV bundle folder, transplants.csv + observations.csv, or Turtle/JSON-LD files",
    )
    p.add_argument(
        "--definitions", choices=profiles(), default=DEFAULT_PROFILE, help="definition profile (default: %(default)s)"
    )
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: %(default)s)")
    p.add_argument(
        "--reasoner",
        choices=REASONERS,
        default="fast",
        help="fast: compiled ontology definitions; hermit: OWL 2 DL reasoner (slow). Default: %(default)s",
    )
    p.add_argument("--progress", action="store_true", help="report progress on stderr")
    p.set_defaults(func=_cmd_classify)

    p = sub.add_parser("convert", help="convert input records to RDF (raw data only) in the ontology's terms")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--to", choices=["turtle", "json-ld"], default="turtle", help="output format (default: %(default)s)")
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser("synth", help="write a synthetic CSV bundle of realistic transplants with true outcomes")
    p.add_argument("outdir", metavar="OUTDIR")
    p.add_argument("--n", type=int, default=1000, help="number of transplants (default: %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    p.add_argument(
        "--definitions",
        choices=profiles(),
        default=DEFAULT_PROFILE,
        help="definition profile the true outcomes are computed under (default: %(default)s)",
    )
    p.set_defaults(func=_cmd_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``graftkg`` with ``argv`` and return its exit code.

    Example:
        >>> main(["classify", "no-such-folder"])
        2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except GraftkgError as exc:
        print(f"graftkg: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("graftkg: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
