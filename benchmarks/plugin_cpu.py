"""The pytest plugin's per-test cost as CPU time, this checkout against older ones in one run:
``python -m benchmarks.plugin_cpu [--other PATH]... [--tests N] [--rounds R] [--processes P]``.

``pytest_overhead.py`` times the same things as wall time over HTTP, which on a shared machine is
mostly the others' work. Here every figure is CPU time, and the lowest round mean is kept (over rounds,
and over alternating child processes per checkout): the others' work only ever adds to a round.

- **Fixtures, per test** (setup + call + teardown): a child pytest (``pytest.main`` in the child process, the
  plugin loaded with ``-p mock_server.pytest_plugin`` from the checkout on ``PYTHONPATH``, no other
  plugin) runs empty tests asking for one fixture each, and two typical tests (a client fixture and one
  request), interleaved kind by kind in rounds. The CPU of
  the whole process (``time.process_time``: the test thread, which runs the fixtures and the control
  client, and the session server's thread, which answers it) is read around each test's setup, call and
  teardown, and a test asking for no fixture is subtracted: what is left is the plugin's.
- **Steady figures**: a fixed piece of work (``probe_work``: JSON and socket round trips) runs in every
  round too; each figure is divided by its round's probe and multiplied by the fastest probe of the whole
  run, so that a child process that ran while the machine was slow (a shared VM's CPU time per unit of work
  varies by tens of percent from minute to minute) compares with one that ran while it was fast.
- **Fresh organization, in process** (ASGI calls, no socket, ``time.thread_time``): a new key's first
  ``GET /v3/characters?take=20`` against the same request with a known key (the difference), the
  store's own cost of a new organization (the checkout's ``organization_for_key``), and
  ``POST /_mock/reset`` with a key whose organization holds one brain.

Everything a child runs is in this file (an older checkout lacks newer helpers); a part that an older
checkout cannot run is reported as absent, with why, never filled in.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Fixture kinds: the key alone, then what a typical test adds to it (the plugin's client and control fixtures).
FIXTURES = ("equos_api_key", "equos_org", "equos_client", "equos_default_client", "equos_httpx", "equos_clock",
            "equos_faults", "equos_journal")
# A typical test: a client fixture and one request with the test's key (its organization made by it).
TYPICAL = {"typical_sdk": ("equos_client", "assert equos_client.characters.list(take=20).total == 0"),
           "typical_httpx": ("equos_httpx", "assert equos_httpx.get('/v3/characters?take=20').status_code == 200")}
KINDS = (*FIXTURES, *TYPICAL)
IN_PROCESS = ("fresh organization (first request, difference)", "new organization in the store",
              "reset with a key (POST /_mock/reset)")
BRAIN = {"name": "Bench brain", "instructions": "Be brief.", "greetingMessage": "Hi."}

_CONFTEST = r'''
import json, os, sys, time
import pytest

KINDS = json.loads(os.environ["PLUGIN_CPU_KINDS"])


@pytest.fixture
def probe():
    sys.modules["bench_plugin_cpu"].probe_work()
CPU = {}  # (round, kind) -> [process s, test thread s, tests]


def pytest_collection_modifyitems(items):
    # Interleaved: round by round, test by test, one of each kind in turn.
    items.sort(key=lambda item: (item.callspec.params["r"], item.callspec.params["i"],
                                 KINDS.index(item.originalname[len("test_"):])))


def _add(item, process, thread):
    kind = item.originalname[len("test_"):]
    cell = CPU.setdefault((item.callspec.params["r"], kind), [0.0, 0.0, 0])
    cell[0] += process
    cell[1] += thread


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    p, t = time.process_time(), time.thread_time()
    yield
    _add(item, time.process_time() - p, time.thread_time() - t)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    p, t = time.process_time(), time.thread_time()
    yield
    _add(item, time.process_time() - p, time.thread_time() - t)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    p, t = time.process_time(), time.thread_time()
    yield
    _add(item, time.process_time() - p, time.thread_time() - t)
    CPU[(item.callspec.params["r"], item.originalname[len("test_"):])][2] += 1


def pytest_sessionfinish(session):
    with open(os.environ["PLUGIN_CPU_OUT"], "w") as fh:
        json.dump([[r, k, *v] for (r, k), v in CPU.items()], fh)
'''


def probe_work() -> None:
    """A fixed piece of work much like the plugin's (JSON, small socket round trips, Python calls): its CPU
    time in each round is how fast the machine runs just then, and the figures are divided by it."""
    a, b = socket.socketpair()
    try:
        for i in range(40):
            a.sendall(json.dumps({"i": i, "path": "/_mock/organizations", "q": "x" * 80}).encode())
            json.loads(b.recv(4096))
    finally:
        a.close()
        b.close()


def _tests(kinds: list[str], n: int, rounds: int) -> str:
    head = (f"import pytest\n\nparams = pytest.mark.parametrize('r', range({rounds + 1}))\n"
            f"each = pytest.mark.parametrize('i', range({n}))\n\n")
    bodies = []
    for kind in kinds:
        fixture, body = TYPICAL.get(kind, (kind, "pass"))
        args = "r, i" if kind == "bare" else f"r, i, {fixture}"
        bodies.append(f"@params\n@each\ndef test_{kind}({args}):\n    {body}\n")
    return head + "\n\n".join(bodies)


def fixture_child(n: int, rounds: int) -> dict[str, Any]:
    """In a child process whose ``PYTHONPATH`` is the checkout: per-test CPU µs of each fixture kind."""
    import pytest

    from mock_server import pytest_plugin

    present = [k for k in KINDS if hasattr(pytest_plugin, TYPICAL.get(k, (k,))[0])]
    kinds = ["bare", "probe", *present]
    sys.modules.setdefault("bench_plugin_cpu", sys.modules[__name__])  # for the conftest's probe fixture
    with tempfile.TemporaryDirectory(prefix="equos-plugin-cpu-") as tmp:
        folder = Path(tmp)
        (folder / "pytest.ini").write_text("[pytest]\n")
        (folder / "conftest.py").write_text(_CONFTEST)
        (folder / "test_plugin_cpu.py").write_text(_tests(kinds, n, rounds))
        out = folder / "cpu.json"
        os.environ.update(PLUGIN_CPU_OUT=str(out), PLUGIN_CPU_KINDS=json.dumps(kinds))
        code = pytest.main(["-q", "-p", "no:cacheprovider", "-p", "mock_server.pytest_plugin", "--rootdir",
                            str(folder), "-o", "addopts=", "-W", "ignore", str(folder)])
        if code != 0:
            raise RuntimeError(f"the child pytest failed ({code})")
        cells = json.loads(out.read_text())
    means: dict[str, dict[int, tuple[float, float]]] = {}
    for r, kind, process, thread, tests in cells:
        if r and tests:  # round 0 starts the session server and warms up
            means.setdefault(kind, {})[r] = (process / tests * 1e6, thread / tests * 1e6)
    bare = means.pop("bare")
    probes = means.pop("probe")
    probe = {r: probes[r][0] - bare[r][0] for r in bare}
    result: dict[str, Any] = {"mock_server": pytest_plugin.__file__, "bare test": min(m[0] for m in bare.values()),
                              "probe": min(probe.values())}
    for kind in present:
        # Per round, minus the bare test of that round; the lowest round is kept, and apart from it the
        # lowest in probe units (the round's figure over the round's probe).
        rows = [(means[kind][r][0] - bare[r][0], means[kind][r][1] - bare[r][1]) for r in means[kind]]
        best = min(rows)
        units = min((means[kind][r][0] - bare[r][0]) / probe[r] for r in means[kind])
        result[kind] = {"process": best[0], "test thread": best[1], "server thread": best[0] - best[1],
                        "probe units": units}
    return result


def _asgi_call() -> Any:
    """``call`` of this checkout's ``benchmarks/asgi.py``, loaded from its file once per process: with
    another checkout on ``PYTHONPATH`` every checkout is still called by the same client code."""
    name = "_this_checkouts_asgi"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, HERE / "asgi.py")
        assert spec is not None and spec.loader is not None
        module = sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module.call


def _store_new_org(app: Any) -> tuple[Any, str]:
    """The checkout's own 'a new organization for this key' (its name moved between checkouts)."""
    runtime = app.state.runtime
    try:
        from mock_server import auth

        return (lambda key: auth.organization_for_key(runtime, key)), "auth.organization_for_key"
    except (ImportError, AttributeError):
        pass
    if hasattr(runtime, "organization_for_key"):
        return runtime.organization_for_key, "Runtime.organization_for_key"
    raise LookupError("no organization_for_key in this checkout")


