"""`aaas`: the command line of the SDK. `aaas --help`, and `aaas COMMAND --help` for each command.

Every command takes the connection options (--url/--api-key, AAAS_URL/AAAS_API_KEY, --terraform-dir,
--local). Errors are one line on stderr; exit 0 on success, 1 when the API refused something or an
integrity check failed, 2 on usage, configuration or connection errors.

A command is one function registered with @command: its arguments, and a body that gets the parsed
arguments and a Context (configuration, API clients, output streams) and returns the exit code.
"""

from __future__ import annotations

import argparse
import heapq
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from aaas import config, output
from aaas.client import AuditClient
from aaas.errors import ApiError, AuditError
from aaas.files import read_events
from aaas.integrity import verify_event
from aaas.posting import Tally, post_by_key
from aaas.project import run_tool
from aaas.verifier import command as verifier_command

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
PROG = "aaas"


@dataclass
class Context:
    """What a command needs besides its arguments: the configuration, clients per key, the streams."""

    args: argparse.Namespace
    out: TextIO
    err: TextIO
    _profile: config.Profile | None = None
    _clients: dict[str, AuditClient] = field(default_factory=dict)

    @property
    def profile(self) -> config.Profile:
        if self._profile is None:
            self._profile = config.resolve(self.args.url, self.args.api_key, self.args.terraform_dir, self.args.local)
        return self._profile

    def client(self, api_key: str) -> AuditClient:
        if api_key not in self._clients:
            self._clients[api_key] = AuditClient(self.profile.url, api_key, timeout=self.args.timeout)
        return self._clients[api_key]

    def reader(self, initiator: str | None = None) -> tuple[AuditClient, tuple[str, ...]]:
        key, reads = self.profile.read_access(initiator, self.args.client)
        return self.client(key), reads

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


Run = Callable[[argparse.Namespace, Context], int]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Run
    passthrough: bool = False  # hands the rest of the command line to another program's main(argv)


COMMANDS: dict[str, Command] = {}


def command(
    name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None] = lambda _parser: None, **options: Any
) -> Callable[[Run], Run]:
    """Register a subcommand: `@command("name", "what it does", arguments)` above `def run(args, ctx)`."""

    def register(run: Run) -> Run:
        COMMANDS[name] = Command(name, help, arguments, run, **options)
        return run

    return register


