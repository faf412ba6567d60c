"""Fleet: one mock shared by many test runs for a long time (issue 12).

- memory: RSS per organization, per conversation and per journal entry, and RSS after 1,000 and
  20,000 plugin-style test runs against one app (each measured in a fresh process);
- control: every control-plane call at 100 and at 20,000 organizations (median, ratio), and how long
  the full state export holds the event loop;
- datadir: with ``--data-dir``, a write (and a read) at 10 and at 4,000 organizations, and the restart.

Everything runs in process (ASGI calls, no socket): the figures are the mock's own cost, not the
network's. The two sizes of each comparison are measured interleaved, call by call, so the shared
machine's noise falls on both alike; the ratios are what to read.

    .venv/bin/python -m benchmarks.fleet                 # the recorded run: a few minutes
    .venv/bin/python -m benchmarks.fleet --smoke         # tiny sizes: seconds, checks that it runs
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import asgi  # noqa: E402
from mock_server import auth, create_app  # noqa: E402
from mock_server.clock import Clock  # noqa: E402
from mock_server.domain import organizations  # noqa: E402
from mock_server.settings import Settings  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}
FROZEN = datetime(2030, 1, 1, tzinfo=UTC)
Call = tuple[str, str, Any]  # method, target, JSON body


# --- driving an app ---------------------------------------------------------------------------------
async def call(app: Any, method: str, target: str, body: Any = None, key: str | None = None
               ) -> tuple[int, bytes, list[float]]:
    """One request; returns status, body, and when (perf_counter) each body chunk was sent."""
    times: list[float] = []
    status, raw = await asgi.call(app, method, target, key, body, chunk_times=times)
    return status, raw, times


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def settled_rss() -> int:
    gc.collect()
    return rss_bytes()


def _app(**settings: Any) -> Any:
    return create_app(Settings(**settings), clock=Clock(frozen_at=FROZEN))


# --- memory probes (each in its own process) -----------------------------------------------------------
async def plugin_run(app: Any, *, delete: bool = True) -> None:
    """What one test does with the plugin's fixtures: equos_org, equos_clock, a little work, the journal,
    then the teardown's leak guard and the organization's deletion."""
    key = f"sk_test_{uuid.uuid4().hex}"
    await call(app, "POST", "/_mock/organizations", {"keys": [key]})
    await call(app, "POST", "/_mock/clock/freeze", {"key": key})
    _, brain, _ = await call(app, "POST", "/v3/brains", BRAIN, key)
    _, character, _ = await call(app, "POST", "/v3/characters", {
        "name": "Guide", "livekitIdentity": "guide", "brainId": json.loads(brain)["id"]}, key)
    _, started, _ = await call(app, "POST", "/v3/conversations", {
        "name": "talk", "characterId": json.loads(character)["id"], "consumer": {"identity": "u", "name": "U"}}, key)
    await call(app, "POST", f"/v3/conversations/{json.loads(started)['conversation']['id']}/stop", None, key)
    await call(app, "GET", "/v3/brains", None, key)
    await call(app, "GET", f"/_mock/journal/count?key={key}")
    await call(app, "GET", f"/_mock/conversations/running?key={key}")
    if delete:
        await call(app, "DELETE", f"/_mock/organizations?key={key}")


def probe_runs(checkpoints: list[int]) -> dict[str, Any]:
    app = _app()
    out: dict[str, Any] = {"rss_start": settled_rss(), "at": {}}

    async def drive() -> None:
        done = 0
        started = time.perf_counter()
        for checkpoint in checkpoints:
            while done < checkpoint:
                await plugin_run(app)
                done += 1
            out["at"][str(checkpoint)] = {"rss": settled_rss(), "seconds": round(time.perf_counter() - started, 1),
                                          "organizations": len(app.state.runtime.store.organizations),
                                          "journal": len(app.state.runtime.journal)}

    asyncio.run(drive())
    return out


def probe_organizations(n: int, used: bool) -> dict[str, Any]:
    app = _app(journal_entries=1)  # the journal is measured on its own
    rt = app.state.runtime
    before = settled_rss()
    if used:
        async def drive() -> None:
            for _ in range(n):
                await plugin_run(app, delete=False)
        asyncio.run(drive())
    else:
        for i in range(n):
            auth.organization_for_key(rt, f"sk_test_{i:032x}")  # what a key's first request does
    return {"n": n, "bytes_each": (settled_rss() - before) / n}


def probe_conversations(n: int) -> dict[str, Any]:
    from mock_server.domain.conversations import start
    from mock_server.domain.resources import create
    from mock_server.models.conversations import CreateEquosConversationRequest
    from mock_server.models.resources import CreateEquosBrainRequest

    app = _app(journal_entries=1)
    rt = app.state.runtime
    org = auth.organization_for_key(rt, "sk_conversations")
    brain = create(rt, org, rt.resources["brains"], CreateEquosBrainRequest(**BRAIN))
    asyncio.run(call(app, "POST", "/v3/characters", {"name": "G", "livekitIdentity": "g", "brainId": brain.id},
                     "sk_conversations"))
    character = org.characters.values()[0].id
    body = CreateEquosConversationRequest(name="bench", characterId=character,
                                          consumer={"identity": "u", "name": "U"})
    before = settled_rss()
    for _ in range(n):
        start(rt, org, body)
    return {"n": n, "bytes_each": (settled_rss() - before) / n}


def probe_journal(n: int, body_bytes: int) -> dict[str, Any]:
    """Entries as the middleware records them, with request and response bodies of ``body_bytes`` each."""
    from mock_server.journal import Journal

    journal = Journal(capacity=n + 1, max_bytes=1 << 40)
    before = settled_rss()
    for i in range(n):
        journal.record({"method": "POST", "path": "/v3/brains", "query": "", "organization": "org-x",
                        "key": "****0123abcd", "status": 201, "_request": (os.urandom(body_bytes), False),
                        "_response": (os.urandom(body_bytes), False), "requestBytes": body_bytes,
                        "responseBytes": body_bytes, "durationMs": 0.5, "_at_ms": i})
    return {"n": n, "body_bytes": body_bytes, "bytes_each": (settled_rss() - before) / n}


PROBES: dict[str, Callable[..., dict[str, Any]]] = {
    "runs": probe_runs, "organizations": probe_organizations, "conversations": probe_conversations,
    "journal": probe_journal,
}


def _probe(name: str, **kwargs: Any) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.fleet", "--probe", name, "--args", json.dumps(kwargs)],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"probe {name} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory(runs: int, n: int) -> dict[str, Any]:
    defaults = Settings()
    journal_small = _probe("journal", n=n, body_bytes=200)
    journal_full = _probe("journal", n=n, body_bytes=defaults.journal_body_bytes)
    overhead = journal_small["bytes_each"] - 2 * 200
    checkpoints = sorted({min(1000, runs), runs // 4, runs // 2, runs} - {0})
    run = _probe("runs", checkpoints=checkpoints)
    first, last = run["at"][str(checkpoints[0])], run["at"][str(checkpoints[-1])]
    return {
        "organization_empty": _probe("organizations", n=n, used=False),
        "organization_after_a_test": _probe("organizations", n=max(n // 5, 1), used=True),
        "conversation": _probe("conversations", n=n),
        "journal_entry_200B_bodies": journal_small,
        "journal_entry_16KiB_bodies": journal_full,
        "journal_worst_case_bytes": min(defaults.journal_entries * journal_full["bytes_each"],
                                        defaults.journal_max_bytes * 1.0 + defaults.journal_entries * overhead),
        "runs": run, "runs_ratio": last["rss"] / first["rss"],
        "runs_first": checkpoints[0], "runs_last": checkpoints[-1],
    }


# --- control-plane latency -------------------------------------------------------------------------------
def populate(app: Any, n: int, spare: int) -> None:
    """``n`` organizations as keys' first requests make them, plus named ones the calls use up."""
    rt = app.state.runtime
    for i in range(n):
        auth.organization_for_key(rt, f"sk_filler_{i:08d}")
    for i in range(spare):
        for role in ("victim", "byid", "seedinto"):
            organizations.create(rt, [f"sk_{role}_{i}"], org_id=f"org-{role}-{i}")


