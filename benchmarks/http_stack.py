"""Which uvicorn HTTP parser and event loop the mock runs on: ``python benchmarks/http_stack.py``.

Starts the mock three times, on h11 + asyncio (uvicorn's pure-Python default), httptools + asyncio
(what ``equos-mock serve`` uses) and httptools + uvloop (when uvloop is installed), each in its own
process on a free 127.0.0.1 port with the same data, then runs the load workloads against them in
turn, rotating the order, and prints a Markdown table with the median run of each cell.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import WORKLOADS, prepare_mock, run_wrk
from benchmarks.servers import HOST, free_port, request, wrk_available

STACKS = (("h11", "asyncio"), ("httptools", "asyncio"), ("httptools", "uvloop"))


def serve(port: int, http: str, loop: str) -> None:
    """The child process: the mock as ``equos-mock serve`` runs it, but on the given parser and loop."""
    import uvicorn

    from mock_server import create_app
    from mock_server.server import listening_socket, uvicorn_config

    app = create_app()
    sock, _ = listening_socket(HOST, port)
    server = uvicorn.Server(uvicorn_config(app, http=http, loop=loop))
    gc.freeze()  # as the CLI does
    server.run(sockets=[sock])


def start(http: str, loop: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port), http, loop])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/v3/health", timeout=1)[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"the mock on {http}/{loop} did not come up")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "HTTP", "LOOP"), help=argparse.SUPPRESS)
    parser.add_argument("--connections", default="1,32")
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="runs per cell; the median req/s is kept")
    args = parser.parse_args(argv)
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return 0
    if not wrk_available():
        raise SystemExit("wrk is not installed (see benchmarks/README.md)")
    stacks = [s for s in STACKS if s[1] != "uvloop" or importlib.util.find_spec("uvloop")]
    servers = [(f"{http}/{loop}", *start(http, loop)) for http, loop in stacks]
    try:
        contexts = {name: prepare_mock(port) for name, _, port in servers}
        print("| workload | conns | " + " | ".join(f"{name} req/s, p50, p99 ms" for name, _, _ in servers) + " |")
        print("|---|---:|" + "---:|" * len(servers))
        rotation = 0
        for conns in (int(c) for c in args.connections.split(",")):
            for workload in WORKLOADS:
                runs: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in servers}
                for _ in range(args.rounds):
                    rotation += 1
                    for name, _, port in servers[rotation % len(servers):] + servers[:rotation % len(servers)]:
                        runs[name].append(run_wrk(port, workload, contexts[name], conns, args.duration))
                cells = []
                for name, _, _ in servers:
                    median = sorted(runs[name], key=lambda f: f["rps"])[len(runs[name]) // 2]
                    cells.append(f"{median['rps']:,.0f}, {median['p50_ms']:.2f}, {median['p99_ms']:.1f}")
                print(f"| {workload.name} | {conns} | " + " | ".join(cells) + " |", flush=True)
    finally:
        for _, proc, _ in servers:
            proc.kill()
            proc.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
