"""Run the contract suite in a subprocess (for the project's own tests and scripts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def suite_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "--pyargs", "contract_tests", "-q", "-p", "no:cacheprovider",
            "-p", "no:randomly", *args]


def suite_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EQUOS_", "PYTEST_XDIST", "PYTEST_CURRENT"))}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def run_suite(*args: str, timeout: float = 600, cwd: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(suite_command(*args), capture_output=True, text=True, timeout=timeout,
                          env=suite_env(**env), cwd=cwd or str(ROOT))
