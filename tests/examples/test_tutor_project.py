"""examples/tutor-project as its user runs it: an app on the SDK's default client, tested through the
plugin with faults, the clock, usage per pupil and LiveKit tokens, under ``filterwarnings = error``;
the project copied outside the repository, run serially and with two pytest-xdist workers.

It runs in this suite's own environment (equos-mock installed from this checkout, with livekit-api
and pytest-xdist): tests/examples/test_pytest_project.py already proves a fresh venv install."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import fresh_venv
import pytest

PROJECT = fresh_venv.REPO / "examples" / "tutor-project"
TESTS = 7


def _pytest(project, *args: str) -> str:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("EQUOS_", "PYTEST_", "PYTHON")) and k != "COV_CORE_SOURCE"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "warning" not in output.lower(), output
    return output


@pytest.mark.slow  # two pytest runs of a user's project
def test_the_tutor_project_passes_serially_and_with_two_workers(tmp_path):
    project = shutil.copytree(PROJECT, tmp_path / "tutor-project")
    assert not project.resolve().is_relative_to(fresh_venv.REPO)

    serial = _pytest(project)
    assert re.search(rf"^=+ {TESTS} passed in [\d.]+s( \([\d:]+\))? =+$", serial, re.M), serial

    parallel = _pytest(project, "-n", "2")
    assert "created: 2/2 workers" in parallel, parallel
    assert re.search(rf"^=+ {TESTS} passed in [\d.]+s( \([\d:]+\))? =+$", parallel, re.M), parallel
