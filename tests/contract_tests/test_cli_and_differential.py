"""The `equos-mock contract` wrapper, differential mode, and the fidelity report file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from contract_runner import run_suite, suite_env  # type: ignore[import-not-found]

from mock_server.assumptions import lookup
from mock_server.server import MockServer
from mock_server.settings import Settings

pytestmark = pytest.mark.slow  # each test runs the contract suite in a fresh pytest process


def test_cli_wrapper_runs_the_whole_suite_in_the_ci_profile(tmp_path):
    """The whole suite passes on the mock (ci profile), started through `equos-mock contract` outside the
    repository (none of its pytest settings apply), with no warning in the output: the mock's short dev
    LiveKit secret is ours to know about (mock_server/noise.py), not the user's."""
    report = tmp_path / "fidelity.json"
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "contract", "--equos-profile", "ci", "-q", "--equos-report", str(report)],
        capture_output=True, text=True, timeout=300, env=suite_env(), cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Equos contract fidelity report" in result.stdout
    assert "warning" not in result.stdout.lower() + result.stderr.lower(), result.stdout[-3000:]
    data = json.loads(report.read_text())
    assert set(data["assumptions"]) >= {"null_result", "page_limit", "list_order"}
    rows = data["assumptions"]
    assert all(row["observed"] == row["default"] for name, row in rows.items() if lookup(name).observable), rows
    # What no REST client can observe is reported as such, not guessed.
    assert all(row["observed"] is None and row["evidence"].startswith("cannot know")
               for name, row in rows.items() if not lookup(name).observable), rows
    assert data["operations"]["listBrains"]["run"] == data["operations"]["listBrains"]["passed"] > 0
    assert data["published_differences"] == []
    assert data["target"]["live"] is False


def test_probes_report_a_switched_assumption(tmp_path):
    report = tmp_path / "fidelity.json"
    settings = Settings(port=0, assumptions={"list_order": "oldest-first", "null_result": "404"})
    with MockServer(settings) as server:
        result = run_suite("--equos-base-url", server.url, "--equos-profile", "ci", "-k", "probe",
                           "--equos-report", str(report), "-p", "no:warnings", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    rows = json.loads(report.read_text())["assumptions"]
    assert rows["list_order"] == {**rows["list_order"], "observed": "oldest-first", "matches_default": False}
    assert rows["null_result"]["observed"] == "404"
    assert "--set list_order=oldest-first" in result.stdout


def test_differential_mode_same_mock_agrees_and_a_switch_is_found(tmp_path):
    with MockServer() as same, MockServer(Settings(port=0, assumptions={"null_result": "404"})) as other:
        agree = run_suite("--equos-base-url", same.url, "--equos-compare-url", same.url, "--equos-profile", "mutation",
                          "-k", "differential", "-p", "no:warnings", timeout=300)
        assert agree.returncode == 0 and "1 passed" in agree.stdout, agree.stdout[-3000:]
        differ = run_suite("--equos-compare-url", other.url, "--equos-profile", "ci", "-k", "differential",
                           "-p", "no:warnings", timeout=300)
    assert differ.returncode == 1, differ.stdout[-3000:]
    assert "the two targets differ" in differ.stdout
    assert '"status": 404' in differ.stdout
    assert "curl" in differ.stdout


def test_suite_refuses_a_non_http_target():
    result = run_suite("--equos-base-url", "ftp://127.0.0.1/x", timeout=120)
    assert result.returncode == 4 and "must be http" in result.stdout + result.stderr
