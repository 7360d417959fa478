"""These tests check the aaas extension itself; against an external LocalStack without it
(LOCALSTACK_EXTERNAL=1, e.g. stock LocalStack in Docker) they are skipped."""

from __future__ import annotations

import json
import urllib.request

import pytest
from localstack_fixture import ENDPOINT, external, localstack  # noqa: F401 - the session fixture


@pytest.fixture(autouse=True)
def _requires_extension(localstack: str) -> None:  # noqa: F811 - the imported fixture
    if not external():
        return  # local-up.sh already verified the extension
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{ENDPOINT}/_aaas/info", timeout=60) as response:
            if json.load(response).get("ok"):
                return
    except OSError:
        pass
    pytest.skip("the external LocalStack does not run the aaas extension")
