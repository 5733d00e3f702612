"""The ``graftkg`` command line: parse arguments, call one verb, map errors to exit codes.

The pipeline verbs (classify, convert, validate, review, acknowledge, diff, checks, report, query,
load, unload) use only the public API, ``graftkg.__all__``; the maintainers' tools (serve, push, qc,
mappings, docs, synth, import, queries) use the names ``graftkg.store``, ``graftkg.ontology_tools``,
``graftkg.synthetic`` and ``graftkg.readers`` list in their ``__all__``. ``tests/test_api.py`` checks every import here.

Exit codes: 0 success; 1 the run completed with findings at or above the failure threshold
(validation, QC) or with refused records (classification); 2 unusable input or a runtime error,
reported as one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NoReturn

from graftkg import GraftkgError, InputNote, __version__

if TYPE_CHECKING:
    from graftkg import Engine

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
#: what ``--backend sql`` does for the commands that read a submission whole
_SUBMISSION_SQL = "the records read, then checked and classified by the shapes and definitions compiled to SQL"


def _backend_options(p: argparse.ArgumentParser, sql: str) -> None:
    """The options choosing the backend (``sql`` doing what ``sql`` says) and its memory limit."""
    p.add_argument(
        "--backend",
        choices=["auto", "record", "sql"],
        default="auto",
        help=f"record: one record at a time; sql: {sql}; auto: sql for a large CSV bundle DuckDB reads itself. "
        "Default: %(default)s",
    )
    p.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="the most memory the sql backend takes, such as 4GB (beyond it, it spills to a temporary folder)",
    )
    p.add_argument(
        "--temp-directory",
        metavar="DIR",
        help="the existing folder the sql backend spills to (in a folder of its own, deleted when done). "
        "Default: the system's temporary folder",
    )


def _engine(args: argparse.Namespace) -> Engine:
    """The engine of a command that reads a submission whole (review, diff, acknowledge), as its options say."""
    from graftkg import Engine

    return Engine(
        profile=args.definitions,
        backend=args.backend,
        memory_limit=args.memory_limit,
        temp_directory=args.temp_directory,
    )


def _progress(done: int, total: int) -> None:
    print(f"classified {done:,} of {total:,} transplants", file=sys.stderr, flush=True)


def _cmd_classify(args: argparse.Namespace) -> int:
    from graftkg import Classification, Engine, Refusals, read

    engine = Engine(
        profile=args.definitions,
        reasoner=args.reasoner,
        backend=args.backend,
        memory_limit=args.memory_limit,
        temp_directory=args.temp_directory,
    )
    refusals = None if args.fail_fast else Refusals()
    progress = _progress if args.progress else None
    if args.format in ("csv", "json"):  # written as they come
        classified = 0
        # read (and, on the record path, classified) before anything is written: bad input writes nothing
        results_ = engine.iter_classify(args.paths, refusals=refusals, progress=progress)

        def counted() -> Iterator[Classification]:
            nonlocal classified
            for result in results_:
                classified += 1
                yield result

        for chunk in engine.render_chunks(counted(), args.format):
            sys.stdout.write(chunk)
        if args.format == "json":
            sys.stdout.write("\n")
    elif args.format in ("turtle", "fhir"):  # the records themselves are written too
        records = read(args.paths, refusals=refusals)
        results = engine.classify(records, progress=progress)
        classified = len(results)
        print(engine.render(results, args.format, records=records), end="")
    else:
        results = engine.classify(args.paths, refusals=refusals, progress=progress)
        classified = len(results)
        print(engine.render(results, args.format))
    if refusals:
        sys.stdout.flush()
        for line in refusals.lines():
            print(f"graftkg: refused: {line}", file=sys.stderr)
        print(
            f"graftkg: {len(refusals.refused)} transplant(s) refused, {classified} classified; "
            f"{len(refusals.errors)} error(s) listed above",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    return EXIT_OK


def _cmd_convert(args: argparse.Namespace) -> int:
    from graftkg import Engine, read

    print(Engine.convert(read(args.paths), args.to), end="")
    return EXIT_OK


def _cmd_synth(args: argparse.Namespace) -> int:
    from pathlib import Path

    from graftkg.synthetic import write_bundle

    if args.n < 1:
        raise GraftkgError(f"--n {args.n}: the number of transplants must be at least 1")
    out = Path(args.outdir)
    if out.exists() and not out.is_dir():
        raise GraftkgError(f"{out}: exists and is not a folder; synth writes a bundle folder")

    path = write_bundle(args.outdir, n=args.n, seed=args.seed, profile=args.definitions)
    print(f"wrote {args.n} synthetic transplants to {path}", file=sys.stderr)
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from graftkg import Engine

    engine = Engine(
        profile=args.definitions,
        backend=args.backend,
        memory_limit=args.memory_limit,
        temp_directory=args.temp_directory,
    )
    report = engine.validate(args.paths, acknowledgements=args.acknowledgements)
    print(report.render(args.format, args.fail_on))
    return EXIT_OK if report.conforms(args.fail_on) else EXIT_FINDINGS


def _cmd_review(args: argparse.Namespace) -> int:
    if args.format == "html" and not args.output:
        raise GraftkgError("--output DIR: the folder to write the dashboard to (or --format json)")
    review = _engine(args).review(
        args.paths,
        previous=args.previous,
        acknowledgements=args.acknowledgements,
        fail_on=args.fail_on,
        reports=args.reports,
        progress=_say if args.progress else None,
    )
    if args.format == "json" and not args.output:
        print(review.render_json(), end="")
    else:
        from pathlib import Path

        out = Path(args.output)
        if args.format == "json":
            out.mkdir(parents=True, exist_ok=True)
            (out / "review.json").write_text(review.render_json(), encoding="utf-8")
            _say(f"wrote {out / 'review.json'}")
        else:
            written = review.write(out, progress=_say if args.progress else None)
            reports = sum(1 for p in written if p.parent.name == "reports")
            _say(f"wrote {out / 'index.html'} ({reports:,} transplant reports)")
    counts = review.counts
    _say(
        f"{review.transplants:,} transplants: "
        + ", ".join(f"{c['open']:,} open {s}" for s, c in counts.items())
        + f"; {sum(1 for c in review.checks if c.status == 'fail')} checks fail their threshold; "
        + ("conforms" if review.conforms() else "does not conform")
        + f" at level {review.fail_on}"
    )
    return EXIT_OK if review.conforms() else EXIT_FINDINGS


def _cmd_diff(args: argparse.Namespace) -> int:
    print(_engine(args).diff(args.old, args.new).render(args.format))
    return EXIT_OK


def _cmd_acknowledge(args: argparse.Namespace) -> int:
    added = _engine(args).acknowledge(
        args.paths,
        args.acknowledgements,
        transplant_id=args.transplant,
        rule=args.rule,
        reason=args.reason,
        by=args.by,
        field=args.field,
        comment=args.comment or "",
        on=args.date,
    )
    for a in added:
        print(f"acknowledged {a.rule} on {a.transplant_id}, field {a.field}, value '{a.value}' ({a.reason})")
    _say(f"wrote {args.acknowledgements}")
    return EXIT_OK


def _cmd_checks(args: argparse.Namespace) -> int:
    from graftkg import Engine

    print(Engine.checks(), end="")
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from graftkg.readers import import_kmsurv_bmt, import_uci_bmt

    if args.format == "kmsurv-bmt":
        km = import_kmsurv_bmt(args.file, args.outdir)
        outcomes = ", ".join(f"{n} {outcome}" for outcome, n in km.outcomes.items())
        why = ", ".join(f"{finding} {n}" for finding, n in km.not_evaluable.items())
        print(
            f"imported {km.transplants} transplants to {km.transplants_csv.parent} "
            f"(unmapped attributes in {km.unmapped_csv.name}; mapping in import-notes.txt)\n"
            f"classified: {outcomes}" + (f"; not evaluable because: {why}" if why else "") + "\n"
            f"per transplant, the outcome and why: {km.classification_notes_csv.name}",
            file=sys.stderr,
        )
        return EXIT_OK
    summary = import_uci_bmt(args.file, args.outdir)
    print(
        f"imported {summary.transplants} transplants to {summary.transplants_csv.parent} "
        f"(unmapped attributes in {summary.unmapped_csv.name}; mapping in import-notes.txt)",
        file=sys.stderr,
    )
    return EXIT_OK


def _cmd_queries(args: argparse.Namespace) -> int:
    from graftkg.store import named_queries

    for name, q in sorted(named_queries().items()):
        params = ", ".join(f"{p.name}{'' if p.required else '?'}" for p in q.parameters)
        print(f"{name}({params})\n    {q.question}\n    reads: {q.data}")
        for p in q.parameters:
            kind = "one of " + ", ".join(p.allowed()) if p.type == "code" else p.type
            needed = "required" if p.required else f"optional, default {p.default!r}"
            print(f"    --param {p.name}=...  ({kind}; {needed}) {p.description}")
    return EXIT_OK


def _cmd_query(args: argparse.Namespace) -> int:
    from graftkg import Engine, InputError

    params: dict[str, str] = {}
    for pair in args.param:  # --param KEY=VALUE
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"'{pair}' is not key=value", field="--param")
        params[key.strip()] = value
    if sum(map(bool, (args.data, args.endpoint, args.store))) > 1:
        raise GraftkgError("--data, --endpoint and --store are exclusive: choose where the query runs")
    if not (args.data or args.endpoint or args.store):
        from graftkg.store import named_query

        if named_query(args.name).data == "transplants":
            raise GraftkgError(
                f"query '{args.name}' reads transplant data: give --data PATH, --store DIR or --endpoint URL"
            )
    engine = Engine(profile=args.definitions)
    result = engine.query(args.name, params, data=args.data, store=args.store, endpoint=args.endpoint)
    print(result.render(args.format))
    return EXIT_OK


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cmd_load(args: argparse.Namespace) -> int:
    from graftkg import Engine

    if args.list:
        rows = Engine.submissions(args.store)
        for row in rows:
            print(
                f"{row['name']}\t{row['transplants']} transplants\tdefinitions {row['profile']}\tloaded {row['loaded']}"
            )
        if not rows:
            print(f"no submissions in {args.store}", file=sys.stderr)
        return EXIT_OK
    if not args.paths:
        raise GraftkgError("give a submission to load (or --list)")
    if args.name and len(args.paths) > 1:
        raise GraftkgError("--name names one submission: give one PATH with it")
    engine = Engine(profile=args.definitions)
    for path in args.paths:
        print(engine.load(path, store=args.store, name=args.name, bulk=args.bulk, progress=_say).summary())
    return EXIT_OK


def _cmd_unload(args: argparse.Namespace) -> int:
    if args.endpoint:
        from graftkg.store import Remote, unload_remote

        remote = Remote(update=args.endpoint, token=args.token, user=args.user, password=args.password)
        unload_remote(remote, args.submission)
        print(f"unloaded submission '{args.submission}' from {args.endpoint}")
        return EXIT_OK
    from graftkg import Engine

    removed = Engine.unload(args.submission, store=args.store)
    print(f"unloaded submission '{args.submission}': {removed:,} triples removed")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from graftkg.store import Server, Settings, read_token

    if args.write_token is not None:
        raise GraftkgError(
            "--write-token on the command line is visible to every user (ps): "
            "set GRAFTKG_WRITE_TOKEN or pass --write-token-file FILE"
        )
    settings = Settings(
        host=args.host,
        port=args.port,
        write_token=read_token(args.write_token_file),
        timeout_s=args.timeout,
        max_result_mb=args.max_result_mb,
        max_body_mb=args.max_body_mb,
        update_timeout_s=args.update_timeout,
        max_update_mb=args.max_update_mb,
        memory_mb=args.memory_mb,
        allow_service=tuple(args.allow_service or ()),
        cors=tuple(args.cors or ()),
        allowed_hosts=tuple(args.allowed_host or ()),
        **({"workers": args.workers} if args.workers else {}),
    )
    server = Server(args.store, settings).start()
    mode = "read-write with the write token" if settings.write_token else "read-only"
    network = "workers without network" if server.sandboxed else "WARNING: workers can open sockets"
    _say(f"serving {args.store} at {server.url}/query ({mode}; {network}; query page {server.url}/)")
    code = server.run_until_signalled()
    _say("stopped" if code == 0 else "the endpoint stopped unexpectedly")
    return EXIT_OK if code == 0 else 2


def _cmd_push(args: argparse.Namespace) -> int:
    from graftkg.store import Remote, push_store

    remote = Remote(
        update=args.endpoint, graph_store=args.graph_store, token=args.token, user=args.user, password=args.password
    )
    sent = push_store(args.store, remote, progress=_say)
    print(f"pushed {len(sent)} graphs, {sum(sent.values()):,} triples to {args.graph_store or args.endpoint}")
    return EXIT_OK


def _cmd_qc(args: argparse.Namespace) -> int:
    from graftkg import Engine
    from graftkg.ontology_tools import QC_LEVELS, load_knowledge_base, owl2_dl_violations, render_qc, run_qc

    violations = run_qc()
    print(render_qc(violations, args.format))
    failing = sum(1 for v in violations if QC_LEVELS.index(v.severity) <= QC_LEVELS.index(args.fail_on))
    if args.owl_profile:
        for profile in Engine.profiles():
            problems = owl2_dl_violations(load_knowledge_base(profile))
            print(f"OWL 2 DL profile ({profile}): {'in profile' if not problems else f'{len(problems)} violations'}")
            for line in problems:
                print(f"  {line}")
            failing += len(problems)
    return EXIT_FINDINGS if failing else EXIT_OK


def _cmd_docs(args: argparse.Namespace) -> int:
    from graftkg.ontology_tools import build_docs

    for path in build_docs(args.outdir, args.definitions):
        print(path)
    return EXIT_OK


def _cmd_mappings(args: argparse.Namespace) -> int:
    from graftkg.ontology_tools import asset_dir, mappings_ttl, unverified, write_mappings_ttl

    if args.check:
        current = (asset_dir("ontology") / "mappings.ttl").read_text(encoding="utf-8") == mappings_ttl()
        print("ontology/mappings.ttl is current" if current else "ontology/mappings.ttl is stale: run graftkg mappings")
        return EXIT_OK if current else EXIT_FINDINGS
    from pathlib import Path

    print(write_mappings_ttl(Path(args.output) if args.output else None))
    for m in unverified():
        print(f"left out (confidence {m.confidence}): {m.subject} {m.predicate} {m.object}", file=sys.stderr)
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from graftkg import Engine

    text = Engine(profile=args.definitions).report(args.paths, args.transplant).render(args.format)
    if args.output:
        from pathlib import Path

        out = Path(args.output)
        if not out.parent.is_dir():
            raise GraftkgError(f"{out}: the folder {out.parent} does not exist")
        if out.is_dir():
            raise GraftkgError(f"{out}: is a folder; --output names the file to write")
        out.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line on stderr (exit 2), as every other error."""

    def error(self, message: str) -> NoReturn:
        from graftkg.readers import excerpt

        self.exit(EXIT_ERROR, f"{self.prog}: error: {excerpt(message, 300)} (see {self.prog} --help)\n")


