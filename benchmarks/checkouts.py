"""The load workloads against this checkout's mock and another's, interleaved:
``python -m benchmarks.checkouts --other PATH [--connections 1,8,32] [--rounds 3] [--duration 1]``.

Both mocks run side by side (``equos-mock serve``, the other with ``PYTHONPATH=PATH`` so that its own
``mock_server`` is served), are filled alike, and take turns within every cell (``load.run_load``), so a
before and an after are compared seconds apart on a shared machine. Besides req/s and latencies, the
server process's CPU µs per request over each cell's runs (from ``/proc``). Writes
``results/checkouts.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__" and __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import load
from benchmarks.room import cpu_seconds
from benchmarks.servers import HOST, Server, free_port, mock_cli

HERE = Path(__file__).resolve().parent


def _mock(name: str, path: str | None) -> Server:
    port = free_port()
    return Server(name, [*mock_cli(), "serve", "--host", HOST, "--port", str(port), "--random-seed", "1"], port,
                  env={"PYTHONPATH": path} if path else None)


def measure(other: str, connections: tuple[int, ...], rounds: int, duration: float,
            workloads: tuple[load.Workload, ...]) -> dict[str, Any]:
    servers = [_mock("this", None), _mock("other", str(Path(other).resolve()))]
    cpu: dict[str, dict[str, list[float]]] = {s.name: {} for s in servers}
    try:
        for server in servers:
            server.start()
        pairs = [(server, load.prepare_mock(server.port)) for server in servers]
        for server, ctx in pairs:  # warm-up, not recorded
            load.run_wrk(server.port, workloads[0], ctx, 8, 1)
        real = load.run_wrk

        def timed(port: int, workload: load.Workload, ctx: dict[str, str], conns: int, seconds: float
                  ) -> dict[str, Any]:
            server = next(s for s in servers if s.port == port)
            assert server.proc is not None
            before = cpu_seconds(server.proc.pid)
            figures = real(port, workload, ctx, conns, seconds)
            used = cpu_seconds(server.proc.pid) - before
            cpu[server.name].setdefault(f"{workload.name} c={conns}", []).append(used / figures["requests"] * 1e6)
            return figures

        load.run_wrk = timed  # type: ignore[assignment]
        try:
            results = load.run_load(pairs, connections, duration, workloads, rounds, warm_up=False)
        finally:
            load.run_wrk = real  # type: ignore[assignment]
    finally:
        for server in servers:
            server.stop()
    cells = []
    for workload in workloads:
        for conns in connections:
            this, other_figures = (results[n][workload.name][str(conns)] for n in ("this", "other"))
            label = f"{workload.name} c={conns}"
            cells.append({
                "workload": workload.name, "connections": conns,
                "rps": {"this": this["rps"], "other": other_figures["rps"]},
                "ratio": statistics.median(a / b for a, b in zip(this["runs"], other_figures["runs"], strict=True)),
                "p99_ms": {"this": this["p99_ms"], "other": other_figures["p99_ms"]},
                "cpu_us_per_request": {n: statistics.median(cpu[n].get(label, [0.0])) for n in ("this", "other")},
            })
    return {"other": other, "rounds": rounds, "duration_s": duration, "cells": cells}


def markdown(result: dict[str, Any]) -> str:
    rows = ["| workload | conns | this req/s | other req/s | this/other | this p99 ms | other p99 ms | "
            "this CPU µs/req | other CPU µs/req |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in result["cells"]:
        rows.append(f"| {c['workload']} | {c['connections']} | {c['rps']['this']:,.0f} | {c['rps']['other']:,.0f} | "
                    f"{c['ratio']:.2f} | {c['p99_ms']['this']:.1f} | {c['p99_ms']['other']:.1f} | "
                    f"{c['cpu_us_per_request']['this']:.0f} | {c['cpu_us_per_request']['other']:.0f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--other", required=True, help="another checkout of equos-mock (the before)")
    parser.add_argument("--connections", default="1,8,32")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--workloads", default="", help="comma separated names (default: all of load.py)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    wanted = [w.strip() for w in args.workloads.split(",") if w.strip()]
    workloads = tuple(w for w in load.WORKLOADS if not wanted or w.name in wanted)
    result = measure(args.other, tuple(int(c) for c in args.connections.split(",")), args.rounds, args.duration,
                     workloads)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "checkouts.json").write_text(json.dumps(result, indent=1))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
