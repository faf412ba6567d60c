"""Before and after: ``python benchmarks/compare.py results/before.json results/latest.json`` prints a
Markdown table of the mock's figures in two runs of the harness (ratios to bare Starlette included,
since they are what survives a noisy machine)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _get(data: dict[str, Any], *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _cell(value: Any, scale: float = 1.0, digits: int = 0) -> str:
    return "-" if value is None else f"{value * scale:,.{digits}f}"


def compare(before: dict[str, Any], after: dict[str, Any]) -> str:
    rows = ["| figure | before | after |", "|---|---:|---:|"]
    for workload, cells in (_get(after, "load", "mock") or {}).items():
        for conns in cells:
            for label, key, digits in (("req/s", "rps", 0), ("p99 ms", "p99_ms", 1)):
                b = _get(before, "load", "mock", workload, conns, key)
                a = _get(after, "load", "mock", workload, conns, key)
                rows.append(f"| {workload} c={conns} {label} | {_cell(b, digits=digits)} | {_cell(a, digits=digits)} |")
            ratios = []
            for run in (before, after):
                mock = _get(run, "load", "mock", workload, conns, "rps")
                bare = _get(run, "load", "starlette", workload, conns, "rps")
                ratios.append(mock / bare if mock and bare else None)
            rows.append(f"| {workload} c={conns} mock/Starlette | {_cell(ratios[0], digits=2)} | "
                        f"{_cell(ratios[1], digits=2)} |")
    singles = [
        ("CLI healthy (ms)", ("startup", "cli", "median_s"), 1000, 0),
        ("create_app() + first request (ms)", ("startup", "in_process", "create_app_plus_first_request_s"), 1000, 1),
        ("pytest: request with a known key (µs)", ("pytest", "request_warm_key_s"), 1e6, 0),
        ("pytest: fresh organization per test (µs)", ("pytest", "fresh_org_per_test_s"), 1e6, 0),
        ("pytest: reset with key (µs)", ("pytest", "reset_with_key_s"), 1e6, 0),
    ]
    for label, path, scale, digits in singles:
        b, a = _get(before, *path), _get(after, *path)
        rows.append(f"| {label} | {_cell(b, scale, digits)} | {_cell(a, scale, digits)} |")
    for size in (_get(after, "scale", "sizes") or {}):
        for op in _get(after, "scale", "sizes", size):
            b = _get(before, "scale", "sizes", size, op, "median_us")
            a = _get(after, "scale", "sizes", size, op, "median_us")
            rows.append(f"| in process, {int(size):,} in the organization: {op.replace('_', ' ')} (µs) | "
                        f"{_cell(b)} | {_cell(a)} |")
    rows.append(f"| memory per 100,000 conversations (MiB) | {_cell(_get(before, 'scale', 'memory', 'mib_per_100k'))} "
                f"| {_cell(_get(after, 'scale', 'memory', 'mib_per_100k'))} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    before_path, after_path = (Path(p) for p in sys.argv[1:3])
    print(compare(json.loads(before_path.read_text()), json.loads(after_path.read_text())), end="")