def connection_options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("connection")
    group.add_argument("--url", help="API URL (default: $AAAS_URL, or the Terraform outputs)")
    group.add_argument("--api-key", help="API key (default: $AAAS_API_KEY, or the Terraform outputs)")
    group.add_argument("--terraform-dir", type=Path, help="read the URL and keys from this applied configuration")
    group.add_argument("--local", action="store_true", help="the stack applied to LocalStack (its Terraform outputs)")
    group.add_argument("--client", help="with Terraform outputs: the client system whose key to use")
    group.add_argument("--timeout", type=float, default=60.0, help="seconds per HTTP request (default 60)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parents = [connection_options()]
    for item in COMMANDS.values():
        # A passthrough command parses its own arguments (main() hands them over before parsing).
        sub = commands.add_parser(item.name, help=item.help, description=item.help,
                                  parents=[] if item.passthrough else parents)  # fmt: skip
        item.arguments(sub)
    return parser


# --- writing ---------------------------------------------------------------------------------------


def _post_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a JSON file holding one event, or '-' for standard input")


@command("post", "Post one event (a JSON file, or - for standard input)", _post_arguments)
def post(args: argparse.Namespace, ctx: Context) -> int:
    events = read_events(args.file)
    if len(events) != 1:
        raise AuditError(f"post takes exactly one event; {args.file} holds {len(events)} (use post-file)")
    [event] = events
    key = ctx.profile.write_key(event.get("initiatorsystemcode") if isinstance(event, dict) else None, args.client)
    output.as_json(ctx.client(key).post_event(event), ctx.out)
    return EXIT_OK


def _post_file_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="NDJSON, a JSON array or object, or CSV with a header row ('-': stdin)")
    parser.add_argument("--format", dest="file_format", choices=["auto", "json", "ndjson", "csv"], default="auto",
                        help="auto: CSV for *.csv, else JSON or NDJSON")  # fmt: skip
    parser.add_argument("--progress", choices=["auto", "always", "never"], default="auto",
                        help="progress bar on stderr (auto: when stderr is a terminal)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="end with a JSON summary line on stdout")


@command("post-file", "Post every event of a file in batches (<= 500 events, <= 4 MiB)", _post_file_arguments)
def post_file(args: argparse.Namespace, ctx: Context) -> int:
    events = read_events(args.file, args.file_format)
    if not events:
        raise AuditError(f"{args.file} holds no events")
    show = args.progress == "always" or (args.progress == "auto" and ctx.err.isatty())
    progress = output.Progress(len(events), ctx.err, show)
    tally = Tally()
    for position, result in post_by_key(ctx.profile, events, ctx.client, args.client, progress.advance):
        tally.add(result)
        outcome = "refused" if not result.ok else "duplicate" if result.duplicate else "stored"
        detail = result.eventid if result.ok else result.describe()
        ctx.out.write(f"{position}\t{outcome}\t{detail}\n")
    ctx.err.write(tally.summary() + "\n")
    if args.json:
        ctx.out.write(json.dumps(tally.to_dict()) + "\n")
    return EXIT_REFUSED if tally.refused else EXIT_OK


# --- reading ---------------------------------------------------------------------------------------


def _eventid_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("eventid")
    parser.add_argument("--initiatorsystemcode", help="needed when the id exists under several initiators")


@command("get", "Get one event by id, as archived", _eventid_arguments)
def get(args: argparse.Namespace, ctx: Context) -> int:
    client, _ = ctx.reader(args.initiatorsystemcode)
    output.as_json(client.get_event(args.eventid, args.initiatorsystemcode), ctx.out)
    return EXIT_OK


@command("proof", "Get the inclusion proof of one event (409 until its period is sealed)", _eventid_arguments)
def proof(args: argparse.Namespace, ctx: Context) -> int:
    client, _ = ctx.reader(args.initiatorsystemcode)
    output.as_json(client.get_proof(args.eventid, args.initiatorsystemcode), ctx.out)
    return EXIT_OK


def _filter_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--requestorid")
    which.add_argument("--eventtype")
    which.add_argument("--requestorip")
    parser.add_argument("--initiatorsystemcode", help="default: every initiator the key reads (when known)")
    parser.add_argument("--from", dest="from_", metavar="FROM", help="earliest timestamp: epoch ms or ISO 8601")
    parser.add_argument("--to", help="latest timestamp: epoch ms or ISO 8601")


def _search_arguments(parser: argparse.ArgumentParser) -> None:
    _filter_arguments(parser)
    parser.add_argument("--order", choices=["desc", "asc"], default="desc")
    parser.add_argument("--max", type=int, default=1000, help="stop after this many events (default 1000)")
    parser.add_argument("--page-size", type=int, default=100, help="events per request, 1..1000 (default 100)")
    parser.add_argument("--format", dest="output_format", choices=["table", "json", "ndjson", "csv"], default="table")


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    names = ("requestorid", "eventtype", "requestorip", "from_", "to")
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _sort_key(event: dict[str, Any]) -> tuple[int, str]:
    return int(event.get("timestamp", 0)), str(event.get("eventid", ""))


@command("search", "Search events, following the cursors (a table, or --format json|ndjson|csv)", _search_arguments)
def search(args: argparse.Namespace, ctx: Context) -> int:
    if args.max < 1:
        raise AuditError("--max must be at least 1")
    client, reads = ctx.reader(args.initiatorsystemcode)
    filters = {**_filters(args), "order": args.order, "limit": min(args.page_size, args.max)}
    initiators = [args.initiatorsystemcode] if args.initiatorsystemcode else list(reads) or [None]
    # One stream per initiator, each in order: merged, they keep the order across initiators.
    streams: list[Iterator[dict[str, Any]]] = [
        client.iter_events(initiatorsystemcode=initiator, **filters) for initiator in initiators
    ]
    merged = heapq.merge(*streams, key=_sort_key, reverse=args.order == "desc") if len(streams) > 1 else streams[0]
    events = list(islice(merged, args.max))
    if args.output_format == "table":
        output.table(events, ctx.out)
        ctx.err.write(f"{len(events)} event(s)\n")
    elif args.output_format == "csv":
        output.as_csv(events, ctx.out)
    elif args.output_format == "ndjson":
        for event in events:
            ctx.out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        output.as_json(events, ctx.out)
    return EXIT_OK


# --- integrity -------------------------------------------------------------------------------------


# --- operations (need the project's checkout; see aaas.project) -----------------------------------


@command("report", "Run a standard report over the archive with DuckDB (see aaas report --help)", passthrough=True)
def report(args: argparse.Namespace, ctx: Context) -> int:
    return run_tool("report", list(args.argv))


@command("reindex", "Rebuild the DynamoDB index from the S3 archive (see aaas reindex --help)", passthrough=True)
def reindex(args: argparse.Namespace, ctx: Context) -> int:
    return run_tool("reindex", list(args.argv))


@command("verify", "Verify the archive against its signed digest chain (see aaas verify --help)", passthrough=True)
def verify(args: argparse.Namespace, ctx: Context) -> int:
    return verifier_command.main(list(args.argv), prog=f"{PROG} verify")


@command("verify-export", "Check a downloaded export against its signed manifest, offline", passthrough=True)
def verify_export(args: argparse.Namespace, ctx: Context) -> int:
    return verifier_command.export_main(list(args.argv), prog=f"{PROG} verify-export")


def _verify_event_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("eventid", nargs="?", help="fetch the event and its proof through the API")
    parser.add_argument("--event", type=Path, help="offline: the event JSON (instead of an eventid)")
    parser.add_argument("--proof", type=Path, help="offline: the proof JSON (GET /v1/events/{id}/proof)")
    parser.add_argument("--initiatorsystemcode")
    parser.add_argument("--key", type=Path, help="PEM public key (default: the digest_public_key_pem output)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable report")


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AuditError(f"cannot read {path}: {exc}") from exc


@command("verify-event", "Check one event against its proof and the signed digest, offline", _verify_event_arguments)
def verify_event_command(args: argparse.Namespace, ctx: Context) -> int:
    if (args.eventid is None) == (args.event is None and args.proof is None):
        raise AuditError("give an eventid, or --event FILE and --proof FILE")
    if args.eventid is None:
        if args.event is None or args.proof is None:
            raise AuditError("offline verification needs both --event FILE and --proof FILE")
        event, proof_document = _load(args.event), _load(args.proof)
    else:
        client, _ = ctx.reader(args.initiatorsystemcode)
        event = client.get_event(args.eventid, args.initiatorsystemcode)
        proof_document = client.get_proof(args.eventid, args.initiatorsystemcode)
    with tempfile.TemporaryDirectory() as folder:
        key = args.key
        if key is None:
            pem = ctx.profile.outputs.get("digest_public_key_pem")
            if not pem:
                raise AuditError("no public key: pass --key PEM (terraform output -raw digest_public_key_pem)")
            key = Path(folder) / "digest.pem"
            key.write_text(pem)
        report = verify_event(event, dict(proof_document), key)
    ctx.out.write(verifier_command.render(report, args.json) + "\n")
    return report.exit_code


# --- exports ---------------------------------------------------------------------------------------


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    _filter_arguments(parser)
    parser.add_argument("--format", dest="export_format", choices=["ndjson", "csv"], default="ndjson")
    parser.add_argument("--output", type=Path, help="data file (default: export-<exportid>.<format>)")
    parser.add_argument("--manifest", type=Path, help="signed manifest (default: <output>.manifest.json)")
    parser.add_argument("--wait", type=float, default=900.0, help="seconds to wait for the export (default 900)")


@command("export", "Export matching events: create, wait until ready, download data and manifest", _export_arguments)
def export(args: argparse.Namespace, ctx: Context) -> int:
    client, _ = ctx.reader(args.initiatorsystemcode)
    filters = _filters(args)
    if args.initiatorsystemcode:
        filters["initiatorsystemcode"] = args.initiatorsystemcode
    created = client.create_export(format=args.export_format, **filters)
    ctx.err.write(f"export {created['exportid']} created; waiting until it is ready\n")
    ready = client.wait_for_export(created["exportid"], timeout=args.wait)
    data = args.output or Path(f"export-{ready['exportid']}.{args.export_format}")
    manifest = args.manifest or data.with_name(f"{data.name}.manifest.json")
    client.download_export(ready, data, manifest)
    ctx.out.write(f"{data}\n{manifest}\n")
    ctx.err.write(f"{ready.get('rowcount', '?')} event(s) exported\n")
    return EXIT_OK


# --- entry point -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS and COMMANDS[argv[0]].passthrough:
        args = argparse.Namespace(command=argv[0], argv=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    ctx = Context(args, out, err)
    try:
        return COMMANDS[args.command].run(args, ctx)
    except ApiError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_REFUSED
    except AuditError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
