"""Mutation self-test: the contract suite must fail against every deliberately broken mock.

The driver imports the suite once and forks one child per mutant (see mutation_driver.py), so the
32 mutants plus the unbroken mock fit in CI time. The kill rate is printed (run with -s to see it).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from contract_mutants import MUTANTS, RECORD_MUTANTS  # type: ignore[import-not-found]
from contract_runner import HERE, ROOT, suite_env  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow  # mutation testing: the contract suite against every mutant


def test_suite_kills_every_mutant_and_passes_the_real_mock() -> None:
    assert len(MUTANTS) >= 15
    result = subprocess.run([sys.executable, str(HERE / "mutation_driver.py"), "--workers", "2"],
                            capture_output=True, text=True, timeout=600, env=suite_env(), cwd=str(ROOT))
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads(result.stdout.strip().splitlines()[-1])
    unbroken = results.pop("unbroken")
    assert unbroken["exit"] == 0, f"the suite fails on the real mock:\n{unbroken['tail']}"
    assert set(results) == set(MUTANTS)
    survivors = {name: r for name, r in results.items() if r["exit"] != 1}
    killed = len(results) - len(survivors)
    print(f"\nmutation kill rate: {killed}/{len(results)} ({100 * killed / len(results):.0f}%)")
    for name, r in results.items():
        print(f"  {name:<30} {'killed' if r['exit'] == 1 else 'SURVIVED'} in {r['seconds']}s by {r['killed_by']}")
    assert not survivors, {name: (r["exit"], r["tail"]) for name, r in survivors.items()}
    # Breaks of the record in fields no other check reads are found by the record itself.
    assert {name: results[name]["record_violation"] for name in RECORD_MUTANTS} == dict.fromkeys(RECORD_MUTANTS, True)
