"""What the room costs a REST request: ``python -m benchmarks.room_rest [--rounds 3] [--duration 2]``.

Three ``equos-mock serve`` processes side by side: the room server on with no room live, ``--no-room``,
and the room server on with one live room (a conversation started and joined by the aiortc LiveKit
client of the room's tests, ``tests/mock_server/room/lk_client.py``, which stays in the room, its
character's video and audio flowing, for the whole run). Each REST workload runs under wrk against the
three in turn, the order rotating every round, so that every ratio compares runs seconds apart. Beside
req/s, the server process's CPU time over each run (``/proc``) divided by the requests it answered:
CPU µs per request, which the shared machine moves less than req/s. The live room's own CPU is measured
over an idle window too (no requests), so that what the room does on its own is not read as REST's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

if __name__ == "__main__" and __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import load
from benchmarks.room import RESULTS, ROOT, cpu_over, cpu_seconds, live_rooms, serve, stop

VARIANTS = ("room on, none live", "--no-room", "room on, one live")
WORKLOADS = (load.WORKLOADS[1], load.WORKLOADS[3])  # GET /v3/characters/{id}, POST /v3/brains


def _client() -> Any:
    sys.path.insert(0, str(ROOT / "tests" / "mock_server" / "room"))
    from lk_client import LkClient  # the room tests' client, not part of the package

    return LkClient


async def _join(url: str, ctx: dict[str, str]) -> Any:
    """Start a conversation and join it as its consumer; the client stays until closed."""
    reply = httpx.post(f"{url}/v3/conversations", headers={"x-api-key": ctx["key"]},
                       json=json.loads(ctx["conversation"]), timeout=10).json()
    client = _client()(reply["conversation"]["serverUrl"], reply["consumerAccessToken"])
    await client.connect()
    await client.wait(lambda: client.tracks, "the character's tracks")
    return client


async def measure(rounds: int, duration: float, connections: int, idle_window: float) -> dict[str, Any]:
    servers = {name: serve(*(["--no-room"] if name == "--no-room" else [])) for name in VARIANTS}
    client = None
    try:
        ports = {name: int(url.rsplit(":", 1)[1]) for name, (_, url) in servers.items()}
        ctxs = {name: load.prepare_mock(port) for name, port in ports.items()}
        live = VARIANTS[2]
        client = await _join(servers[live][1], ctxs[live])
        rooms = {name: live_rooms(url) if name != "--no-room" else 0 for name, (_, url) in servers.items()}
        if rooms[live] != 1 or rooms[VARIANTS[0]] != 0:
            raise RuntimeError(f"expected one live room in {live!r} and none elsewhere: {rooms}")
        # What each process does with no request at all (the live room sends frames on its own).
        idle = {name: await asyncio.to_thread(cpu_over, process.pid, idle_window)
                for name, (process, _) in servers.items()}
        runs: dict[str, dict[str, list[dict[str, float]]]] = {w.name: {v: [] for v in VARIANTS} for w in WORKLOADS}
        for workload in WORKLOADS:  # a warm-up of every server first, not recorded
            for name in VARIANTS:
                await asyncio.to_thread(load.run_wrk, ports[name], workload, ctxs[name], connections, 1)
        for r in range(rounds):
            order = VARIANTS[r % 3:] + VARIANTS[:r % 3]
            for workload in WORKLOADS:
                for name in order:
                    pid = servers[name][0].pid
                    before, began = cpu_seconds(pid), time.monotonic()
                    figures = await asyncio.to_thread(load.run_wrk, ports[name], workload, ctxs[name], connections,
                                                      duration)
                    cpu, wall = cpu_seconds(pid) - before, time.monotonic() - began
                    if figures["non_2xx"] or figures["socket_errors"]:
                        raise RuntimeError(f"{name} {workload.name}: failed answers {figures}")
                    runs[workload.name][name].append({
                        "rps": figures["rps"], "p99_ms": figures["p99_ms"],
                        "cpu_us_per_request": cpu / figures["requests"] * 1e6,
                        # less the process's own idle CPU over the run: what the requests cost
                        "cpu_us_per_request_less_idle": max(cpu - idle[name] * wall, 0.0) / figures["requests"] * 1e6})
        still_live = live_rooms(servers[live][1])
    finally:
        if client is not None:
            await client.close()
        for process, _ in servers.values():
            stop(process)
    summary: dict[str, Any] = {}
    for workload, by_variant in runs.items():
        summary[workload] = {}
        for name, cells in by_variant.items():
            summary[workload][name] = {k: statistics.median(c[k] for c in cells) for k in cells[0]}
            base = by_variant[VARIANTS[0]]
            summary[workload][name]["rps_ratio_to_none_live"] = statistics.median(
                c["rps"] / b["rps"] for c, b in zip(cells, base, strict=True))
    return {"rounds": rounds, "duration_s": duration, "connections": connections, "idle_cores": idle,
            "live_rooms_at_end": still_live, "workloads": summary}


def markdown(result: dict[str, Any]) -> str:
    rows = [f"wrk 1 thread, c={result['connections']}, {result['duration_s']:g} s runs, {result['rounds']} rounds "
            f"(medians); a live room's own CPU with no requests: "
            + ", ".join(f"{name} {cores * 100:.1f}% of a core" for name, cores in result["idle_cores"].items()),
            "", "| workload | server | req/s | vs none live | p99 ms | CPU µs/request | less idle CPU |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for workload, by_variant in result["workloads"].items():
        for name, r in by_variant.items():
            rows.append(f"| {workload} | {name} | {r['rps']:,.0f} | {r['rps_ratio_to_none_live']:.2f} | "
                        f"{r['p99_ms']:.1f} | {r['cpu_us_per_request']:.0f} | "
                        f"{r['cpu_us_per_request_less_idle']:.0f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of the idle CPU window")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.rounds, args.duration, args.connections, args.idle))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "room_rest.json").write_text(json.dumps(result, indent=1))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
