"""Profile the mock's hot paths in process: ``python benchmarks/profile.py [WORKLOAD] [--calls N]``.

Runs the workload's requests through the ASGI app (no socket, so the profile is the mock's own code
plus Starlette) under pyinstrument (``pip install pyinstrument``) and prints the call tree.
For the server under real load, use py-spy on the CLI process instead:
``py-spy record -o profile.svg -- equos-mock serve --port 8787`` while wrk runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.asgi import call
from benchmarks.load import BRAIN, conversation_body

KEY = "sk_bench_profile"


async def _setup(app: Any) -> dict[str, Any]:
    _, raw = await call(app, "POST", "/v3/brains", KEY, BRAIN)
    brain = json.loads(raw)["id"]
    ids = []
    for i in range(50):
        _, raw = await call(app, "POST", "/v3/characters", KEY,
                            {"name": f"Guide {i}", "livekitIdentity": f"guide-{i}", "brainId": brain})
        ids.append(json.loads(raw)["id"])
    return {"character": ids[0]}


def requests(workload: str, ctx: dict[str, Any]) -> list[tuple[str, str, Any]]:
    conversation = json.loads(conversation_body(ctx["character"]))
    table = {
        "health": [("GET", "/v3/health", None)],
        "get_character": [("GET", f"/v3/characters/{ctx['character']}", None)],
        "list_characters": [("GET", "/v3/characters?take=50", None)],
        "create_brain": [("POST", "/v3/brains", BRAIN)],
        "start_conversation": [("POST", "/v3/conversations", conversation)],
    }
    table["mixed"] = [r for name in ("health", "get_character", "list_characters", "create_brain",
                                     "start_conversation") for r in table[name]]
    return table[workload]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload", nargs="?", default="get_character",
                        choices=["health", "get_character", "list_characters", "create_brain",
                                 "start_conversation", "mixed"])
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args(argv)
    from pyinstrument import Profiler

    from mock_server import create_app

    app = create_app()

    async def run() -> None:
        ctx = await _setup(app)
        batch = requests(args.workload, ctx)
        profiler = Profiler(interval=0.0002, async_mode="disabled")
        profiler.start()
        for i in range(args.calls):
            method, target, body = batch[i % len(batch)]
            await call(app, method, target, KEY, body)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
