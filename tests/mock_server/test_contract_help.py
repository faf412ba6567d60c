"""``equos-mock contract --help``: the suite's own help first, on one screen; pytest's a command away."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest


def _contract(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("equos-mock")
    return subprocess.run([str(script), "contract", *args], capture_output=True, text=True, timeout=120, cwd="/")


def _suite_options_in_pytest_help(text: str) -> list[str]:
    """The options pytest lists in the contract suite's group (the group's lines up to the next one)."""
    group = text.split("Equos contract suite (contract_tests):\n", 1)[1]
    group = re.split(r"\n\S", group, maxsplit=1)[0]
    return re.findall(r"^  (--equos-[a-z-]+)", group, flags=re.M)


@pytest.mark.slow  # two CLI processes, one of them pytest's full help
def test_contract_help_is_its_own_and_fits_a_screen():
    ours = _contract("--help")
    assert (ours.returncode, ours.stderr) == (0, "")
    lines = ours.stdout.splitlines()
    assert len(lines) <= 40 and max(map(len, lines)) <= 100, ours.stdout
    assert lines[0] == "usage: equos-mock contract [OPTIONS] [PYTEST ARGS]"
    assert lines[-1] == "pytest options: equos-mock contract -- --help"
    assert ours.stdout.count("--equos-base-url") >= 2  # what it does names the target option
    for section in ("target:", "profiles:", "report:"):
        assert section in lines, section
    for profile in ("thorough", "ci", "live", "mutation", "reality"):
        assert profile in ours.stdout
    assert "fidelity report" in ours.stdout
    assert "--basetemp" not in ours.stdout and "pytest-xdist" not in ours.stdout  # none of pytest's own

    # Every option pytest knows in the suite's group is in ours, once, at the start of a line.
    pytest_help = _contract("--", "--help")
    assert pytest_help.returncode == 0 and len(pytest_help.stdout.splitlines()) > 300
    options = _suite_options_in_pytest_help(pytest_help.stdout)
    assert len(options) >= 15, options
    shown = re.findall(r"^  (--equos-[a-z-]+)", ours.stdout, flags=re.M)
    assert sorted(shown) == sorted(options)
