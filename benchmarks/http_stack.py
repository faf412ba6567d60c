"""Which uvicorn HTTP parser and event loop the mock runs on: ``python benchmarks/http_stack.py``.

Starts the mock three times, on h11 + asyncio (uvicorn's pure-Python default), httptools + asyncio
(what ``equos-mock serve`` uses) and httptools + uvloop (when uvloop is installed), each in its own
process on a free 127.0.0.1 port with the same data, runs the load workloads against them as
``run.py`` does (``load.run_load``: interleaved, rotating, median of the rounds) and prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import WORKLOADS, prepare_mock, run_load
from benchmarks.servers import HOST, Server, free_port, wrk_available

STACKS = (("h11", "asyncio"), ("httptools", "asyncio"), ("httptools", "uvloop"))


def serve(port: int, http: str, loop: str) -> None:
    """The child process: the mock as ``equos-mock serve`` runs it, but on the given parser and loop."""
    import uvicorn

    from mock_server import create_app
    from mock_server.collector import settle
    from mock_server.server import listening_socket, uvicorn_config

    app = create_app()
    sock, _ = listening_socket(HOST, port)
    server = uvicorn.Server(uvicorn_config(app, http=http, loop=loop))
    settle()  # as the CLI does at start-up (its ticks: server_for's collector, not used here)
    server.run(sockets=[sock])


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
    servers = []
    try:
        for http, loop in stacks:
            port = free_port()
            servers.append(Server(f"{http}/{loop}", [sys.executable, __file__, "--serve", str(port), http, loop],
                                  port).start())
        connections = tuple(int(c) for c in args.connections.split(","))
        results = run_load([(server, prepare_mock(server.port)) for server in servers], connections,
                           args.duration, rounds=args.rounds, log=lambda line: None)
    finally:
        for server in servers:
            server.stop()
    print("| workload | conns | " + " | ".join(f"{s.name} req/s, p50, p99 ms" for s in servers) + " |")
    print("|---|---:|" + "---:|" * len(servers))
    for conns in connections:
        for workload in WORKLOADS:
            cells = [results[s.name][workload.name][str(conns)] for s in servers]
            print(f"| {workload.name} | {conns} | "
                  + " | ".join(f"{c['rps']:,.0f}, {c['p50_ms']:.2f}, {c['p99_ms']:.1f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
