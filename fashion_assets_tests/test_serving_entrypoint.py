"""`python -m serving` as an operator starts it: a line per request only when asked for."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from fashion_assets_tests.helpers import free_port, wait_for_http

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("access_log", [None, "true"])
def test_python_m_serving_logs_requests_only_when_asked(tmp_path, access_log):
    port = free_port()
    env = {**os.environ, "FASHION_HOME": str(tmp_path)}
    env.pop("FASHION_SERVING_ACCESS_LOG", None)
    if access_log:
        env["FASHION_SERVING_ACCESS_LOG"] = access_log
    log = tmp_path / "serving.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "serving", "--service", "clip", "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/docs", 60)
            with urllib.request.urlopen(f"{base}/openapi.json", timeout=10) as answer:
                assert answer.status == 200
        finally:
            server.terminate()
            server.wait(20)
    text = log.read_text()
    assert f"serving clip on http://127.0.0.1:{port}" in text
    assert ('"GET /openapi.json HTTP/1.1" 200' in text) == bool(access_log), text