async def in_process_child(n: int, rounds: int) -> dict[str, Any]:
    from mock_server import create_app

    app = create_app()
    call = _asgi_call()  # found once, not inside the timed calls
    fresh = iter(range(10**9))
    notes: dict[str, str] = {}
    try:
        new_org, notes["store"] = _store_new_org(app)
    except LookupError as exc:
        new_org, notes["store"] = None, str(exc)
    per: dict[str, list[float]] = {w: [] for w in IN_PROCESS}
    units: dict[str, list[float]] = {w: [] for w in IN_PROCESS}
    probes: list[float] = []
    assert (await call(app, "GET", "/v3/characters?take=20", "sk_bench_warm"))[0] == 200
    for r in range(rounds + 1):  # the first round warms up
        warm = new = store = reset = probe = 0.0
        for _ in range(n):
            started = time.thread_time()
            probe_work()  # interleaved with the requests, so it sees the speed they saw
            probe += time.thread_time() - started
            started = time.thread_time()
            assert (await call(app, "GET", "/v3/characters?take=20", "sk_bench_warm"))[0] == 200
            warm += time.thread_time() - started
            key = f"sk_bench_new_{next(fresh)}"
            started = time.thread_time()
            assert (await call(app, "GET", "/v3/characters?take=20", key))[0] == 200
            new += time.thread_time() - started
            if new_org is not None:
                key = f"sk_bench_store_{next(fresh)}"
                started = time.thread_time()
                new_org(key)
                store += time.thread_time() - started
            key = f"sk_bench_reset_{next(fresh)}"
            assert (await call(app, "POST", "/v3/brains", key, BRAIN))[0] < 300
            started = time.thread_time()
            status = (await call(app, "POST", "/_mock/reset", None, {"key": key}))[0]
            reset += time.thread_time() - started
            if status >= 300:
                raise RuntimeError(f"POST /_mock/reset answered {status}")
        if r:
            probe = probe / n * 1e6
            probes.append(probe)
            for w, total in zip(IN_PROCESS, (new - warm, store, reset), strict=True):
                per[w].append(total / n * 1e6)
                units[w].append(total / n * 1e6 / probe)
    result: dict[str, Any] = {w: min(v) for w, v in per.items()}
    result["probe"] = min(probes)
    result["probe units"] = {w: min(v) for w, v in units.items()}
    if new_org is None:
        result[IN_PROCESS[1]] = result["probe units"][IN_PROCESS[1]] = None
    result["notes"] = notes
    return result


