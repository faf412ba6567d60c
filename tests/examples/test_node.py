"""examples/node against a live mock: `npm ci` (the committed lock, a cache of its own in tmp), then
`node --test` with EQUOS_MOCK_URL pointing at the session's mock on a free loopback port."""

from __future__ import annotations

import os
import shutil
import subprocess

import fresh_venv
import httpx
import pytest

EXAMPLE = fresh_venv.REPO / "examples" / "node"


@pytest.mark.slow
def test_the_node_example_starts_verifies_and_stops_a_conversation(tmp_path, equos_mock, equos_api_key):
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        pytest.skip("node or npm is not installed (.ci/run installs Debian's nodejs and npm)")
    project = shutil.copytree(EXAMPLE, tmp_path / "node", ignore=shutil.ignore_patterns("node_modules"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EQUOS_", "LIVEKIT_"))}
    env["npm_config_update_notifier"] = "false"
    installed = subprocess.run([npm, "ci", "--cache", str(tmp_path / "npm-cache"), "--no-audit", "--no-fund"],
                               cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    env.update(EQUOS_MOCK_URL=equos_mock.url, EQUOS_API_KEY=equos_api_key)
    ran = subprocess.run([node, "--test"], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    output = ran.stdout + ran.stderr
    assert ran.returncode == 0, output
    assert "# pass 1" in output and "# fail 0" in output, output

    # What the mock saw: one conversation of that key, ended by the example.
    listed = httpx.get(f"{equos_mock.url}/v3/conversations", headers={"x-api-key": equos_api_key}).json()
    (conversation,) = listed["conversations"]
    assert conversation["status"] == "ended" and conversation["endedAt"]
