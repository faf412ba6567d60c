"""examples/pytest-project as a user runs it: a fresh venv with equos-mock[pytest] installed from this
checkout, the project copied outside the repository, its tests run with the plugin's own mock and
then against an already running `equos-mock serve` (--equos-mock-url)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import fresh_venv
import pytest

PROJECT = fresh_venv.REPO / "examples" / "pytest-project"


def _pytest(bin_dir: Path, project: Path, *args: str) -> str:
    done = subprocess.run([str(bin_dir / "python"), "-m", "pytest", *args], cwd=project,
                          env=fresh_venv.environ(bin_dir), capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def _summary(output: str) -> str:
    return output.strip().splitlines()[-1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return json.load(reply)


def _wait_for_health(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            assert _get(f"{url}/v3/health")["status"] == "ok"
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise


@pytest.mark.slow
def test_the_example_project_passes_in_a_fresh_venv_outside_the_repo(tmp_path):
    assert not tmp_path.resolve().is_relative_to(fresh_venv.REPO)
    source = fresh_venv.checkout_copy(tmp_path / "equos-mock")
    bin_dir = fresh_venv.create(tmp_path / "venv")
    fresh_venv.pip_install(bin_dir, f"{source}[pytest]")
    project = shutil.copytree(PROJECT, tmp_path / "my-project")
    fresh_venv.pip_install(bin_dir, "-r", str(project / "requirements.txt"))  # satisfied by the checkout

    # With no URL the plugin starts a mock of its own; the --equos-mock-url test is skipped.
    alone = _pytest(bin_dir, project)
    assert re.fullmatch(r"=+ 5 passed, 1 skipped in [\d.]+s =+", _summary(alone)), alone
    assert "warning" not in alone.lower(), alone

    # Against an already running mock, as in CI.
    port = fresh_venv.free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "mock.log").open("w")
    server = subprocess.Popen([str(bin_dir / "equos-mock"), "serve", "--port", str(port)], stdout=log,
                              stderr=subprocess.STDOUT, env=fresh_venv.environ(bin_dir))
    try:
        _wait_for_health(url, server)
        shared = _pytest(bin_dir, project, "--equos-mock-url", url)
        assert re.fullmatch(r"=+ 6 passed in [\d.]+s =+", _summary(shared)), shared
        assert "warning" not in shared.lower(), shared
        # The run's requests reached that server: 1 + 3 + 1 + 1 conversations started, 1 refused by a fault.
        started = _get(f"{url}/_mock/journal/count?method=POST&path=/v3/conversations")["count"]
        assert started == 7
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
