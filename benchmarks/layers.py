"""What each layer of the request path costs, in process: ``python -m benchmarks.layers``.

One app, one run: the same requests go through the whole stack and through the stack with one
middleware left out (each left out in turn), interleaved call by call, so every difference compares
calls made microseconds apart. A layer's cost is the median of (whole stack - stack without it);
"routing and the operation" is the stack with every middleware left out (Starlette's error and
exception layers, the router, the dispatcher and the operation). No socket, no server. Times are
CPU time of the thread (``time.thread_time``): the machine is shared, and wall time counts the
others' work too. The bare Starlette app (``bare_app.py``) answers the same calls, as the floor.

When the stack is the one-pass pipeline (``mock_server/http/pipeline.py``), its parts are timed one
by one as well, each called alone on the request's scope: the host check, the one read of the
headers (credentials kept), the CORS decision, the fault lookup and the journal entry.
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
from benchmarks.cpu import populate

KEY = "sk_bench_layers"
OUT = Path(__file__).resolve().parent / "results" / "layers.json"


def stacks(app: Any) -> dict[str, Any]:
    """``full``, ``bare`` (no middleware) and ``without <layer>`` for every middleware of ``app``; the
    request pipeline of a ``PipelinedApp`` (outside Starlette's stack) counts as one."""
    from starlette.applications import Starlette

    from mock_server.http.pipeline import RequestPipeline

    saved = list(app.user_middleware)
    outer = getattr(app, "pipeline", None)  # a PipelinedApp's pipeline arguments
    names = [m.cls.__name__ for m in saved] + (["RequestPipeline"] if outer is not None else [])
    built: dict[str, Any] = {}
    try:
        for label, keep in [("full", names), ("bare", []),
                            *((f"without {n}", [x for x in names if x != n]) for n in names)]:
            app.user_middleware = [m for m in saved if m.cls.__name__ in keep]
            stack = Starlette.build_middleware_stack(app)
            if outer is not None and "RequestPipeline" in keep:
                stack = RequestPipeline(stack, **outer)
            built[label] = _entered(app, stack)
    finally:
        app.user_middleware = saved
    return built


def _entered(app: Any, stack: Any) -> Any:
    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = app  # what Starlette.__call__ sets before its own stack
        await stack(scope, receive, send)

    return asgi


WORKLOADS = {
    "GET /v3/health": ("GET", "/v3/health", None),
    "GET /v3/characters/{id}": ("GET", "/v3/characters/{character}", None),
    "GET /v3/characters?take=50": ("GET", "/v3/characters?take=50", None),
}


def _scope(method: str, target: str) -> dict[str, Any]:
    path, _, query = target.partition("?")
    return {"type": "http", "method": method, "path": path, "query_string": query.encode(), "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"x-api-key", KEY.encode()), (b"accept", b"application/json")]}


def _each(calls: int, fn: Any) -> float:
    """µs of CPU per call of ``fn`` (median of 5 batches)."""
    batches = []
    for _ in range(5):
        started = time.thread_time()
        for _ in range(calls):
            fn()
        batches.append((time.thread_time() - started) / calls * 1e6)
    return statistics.median(batches)


def pipeline_parts(app: Any, method: str, target: str, calls: int) -> dict[str, float] | None:
    """Each part of the one-pass pipeline alone, on this request's scope (None for another stack)."""
    found = [m.kwargs for m in app.user_middleware if m.cls.__name__ == "RequestPipeline"]
    if getattr(app, "pipeline", None) is not None:
        found.append(app.pipeline)
    if not found:
        return None
    from mock_server import credentials
    from mock_server.http import cors, faults
    from mock_server.http.pipeline import READ, RequestPipeline

    runtime = app.state.runtime
    pipeline = RequestPipeline(None, **found[0])
    scope = _scope(method, target)

    def headers() -> None:
        values: dict[bytes, list[bytes]] = {}
        for name, value in scope["headers"]:
            name = name.lower()
            if name in READ:
                values.setdefault(name, []).append(value)
        credentials.keep(scope, values)

    path = scope["path"]

    def host() -> None:  # every guard's rule, as the pipeline asks it (``guards``: rule and the prefixes it keeps)
        for guard, prefixes in pipeline.guards:
            if path.startswith(prefixes):
                guard.refusal(scope)

    headers()
    parts = {
        "host check": _each(calls, host),
        "headers read once (credentials kept)": _each(calls, headers),
        "CORS decision": _each(calls, lambda: cors.applies(runtime.assumptions["cors"], scope["path"], False)),
        "fault lookup (no rules)": _each(calls, lambda: faults.pick(runtime, scope)),
        "journal entry": _each(calls, lambda: pipeline.recorder.record(scope, b"", b"{}", (0, 2), 200, None, 0.1)),
    }
    return parts


async def measure(calls: int) -> dict[str, Any]:
    from benchmarks.bare_app import create_bare_app
    from mock_server import create_app

    app = create_app()
    ctx = await populate(app, KEY)
    built = stacks(app)
    built["bare Starlette app"] = create_bare_app()
    out: dict[str, Any] = {}
    for workload, (method, target, body) in WORKLOADS.items():
        target = target.format(**ctx)
        times: dict[str, list[float]] = {label: [] for label in built}
        for stack in built.values():  # warm-up
            for _ in range(20):
                await call(stack, method, target, KEY, body)
        for _ in range(calls):
            for label, stack in built.items():
                started = time.thread_time()
                await call(stack, method, target, KEY, body)
                times[label].append(time.thread_time() - started)
        median = {label: statistics.median(t) * 1e6 for label, t in times.items()}
        layers = {label.removeprefix("without "): median["full"] - us
                  for label, us in median.items() if label.startswith("without ")}
        out[workload] = {"full_us": median["full"], "routing_and_operation_us": median["bare"],
                         "stack_us": median["full"] - median["bare"], "layers_us": layers,
                         "bare_starlette_us": median["bare Starlette app"],
                         "pipeline_parts_us": pipeline_parts(app, method, target, calls)}
    return out


def markdown(result: dict[str, Any]) -> str:
    layers = list(next(iter(result.values()))["layers_us"])
    head = ("| workload | bare Starlette | whole request | routing + operation | middleware stack | "
            + " | ".join(layers) + " |")
    rows = [head, "|---" + "|---:" * (4 + len(layers)) + "|"]
    for workload, r in result.items():
        cells = [f"{r.get('bare_starlette_us', 0):.1f}", f"{r['full_us']:.1f}", f"{r['routing_and_operation_us']:.1f}",
                 f"{r['stack_us']:.1f}", *(f"{r['layers_us'][n]:.1f}" for n in layers)]
        rows.append(f"| {workload} | " + " | ".join(cells) + " |")
    parts = next(iter(result.values())).get("pipeline_parts_us")
    if parts:
        rows += ["", "| the pipeline's parts, each alone | " + " | ".join(result) + " |",
                 "|---" + "|---:" * len(result) + "|"]
        for part in parts:
            rows.append(f"| {part} | " + " | ".join(f"{r['pipeline_parts_us'][part]:.2f}" for r in result.values())
                        + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000, help="calls per stack and workload")
    parser.add_argument("--label", default="layers", help="written to OUT/LABEL.json")
    parser.add_argument("--out", type=Path, default=OUT.parent, help="folder of the result (benchmarks/results)")
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.calls))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.label}.json").write_text(json.dumps(result, indent=1))
    print("µs of CPU per request (medians); a layer's figure is the whole stack minus the stack without it")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
