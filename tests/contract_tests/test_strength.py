"""Issue 23's held-out faults, a bounded sample in CI: one fault of each class, with the control plane
visible and (where the class can be checked without it) hidden, must be caught, and the real mock
must pass with every claimed rule exercised. The whole table, two seeds and the Schemathesis
comparison are benchmarks/contract_strength.py's (figures in benchmarks/RESULTS.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from contract_faults import FAULTS  # type: ignore[import-not-found]
from contract_runner import HERE, ROOT, suite_env  # type: ignore[import-not-found]

from contract_tests.rules import RULES

pytestmark = pytest.mark.slow  # the contract suite against a sample of faults, in forked children


def _sample() -> list[str]:
    """The first fault of each class, and the first of each class whose hidden variant can be caught."""
    names: list[str] = []
    for klass in sorted({f.klass for f in FAULTS}):
        of_class = [f for f in FAULTS if f.klass == klass]
        names.append(f"contract_faults:{of_class[0].name}")
        hidden = next((f for f in of_class if f.hidden is None), None)
        if hidden is not None:
            names.append(f"contract_faults:{hidden.name}__hidden")
    return names


def test_a_sample_of_the_held_out_faults_is_caught() -> None:
    assert len(FAULTS) >= 40 and len({f.name for f in FAULTS}) == len(FAULTS)
    names = _sample()
    result = subprocess.run([sys.executable, str(HERE / "mutation_driver.py"), "--workers", "2", "unbroken", *names],
                            capture_output=True, text=True, timeout=900, env=suite_env(), cwd=str(ROOT))
    assert result.returncode == 0, result.stderr[-3000:]
    runs = json.loads(result.stdout.strip().splitlines()[-1])
    unbroken = runs.pop("unbroken")
    assert unbroken["exit"] == 0, unbroken["tail"]
    table = unbroken["report"]["rules"]
    assert set(table) == {r.name for r in RULES}
    # The in-process mock has the control plane, a second key and the LiveKit secret: every rule is due.
    assert {name: row["status"] for name, row in table.items() if row["status"] != "ok"} == {}
    assert all(row["exercised"] > 0 for row in table.values())  # examples: checks made inside one
    missed = {name: (r["exit"], r["tail"][-800:]) for name, r in runs.items() if r["exit"] != 1}
    print("\nheld-out sample: " + ", ".join(f"{n.split(':')[1]} {r['seconds']}s" for n, r in runs.items()))
    assert not missed, missed
