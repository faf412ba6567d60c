"""What each layer of the request path costs, in process: ``python -m benchmarks.layers``.

One app, one run: the same requests go through the whole stack and through the stack with one
middleware left out (each left out in turn), interleaved call by call, so every difference compares
calls made microseconds apart. A layer's cost is the median of (whole stack - stack without it);
"routing and the operation" is the stack with every middleware left out (Starlette's error and
exception layers, the router, the dispatcher and the operation). No socket, no server.
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

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.asgi import call
from benchmarks.load import BRAIN

KEY = "sk_bench_layers"
OUT = Path(__file__).resolve().parent / "results" / "layers.json"


def stacks(app: Any) -> dict[str, Any]:
    """``full``, ``bare`` (no middleware) and ``without <layer>`` for every middleware of ``app``."""
    saved = list(app.user_middleware)
    names = [m.cls.__name__ for m in saved]
    built: dict[str, Any] = {}
    try:
        for label, keep in [("full", names), ("bare", []),
                            *((f"without {n}", [x for x in names if x != n]) for n in names)]:
            app.user_middleware = [m for m in saved if m.cls.__name__ in keep]
            built[label] = _entered(app, app.build_middleware_stack())
    finally:
        app.user_middleware = saved
    return built


def _entered(app: Any, stack: Any) -> Any:
    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = app  # what Starlette.__call__ sets before its own stack
        await stack(scope, receive, send)

    return asgi


async def _setup(app: Any) -> dict[str, str]:
    _, raw = await call(app, "POST", "/v3/brains", KEY, BRAIN)
    brain = json.loads(raw)["id"]
    _, raw = await call(app, "POST", "/v3/faces", KEY, {"identity": "tommy"})
    face = json.loads(raw)["id"]
    _, raw = await call(app, "POST", "/v3/voices", KEY, {"identity": "Puck", "instructions": "Calm."})
    voice = json.loads(raw)["id"]
    first = ""
    for i in range(50):
        _, raw = await call(app, "POST", "/v3/characters", KEY, {
            "name": f"Guide {i}", "livekitIdentity": f"guide-{i}", "brainId": brain, "faceId": face,
            "voiceId": voice})
        first = first or json.loads(raw)["id"]
    return {"character": first}


WORKLOADS = {
    "GET /v3/health": ("GET", "/v3/health", None),
    "GET /v3/characters/{id}": ("GET", "/v3/characters/{character}", None),
    "GET /v3/characters?take=50": ("GET", "/v3/characters?take=50", None),
}


async def measure(calls: int) -> dict[str, Any]:
    from mock_server import create_app

    app = create_app()
    ctx = await _setup(app)
    built = stacks(app)
    out: dict[str, Any] = {}
    for workload, (method, target, body) in WORKLOADS.items():
        target = target.format(**ctx)
        times: dict[str, list[float]] = {label: [] for label in built}
        for stack in built.values():  # warm-up
            for _ in range(20):
                await call(stack, method, target, KEY, body)
        for _ in range(calls):
            for label, stack in built.items():
                started = time.perf_counter()
                await call(stack, method, target, KEY, body)
                times[label].append(time.perf_counter() - started)
        median = {label: statistics.median(t) * 1e6 for label, t in times.items()}
        layers = {label.removeprefix("without "): median["full"] - us
                  for label, us in median.items() if label.startswith("without ")}
        out[workload] = {"full_us": median["full"], "routing_and_operation_us": median["bare"],
                         "stack_us": median["full"] - median["bare"], "layers_us": layers}
    return out


def markdown(result: dict[str, Any]) -> str:
    layers = list(next(iter(result.values()))["layers_us"])
    head = "| workload | whole request | routing + operation | middleware stack | " + " | ".join(layers) + " |"
    rows = [head, "|---" + "|---:" * (3 + len(layers)) + "|"]
    for workload, r in result.items():
        cells = [f"{r['full_us']:.1f}", f"{r['routing_and_operation_us']:.1f}", f"{r['stack_us']:.1f}",
                 *(f"{r['layers_us'][n]:.1f}" for n in layers)]
        rows.append(f"| {workload} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000, help="calls per stack and workload")
    parser.add_argument("--label", default="layers", help="written to results/LABEL.json")
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.calls))
    OUT.with_name(f"{args.label}.json").write_text(json.dumps(result, indent=1))
    print("µs per request (medians); a layer's figure is the whole stack minus the stack without it")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
