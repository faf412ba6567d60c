"""How long the test suite takes, measured so that a busy machine does not hide the answer.

    python -m benchmarks.suite_time              # the inner loop: pytest -m "not slow" -n 2
    python -m benchmarks.suite_time --full       # the CI command: pytest -n 2

It runs the suite once with this module as a pytest plugin, which records per test (setup, call and
teardown) the worker's CPU time, its waited-for children's CPU time and the wall time, and per worker
the CPU spent before the first test (start-up and collection). Printed:

- the measured wall time and the CPU time (user+sys) of pytest and everything it started, with the
  load average before and after (wall time on a shared machine says more about the neighbours);
- an idle estimate: each test costs its CPU time (its own and its children's), plus its wall time
  beyond that when the two are close enough to trust (wall at most twice the CPU: a test that waits on
  a timeout on a quiet machine); the tests are dealt to the workers longest first (xdist's load
  scheduling at its best) and the slower worker's start-up is added. Real-time waits hidden by a
  loaded machine are left out, so on a busy machine it is a lower bound.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

OUT_ENV = "EQUOS_SUITE_TIME_OUT"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    out = os.environ.get(OUT_ENV)
    if not out:
        yield
        return
    path = Path(out) / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.jsonl"
    if not path.exists():  # the first test of this worker: what start-up and collection cost
        path.write_text(json.dumps({"startup_cpu": time.process_time()}) + "\n")
    cpu, children, wall = time.process_time(), _children_cpu(), time.perf_counter()
    yield
    record = {"test": item.nodeid, "cpu": time.process_time() - cpu, "children_cpu": _children_cpu() - children,
              "wall": time.perf_counter() - wall}
    with path.open("a") as file:
        file.write(json.dumps(record) + "\n")


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _deal(costs: list[float], workers: int) -> list[float]:
    """Longest first, each to the least loaded worker."""
    loads = [0.0] * workers
    for cost in sorted(costs, reverse=True):
        loads[loads.index(min(loads))] += cost
    return loads


def estimate(records: list[dict[str, Any]], startups: list[float], workers: int) -> dict[str, Any]:
    costs = []
    waiting = 0.0
    for r in records:
        busy = r["cpu"] + r["children_cpu"]
        wait = r["wall"] - busy if r["wall"] <= 2 * busy else 0.0
        waiting += max(wait, 0.0)
        costs.append(busy + max(wait, 0.0))
    loads = _deal(costs, workers)
    return {"tests": len(records), "test_cpu_s": round(sum(r["cpu"] + r["children_cpu"] for r in records), 1),
            "waiting_s": round(waiting, 1), "worker_startup_cpu_s": [round(s, 1) for s in startups],
            "idle_wall_estimate_s": round(max(loads) + max(startups, default=0.0), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="the whole suite (the CI command)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save", type=Path, help="write the summary and every test's figures here (JSON)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args(argv)
    command = [sys.executable, "-m", "pytest", "-q", "-n", str(args.workers), "-p", "benchmarks.suite_time"]
    if not args.full:
        command += ["-m", "not slow"]
    command += args.pytest_args
    with tempfile.TemporaryDirectory(prefix="suite-time-") as out:
        before, children = _loadavg(), _children_cpu()
        began = time.perf_counter()
        done = subprocess.run(command, env={**os.environ, OUT_ENV: out}, cwd=Path(__file__).resolve().parents[1])
        wall = time.perf_counter() - began
        cpu = _children_cpu() - children
        after = _loadavg()
        records, startups = [], []
        for path in sorted(Path(out).glob("*.jsonl")):
            lines = [json.loads(line) for line in path.read_text().splitlines()]
            startups.append(lines[0]["startup_cpu"])
            records += lines[1:]
    summary = {"command": " ".join(["python", "-m", "pytest", *command[3:]]), "exit": done.returncode,
               "wall_s": round(wall, 1), "cpu_user_sys_s": round(cpu, 1), "load_before": before,
               "load_after": after, "nproc": os.cpu_count(), **estimate(records, startups, args.workers)}
    slowest = sorted(records, key=lambda r: r["cpu"] + r["children_cpu"], reverse=True)[:15]
    print("\nmost CPU per test (s, with children):")
    for r in slowest:
        print(f"  {r['cpu'] + r['children_cpu']:6.2f}  {r['test']}")
    print(json.dumps(summary, indent=2))
    if args.save:
        args.save.write_text(json.dumps({"summary": summary, "tests": records}, indent=1) + "\n")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
