"""CPU microseconds per request, in process: ``python -m benchmarks.cpu [--calls N] [--other PATH]``.

The machine is shared, so what is compared is the CPU time of the calling thread
(``time.thread_time``), not wall time: the requests of every workload go through the whole app as
ASGI calls (no socket, no server), interleaved workload by workload in rounds, and the figure is the
lowest round mean (over rounds, and over child processes with ``--other``/``--undo-off``): the others'
work on a shared machine only ever adds to a round, so the lowest is the nearest to the code's own cost.
Workloads: the get and the list of 50 of the load run, brain
creation, conversation start (two LiveKit tokens signed), and a fresh organization (a new key's first
request, ``GET /v3/characters?take=20``, against the same request with a known key: the difference is
what the plugin's new key costs the server, in process).

``--undo-off`` also times the same app with the undo log's recording replaced by no-ops (what the
log itself costs each workload). ``--other PATH`` times another checkout too (this file run with
``PYTHONPATH=PATH``, its mock_server and benchmark helpers), in alternating child processes, so a before
and an after are one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __name__ == "__main__" and __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.asgi import call
from benchmarks.load import BRAIN, conversation_body

KEY = "sk_bench_cpu"
HERE = Path(__file__).resolve().parent
WORKLOADS = ("GET /v3/characters/{id}", "GET /v3/characters?take=50", "POST /v3/brains", "POST /v3/conversations",
             "fresh organization")


async def populate(app: Any, key: str = KEY) -> dict[str, Any]:
    """What the load run serves, in process: a brain, face and voice, and 50 characters using all three
    (layers.py uses it too; it stays in this file, which ``--other`` runs against an older checkout)."""
    _, raw = await call(app, "POST", "/v3/brains", key, BRAIN)
    brain = json.loads(raw)["id"]
    _, raw = await call(app, "POST", "/v3/faces", key, {"identity": "tommy"})
    face = json.loads(raw)["id"]
    _, raw = await call(app, "POST", "/v3/voices", key, {"identity": "Puck", "instructions": "Calm."})
    voice = json.loads(raw)["id"]
    first = ""
    for i in range(50):
        _, raw = await call(app, "POST", "/v3/characters", key, {
            "name": f"Guide {i}", "livekitIdentity": f"guide-{i}", "brainId": brain, "faceId": face,
            "voiceId": voice})
        first = first or json.loads(raw)["id"]
    return {"character": first, "conversation": json.loads(conversation_body(first))}


def _undo_off(app: Any) -> None:
    """The undo log records nothing (its cost, measured by difference)."""
    undo = app.state.runtime.store.undo
    undo.record = lambda step: None
    undo.keep_attributes = lambda org: None


async def _timed(app: Any, method: str, target: str, key: str, body: Any, n: int) -> float:
    total = 0.0
    for _ in range(n):
        started = time.thread_time()
        status, _ = await call(app, method, target, key, body)
        total += time.thread_time() - started
        assert status < 300, (method, target, status)
    return total / n * 1e6


async def measure(calls: int, rounds: int, undo_off: bool = False) -> dict[str, float]:
    from mock_server import create_app

    app = create_app()
    if undo_off:
        _undo_off(app)
    ctx = await populate(app)
    fresh = iter(range(10**9))
    per: dict[str, list[float]] = {w: [] for w in WORKLOADS}
    for r in range(rounds + 1):  # the first round warms up
        figures = {
            WORKLOADS[0]: await _timed(app, "GET", f"/v3/characters/{ctx['character']}", KEY, None, calls),
            WORKLOADS[1]: await _timed(app, "GET", "/v3/characters?take=50", KEY, None, max(calls // 5, 1)),
            WORKLOADS[2]: await _timed(app, "POST", "/v3/brains", KEY, BRAIN, calls),
            WORKLOADS[3]: await _timed(app, "POST", "/v3/conversations", KEY, ctx["conversation"], calls),
        }
        warm, new = 0.0, 0.0
        for _ in range(calls):
            warm += await _timed(app, "GET", "/v3/characters?take=20", "sk_bench_warm", None, 1)
            new += await _timed(app, "GET", "/v3/characters?take=20", f"sk_bench_new_{next(fresh)}", None, 1)
        figures[WORKLOADS[4]] = (new - warm) / calls
        if r:
            for w, us in figures.items():
                per[w].append(us)
    return {w: min(v) for w, v in per.items()}


def _child(path: str, calls: int, rounds: int, undo_off: bool) -> dict[str, float]:
    # This file, run against the checkout at ``path`` (its mock_server and its benchmarks helpers).
    code = ("import asyncio, importlib.util, json, sys; "
            f"spec = importlib.util.spec_from_file_location('bench_cpu', {__file__!r}); "
            "cpu = importlib.util.module_from_spec(spec); spec.loader.exec_module(cpu); "
            f"print(json.dumps(asyncio.run(cpu.measure({calls}, {rounds}, {undo_off}))))")
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-c", code], cwd=path, env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300, help="requests per workload and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--undo-off", action="store_true", help="also time the app with the undo log recording nothing")
    parser.add_argument("--other", help="another checkout to time in the same run (alternating child processes)")
    parser.add_argument("--processes", type=int, default=3, help="child processes per variant with --other/--undo-off")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="folder of cpu.json (benchmarks/results)")
    args = parser.parse_args(argv)
    variants: dict[str, tuple[str, bool]] = {"this": (str(HERE.parent), False)}
    if args.undo_off:
        variants["this, undo log off"] = (str(HERE.parent), True)
    if args.other:
        variants["other"] = (str(Path(args.other).resolve()), False)
    if len(variants) == 1:
        result = {"this": asyncio.run(measure(args.calls, args.rounds))}
    else:
        runs: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
        for i in range(args.processes):
            order = list(variants) if i % 2 == 0 else list(reversed(variants))
            for v in order:
                runs[v].append(_child(*variants[v][:1], args.calls, args.rounds, variants[v][1]))
        result = {v: {w: min(r[w] for r in rs) for w in WORKLOADS} for v, rs in runs.items()}
    print("CPU µs per request, in process (lowest round mean)")
    print("| workload | " + " | ".join(result) + " |")
    print("|---" + "|---:" * len(result) + "|")
    for w in WORKLOADS:
        print(f"| {w} | " + " | ".join(f"{result[v][w]:.1f}" for v in result) + " |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cpu.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
