"""`equos-mock serve` shows the public key of the organization whose API key it suggests."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

pytestmark = pytest.mark.slow  # a server in a subprocess


def test_banner_shows_a_working_public_key():
    process = subprocess.Popen([sys.executable, "-m", "mock_server", "serve", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        assert process.stdout is not None
        while not any("public key" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        text = "".join(lines)
        base_url = re.search(r"at (http://\S+)", text)[1]
        api_key = re.search(r"x-api-key: (\S+)'", text)[1]
        public_key = re.search(r"Bearer\): (pk_\w+)", text)[1]
        organizations = httpx.get(base_url + "/_mock/organizations").json()
        assert [o["publicKeys"] for o in organizations] == [[public_key]]
        assert httpx.get(base_url + "/v1/agents", headers={"x-api-key": api_key}).json()["total"] == 0
        refused = httpx.post(base_url + "/v1/session-passes", json={}, headers={"Authorization": f"Bearer {api_key}"})
        assert refused.status_code == 401
        empty = httpx.post(base_url + "/v1/session-passes", json={}, headers={"Authorization": f"Bearer {public_key}"})
        assert empty.status_code == 400  # authorized: only the body is wrong
    finally:
        process.terminate()
        process.wait(timeout=10)