def _profile(value: str) -> str:
    """A ``--definitions`` value: a shipped profile's name, or the path of a profile file (``.ttl``)."""
    from graftkg import Engine

    if Engine.profile_file(value) is None:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a definitions profile (choose from: {', '.join(Engine.profiles())}, "
            "or a profile file PATH.ttl)"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``graftkg`` (exposed for documentation and tests)."""
    from graftkg import Engine
    from graftkg.store import DEFAULT_STORE, TOKEN_VARIABLE, Settings

    # the defaults shown are the engine's and the endpoint settings' own: a dataclass field's default is
    # a class attribute (Engine.profile, Settings.port, ...)
    profile_help = (
        f"definition profile: {', '.join(Engine.profiles())} or a profile file PATH.ttl (default: %(default)s)"
    )
    parser = _Parser(
        prog="graftkg",
        description="graftkg: an ontology-backed knowledge graph and reasoner for graft failure after allogeneic HSCT.",
    )
    parser.add_argument("--version", action="version", version=f"graftkg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("classify", help="classify transplants: outcome, findings, risk factors, reasons")
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="CSV bundle folder, transplants.csv + observations.csv, Turtle/JSON-LD files, or FHIR (JSON, NDJSON)",
    )
    p.add_argument("--definitions", type=_profile, default=Engine.profile, metavar="PROFILE", help=profile_help)
    p.add_argument(
        "--format",
        choices=["json", "table", "turtle", "csv", "fhir"],
        default="table",
        help="output format (default: %(default)s)",
    )
    p.add_argument(
        "--reasoner",
        choices=["fast", "hermit"],
        default="fast",
        help="fast: compiled ontology definitions; hermit: OWL 2 DL reasoner (slow). Default: %(default)s",
    )
    _backend_options(p, "the definitions compiled to SQL on DuckDB (the same answers)")
    p.add_argument("--progress", action="store_true", help="report progress on stderr")
    p.add_argument(
        "--fail-fast",
        action="store_true",
        help="stop at the first bad record (exit 2); by default every valid transplant is classified, each "
        "refused one is listed on stderr, and the exit code is 1",
    )
    p.set_defaults(func=_cmd_classify)

    p = sub.add_parser(
        "convert", help="convert input records (raw data only) to RDF in the ontology's terms, or to FHIR R4"
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--to", choices=["turtle", "json-ld", "fhir"], default="turtle", help="output format (default: %(default)s)"
    )
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser(
        "validate", help="check a registry submission: SHACL shapes and cross-checks against the definitions"
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="CSV bundle folder, transplants.csv + observations.csv, Turtle, JSON-LD",
    )
    p.add_argument(
        "--format", choices=["text", "json", "turtle", "csv", "fhir"], default="text", help="default: %(default)s"
    )
    p.add_argument(
        "--fail-on",
        choices=["violation", "warning", "info"],
        default="violation",
        help="exit 1 when a finding is at least this severe (default: %(default)s)",
    )
    p.add_argument("--definitions", type=_profile, default=Engine.profile, metavar="PROFILE", help=profile_help)
    p.add_argument(
        "--acknowledgements",
        metavar="FILE",
        help="findings a reviewer accepted (CSV or Turtle, see 'graftkg acknowledge'): shown, not counted by --fail-on",
    )
    _backend_options(p, "the shapes and definitions compiled to SQL on DuckDB (the same report)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "review",
        help="review a whole submission: a dashboard of checks, outcomes, figures, acknowledgements and changes",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="the submission (CSV bundle, Turtle, JSON-LD, FHIR)")
    p.add_argument("--output", metavar="DIR", help="folder for index.html, review.json, open-findings.csv, reports/")
    p.add_argument("--previous", metavar="PATH", help="the centre's previous submission: show what changed")
    p.add_argument("--acknowledgements", metavar="FILE", help="findings a reviewer accepted (CSV or Turtle)")
    p.add_argument("--format", choices=["html", "json"], default="html", help="default: %(default)s")
    p.add_argument(
        "--fail-on",
        choices=["violation", "warning", "info"],
        default="violation",
        help="exit 1 when an open finding is at least this severe (default: %(default)s)",
    )
    p.add_argument(
        "--reports",
        choices=["all", "flagged", "none"],
        default="all",
        help="the transplant reports to write: every one (default), those with an open finding, refused or "
        "failed (flagged), or none",
    )
    p.add_argument("--definitions", type=_profile, default=Engine.profile, metavar="PROFILE", help=profile_help)
    p.add_argument("--progress", action="store_true", help="report progress on stderr")
    _backend_options(p, _SUBMISSION_SQL)
    p.set_defaults(func=_cmd_review)

    p = sub.add_parser("diff", help="what changed between two submissions: findings, outcomes, transplants")
    p.add_argument("old", metavar="OLD", help="the earlier submission")
    p.add_argument("new", metavar="NEW", help="the later submission")
    p.add_argument("--format", choices=["text", "json"], default="text", help="default: %(default)s")
    p.add_argument("--definitions", type=_profile, default=Engine.profile, metavar="PROFILE", help=profile_help)
    _backend_options(p, _SUBMISSION_SQL)
    p.set_defaults(func=_cmd_diff)

    reasons = Engine.acknowledgement_reasons()
    p = sub.add_parser("acknowledge", help="record that a reviewer accepts a finding (in a CSV or Turtle file)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="the submission holding the finding")
    p.add_argument("--acknowledgements", required=True, metavar="FILE", help="the file to add to (.csv or .ttl)")
    p.add_argument("--transplant", required=True, metavar="ID", help="transplant identifier")
    p.add_argument("--rule", required=True, help="the finding's rule (see 'graftkg checks')")
    p.add_argument("--field", help="the finding's field, when the rule reports more than one")
    p.add_argument(
        "--reason",
        required=True,
        choices=list(reasons),
        help="why the finding is accepted: " + "; ".join(f"{code}: {label}" for code, label in reasons.items()),
    )
    p.add_argument("--by", required=True, metavar="NAME", help="who acknowledges")
    p.add_argument("--comment", metavar="TEXT", help="details (e.g. the source document checked)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="when (default: today)")
    p.add_argument("--definitions", type=_profile, default=Engine.profile, metavar="PROFILE", help=profile_help)
    _backend_options(p, _SUBMISSION_SQL)
    p.set_defaults(func=_cmd_acknowledge)

    p = sub.add_parser("checks", help="print the validation check catalogue (a Markdown table from the shapes)")
    p.set_defaults(func=_cmd_checks)

    p = sub.add_parser("import", help="import an external dataset as a registry CSV bundle")
    p.add_argument(
        "format",
        choices=["uci-bmt", "kmsurv-bmt"],
        help="uci-bmt: UCI 'bone marrow transplant: children' (ARFF); kmsurv-bmt: KMsurv bmt (CSV)",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("outdir", metavar="OUTDIR")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("queries", help="list the named SPARQL queries and the question each answers")
    p.set_defaults(func=_cmd_queries)

    p = sub.add_parser("query", help="run a named SPARQL query on the embedded store or an endpoint")
    p.add_argument("name", metavar="NAME", help="query name (see 'graftkg queries')")
    p.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="bind a query parameter (repeatable)"
    )
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="PATH",
        help="submission to classify and query with the knowledge base (repeatable; CSV bundle, Turtle, JSON-LD)",
    )
    p.add_argument("--endpoint", metavar="URL", help="SPARQL 1.1 endpoint to query instead of the embedded store")
    p.add_argument("--store", metavar="DIR", help="query a store folder made by 'graftkg load' instead")
    p.add_argument("--definitions", type=_profile, default=Engine.profile, metavar="PROFILE", help=profile_help)
    p.add_argument("--format", choices=["table", "json", "csv"], default="table", help="default: %(default)s")
    p.set_defaults(func=_cmd_query)

    p = sub.add_parser("load", help="classify submissions and load them into the store (replaces an earlier load)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="submission: CSV bundle folder, Turtle or JSON-LD")
    p.add_argument("--store", default=DEFAULT_STORE, metavar="DIR", help="store folder (default: %(default)s)")
    p.add_argument("--name", metavar="NAME", help="submission name (default: the folder or file name)")
    p.add_argument("--definitions", type=_profile, default=Engine.profile, metavar="PROFILE", help=profile_help)
    p.add_argument(
        "--bulk",
        action="store_true",
        help="first load of a large registry: bulk loader, fast, not isolated from concurrent readers",
    )
    p.add_argument("--list", action="store_true", help="list the submissions in the store instead")
    p.set_defaults(func=_cmd_load)

    p = sub.add_parser("unload", help="remove a submission and everything inferred from it from the store")
    p.add_argument("submission", metavar="SUBMISSION", help="submission name (see 'graftkg load --list')")
    p.add_argument("--store", default=DEFAULT_STORE, metavar="DIR", help="store folder (default: %(default)s)")
    p.add_argument("--endpoint", metavar="URL", help="remove it from this store's SPARQL Update address instead")
    _credentials(p)
    p.set_defaults(func=_cmd_unload)

    p = sub.add_parser("serve", help="serve the store as a SPARQL 1.1 endpoint, read-only unless given a write token")
    p.add_argument("--store", default=DEFAULT_STORE, metavar="DIR", help="store folder (default: %(default)s)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=Settings.port, help="port (default: %(default)s)")
    p.add_argument(
        "--write-token-file",
        metavar="FILE",
        help=f"accept writes that present the bearer token in FILE's first line (or set {TOKEN_VARIABLE})",
    )
    p.add_argument("--write-token", help=argparse.SUPPRESS)  # refused: a command line is public
    p.add_argument(
        "--timeout",
        type=float,
        default=Settings.timeout_s,
        metavar="S",
        help="query time limit (default: %(default)s s)",
    )
    p.add_argument(
        "--max-result-mb",
        type=float,
        default=Settings.max_result_mb,
        metavar="MB",
        help="result size limit (default: %(default)s MB)",
    )
    p.add_argument(
        "--max-body-mb",
        type=float,
        default=Settings.max_body_mb,
        metavar="MB",
        help="query body limit (%(default)s MB)",
    )
    p.add_argument(
        "--memory-mb",
        type=float,
        default=Settings.memory_mb,
        metavar="MB",
        help="heap limit of each query worker (default: %(default)s MB)",
    )
    p.add_argument("--workers", type=int, metavar="N", help="query worker processes (default: cores, 2 to 4)")
    p.add_argument(
        "--update-timeout",
        type=float,
        default=Settings.update_timeout_s,
        metavar="S",
        help="time limit of an authorised write (default: %(default)s s)",
    )
    p.add_argument(
        "--max-update-mb",
        type=float,
        default=Settings.max_update_mb,
        metavar="MB",
        help="body limit of an authorised write (default: %(default)s MB)",
    )
    p.add_argument(
        "--allow-service",
        nargs="+",
        metavar="PREFIX",
        help="let SERVICE (and, with a token, LOAD) fetch IRIs starting with these http(s) prefixes",
    )
    p.add_argument("--cors", nargs="+", metavar="ORIGIN", help="let web pages from these origins read (default: none)")
    p.add_argument(
        "--allowed-host",
        nargs="+",
        metavar="HOST",
        help="Host header values to accept (default: loopback names when listening on loopback, else any)",
    )
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("push", help="copy the store's graphs into another SPARQL store (Graph Store or Update)")
    p.add_argument("--store", default=DEFAULT_STORE, metavar="DIR", help="store folder (default: %(default)s)")
    p.add_argument("--endpoint", required=True, metavar="URL", help="the target's SPARQL Update address")
    p.add_argument("--graph-store", metavar="URL", help="the target's Graph Store Protocol address (preferred)")
    _credentials(p)
    p.set_defaults(func=_cmd_push)

    p = sub.add_parser("qc", help="quality checks of the ontology and knowledge base (queries/qc/, OWL 2 DL profile)")
    p.add_argument(
        "--fail-on", choices=["error", "warn"], default="error", help="exit 1 at this severity (default: %(default)s)"
    )
    p.add_argument("--format", choices=["table", "json"], default="table", help="default: %(default)s")
    p.add_argument("--no-owl-profile", dest="owl_profile", action="store_false", help="skip the OWL 2 DL check (Java)")
    p.set_defaults(func=_cmd_qc)

    p = sub.add_parser("docs", help="write the ontology's HTML documentation (pyLODE) and a diagram to OUTDIR")
    p.add_argument("outdir", metavar="OUTDIR")
    p.add_argument("--definitions", type=_profile, default=Engine.profile, metavar="PROFILE", help=profile_help)
    p.set_defaults(func=_cmd_docs)

    p = sub.add_parser("mappings", help="regenerate ontology/mappings.ttl from the SSSOM table (or --check it)")
    p.add_argument("--check", action="store_true", help="only say whether it is current (exit 1 if not)")
    p.add_argument(
        "--output",
        metavar="PATH",
        help="write here (default: ontology/mappings.ttl of the source checkout; required when installed)",
    )
    p.set_defaults(func=_cmd_mappings)

    p = sub.add_parser("report", help="one-page report on a transplant: classification, plot, risk factors, advice")
    p.add_argument("paths", nargs="+", metavar="PATH", help="the submission holding the transplant")
    p.add_argument("--transplant", required=True, metavar="ID", help="transplant identifier")
    p.add_argument("--definitions", type=_profile, default=Engine.profile, metavar="PROFILE", help=profile_help)
    p.add_argument("--format", choices=["markdown", "html", "json"], default="markdown", help="default: %(default)s")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of standard output")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("synth", help="write a synthetic CSV bundle of realistic transplants with true outcomes")
    p.add_argument("outdir", metavar="OUTDIR")
    p.add_argument("--n", type=int, default=1000, help="number of transplants (default: %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    p.add_argument(
        "--definitions",
        type=_profile,
        default=Engine.profile,
        metavar="PROFILE",
        help="definition profile the true outcomes are computed under (default: %(default)s)",
    )
    p.set_defaults(func=_cmd_synth)
    return parser


def _credentials(p: argparse.ArgumentParser) -> None:
    """The options that authenticate to a remote store (push, unload --endpoint)."""
    p.add_argument("--token", metavar="TOKEN", help="bearer token for the remote store")
    p.add_argument("--user", metavar="USER", help="HTTP basic user for the remote store")
    p.add_argument("--password", metavar="PASSWORD", help="HTTP basic password for the remote store")


def _note(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
    """Print an :class:`~graftkg.errors.InputNote` as one line on stderr (any other warning as Python does)."""
    if issubclass(category, InputNote):
        print(f"graftkg: note: {' '.join(str(message).splitlines())}", file=sys.stderr)
    else:
        print(warnings.formatwarning(message, category, *args, **kwargs).rstrip(), file=sys.stderr)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``graftkg`` with ``argv`` and return its exit code.

    Example:
        >>> main(["classify", "no-such-folder"])
        2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", InputNote)
            warnings.showwarning = _note
            return int(args.func(args))
    except GraftkgError as exc:
        print(f"graftkg: error: {' '.join(str(exc).splitlines())}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("graftkg: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # a file or folder the system refuses (permissions, a full disk...): one line
        from graftkg.readers import excerpt

        where = f"{excerpt(str(exc.filename), 200)}: " if exc.filename else ""
        print(f"graftkg: error: {where}{excerpt(exc.strerror or str(exc), 200)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # the SQL backend's database out of memory or disk: one line, and what to do
        duckdb = sys.modules.get("duckdb")
        if duckdb is None or not isinstance(exc, (duckdb.OutOfMemoryException, duckdb.IOException)):
            raise
        from graftkg.readers import excerpt

        first = excerpt(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, 300)
        if isinstance(exc, duckdb.OutOfMemoryException):
            what = (
                f"ran out of memory ({first}): let it use more with --memory-limit "
                "(below what the machine has: what does not fit spills to disk)"
            )
        else:
            what = (
                f"could not use a file ({first}): it spills what does not fit in memory to the folder "
                "--temp-directory names (by default the system's temporary folder)"
            )
        print(f"graftkg: error: the SQL backend {what}, or use --backend record", file=sys.stderr)
        return EXIT_ERROR
