"""Scale: list and get latency with 100, 10,000 and 100,000 resources in one organization, and the
memory that 100,000 conversations take. In process (ASGI calls, no socket), so the figures are the
mock's own cost, not the network's."""

from __future__ import annotations

import asyncio
import gc
import json
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from typing import Any

from .asgi import call

KEY = "sk_bench_scale"


def _fill_characters(runtime: Any, org: Any, n: int) -> list[str]:
    """``n`` characters, each with a brain, built as the API builds them but added to the store directly
    (the API would check livekitIdentity against every character, which is not what is measured here)."""
    from mock_server.domain.resources import create
    from mock_server.models.characters import EquosCharacter
    from mock_server.models.resources import CreateEquosBrainRequest

    brain = create(runtime, org, runtime.resources["brains"],
                   CreateEquosBrainRequest(instructions="Be brief.", greetingMessage="Hi!"))
    now = runtime.now(org)
    ids = []
    for i in range(n):
        character = EquosCharacter(id=runtime.new_id("character"), organizationId=org.id, name=f"Guide {i}",
                                   livekitIdentity=f"guide-{i}", search=False, brainId=brain.id,
                                   createdAt=now, updatedAt=now)
        org.characters.add(character)
        ids.append(character.id)
    return ids


def _fill_conversations(runtime: Any, org: Any, character_id: str, n: int) -> list[str]:
    """``n`` conversations started through the domain rules (no participants, so no tokens are signed)."""
    from mock_server.domain.conversations import start
    from mock_server.models.conversations import CreateEquosConversationRequest

    body = CreateEquosConversationRequest(name="bench", characterId=character_id)
    return [start(runtime, org, body).conversation.id for _ in range(n)]


def _time(loop: asyncio.AbstractEventLoop, app: Any, method: str, targets: list[str], body: Any = None
          ) -> dict[str, float]:
    samples = []
    for target in targets:
        started = time.perf_counter()
        status, raw = loop.run_until_complete(call(app, method, target, KEY, body))
        samples.append(time.perf_counter() - started)
        if status >= 300:
            raise RuntimeError(f"{method} {target} answered {status}: {raw[:200]!r}")
    samples.sort()
    return {"median_us": statistics.median(samples) * 1e6,
            "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1e6}


def measure_size(n: int, samples: int = 200, seed: int = 7) -> dict[str, Any]:
    from mock_server import auth, create_app
    from mock_server.settings import Settings

    app = create_app(Settings(seed=seed))
    runtime = app.state.runtime
    org = auth.organization_for_key(runtime, KEY)
    loop = asyncio.new_event_loop()
    try:
        characters = _fill_characters(runtime, org, n)
        conversations = _fill_conversations(runtime, org, characters[0], n)
        pick = random.Random(seed)
        loop.run_until_complete(call(app, "GET", "/v3/health"))  # builds the middleware stack
        gc.collect()
        last_page = max(n - 50, 0)
        figures = {
            "get_character": _time(loop, app, "GET", [f"/v3/characters/{pick.choice(characters)}"
                                                      for _ in range(samples)]),
            "list_characters_first_page": _time(loop, app, "GET", ["/v3/characters?take=50"] * samples),
            "list_characters_last_page": _time(loop, app, "GET",
                                               [f"/v3/characters?take=50&skip={last_page}"] * samples),
            "get_conversation": _time(loop, app, "GET", [f"/v3/conversations/{pick.choice(conversations)}"
                                                         for _ in range(samples)]),
            "list_conversations_first_page": _time(loop, app, "GET", ["/v3/conversations?take=50"] * samples),
            "create_character": _create_characters(loop, app, samples // 10),
        }
    finally:
        loop.close()
    return figures


def _create_characters(loop: asyncio.AbstractEventLoop, app: Any, count: int) -> dict[str, float]:
    samples = []
    for i in range(max(count, 5)):
        body = {"name": "New", "livekitIdentity": f"new-{i}-{time.perf_counter_ns()}"}
        started = time.perf_counter()
        status, raw = loop.run_until_complete(call(app, "POST", "/v3/characters", KEY, body))
        samples.append(time.perf_counter() - started)
        if status != 201:
            raise RuntimeError(f"POST /v3/characters answered {status}: {raw[:200]!r}")
    samples.sort()
    return {"median_us": statistics.median(samples) * 1e6, "p99_us": samples[-1] * 1e6}


def conversation_memory(n: int, seed: int = 7) -> dict[str, float]:
    """Bytes Python allocates (tracemalloc) to hold ``n`` conversations started through the domain rules."""
    from mock_server import auth, create_app
    from mock_server.settings import Settings

    app = create_app(Settings(seed=seed))
    runtime = app.state.runtime
    org = auth.organization_for_key(runtime, KEY)
    character = _fill_characters(runtime, org, 1)[0]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        _fill_conversations(runtime, org, character, n)
        elapsed = time.perf_counter() - started
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    total = after - before
    return {"conversations": n, "bytes": total, "bytes_per_conversation": total / n,
            "mib_per_100k": total / n * 100_000 / 2**20, "start_seconds_traced": elapsed}


_PAUSES = r"""
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
from benchmarks.scale import KEY, _fill_characters, _fill_conversations
from mock_server import auth
from mock_server import create_app
pauses, started = [], [0.0]
def timer(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        pauses.append((info["generation"], time.perf_counter() - started[0]))
gc.callbacks.insert(0, timer)
runtime = create_app().state.runtime
if sys.argv[3] == "cli":
    from mock_server.collector import settle
    settle()  # what equos-mock serve does once at start-up (not its ticks: there is no loop here)
org = auth.organization_for_key(runtime, KEY)
_fill_conversations(runtime, org, _fill_characters(runtime, org, 1)[0], int(sys.argv[2]))
full = [p for g, p in pauses if g == 2]
print(json.dumps({"collections": len(pauses), "full_collections": len(full),
                  "longest_ms": max(p for _, p in pauses) * 1000,
                  "longest_full_ms": max(full, default=0.0) * 1000, "total_ms": sum(p for _, p in pauses) * 1000}))
"""


def collector_pauses(n: int) -> dict[str, Any]:
    """Garbage-collector pauses while ``n`` conversations pile up, with Python's defaults and with the
    one-time start-up ``gc.freeze()`` that ``equos-mock serve`` does; each in a fresh interpreter."""
    from .servers import REPO

    out = {}
    for mode in ("default", "cli"):
        done = subprocess.run([sys.executable, "-c", _PAUSES, str(REPO), str(n), mode], capture_output=True,
                              text=True, check=True, timeout=600)
        out[mode] = json.loads(done.stdout)
    return {"conversations": n, **out}


def run_scale(sizes: tuple[int, ...] = (100, 10_000, 100_000), samples: int = 200,
              memory_n: int = 100_000, log: Any = print) -> dict[str, Any]:
    results: dict[str, Any] = {"sizes": {}}
    for n in sizes:
        started = time.perf_counter()
        results["sizes"][str(n)] = measure_size(n, samples)
        log(f"  scale n={n}: {time.perf_counter() - started:.1f} s")
        gc.collect()
    results["memory"] = conversation_memory(memory_n)
    results["gc_pauses"] = collector_pauses(min(memory_n, 30_000))
    small, large = str(min(sizes)), str(max(sizes))
    results["ratio_largest_to_smallest"] = {
        op: results["sizes"][large][op]["median_us"] / results["sizes"][small][op]["median_us"]
        for op in results["sizes"][small]}
    return results
