"""The CI recipes in docs/recipes run: their shell steps, in order, in a fresh venv in a tmp dir.

What differs from a real runner, and nothing else:
- the install source: SUBSTITUTIONS maps the recipe's EQUOS_MOCK_SOURCE (its git URL) to a copy
  of this checkout, and the test fails if the recipe names another source;
- the port: EQUOS_MOCK_PORT (the recipe's variable, 8787 there) is a free loopback port;
- what the runner does outside the shell: `actions/checkout` is a copy of examples/pytest-project
  (the user's repository), `actions/setup-python` / GitLab's `image: python:3.11` a fresh venv made
  with this Python, first on PATH. Any other `uses:` step fails the test.
GitHub runs each `run:` in its own `bash --noprofile --norc -eo pipefail`; GitLab runs before_script
and script in one shell with `set -eo pipefail` and after_script in another: so do we. Every step
runs in a process group of its own, killed at the end, so the background mock never outlives the test.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import fresh_venv
import pytest
import yaml

RECIPES = fresh_venv.REPO / "docs" / "recipes"
USER_PROJECT = fresh_venv.REPO / "examples" / "pytest-project"
GIT_SOURCE = "equos-mock[pytest] @ git+https://github.com/your-org/equos-mock.git"
# recipe's install source -> what the test installs instead ({checkout}: a copy of this checkout)
SUBSTITUTIONS = {GIT_SOURCE: "{checkout}[pytest]"}
EMULATED_ACTIONS = {"actions/checkout@v4", "actions/setup-python@v5"}
STEP_TIMEOUT = 600


def github_steps(recipe: dict) -> tuple[dict[str, str], list[str]]:
    """The workflow's env (workflow, then job) and its `run:` scripts in order; one job."""
    (job,) = recipe["jobs"].values()
    env = {**recipe.get("env", {}), **job.get("env", {})}
    scripts = []
    for step in job["steps"]:
        if "uses" in step:
            assert step["uses"] in EMULATED_ACTIONS, f"the test does not emulate {step['uses']}"
            continue
        assert not step.get("env") and "shell" not in step and "working-directory" not in step
        scripts.append(step["run"])
    return env, scripts


def gitlab_steps(recipe: dict) -> tuple[dict[str, str], list[str]]:
    """The job's variables and its two shells: before_script + script, then after_script."""
    (job,) = recipe.values()
    main = "\n".join([*job.get("before_script", []), *job["script"]])
    return dict(job.get("variables", {})), [main, "\n".join(job.get("after_script", []))]


def _substituted(env: dict[str, str], checkout: Path, port: int) -> dict[str, str]:
    assert env.get("EQUOS_MOCK_SOURCE") in SUBSTITUTIONS, "a new install source: update SUBSTITUTIONS"
    assert env.get("EQUOS_MOCK_PORT") == "8787"
    return {**env, "EQUOS_MOCK_SOURCE": SUBSTITUTIONS[env["EQUOS_MOCK_SOURCE"]].format(checkout=checkout),
            "EQUOS_MOCK_PORT": str(port)}


def run_recipe(tmp_path: Path, env: dict[str, str], scripts: list[str], shell: list[str]) -> list[str]:
    """Runs each script in the user's checkout; their outputs."""
    checkout = fresh_venv.checkout_copy(tmp_path / "equos-mock")
    bin_dir = fresh_venv.create(tmp_path / "venv")
    workdir = shutil.copytree(USER_PROJECT, tmp_path / "work")
    port = fresh_venv.free_port()
    environ = fresh_venv.environ(bin_dir, **_substituted(env, checkout, port))
    outputs, groups = [], []
    try:
        for script in scripts:
            step = subprocess.Popen([*shell, "-c", script], cwd=workdir, env=environ, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True)
            groups.append(step.pid)
            output, _ = step.communicate(timeout=STEP_TIMEOUT)
            outputs.append(output)
            assert step.returncode == 0, f"step failed ({step.returncode}):\n{script}\n---\n{output}"
    finally:
        for group in groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass  # the step and everything it started have ended
    return outputs


def summaries(output: str) -> list[str]:
    """pytest's closing lines ("6 passed in 2.1s"), each required to have no failure or error."""
    found = [line.strip("= ") for line in output.splitlines() if re.search(r"^=* ?\d+ passed\b.* in [\d.]+s", line)]
    assert found and not any(re.search(r"failed|error", line) for line in found), output
    return found


def _load(name: str) -> dict:
    return yaml.safe_load((RECIPES / name).read_text())


@pytest.mark.slow
def test_the_github_actions_workflow_runs(tmp_path):
    env, scripts = github_steps(_load("github-actions.yml"))
    _install, _start, health, user_tests, contract, stop = run_recipe(
        tmp_path, env, scripts, ["bash", "--noprofile", "--norc", "-eo", "pipefail"])
    assert '"status":"ok"' in health
    # examples/pytest-project, its --equos-mock-url test included; then the contract suite
    assert summaries(user_tests)[0].startswith("6 passed in"), user_tests
    assert summaries(contract)
    assert "serving the Equos v3 API at http://127.0.0.1:" in stop  # the mock's log, shown by the last step


@pytest.mark.slow
def test_the_gitlab_job_runs(tmp_path):
    env, scripts = gitlab_steps(_load("gitlab-ci.yml"))
    main, after = run_recipe(tmp_path, env, scripts, ["bash", "--noprofile", "--norc", "-eo", "pipefail"])
    assert '"status":"ok"' in main
    user_tests, contract = summaries(main)
    assert user_tests.startswith("6 passed in") and contract, main
    assert "serving the Equos v3 API at http://127.0.0.1:" in after


def test_the_recipes_start_wait_test_and_check_the_contract():
    """What the issue asks of each recipe, in its steps (the slow tests above prove they run)."""
    for _, scripts in (github_steps(_load("github-actions.yml")), gitlab_steps(_load("gitlab-ci.yml"))):
        text = "\n".join(scripts)
        order = [r'pip install -q "\$EQUOS_MOCK_SOURCE"', r"equos-mock serve --port \"\$EQUOS_MOCK_PORT\" .*&$",
                 r"curl .*--retry .*/v3/health", r"pytest --equos-mock-url", r"equos-mock contract --equos-base-url"]
        found = [re.search(pattern, text, re.MULTILINE) for pattern in order]
        assert all(found), [p for p, f in zip(order, found, strict=True) if not f]
        assert [f.start() for f in found] == sorted(f.start() for f in found)
        assert "kill \"$(cat equos-mock.pid)\"" in text
