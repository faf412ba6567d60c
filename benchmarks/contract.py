"""The contract suite's run time on the mock, when the contract_tests package is importable."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from typing import Any

from .servers import REPO


def run_contract(timeout: float = 900) -> dict[str, Any]:
    if importlib.util.find_spec("contract_tests") is None:
        return {"available": False}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs",
                           "contract_tests"], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - started
    lines = [line for line in done.stdout.strip().splitlines() if line.strip()]
    return {"available": True, "wall_s": wall, "exit_code": done.returncode,
            "summary": lines[-1].strip("= ") if lines else "no output"}
