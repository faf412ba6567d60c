"""One command for every benchmark of the mock: ``python benchmarks/run.py`` (see benchmarks/README.md).

Load (wrk) beside a bare Starlette app and Prism, start-up, per-test overhead inside pytest, scale and
memory, and the contract suite's run time. Every server binds 127.0.0.1; every run stops by itself.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` and `mock_server` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import contract, load, plugin_cpu, pytest_overhead, quick, report, scale, startup
from benchmarks.servers import bare_server, mock_server, prism_available, start_prism, wrk_available

HERE = Path(__file__).resolve().parent
SECTIONS = ("load", "startup", "pytest", "scale", "contract")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma separated, of {', '.join(SECTIONS)}")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run (default 3)")
    parser.add_argument("--connections", default="1,8,32", help="wrk connection counts (default 1,8,32)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per load cell; the median is kept")
    parser.add_argument("--sizes", default="100,10000,100000", help="organization sizes for the scale runs")
    parser.add_argument("--memory-conversations", type=int, default=100_000)
    parser.add_argument("--pytest-tests", type=int, default=200, help="tests per kind in the overhead run")
    parser.add_argument("--pytest-other", action="append", default=[], metavar="PATH",
                        help="an older checkout for the CPU figures of the pytest section (plugin_cpu.py; repeatable)")
    parser.add_argument("--pytest-cpu-tests", type=int, default=40, help="tests per fixture and round (plugin_cpu.py)")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--no-prism", action="store_true", help="leave Prism out even when it is installed")
    parser.add_argument("--quick", action="store_true",
                        help="only the ratios of issue 21, one interleaved run (under a minute; quick.py)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes and 1 s load runs, no Prism, no contract suite: checks the harness works")
    parser.add_argument("--label", default="latest", help="results are written to OUT/LABEL.json and .md")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--no-record", action="store_true", help="do not update benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.connections, args.sizes = 1.0, "1", "10,100"
        args.memory_conversations, args.pytest_tests, args.startup_runs = 200, 5, 1
        args.pytest_cpu_tests = 2
        args.no_prism = True
        args.sections = ",".join(s for s in args.sections.split(",") if s != "contract")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick:
        quick.run_quick(with_prism=not args.no_prism)
        return 0
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections: {', '.join(sorted(unknown))}")
    results: dict[str, Any] = {
        "command": "python benchmarks/run.py " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "machine": report.machine(probe_prism=not args.no_prism),
        "settings": {"duration": args.duration, "rounds": args.rounds, "connections": args.connections,
                     "sizes": args.sizes,
                     "smoke": args.smoke},
    }
    use_prism = not args.no_prism and prism_available()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="equos-bench-") as tmp:
        workdir = Path(tmp)
        if "load" in sections:
            if not wrk_available():
                results["load_skipped"] = "wrk is not installed"
                print("load: skipped, wrk is not installed")
            else:
                print("load:")
                results["load"] = _load(args, workdir, use_prism, results)
        if "startup" in sections:
            print("startup:")
            results["startup"] = startup.run_startup(workdir, args.startup_runs, with_prism=use_prism)
        if "pytest" in sections:
            print("per-test overhead:")
            results["pytest"] = pytest_overhead.run_pytest_overhead(args.pytest_tests)
            results["org_in_process"] = pytest_overhead.org_creation_in_process(2_000 if args.smoke else 10_000)
            # The verdict's figures: CPU time, steady on a shared machine (the ones above are wall time).
            results["pytest_cpu"] = plugin_cpu.run(args.pytest_other, args.pytest_cpu_tests,
                                                   1 if args.smoke else 3, 1 if args.smoke else 2,
                                                   10 if args.smoke else 200)
        if "scale" in sections:
            print("scale:")
            sizes = tuple(int(s) for s in args.sizes.split(","))
            results["scale"] = scale.run_scale(sizes, samples=50 if args.smoke else 200,
                                               memory_n=args.memory_conversations)
        if "contract" in sections:
            print("contract suite:")
            results["contract"] = contract.run_contract()
    results["wall_s"] = time.perf_counter() - started
    text = report.markdown(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.label}.json").write_text(json.dumps(results, indent=1))
    (args.out / f"{args.label}.md").write_text(text)
    if not args.no_record:
        report.record(HERE / "RESULTS.md", text)
    print(text)
    print(f"harness wall time {results['wall_s']:.0f} s; results in {args.out / args.label}.json")
    return 0


def _load(args: argparse.Namespace, workdir: Path, use_prism: bool, results: dict[str, Any]) -> dict[str, Any]:
    connections = tuple(int(c) for c in args.connections.split(","))
    workloads = load.WORKLOADS[:2] if args.smoke else load.WORKLOADS
    servers = []
    try:
        mock = mock_server().start()
        servers.append((mock, load.prepare_mock(mock.port)))
        bare = bare_server(listed=load.save_list(mock.port, workdir / "list.json")).start()
        servers.append((bare, load.context("00000000-0000-4000-8000-000000000000")))
        if use_prism:
            prism, document = start_prism(workdir)
            results["prism_document"] = document
            servers.append((prism, load.context("00000000-0000-4000-8000-000000000000")))
        for server, ctx in servers:
            if server.name != "starlette":
                load.check_answers(server.port, ctx)
        return load.run_load(servers, connections, args.duration, workloads, rounds=args.rounds)
    finally:
        for server, _ in servers:
            server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
