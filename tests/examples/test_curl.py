"""examples/curl/walkthrough.sh against a live mock, with jq and with python3 doing the JSON."""

from __future__ import annotations

import os
import shutil
import subprocess

import fresh_venv
import httpx
import pytest

SCRIPT = fresh_venv.REPO / "examples" / "curl" / "walkthrough.sh"


@pytest.mark.slow  # a few seconds: curl, and python3 started for every field
@pytest.mark.parametrize("json_tool", ["jq", "python3"])
def test_the_walkthrough_ends_the_conversation_it_started(json_tool, equos_mock, equos_api_key):
    if json_tool == "jq" and not shutil.which("jq"):
        pytest.skip("jq is not installed (the python3 variant runs the same steps)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EQUOS_")}
    env.update(EQUOS_MOCK_URL=equos_mock.url, EQUOS_API_KEY=equos_api_key)
    if json_tool == "python3":
        env["JQ"] = ""
    ran = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stderr == ""

    listed = httpx.get(f"{equos_mock.url}/v3/conversations", headers={"x-api-key": equos_api_key}).json()
    (conversation,) = listed["conversations"]
    assert conversation["status"] == "ended" and conversation["endedAt"]
    lines = ran.stdout.splitlines()
    assert f"conversation: {conversation['id']}" in lines
    assert f"status: ended, ended at {conversation['endedAt']}" in lines
    assert '"status": "running"' in ran.stdout  # the read step, pretty-printed, before the stop


def test_the_walkthrough_stops_at_an_http_error(equos_mock):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EQUOS_")}
    env.update(EQUOS_MOCK_URL=f"{equos_mock.url}/no-such-prefix")  # every call answers 404
    ran = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode != 0 and "404" in ran.stderr
    assert ran.stdout == ""
