"""The quick ratio check of the request path: ``python benchmarks/run.py --quick`` (under a minute).

One interleaved run (wrk, 1 s per run, servers taking turns within every cell) of the ratios that
issue 21 sets as goals:

- ``GET /v3/characters/{id}`` against the bare Starlette app, at 1, 8 and 32 connections (>= 0.7);
- the list of 50 populated characters against a bare endpoint serializing the same JSON (>= 0.9);
- the mock against Prism on every workload of the full run, at 8 connections (>= 3; the full run
  measures 1, 8 and 32).

A benchmark, not a timed test: it prints the ratios, and whether each goal is met, and writes
``results/quick.json``. A ratio is the median, over the rounds of a cell, of the two servers' req/s
in that round (each round runs both, one after the other, in turns).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import load
from .servers import bare_server, mock_server, prism_available, start_prism, wrk_available

HERE = Path(__file__).resolve().parent
GET, LIST = load.WORKLOADS[1], load.WORKLOADS[2]
GOALS = {"get": 0.7, "list": 0.9, "prism": 3.0}


def _ratio(results: dict[str, Any], a: str, b: str, workload: str, conns: int) -> float:
    """The median over rounds of a's req/s over b's in the same round: the two ran seconds apart, so a
    load that comes and goes on the shared machine moves both."""
    pairs = zip(results[a][workload][str(conns)]["runs"], results[b][workload][str(conns)]["runs"], strict=True)
    return statistics.median(x / y for x, y in pairs)


def run_quick(duration: float = 1.0, rounds: int = 3, with_prism: bool = True, log: Any = print
              ) -> dict[str, Any]:
    if not wrk_available():
        raise SystemExit("--quick needs wrk (benchmarks/README.md: install the load tools)")
    started = time.perf_counter()
    servers = []
    prism_start = None
    quiet = lambda *_: None  # noqa: E731  (the ratios are printed at the end)
    with tempfile.TemporaryDirectory(prefix="equos-quick-") as tmp, ThreadPoolExecutor(1) as pool:
        try:
            # Prism takes seconds to start: it starts while the mock is filled.
            prism_start = (pool.submit(start_prism, Path(tmp)) if with_prism and prism_available() else None)
            mock = mock_server().start()
            servers.append(mock)
            ctx = load.prepare_mock(mock.port)
            bare = bare_server(listed=load.save_list(mock.port, Path(tmp) / "list.json")).start()
            servers.append(bare)
            bare_ctx = load.context("00000000-0000-4000-8000-000000000000")
            prism = None
            if prism_start is not None:
                prism, _ = prism_start.result()
                servers.append(prism)
                load.check_answers(prism.port, bare_ctx)
            load.check_answers(mock.port, ctx)
            pair = [(mock, ctx), (bare, bare_ctx)]
            for server, server_ctx in [*pair, *([(prism, bare_ctx)] if prism else [])]:
                load.run_wrk(server.port, GET, server_ctx, 8, 1)  # warm-up, not recorded
            get = load.run_load(pair, (1, 8, 32), duration, (GET,), rounds, quiet, warm_up=False)
            listed = load.run_load(pair, (8,), duration, (LIST,), rounds, quiet, warm_up=False)
            versus = (load.run_load([(mock, ctx), (prism, bare_ctx)], (8,), duration, load.WORKLOADS, 1, quiet,
                                    warm_up=False) if prism else None)
        finally:
            if prism_start is not None and not any(s.name == "prism" for s in servers):
                try:
                    servers.append(prism_start.result()[0])  # started, but never reached: stop it too
                except RuntimeError:
                    pass
            for server in servers:
                server.stop()
    out: dict[str, Any] = {
        "get": {c: _ratio(get, "mock", "starlette", GET.name, c) for c in (1, 8, 32)},
        "list": {8: _ratio(listed, "mock", "starlette", LIST.name, 8)},
        "prism": ({w.name: _ratio(versus, "mock", "prism", w.name, 8) for w in load.WORKLOADS}
                  if versus else None),
        "figures": {"get": get, "list": listed, "prism": versus},
        "wall_s": time.perf_counter() - started,
    }
    log(text(out))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "quick.json").write_text(json.dumps(out, indent=1))
    return out


def _met(values: list[float], goal: float) -> str:
    return "met" if min(values) >= goal else "NOT MET"


def text(out: dict[str, Any]) -> str:
    get, listed, prism = out["get"], out["list"], out["prism"]
    lines = [
        "quick ratios (wrk 1 thread, 1 s runs; each the median over rounds of the ratio within a round):",
        "  1-3. GET /v3/characters/{id} / bare Starlette: "
        + ", ".join(f"c={c} {r:.2f}" for c, r in get.items())
        + f"   (goal >= {GOALS['get']}: {_met(list(get.values()), GOALS['get'])})",
        f"  4.   GET /v3/characters?take=50 / bare endpoint, same JSON: c=8 {listed[8]:.2f}"
        f"   (goal >= {GOALS['list']}: {_met(list(listed.values()), GOALS['list'])})",
    ]
    if prism:
        worst = min(prism, key=prism.get)
        lines.append("  mock / Prism, c=8: " + ", ".join(f"{w} {r:.1f}" for w, r in prism.items())
                     + f"   (worst {worst} {prism[worst]:.2f}; goal >= {GOALS['prism']}: "
                     + f"{_met(list(prism.values()), GOALS['prism'])})")
    else:
        lines.append("  mock / Prism: not measured (Prism is not installed: benchmarks/README.md)")
    lines.append(f"  ({out['wall_s']:.0f} s)")
    return "\n".join(lines)
