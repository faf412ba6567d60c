"""The Dockerfile and the Compose snippet (not built by our CI: no container engine on its runner).

The rule that keeps them honest: the README's first command, split at its last ` && `, is the
Dockerfile's install (its only RUN, word for word) and its serve command (the CMD, word for word,
plus only `--host 0.0.0.0`, without which the published port reaches nothing). Compose builds that
Dockerfile and keeps its CMD.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import fresh_venv
import yaml

REPO = fresh_venv.REPO


def readme_first_command() -> str:
    block = re.search(r"```bash\n(.*?)\n```", (REPO / "README.md").read_text(), re.DOTALL)
    assert block, "the README starts with a bash block"
    (command,) = block.group(1).strip().splitlines()
    return command


def dockerfile_instructions() -> list[tuple[str, str]]:
    lines = [line for line in (REPO / "Dockerfile").read_text().splitlines() if line and not line.startswith("#")]
    return [(line.split(" ", 1)[0], line.split(" ", 1)[1]) for line in lines]


def test_the_dockerfile_runs_the_readme_command():
    install, serve = readme_first_command().rsplit(" && ", 1)
    instructions = dockerfile_instructions()
    assert [arg for op, arg in instructions if op == "RUN"] == [install]
    (cmd,) = [json.loads(arg) for op, arg in instructions if op == "CMD"]
    assert cmd == [*shlex.split(serve), "--host", "0.0.0.0"]
    assert ("FROM", "python:3.11-slim") in instructions and ("EXPOSE", "8787") in instructions
    # The install runs in the copied checkout, which must not bring the host's .venv along.
    assert ("COPY", ". .") in instructions
    assert ".venv" in (REPO / ".dockerignore").read_text().split()


def test_compose_builds_the_dockerfile_and_keeps_its_command():
    compose = yaml.safe_load((REPO / "docs" / "recipes" / "compose.yaml").read_text())
    (service,) = compose["services"].values()
    context = (REPO / "docs" / "recipes" / service["build"]["context"]).resolve()
    assert context == REPO and "dockerfile" not in service["build"]
    assert "command" not in service and "entrypoint" not in service
    assert service["ports"] == ["127.0.0.1:8787:8787"]


def test_the_compose_healthcheck_asks_the_mock(equos_mock):
    """Its command, run here with the port of a live mock (and of nothing), tells health from none."""
    compose = yaml.safe_load((REPO / "docs" / "recipes" / "compose.yaml").read_text())
    kind, python, flag, code = compose["services"]["equos-mock"]["healthcheck"]["test"]
    assert (kind, python, flag) == ("CMD", ".venv/bin/python", "-c") and "127.0.0.1:8787/" in code
    port = equos_mock.url.rsplit(":", 1)[1]
    healthy = subprocess.run([sys.executable, "-c", code.replace(":8787/", f":{port}/")], capture_output=True)
    assert healthy.returncode == 0, healthy.stderr
    nothing = subprocess.run([sys.executable, "-c", code.replace(":8787/", f":{fresh_venv.free_port()}/")],
                             capture_output=True)
    assert nothing.returncode != 0
