"""Verify the archive against its signed digest chain, online (S3 + KMS) or offline (a local copy).

Usage (`aaas verify`, `make verify`, `scripts/verify.py`):
  verify --local [--key pubkey.pem] [--json] [--grace-seconds N]
  verify --bucket BUCKET [--key pubkey.pem] [--json] [--grace-seconds N]
  verify --dir COPY --key pubkey.pem [--json] [--grace-seconds N]
  verify verify-event EVENT.json PROOF.json --key pubkey.pem [--json]

--local verifies the stack applied to LocalStack (its bucket from `terraform output`). Online, the
endpoint comes from AWS_ENDPOINT_URL (LocalStack) and, without --key, each digest's
public key from kms:GetPublicKey (online needs boto3; offline needs only the SDK). Offline needs a copy of data/, errors/ and digests/ (for example
``aws s3 sync s3://BUCKET DIR``) and the PEM public key. Exit codes: 0 everything holds,
1 an integrity failure (each one is listed), 2 a usage or access error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aaas.config import default_terraform_dir, localstack_boto3_client, terraform_outputs
from aaas.errors import ConfigError
from aaas.verifier.archive import verify_archive
from aaas.verifier.event import verify_event
from aaas.verifier.export import verify_export
from aaas.verifier.findings import EXIT_INTEGRITY, EXIT_OK, EXIT_USAGE, AccessError, Report
from aaas.verifier.keys import KeyLookup, kms_keys, pem_key
from aaas.verifier.sources import BucketSource, DirectorySource, Source

DEFAULT_GRACE_SECONDS = 300  # S3 notifications in flight when the newest digest was sealed


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def archive_parser(prog: str = "verify") -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description="Verify the archive against its signed digest chain.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--bucket", help="archive bucket (online; AWS_ENDPOINT_URL selects LocalStack)")
    where.add_argument("--local", action="store_true", help="the archive of the stack applied to LocalStack")
    parser.add_argument("--terraform-dir", type=Path, default=None,
                        help="with --local: the applied configuration whose outputs name the bucket "
                        "(default: $AAAS_TERRAFORM_DIR or ./terraform)")  # fmt: skip
    where.add_argument("--dir", type=Path, help="local copy of data/, errors/ and digests/ (offline)")
    parser.add_argument("--key", type=Path, help="PEM public key (default online: kms:GetPublicKey)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable report")
    parser.add_argument("--grace-seconds", type=int, default=DEFAULT_GRACE_SECONDS,
                        help="objects this much older than the newest period end may still await sealing")  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def event_parser(prog: str = "verify verify-event") -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description="Check one event against its proof, offline.")
    parser.add_argument("event", type=Path, help="the event JSON")
    parser.add_argument("proof", type=Path, help="the proof document (GET /v1/events/{id}/proof)")
    parser.add_argument("--key", type=Path, required=True, help="PEM public key of the digest signing key")
    parser.add_argument("--json", action="store_true", help="print a machine-readable report")
    return parser


def progress_printer(enabled: bool, interval_seconds: float = 1.0) -> Callable[[str], None]:
    """At most one progress line a second on stderr, so stdout stays the report."""
    last = [0.0]

    def show(message: str) -> None:
        now = time.monotonic()
        if enabled and now - last[0] >= interval_seconds:
            last[0] = now
            print(f"verify: {message}", file=sys.stderr, flush=True)

    return show


def render(report: Report, as_json: bool) -> str:
    if as_json:
        return json.dumps(report.to_dict(), indent=2, sort_keys=True)
    lines = []
    for finding in report.findings:
        label = "FAIL" if finding.failure else "PENDING"
        lines.append(f"{label} {finding.kind}: {finding.message}")
        for line in finding.lines:
            lines.append(f"     line {line['line']} (leaf {line['leaf']}): {line['change']}")
    failures = len(report.failures)
    verdict = "OK" if not failures else f"{failures} integrity failure(s)"
    pending = len(report.findings) - failures
    lines.append(
        f"{verdict}: {report.source}: {report.digests} digest(s), {report.objects} object(s), "
        f"{report.events} event(s) verified" + (f"; {pending} object(s) not sealed yet" if pending else "")
    )
    return "\n".join(lines)


def _source(args: argparse.Namespace) -> tuple[Source, KeyLookup]:
    if args.dir is not None:
        if args.key is None:
            raise AccessError("offline verification (--dir) needs the public key: --key pubkey.pem")
        return DirectorySource(args.dir), pem_key(args.key)
    try:
        if args.local:
            bucket = terraform_outputs(args.terraform_dir or default_terraform_dir())["archive_bucket_name"]
            s3, kms = localstack_boto3_client("s3"), localstack_boto3_client("kms")
        else:
            try:
                import boto3
            except ImportError as exc:
                raise ConfigError(
                    "online verification needs boto3: pip install boto3, or verify a copy (--dir)"
                ) from exc
            bucket, s3, kms = args.bucket, boto3.client("s3"), boto3.client("kms")
    except ConfigError as exc:
        raise AccessError(str(exc)) from exc
    return BucketSource(s3, bucket), pem_key(args.key) if args.key else kms_keys(kms)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AccessError(f"cannot read {path}: {exc}") from exc


def export_parser(prog: str = "verify-export") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Check a downloaded export against its signed manifest.")
    parser.add_argument("data", type=Path, help="the export's data file (the manifest's object)")
    parser.add_argument("manifest", type=Path, help="the signed manifest (GET /v1/exports/{id} manifesturl)")
    parser.add_argument(
        "--key", type=Path, help="PEM public key of the export signing key (without it the signature is not checked)"
    )
    return parser


def export_main(argv: list[str], prog: str = "verify-export") -> int:
    """One line: OK, or the first reason the export fails (exit 1); 2 for a usage or access error."""
    args = export_parser(prog).parse_args(argv)
    try:
        pem = args.key.read_bytes() if args.key else None
        findings = verify_export(args.data, args.manifest, pem)
    except (OSError, AccessError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if findings:
        more = f" (and {len(findings) - 1} more: {'; '.join(findings[1:])})" if len(findings) > 1 else ""
        print(f"FAIL: {findings[0]}{more}")
        return EXIT_INTEGRITY
    signed = "signature verified" if pem else "signature NOT checked (no --key)"
    print(f"OK: {args.data} matches {args.manifest}; {signed}")
    return EXIT_OK


def main(argv: list[str] | None = None, prog: str = "verify") -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["verify-export"]:
        return export_main(argv[1:], f"{prog} verify-export")
    try:
        if argv[:1] == ["verify-event"]:
            args = event_parser(f"{prog} verify-event").parse_args(argv[1:])
            report = verify_event(_load_json(args.event), _load_json(args.proof), pem_key(args.key))
        else:
            args = archive_parser(prog).parse_args(argv)
            source, keys = _source(args)
            report = verify_archive(source, keys, args.grace_seconds * 1000, progress_printer(not args.quiet))
    except AccessError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(render(report, args.json))
    return report.exit_code
