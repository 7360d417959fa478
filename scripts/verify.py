#!/usr/bin/env python3
"""`make verify`: the archive against its signed digest chain (the SDK's verifier; see `aaas verify --help`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from aaas.verifier.command import main

if __name__ == "__main__":
    # --local reads this project's Terraform outputs wherever it is run from.
    os.environ.setdefault("AAAS_TERRAFORM_DIR", str(Path(__file__).resolve().parent.parent / "terraform"))
    sys.exit(main(prog="verify.py"))
