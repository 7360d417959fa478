#!/usr/bin/env python3
"""Seal a digest now: invoke the digest function as its schedule would (`make seal`).

  seal.py [--local] [--function NAME]

The function name comes from `terraform output function_names` unless --function is given;
--local talks to LocalStack. Prints the function's answer (the digest key, sequence, objects and
events sealed); exits 1 if the function failed and 2 with a one-line reason on usage or access errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from aaas.config import terraform_outputs
from aaas.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def seal(lambda_client: Any, function_name: str) -> tuple[bool, Any]:
    """(succeeded, the function's answer) for one synchronous seal invocation."""
    response = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps({"action": "seal"}).encode())
    payload = json.loads(response["Payload"].read() or b"null")
    return "FunctionError" not in response, payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="the stack applied to LocalStack")
    parser.add_argument("--function", help="digest function name (default: terraform output function_names)")
    args = parser.parse_args(argv)
    try:
        name = args.function or terraform_outputs(ROOT / "terraform")["function_names"]["digest"]
        if args.local:
            import local_stack

            lambda_client = local_stack.client("lambda")
        else:
            lambda_client = boto3.client("lambda")
        succeeded, answer = seal(lambda_client, name)
    except (ConfigError, KeyError, BotoCoreError, ClientError) as exc:
        print(f"seal: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answer, sort_keys=True))
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
