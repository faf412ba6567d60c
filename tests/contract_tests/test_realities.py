"""The contract suite against alternate realities: plausible real APIs, all without the control plane.

Each must pass, and its fidelity report must name what differs from the mock's defaults: the switch
(``--set NAME=VALUE``) for an assumption, the fields the target adds per schema (secrets masked).
The driver imports the suite once and forks one child per reality (see mutation_driver.py), in the
``reality`` Hypothesis profile. One test, so that xdist never runs the set twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from contract_realities import ADDED, ADDED_SECRET, ALTERNATIVES, BENIGN, REALITIES  # type: ignore[import-not-found]
from contract_runner import HERE, ROOT, suite_env  # type: ignore[import-not-found]

from mock_server.assumptions import REGISTRY

pytestmark = pytest.mark.slow  # the contract suite against every alternate reality, in forked children

BILLING = ("getFreemiumUsage", "getUserUsage", "getConversationById", "addDocument", "deleteDocument")


def _run_all() -> dict[str, Any]:
    names = [f"contract_realities:{name}" for name in REALITIES]
    result = subprocess.run([sys.executable, str(HERE / "mutation_driver.py"), "--workers", "2", "--profile",
                             "reality", *names], capture_output=True, text=True, timeout=900, env=suite_env(),
                            cwd=str(ROOT))
    assert result.returncode == 0, result.stderr[-3000:]
    runs = json.loads(result.stdout.strip().splitlines()[-1])
    print("\nalternate realities: " + ", ".join(f"{name.split(':')[1]} {r['seconds']}s" for name, r in runs.items()))
    return {name.split(":", 1)[1]: r for name, r in runs.items()}


def _switches(report: dict[str, Any]) -> dict[str, str | None]:
    """The report's rows that differ from the mock's defaults, with the switch each names."""
    return {name: row["switch"] for name, row in report["assumptions"].items() if row["matches_default"] is False}


def _problems(name: str, run: dict[str, Any]) -> list[str]:
    if run["exit"] != 0 or run["report"] is None:
        return [f"{name}: the suite fails against this plausible target (exit {run['exit']}, "
                f"{run['killed_by']}):\n{run['tail']}"]
    report = run["report"]
    out = []
    if report["target"]["control_plane"] is not False:
        out.append(f"{name}: the control plane was not hidden")
    expected = {}
    if name.startswith("assume__"):
        assumption, value = name.removeprefix("assume__").split("__")
        expected = {assumption: f"--set {assumption}={value}"}
    elif name == "everything_else":
        expected = {a.name: f"--set {a.name}={a.alternatives[-1]}" for a in REGISTRY if a.observable}
    elif name == "clamp_above_reject_below":  # the probe saw take=51 clamped; take 0 is its own boundary
        expected = {"page_limit": "--set page_limit=clamp"}
    if _switches(report) != expected:
        out.append(f"{name}: report rows {_switches(report)}, expected {expected}")
    for unseen in (a.name for a in REGISTRY if not a.observable):  # the probe says what it cannot know
        row = report["assumptions"][unseen]
        if row["observed"] is not None or not row["evidence"].startswith("cannot know"):
            out.append(f"{name}: {unseen} should be reported as unknowable over REST, got {row}")
    added = report["fields_the_target_adds"]
    if name in ("extra_fields", "everything_else"):
        for schema, fields in added.items():
            if set(fields) != {*ADDED, "requestSerial"}:
                out.append(f"{name}: {schema} adds {sorted(fields)}")
            if not fields.get("internalApiSecret", "").startswith('"****'):
                out.append(f"{name}: {schema}.internalApiSecret shown as {fields.get('internalApiSecret')}")
        for schema in ("EquosBrain", "EquosConversation", "EquosKnowledgeBase", "EquosDocument"):
            if not any(s.endswith(schema.removeprefix("Equos")) for s in added):
                out.append(f"{name}: no added fields reported for {schema}: {sorted(added)}")
        if ADDED_SECRET in json.dumps(report):
            out.append(f"{name}: the added secret is in the report in clear")
    elif added:
        out.append(f"{name}: fields reported as added by a target that adds none: {added}")
    for operation in BILLING:  # billing and documents checked without the control plane
        tally = report["operations"].get(operation, {"run": 0, "passed": 0})
        if not tally["run"] == tally["passed"] > 0:
            out.append(f"{name}: {operation} checked {tally}")
    return out


def test_the_suite_passes_every_alternate_reality_and_names_the_difference() -> None:
    benign = [name for name in BENIGN if not name.startswith("assume__")]
    assert len(REALITIES) == 3 + len(ALTERNATIVES) + len(benign) == (
        3 + sum(len(a.alternatives) for a in REGISTRY if a.observable) + 10)
    runs = _run_all()
    assert set(runs) == set(REALITIES)
    problems = [problem for name, run in runs.items() for problem in _problems(name, run)]
    assert not problems, "\n".join(problems)