def _control_calls(rep: int, talk: str, cursor: str) -> dict[str, Call]:
    at = "2031-01-01T00:00:00.000Z"
    export_one = {"format": "equos-mock-state/1", "organizations": [{
        "id": "org-imported", "name": "imported", "keys": ["sk_imported"], "settings": {},
        "collections": {"brains": []}}]}
    return {
        "GET /_mock/clock?key": ("GET", "/_mock/clock?key=sk_target", None),
        "POST /_mock/clock/freeze": ("POST", "/_mock/clock/freeze", {"key": "sk_target"}),
        "POST /_mock/clock/advance": ("POST", "/_mock/clock/advance", {"key": "sk_target", "seconds": 1}),
        "POST /_mock/clock/set": ("POST", "/_mock/clock/set", {"key": "sk_target", "at": at}),
        "POST /_mock/clock/unfreeze": ("POST", "/_mock/clock/unfreeze", {"key": "sk_other"}),
        "GET /_mock/assumptions": ("GET", "/_mock/assumptions", None),
        "PUT /_mock/assumptions": ("PUT", "/_mock/assumptions", {"list_order": "newest-first"}),
        "POST /_mock/reset {key}": ("POST", "/_mock/reset", {"key": "sk_other"}),
        "GET /_mock/organizations": ("GET", "/_mock/organizations", None),
        "GET /_mock/organizations?after": ("GET", f"/_mock/organizations?after={cursor}", None),
        "GET /_mock/organizations?key": ("GET", "/_mock/organizations?key=sk_target", None),
        "POST /_mock/organizations": ("POST", "/_mock/organizations", {"keys": [f"sk_made_{rep}"]}),
        "DELETE /_mock/organizations?key": ("DELETE", f"/_mock/organizations?key=sk_victim_{rep}", None),
        "DELETE /_mock/organizations/{id}": ("DELETE", f"/_mock/organizations/org-byid-{rep}", None),
        "POST /_mock/seed {key}": ("POST", "/_mock/seed", {"name": "demo", "key": f"sk_seedinto_{rep}"}),
        "POST /_mock/conversations/{id}/events": ("POST", f"/_mock/conversations/{talk}/events?key=sk_talk",
                                                   {"type": "utterance", "content": "hi", "author": "user"}),
        "GET /_mock/conversations/running": ("GET", "/_mock/conversations/running", None),
        "GET /_mock/conversations/running?key": ("GET", "/_mock/conversations/running?key=sk_talk", None),
        "GET /_mock/state?key": ("GET", "/_mock/state?key=sk_target", None),
        "POST /_mock/state (one org)": ("POST", "/_mock/state", export_one),
        "GET /_mock/journal": ("GET", "/_mock/journal", None),
        "GET /_mock/journal?key": ("GET", "/_mock/journal?key=sk_target", None),
        "GET /_mock/journal/count?key": ("GET", "/_mock/journal/count?key=sk_target", None),
        "DELETE /_mock/journal?key": ("DELETE", "/_mock/journal?key=sk_nobody", None),
        "POST /_mock/faults": ("POST", "/_mock/faults", {"key": "sk_nobody", "status": 503, "times": 1}),
        "GET /_mock/faults": ("GET", "/_mock/faults", None),
        "DELETE /_mock/faults?key": ("DELETE", "/_mock/faults?key=sk_nobody", None),
        "GET /v3/health (reference)": ("GET", "/v3/health", None),
    }


