"""Every held-out fault and every mutant changes what the mock answers without crashing its own wrapper: a
wrapper that raises makes a 500 (or no app at all), and the suite would count that as the fault caught
(eight faults and four mutants did, through helpers renamed under them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from contract_faults import FAULTS  # type: ignore[import-not-found]
from contract_mutants import MUTANTS  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow  # a child process per fault
SMOKE = Path(__file__).resolve().parent / "fault_smoke.py"


BROKEN = [f"contract_faults:{f.name}" for f in FAULTS] + [f"contract_mutants:{m}" for m in MUTANTS]


@pytest.mark.parametrize("spec", BROKEN)
def test_the_broken_app_serves_a_conversations_life_without_a_5xx(spec: str) -> None:
    done = subprocess.run([sys.executable, str(SMOKE), spec], capture_output=True, text=True, timeout=120,
                          cwd=SMOKE.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in result, result["error"]
    assert result["statuses"] and all(status < 500 for status in result["statuses"]), result
