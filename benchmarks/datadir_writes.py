"""Write latency with ``--data-dir`` (and without), this checkout beside another, in one run.

    python benchmarks/datadir_writes.py --other /path/to/another/checkout --rounds 6 --reps 150

Each round starts one child process per checkout (which goes first alternates), and each child measures,
in process (ASGI calls through the whole middleware stack, SQLite in a fresh temporary directory,
``synchronous=FULL``), the median latency of each request kind over ``--reps`` repetitions. The table
gives the median over rounds per checkout and their ratio: runs seconds apart, on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}
KINDS = ("POST /v3/brains", "PATCH /v3/brains/{id}", "GET /v3/brains/{id}", "DELETE /v3/brains/{id}",
         "POST /v3/conversations", "POST /_mock/organizations", "POST /v3/brains (memory)",
         "GET /v3/brains/{id} (memory)")


def child(tree: Path, reps: int) -> dict[str, float]:
    sys.path.insert(0, str(tree))
    sys.path.insert(1, str(HERE))
    from asgi import call  # the tree under test is on the path only now, hence imports here

    import mock_server
    from mock_server import create_app
    from mock_server.settings import Settings

    assert Path(mock_server.__file__).resolve().is_relative_to(tree.resolve()), mock_server.__file__
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}

    async def timed(kind: str, app: Any, method: str, target: str, key: str | None, body: Any = None) -> bytes:
        began = time.perf_counter()
        status, raw = await call(app, method, target, key, body)
        times[kind].append(time.perf_counter() - began)
        assert status < 300, (kind, status, raw[:200])
        return raw

    async def run(app: Any, memory_app: Any) -> None:
        key = "sk_bench"
        brain = json.loads((await call(app, "POST", "/v3/brains", key, BRAIN))[1])
        character = json.loads((await call(app, "POST", "/v3/characters", key, {
            "name": "c", "livekitIdentity": "c", "brainId": brain["id"]}))[1])
        await call(memory_app, "POST", "/v3/brains", key, BRAIN)
        for n in range(reps):
            made = json.loads(await timed("POST /v3/brains", app, "POST", "/v3/brains", key, BRAIN))
            await timed("PATCH /v3/brains/{id}", app, "PATCH", f"/v3/brains/{made['id']}", key,
                        {"instructions": f"n{n}", "greetingMessage": "Hi"})
            await timed("GET /v3/brains/{id}", app, "GET", f"/v3/brains/{made['id']}", key)
            await timed("DELETE /v3/brains/{id}", app, "DELETE", f"/v3/brains/{made['id']}", key)
            await timed("POST /v3/conversations", app, "POST", "/v3/conversations", key,
                        {"name": "c", "characterId": character["id"]})
            await timed("POST /_mock/organizations", app, "POST", "/_mock/organizations", None,
                        {"keys": [f"sk_org_{n}"]})
            kept = json.loads(await timed("POST /v3/brains (memory)", memory_app, "POST", "/v3/brains", key, BRAIN))
            await timed("GET /v3/brains/{id} (memory)", memory_app, "GET", f"/v3/brains/{kept['id']}", key)

    with tempfile.TemporaryDirectory(prefix="equos-datadir-bench-") as tmp:
        app = create_app(Settings(data_dir=tmp))
        asyncio.run(run(app, create_app(Settings())))
        app.state.persistence.close()
    return {kind: statistics.median(values) * 1e6 for kind, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", type=Path, help="another checkout to measure beside this one")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--reps", type=int, default=150)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.reps)))
        return
    trees = {"this": ROOT} | ({"other": args.other} if args.other else {})
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for number in range(args.rounds):
        order = list(trees) if number % 2 == 0 else list(reversed(trees))
        for name in order:
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(trees[name]),
                                   "--reps", str(args.reps)], capture_output=True, text=True, check=True)
            rounds[name].append(json.loads(done.stdout))
    print(f"median µs per request over {args.rounds} rounds of {args.reps} (median of each round)\n")
    names = list(trees)
    header = " | ".join(str(trees[n]) for n in names)
    print(f"| request | {header} |" + (" ratio |" if len(names) == 2 else ""))
    print("|---|" + "---:|" * (len(names) + (1 if len(names) == 2 else 0)))
    for kind in KINDS:
        medians = [statistics.median(r[kind] for r in rounds[n]) for n in names]
        cells = " | ".join(f"{m:,.0f}" for m in medians)
        ratio = f" {medians[0] / medians[1]:.2f} |" if len(medians) == 2 else ""
        print(f"| {kind} | {cells} |{ratio}")
    print("\nper round:", json.dumps({n: [{k: round(v) for k, v in r.items()} for r in rounds[n]] for n in names}))


if __name__ == "__main__":
    main()
