"""How strong the contract suite is: issue 23's faults (tests/contract_tests/contract_faults.py) against
the suite, with the control plane visible and hidden, in two runs with different seeds; and the same
faults against Schemathesis on the record.

    python benchmarks/contract_strength.py suite [--seeds 1,2] [--workers 2] [NAME ...]
    python benchmarks/contract_strength.py schemathesis [--max-examples 20] [NAME ...]
    python benchmarks/contract_strength.py table          # RESULTS.md's table from the saved results

Results go to benchmarks/results/contract_strength.json (one key per command); ``table`` prints the
markdown table recorded in RESULTS.md. Every server binds 127.0.0.1 on a free port and is stopped by
its own process id. About 8 minutes for ``suite --runs 2`` and 10 for ``schemathesis`` on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests" / "contract_tests"
RESULTS = ROOT / "benchmarks" / "results" / "contract_strength.json"
RECORD = ROOT / "contract_tests" / "contract" / "equos-v3.record.json"
KEY = "sk_schemathesis_benchmark"
# Schemathesis' example and fuzzing phases: its coverage phase (every boundary of every schema) and its
# stateful phase (links the record does not have) add minutes a fault on this machine.
PHASES = "examples,fuzzing"
sys.path[:0] = [str(HERE), str(ROOT)]


def _env(seed: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EQUOS_", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(ROOT)])
    if seed is not None:
        env["PYTHONHASHSEED"] = seed
    return env


def _save(section: str, value: Any) -> None:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[section] = value
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def suite(names: list[str], seeds: list[int], workers: int, profile: str, label: str) -> dict[str, Any]:
    """Every fault, visible and hidden, once per seed (the Hypothesis profile with its randomness on,
    from that seed: ``--hypothesis-seed``). A seed's run replaces the saved run of the same seed, and
    is saved as soon as it ends."""
    import contract_faults

    faults = [f for f in contract_faults.FAULTS if not names or f.name in names]
    specs = [f"contract_faults:{f.name}" for f in faults] + \
        [f"contract_faults:{f.name}__hidden" for f in faults if f.hidden is None]
    saved = json.loads(RESULTS.read_text()).get(label, {}) if RESULTS.exists() else {}
    out: dict[str, Any] = {"profile": profile, "runs": [r for r in saved.get("runs", []) if r.get("seed") not in seeds]}
    for seed in seeds:
        started = time.monotonic()
        done = subprocess.run([sys.executable, str(HERE / "mutation_driver.py"), "--workers", str(workers),
                               "--profile", profile, "--seed", str(seed), "unbroken", *specs],
                              capture_output=True, text=True, env=_env(), cwd=str(ROOT), timeout=3600)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        results = json.loads(done.stdout.strip().splitlines()[-1])
        out["runs"].append({"seed": seed, "seconds": round(time.monotonic() - started, 1),
                            "unbroken": results.pop("unbroken")["exit"],
                            "verdicts": {k.split(":", 1)[1]: {"caught": r["exit"] == 1, "by": r["killed_by"],
                                                             "seconds": r["seconds"]}
                                         for k, r in results.items()}})
        out["runs"].sort(key=lambda r: r["seed"])
        _save(label, out)
    return out


# --- Schemathesis --------------------------------------------------------------------------------------------
def serve(spec: str) -> None:
    """Child: serve one fault (or ``unbroken``) on 127.0.0.1, print its URL, run until killed."""
    import threading

    import uvicorn

    from mock_server.server import listening_socket
    from mock_server.settings import Settings

    settings = Settings(control_plane=False, api_keys=(KEY,))  # one key: another is refused, as on the real API
    if spec == "unbroken":
        from mock_server import create_app

        app = create_app(settings)
    else:
        import contract_faults

        app = contract_faults.BY_NAME[spec].build(settings)
    sock, url = listening_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    print(url, flush=True)
    thread.join()


def _schemathesis_once(spec: str, max_examples: int, seed: int, phases: str = PHASES) -> dict[str, Any]:
    server = subprocess.Popen([sys.executable, __file__, "_serve", spec], stdout=subprocess.PIPE, text=True,
                              env=_env(), cwd=str(ROOT))
    try:
        url = server.stdout.readline().strip()  # type: ignore[union-attr]
        with tempfile.TemporaryDirectory() as tmp:
            events = Path(tmp) / "events.ndjson"
            started = time.monotonic()
            done = subprocess.run([str(Path(sys.executable).parent / "schemathesis"), "run", str(RECORD), "--url", url,
                                   "-H", f"x-api-key: {KEY}", "--checks", "all", "--max-examples", str(max_examples),
                                   "--seed", str(seed), "--generation-deterministic", "--no-color",
                                   "--phases", phases,
                                   "--report", "ndjson", "--report-ndjson-path", str(events), "--workers", "1"],
                                  capture_output=True, text=True, env=_env(), cwd=tmp, timeout=900)
            seconds = time.monotonic() - started
            failures = sorted(_failures(events))
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    return {"exit": done.returncode, "failures": failures, "seconds": round(seconds, 1),
            "tail": done.stdout[-600:] if not failures and done.returncode not in (0, 1) else ""}


def _failures(events: Path) -> set[str]:
    """Each failure as 'check: METHOD path' (what differs between two targets, not its example)."""
    found: set[str] = set()
    if not events.exists():
        return found
    for line in events.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        _collect(event, found, None)
    return found


def _collect(value: Any, found: set[str], label: str | None) -> None:
    """Schemathesis' failed checks, each as 'check code operation: first line of the message' (ids and
    long numbers blanked, so two runs compare): a fault is caught when it fails a check the real mock
    passes."""
    if isinstance(value, dict):
        if isinstance(value.get("label"), str):
            label = value["label"]
        if value.get("status") == "failure" and isinstance(value.get("name"), str):
            failure = (value.get("failure_info") or {}).get("failure") or {}
            message = str(failure.get("message", "")).splitlines()[0] if failure.get("message") else ""
            message = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d{5,}", "#", message)
            found.add(f"{value['name']} {failure.get('code', '')} {failure.get('operation', label)}: {message}")
        for item in value.values():
            _collect(item, found, label)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found, label)


def schemathesis(names: list[str], max_examples: int, seed: int, workers: int, phases: str = PHASES,
                 label: str = "schemathesis") -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    import contract_faults

    baseline = _schemathesis_once("unbroken", max_examples, seed, phases)
    saved = json.loads(RESULTS.read_text()).get(label, {}) if RESULTS.exists() else {}
    same = {k: saved.get(k) for k in ("max_examples", "seed", "phases")} == \
        {"max_examples": max_examples, "seed": seed, "phases": phases}
    # A rerun of some faults with the same configuration keeps the others' verdicts.
    out: dict[str, Any] = {"max_examples": max_examples, "seed": seed, "phases": phases, "unbroken": baseline,
                           "faults": dict(saved.get("faults", {})) if same and names else {}}
    faults = [f for f in contract_faults.FAULTS if not names or f.name in names]
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(lambda f: _schemathesis_once(f.name, max_examples, seed, phases), faults)
        for fault, result in zip(faults, results, strict=True):
            new = sorted(set(result["failures"]) - set(baseline["failures"]))
            out["faults"][fault.name] = {"caught": bool(new), "new_failures": new[:5], "seconds": result["seconds"]}
            print(f"{fault.name:<40} {'caught' if new else 'missed'} {new[:1]}", flush=True)
            _save(label, out)  # as it goes: a long run stopped early keeps what it measured
    return out


# --- the table ------------------------------------------------------------------------------------------------
def table() -> str:
    """The markdown recorded in RESULTS.md: totals, then one row per fault."""
    import contract_faults

    data = json.loads(RESULTS.read_text())
    before = data.get("before", {}).get("runs", [{}])[0].get("verdicts", {})
    after = data.get("after", {}).get("runs", [])
    # Schemathesis' configurations, each a column: the recorded one and a stronger one (its coverage phase).
    configs = [key for key in ("schemathesis_one_example", "schemathesis", "schemathesis_coverage") if key in data]
    faults = contract_faults.FAULTS
    hidden = [f for f in faults if f.hidden is None]

    def count(verdicts: dict[str, Any], suffix: str, chosen: list[Any]) -> str:
        done = [f for f in chosen if f.name + suffix in verdicts]
        return f"{sum(verdicts[f.name + suffix]['caught'] for f in done)}/{len(done)}"

    lines = [f"- before (today's suite): visible {count(before, '', faults)}, "
             f"hidden {count(before, '__hidden', hidden)}"]
    for run in after:
        lines.append(f"- after, seed {run['seed']}: visible {count(run['verdicts'], '', faults)}, hidden "
                     f"{count(run['verdicts'], '__hidden', hidden)}; the real mock "
                     f"{'passes' if run.get('unbroken') == 0 else 'FAILS'}")
    if len(after) == 2:
        same = [k for k in after[0]["verdicts"] if k in after[1]["verdicts"]
                and after[0]["verdicts"][k]["caught"] != after[1]["verdicts"][k]["caught"]]
        lines.append(f"- verdicts that differ between the two seeds: {len(same)} {same[:5]}")
    ours = {name for run in after for name, r in run["verdicts"].items() if r["caught"]}
    for key in configs:
        config, sch = data[key], data[key].get("faults", {})
        only_theirs = [n for n, r in sch.items() if r["caught"] and n not in ours]
        lines.append(f"- Schemathesis (record, {config.get('phases')}, {config.get('max_examples')} "
                     f"example(s) an operation): {sum(r['caught'] for r in sch.values())}/{len(sch)} "
                     f"({', '.join(n for n, r in sch.items() if r['caught']) or 'none'}); caught by it and "
                     f"not by the suite: {only_theirs or 'none'}")
    for klass in sorted({f.klass for f in faults}):
        chosen = [f for f in faults if f.klass == klass]
        hid = [f for f in chosen if f.hidden is None]
        theirs = "; ".join(f"{sum(bool(data[k].get('faults', {}).get(f.name, {}).get('caught')) for f in chosen)}"
                           f" by Schemathesis ({data[k].get('max_examples')} ex."
                           f"{', coverage' if 'coverage' in data[k].get('phases', '') else ''})" for k in configs)
        lines.append(f"- class {klass} ({len(chosen)} faults): before {count(before, '', chosen)} visible, "
                     f"{count(before, '__hidden', hid)} hidden; after "
                     + ", ".join(f"seed {run['seed']} {count(run['verdicts'], '', chosen)} / "
                                 f"{count(run['verdicts'], '__hidden', hid)}" for run in after)
                     + (f"; {theirs}" if theirs else ""))
    lines.append(f"- hidden variants that cannot be caught without the control plane: "
                 f"{', '.join(f'`{f.name}` ({f.hidden})' for f in faults if f.hidden)}")
    columns = [f"Schemathesis ({'coverage, ' if 'coverage' in data[k].get('phases', '') else ''}"
               f"{data[k].get('max_examples')} ex.)" for k in configs]
    rows = ["| fault | class | before: visible / hidden | after seed 1 | after seed 2 | " + " | ".join(columns) + " |",
            "|---|---|---|---|---|" + "---|" * len(configs)]

    def cell(verdicts: dict[str, Any], fault: Any) -> str:
        seen = verdicts.get(fault.name, {}).get("caught")
        if seen is None:
            return "-"
        hid = "n/a" if fault.hidden else ("caught" if verdicts.get(fault.name + "__hidden", {}).get("caught")
                                          else "missed")
        return f"{'caught' if seen else 'missed'} / {hid}"

    for fault in faults:
        runs = [cell(run["verdicts"], fault) for run in after] + ["-", "-"]
        theirs = [data[k].get("faults", {}).get(fault.name, {}).get("caught") for k in configs]
        rows.append(f"| `{fault.name}` | {fault.klass} | {cell(before, fault)} | {runs[0]} | {runs[1]} | "
                    + " | ".join("caught" if c else "missed" if c is not None else "-" for c in theirs) + " |")
    return "\n".join([*lines, "", *rows])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["suite", "schemathesis", "table", "_serve"])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--seeds", default="1,2", help="suite: the seeds to run, one run each (e.g. 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", default="mutation")
    parser.add_argument("--label", default="after", help="suite: where to save (before | after)")
    parser.add_argument("--max-examples", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phases", default=PHASES, help="schemathesis: its phases (e.g. examples,coverage,fuzzing)")
    parser.add_argument("--schemathesis-label", default="schemathesis", help="schemathesis: where to save")
    args = parser.parse_args()
    if args.command == "_serve":
        serve(args.names[0])
    elif args.command == "suite":
        suite(args.names, [int(seed) for seed in args.seeds.split(",")], args.workers, args.profile, args.label)
    elif args.command == "schemathesis":
        _save(args.schemathesis_label, schemathesis(args.names, args.max_examples, args.seed, args.workers,
                                                    args.phases, args.schemathesis_label))
    else:
        print(table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