def child(n: int, rounds: int, org_calls: int) -> dict[str, Any]:
    return {"fixtures": fixture_child(n, rounds), "in_process": asyncio.run(in_process_child(org_calls, rounds))}


def _run_child(path: str, n: int, rounds: int, org_calls: int) -> dict[str, Any]:
    # This file, run against the checkout at ``path`` (its mock_server, not this one's).
    code = ("import importlib.util, json, sys; "
            f"spec = importlib.util.spec_from_file_location('bench_plugin_cpu', {__file__!r}); "
            "m = importlib.util.module_from_spec(spec); sys.modules['bench_plugin_cpu'] = m; "
            "spec.loader.exec_module(m); "
            f"print('PLUGIN_CPU ' + json.dumps(m.child({n}, {rounds}, {org_calls})))")
    env = {**os.environ, "PYTHONPATH": path, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=path, env=env, capture_output=True, text=True,
                          timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"the run against {path} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("PLUGIN_CPU "))
    result = json.loads(line[len("PLUGIN_CPU "):])
    served = result["fixtures"]["mock_server"]
    if not Path(served).resolve().is_relative_to(Path(path).resolve()):
        raise RuntimeError(f"the run against {path} imported {served}")
    return result


def _lowest(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and "process" in a:  # one fixture's figures: those of the lower run, whole
        return {**(a if a["process"] <= b["process"] else b), "probe units": min(a["probe units"], b["probe units"])}
    if isinstance(a, dict):
        return {k: _lowest(a[k], b[k]) if k in b else a[k] for k in a}
    if isinstance(a, float) and isinstance(b, float):  # a figure, a probe, a figure in probe units
        return min(a, b)
    return a


def measure(paths: dict[str, str], n: int, rounds: int, processes: int, org_calls: int) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    names = list(paths)
    for i in range(processes):
        for name in names if i % 2 == 0 else reversed(names):  # alternating, so drift hits both
            got = _run_child(paths[name], n, rounds, org_calls)
            runs[name] = _lowest(runs[name], got) if name in runs else got
    # Steady figures: each in probe units, times the fastest probe of the whole run (the machine's speed
    # when the others left it most), so that checkouts measured at different speeds compare.
    fastest = min(r["fixtures"]["probe"] for r in runs.values())
    fastest_in_process = min(r["in_process"]["probe"] for r in runs.values())
    for r in runs.values():
        for kind in KINDS:
            if kind in r["fixtures"]:
                r["fixtures"][kind]["steady"] = r["fixtures"][kind]["probe units"] * fastest
        r["in_process"]["steady"] = {w: None if u is None else u * fastest_in_process
                                     for w, u in r["in_process"]["probe units"].items()}
    return {"tests_per_kind_and_round": n, "rounds": rounds, "processes": processes, "org_calls": org_calls,
            "checkouts": paths, "results": runs}


def _label(kind: str) -> str:
    if kind in TYPICAL:
        fixture, body = TYPICAL[kind]
        return f"a typical test: {fixture} + `{body.removeprefix('assert ').split(' ==')[0]}`"
    return kind


def markdown(result: dict[str, Any]) -> str:
    res = result["results"]
    names = list(res)
    head = ["", *names, *(f"this/{n}" for n in names[1:])]
    rule = "|---" + "|---:" * (len(head) - 1) + "|"

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    def row(label: str, figures: list[float | None]) -> str:
        ratios = [f"{figures[0] / f:.2f}" if f and figures[0] is not None else "-" for f in figures[1:]]
        return line([label, *("absent" if f is None else f"{f:,.1f}" for f in figures), *ratios])

    rows = ["CPU µs per test: setup + call + teardown beyond an empty test, whole process (the test thread and the "
            "session server's thread); steady (each round over its probe, times the run's fastest probe), "
            "lowest round", "", line(["fixture", *head[1:]]), rule]
    for kind in KINDS:
        rows.append(row(_label(kind), [res[n]["fixtures"].get(kind, {}).get("steady") for n in names]))
    rows += ["", "The same, raw (lowest round mean, not divided by the probe)", "", line(["fixture", *head[1:]]), rule]
    for kind in KINDS:
        rows.append(row(_label(kind), [res[n]["fixtures"].get(kind, {}).get("process") for n in names]))
    split = [f"{res[n]['fixtures']['equos_api_key']['test thread']:,.0f} / "
             f"{res[n]['fixtures']['equos_api_key']['server thread']:,.0f}" for n in names]
    rows.append(line(["(equos_api_key: test thread / server thread)", *split, *[""] * (len(names) - 1)]))
    rows.append(line(["(an empty test: pytest's own)", *(f"{res[n]['fixtures']['bare test']:,.1f}" for n in names),
                      *[""] * (len(names) - 1)]))
    rows.append(line(["(the probe, fastest round)", *(f"{res[n]['fixtures']['probe']:,.1f}" for n in names),
                      *[""] * (len(names) - 1)]))
    rows += ["", "CPU µs, in process (ASGI calls, test thread): steady, and raw (lowest round mean)", "",
             line(head), rule]
    for w in IN_PROCESS:
        rows.append(row(w, [res[n]["in_process"]["steady"].get(w) for n in names]))
    for w in IN_PROCESS:
        rows.append(row(f"{w}, raw", [res[n]["in_process"].get(w) for n in names]))
    for n in names:
        missing = sorted({TYPICAL.get(k, (k,))[0] for k in KINDS if k not in res[n]["fixtures"]})
        if missing:
            rows.append(f"\n{n}: no fixture {', '.join(missing)} in that checkout (absent, not measured)")
        if res[n]["in_process"].get(IN_PROCESS[1]) is None:
            rows.append(f"\n{n}: the store part could not run: {res[n]['in_process']['notes'].get('store')}")
    return "\n".join(rows)


def run(others: list[str], n: int, rounds: int, processes: int, org_calls: int) -> dict[str, Any]:
    paths = {"this": str(HERE.parent)}
    for other in others:
        resolved = Path(other).resolve()
        paths[resolved.name if resolved.name not in paths else str(resolved)] = str(resolved)
    return measure(paths, n, rounds, processes, org_calls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", action="append", default=[], help="an older checkout (repeatable)")
    parser.add_argument("--tests", type=int, default=40, help="tests per fixture kind and round (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per child (default 3)")
    parser.add_argument("--processes", type=int, default=2, help="child processes per checkout (default 2)")
    parser.add_argument("--org-calls", type=int, default=200, help="in-process requests per round (default 200)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    result = run(args.other, args.tests, args.rounds, args.processes, args.org_calls)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "plugin_cpu.json").write_text(json.dumps(result, indent=1))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(HERE.parent))
    raise SystemExit(main())
