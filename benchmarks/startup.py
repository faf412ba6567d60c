"""Start-up: process start to first healthy answer (CLI, Prism), in-process create_app() plus a first
request, and the import time of mock_server. Each figure is the median of fresh processes."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from .servers import REPO, Server, bare_server, mock_server, prism_server, start_prism

# Runs in a fresh interpreter, so nothing is imported or warmed up beforehand.
_IN_PROCESS = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
from mock_server.app import create_app
from benchmarks.asgi import call
t1 = time.perf_counter()
loop = asyncio.new_event_loop()
t2 = time.perf_counter()
app = create_app()
t3 = time.perf_counter()
status, _ = loop.run_until_complete(call(app, "GET", "/v3/characters?take=20", key="sk_first"))
t4 = time.perf_counter()
assert status == 200, status
t5 = time.perf_counter()
app2 = create_app()
t6 = time.perf_counter()
loop.run_until_complete(call(app2, "GET", "/v3/characters?take=20", key="sk_first"))
t7 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "create_app_s": t3 - t2, "first_request_s": t4 - t3,
                  "warm_create_app_s": t6 - t5, "warm_first_request_s": t7 - t6}))
"""

_IMPORT = r"""
import sys, time
t = time.perf_counter()
import {module}
print(time.perf_counter() - t)
"""


def _median(values: list[float]) -> float:
    return statistics.median(values)


def in_process(runs: int = 5) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _IN_PROCESS, str(REPO)], capture_output=True, text=True,
                             check=True, timeout=120)
        samples.append(json.loads(out.stdout))
    figures = {k: _median([s[k] for s in samples]) for k in samples[0]}
    figures["create_app_plus_first_request_s"] = _median(
        [s["create_app_s"] + s["first_request_s"] for s in samples])
    return figures


def import_times(runs: int = 5) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for module in ("mock_server", "mock_server.app"):
        values = []
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-c", _IMPORT.format(module=module)], cwd=REPO,
                                 capture_output=True, text=True, check=True, timeout=60)
            values.append(float(out.stdout))
        figures[module] = _median(values)
    figures["slowest_imports"] = slowest_imports("mock_server.app")
    return figures


def slowest_imports(module: str, top: int = 6) -> list[tuple[str, float]]:
    """The largest cumulative entries of ``python -X importtime`` (seconds), for the profile notes."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], cwd=REPO,
                         capture_output=True, text=True, check=True, timeout=60)
    rows = []
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].strip()
            if "." not in name or name.startswith("mock_server"):
                rows.append((name, int(parts[1]) / 1e6))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


def _spread(values: list[float]) -> dict[str, float]:
    return {"median_s": _median(values), "min_s": min(values), "max_s": max(values), "runs": len(values)}


def process_startup(make: Any, runs: int = 5, first: list[float] | None = None) -> dict[str, float]:
    values = list(first or [])
    for _ in range(runs - len(values)):
        server: Server = make()
        try:
            server.start()
            values.append(server.startup_s or 0.0)
        finally:
            server.stop()
    return _spread(values)


def run_startup(workdir: Path, runs: int = 5, with_prism: bool = True) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "cli": process_startup(mock_server, runs),
        "bare_starlette": process_startup(bare_server, runs),
        "in_process": in_process(runs),
        "imports": import_times(runs),
    }
    if with_prism:
        # The first start finds which document Prism takes (3.1, or a 3.0 copy); it counts as run 1.
        server, _ = start_prism(workdir)
        server.stop()
        document = Path(server.argv[-1])
        figures["prism"] = process_startup(lambda: prism_server(document), runs, first=[server.startup_s or 0.0])
    return figures