async def _prepare_control(app: Any) -> tuple[str, str]:
    """A target organization with some work, one with a running conversation; returns its id and a cursor."""
    for key in ("sk_target", "sk_other", "sk_talk"):
        await call(app, "POST", "/v3/brains", BRAIN, key)
    _, brain, _ = await call(app, "POST", "/v3/brains", BRAIN, "sk_talk")
    _, character, _ = await call(app, "POST", "/v3/characters", {
        "name": "G", "livekitIdentity": "g", "brainId": json.loads(brain)["id"]}, "sk_talk")
    _, started, _ = await call(app, "POST", "/v3/conversations", {
        "name": "c", "characterId": json.loads(character)["id"]}, "sk_talk")
    for _ in range(200):  # the same journal on both apps
        await call(app, "GET", "/v3/brains", None, "sk_target")
    _, _, _ = await call(app, "GET", "/_mock/organizations?limit=50")
    orgs = app.state.runtime.store
    cursor = str(orgs._order[len(orgs._order) // 2][0])
    return json.loads(started)["conversation"]["id"], cursor


async def _export_hold(app: Any) -> dict[str, float]:
    """The full export, and the /v3/health calls made while it streams: the longest wait is the hold."""
    waits: list[float] = []
    finished = asyncio.Event()

    async def health() -> None:
        while not finished.is_set():
            began = time.perf_counter()
            await call(app, "GET", "/v3/health")
            waits.append(time.perf_counter() - began)
            await asyncio.sleep(0)

    began = time.perf_counter()
    task = asyncio.create_task(health())
    status, body, _ = await call(app, "GET", "/_mock/state")
    total = time.perf_counter() - began
    finished.set()
    await task
    assert status == 200 and json.loads(body)["organizations"]
    return {"export_seconds": round(total, 3), "health_calls_meanwhile": len(waits),
            "longest_health_wait_ms": round(max(waits, default=0.0) * 1000, 2)}


def control(small: int, large: int, reps: int) -> dict[str, Any]:
    apps = {small: _app(), large: _app()}
    for size, app in apps.items():
        populate(app, size, reps)

    async def measure() -> dict[str, Any]:
        prepared = {size: await _prepare_control(app) for size, app in apps.items()}
        samples: dict[str, dict[int, list[float]]] = {}
        for rep in range(reps):
            for size, app in apps.items():
                talk, cursor = prepared[size]
                for name, (method, target, body) in _control_calls(rep, talk, cursor).items():
                    began = time.perf_counter()
                    status, reply, _ = await call(app, method, target, body)
                    elapsed = time.perf_counter() - began
                    if status >= 300:
                        raise RuntimeError(f"{name} at {size}: {status} {reply[:300]!r}")
                    samples.setdefault(name, {}).setdefault(size, []).append(elapsed)
        table = {}
        for name, by_size in samples.items():
            med = {size: statistics.median(v) * 1e6 for size, v in by_size.items()}
            table[name] = {"small_us": round(med[small], 1), "large_us": round(med[large], 1),
                           "ratio": round(med[large] / med[small], 2)}
        holds = {str(size): await _export_hold(app) for size, app in apps.items()}
        return {"calls": table, "export": holds}

    result = asyncio.run(measure())
    result.update(small=small, large=large, reps=reps,
                  worst_ratio=max(row["ratio"] for row in result["calls"].values()))
    return result


# --- --data-dir --------------------------------------------------------------------------------------
def datadir(small: int, large: int, reps: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="equos-fleet-") as tmp:
        apps = {}
        for size in (small, large):
            app = create_app(Settings(data_dir=f"{tmp}/{size}"))
            rt = app.state.runtime
            for i in range(size):
                org = auth.organization_for_key(rt, f"sk_filler_{i:08d}")
                org.settings.duration_limit = 60 + i % 100  # every organization has its own settings
            app.state.persistence.flush()  # setup: one transaction
            apps[size] = app

        async def measure() -> dict[str, Any]:
            writes: dict[int, list[float]] = {small: [], large: []}
            reads: dict[int, list[float]] = {small: [], large: []}
            for app in apps.values():
                await call(app, "POST", "/v3/brains", BRAIN, "sk_writer")  # warm: the writer's organization
            for _ in range(reps):
                for size, app in apps.items():
                    began = time.perf_counter()
                    status, _, _ = await call(app, "POST", "/v3/brains", BRAIN, "sk_writer")
                    writes[size].append(time.perf_counter() - began)
                    began = time.perf_counter()
                    await call(app, "GET", "/v3/brains?take=10", None, "sk_writer")
                    reads[size].append(time.perf_counter() - began)
                    assert status == 201
            med = {kind: {size: statistics.median(v) * 1000 for size, v in data.items()}
                   for kind, data in (("write", writes), ("read", reads))}
            return {f"{kind}_ms": {str(s): round(m, 3) for s, m in by.items()} for kind, by in med.items()} | {
                f"{kind}_ratio": round(by[large] / by[small], 2) for kind, by in med.items()}

        result = asyncio.run(measure())
        restarts = {}
        for size, app in apps.items():
            app.state.persistence.close()
            began = time.perf_counter()
            again = create_app(Settings(data_dir=f"{tmp}/{size}"))
            restarts[str(size)] = round(time.perf_counter() - began, 3)
            assert len(again.state.runtime.store.organizations) == size + 1
            again.state.persistence.close()
        result.update(small=small, large=large, reps=reps, restart_seconds=restarts)
        return result


# --- report -----------------------------------------------------------------------------------------
def _mib(value: float) -> str:
    return f"{value / 1048576:.1f} MiB"


def markdown(results: dict[str, Any]) -> str:
    lines = [f"Run: {results['when']} on {results['machine']}, Python {results['python']} "
             f"({results['seconds']:.0f} s). In process (ASGI calls, no socket).", ""]
    if "memory" in results:
        m = results["memory"]
        empty = m["organization_empty"]["bytes_each"] / 1024
        lines += [f"#### Memory (RSS, each figure in a fresh process; measured {m.get('when', '')})", "",
                  "| what | RSS each |", "|---|---|",
                  f"| organization, empty (a key's first request) | {empty:.1f} KiB |",
                  f"| organization after a test's work, not deleted | "
                  f"{m['organization_after_a_test']['bytes_each'] / 1024:.1f} KiB |",
                  f"| conversation | {m['conversation']['bytes_each'] / 1024:.2f} KiB |",
                  f"| journal entry, 200 B bodies | "
                  f"{m['journal_entry_200B_bodies']['bytes_each'] / 1024:.2f} KiB |",
                  f"| journal entry, 16 KiB bodies (the cap) | "
                  f"{m['journal_entry_16KiB_bodies']['bytes_each'] / 1024:.1f} KiB |",
                  "", f"Journal worst case with the defaults (10,000 entries, 16 KiB per body, 32 MiB of bodies): "
                  f"{_mib(m['journal_worst_case_bytes'])}.", "",
                  "Plugin-style test runs against one app (organization made, clock frozen, brain, character, "
                  "conversation started and stopped, list, journal count, leak guard, organization deleted):", "",
                  "| runs | RSS | organizations left | journal entries | seconds |", "|---|---|---|---|---|"]
        for runs, at in m["runs"]["at"].items():
            lines.append(f"| {int(runs):,} | {_mib(at['rss'])} | {at['organizations']} | {at['journal']:,} | "
                         f"{at['seconds']} |")
        lines += ["", f"RSS after {m['runs_last']:,} runs / after {m['runs_first']:,}: "
                  f"**{m['runs_ratio']:.2f}x** (goal: at most 1.5x).", ""]
    if "control" in results:
        c = results["control"]
        lines += [f"#### Control plane at {c['small']:,} and {c['large']:,} organizations "
                  f"(median of {c['reps']}, µs; measured {c.get('when', '')})", "",
                  f"| call | {c['small']:,} | {c['large']:,} | ratio |", "|---|---|---|---|"]
        for name, row in c["calls"].items():
            lines.append(f"| `{name}` | {row['small_us']} | {row['large_us']} | {row['ratio']} |")
        lines += ["", f"Worst ratio: **{c['worst_ratio']}** (goal: at most 2).", "",
                  "Full state export (`GET /_mock/state`, streamed; it is O(organizations) by nature) and the "
                  "`/v3/health` calls answered while it streamed:", "",
                  "| organizations | export | health calls meanwhile | longest health wait |", "|---|---|---|---|"]
        for size, hold in c["export"].items():
            lines.append(f"| {int(size):,} | {hold['export_seconds']} s | {hold['health_calls_meanwhile']} | "
                         f"{hold['longest_health_wait_ms']} ms |")
        lines.append("")
    if "datadir" in results:
        d = results["datadir"]
        lines += [f"#### --data-dir at {d['small']:,} and {d['large']:,} organizations "
                  f"(median of {d['reps']}, ms; measured {d.get('when', '')})", "",
                  f"| request | {d['small']:,} | {d['large']:,} | ratio |", "|---|---|---|---|",
                  f"| `POST /v3/brains` (a write) | {d['write_ms'][str(d['small'])]} | "
                  f"{d['write_ms'][str(d['large'])]} | **{d['write_ratio']}** |",
                  f"| `GET /v3/brains` (a read) | {d['read_ms'][str(d['small'])]} | {d['read_ms'][str(d['large'])]} | "
                  f"{d['read_ratio']} |", "",
                  f"Restart (open, check, load): {d['restart_seconds'][str(d['small'])]} s at {d['small']:,}, "
                  f"{d['restart_seconds'][str(d['large'])]} s at {d['large']:,} organizations.", ""]
    return "\n".join(lines)


def record(md: str) -> None:
    """Replace the fleet block of RESULTS.md (between its markers), or add one at the end."""
    path = Path(__file__).resolve().parent / "RESULTS.md"
    start, end = "<!-- generated by benchmarks/fleet.py: start -->", "<!-- generated by benchmarks/fleet.py: end -->"
    text = path.read_text(encoding="utf-8")
    block = f"{start}\n{md}\n{end}"
    if start in text:
        text = text.split(start)[0] + block + text.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Fleet: one server shared by many test runs\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", default="memory,control,datadir")
    parser.add_argument("--runs", type=int, default=20_000, help="plugin-style runs for the memory figure")
    parser.add_argument("--n", type=int, default=5000, help="items per RSS-per-item probe")
    parser.add_argument("--orgs", default="100,20000", help="control plane: small,large")
    parser.add_argument("--datadir-orgs", default="10,4000", help="--data-dir: small,large")
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that the script runs")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--label", default="fleet")
    parser.add_argument("--no-record", action="store_true", help="leave RESULTS.md alone")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(PROBES[args.probe](**json.loads(args.args))))
        return 0
    if args.smoke:
        args.runs, args.n, args.orgs, args.datadir_orgs, args.reps = 40, 50, "5,50", "3,30", 3
    sections = set(args.sections.split(","))
    began = time.perf_counter()
    results: dict[str, Any] = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               "machine": f"{os.cpu_count()} cores", "python": sys.version.split()[0]}
    stamp = {"when": results["when"]}
    if "memory" in sections:
        results["memory"] = memory(args.runs, args.n) | stamp
        print(json.dumps(results["memory"], indent=1), flush=True)
    if "control" in sections:
        small, large = (int(x) for x in args.orgs.split(","))
        results["control"] = control(small, large, args.reps) | stamp
        print(json.dumps(results["control"], indent=1), flush=True)
    if "datadir" in sections:
        small, large = (int(x) for x in args.datadir_orgs.split(","))
        results["datadir"] = datadir(small, large, args.reps * 3) | stamp
        print(json.dumps(results["datadir"], indent=1), flush=True)
    results["seconds"] = time.perf_counter() - began
    out = Path(args.out)
    previous = out / f"{args.label}.json"
    if previous.exists() and not args.smoke:  # a section run alone keeps the others' last figures
        kept = json.loads(previous.read_text(encoding="utf-8"))
        for section in ("memory", "control", "datadir"):
            if section not in results and section in kept:
                results[section] = kept[section]
    md = markdown(results)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.label}.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / f"{args.label}.md").write_text(md + "\n", encoding="utf-8")
    if not args.no_record and not args.smoke:
        record(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
