"""How fast the inspector page draws with a full mock: 10,000 journal entries and 1,000 conversations.

Issue 15's goal: the conversations view and the journal view each render in under 1 s in headless
Chromium on this machine. Starts ``equos-mock serve`` in its own process on 127.0.0.1, fills it over
HTTP (1,000 conversations over 20 organizations, half of them stopped, then requests until the journal
holds 10,000 entries), then loads ``/_mock/ui#conversations`` and ``/_mock/ui#journal`` in a fresh
navigation each run and reads the ``performance.mark`` the page sets once the view is drawn
(``conversations-rendered`` / ``journal-rendered``: milliseconds from navigation start). Medians of
several runs; the first run is also the cold one (nothing cached). Also times the two control-plane
reads behind the views. Writes benchmarks/results/inspector_render.json.

    python -m benchmarks.inspector_render [--runs 7] [--smoke] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from .report import chromium_version

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
GOAL_MS = 1000
FULL = {"conversations": 1000, "organizations": 20, "journal": 10_000}
SMOKE = {"conversations": 20, "organizations": 2, "journal": 200}
# The page's own mark (mock_server/inspector/static/app.js): ms from navigation start to the view drawn.
MARK_SCRIPT = "const m = performance.getEntriesByName(arguments[0]); return m.length ? m[0].startTime : null"


def serve() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "mock_server", "serve", "--host", "127.0.0.1", "--port", "0"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    found = re.search(r"at (http://127\.0\.0\.1:\d+)", process.stdout.readline())
    assert found, "no banner"
    return process, found.group(1)


def fill(url: str, sizes: dict[str, int]) -> dict[str, int]:
    """Conversations over several organizations (half stopped), then cheap reads up to the journal size."""
    per_org = sizes["conversations"] // sizes["organizations"]

    def organization(position: int) -> int:
        key = f"sk_bench_ui_{position}"
        with httpx.Client(base_url=url, headers={"x-api-key": key}, timeout=30) as api:
            brain = api.post("/v3/brains", json={"instructions": "Be brief.", "greetingMessage": "Hi"}).json()
            character = api.post("/v3/characters", json={"name": f"Avatar {position}",
                                                          "livekitIdentity": f"avatar-{position}",
                                                          "brainId": brain["id"]}).json()
            for n in range(per_org):
                started = api.post("/v3/conversations", json={
                    "name": f"talk {position}-{n}", "characterId": character["id"], "client": f"tag-{n % 3}",
                    "consumer": {"identity": f"user-{n}", "name": "User"}})
                assert started.status_code == 201, started.text
                if n % 2:
                    api.post(f"/v3/conversations/{started.json()['conversation']['id']}/stop")
        return position

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(organization, range(sizes["organizations"])))
    journal = httpx.get(f"{url}/_mock/journal", params={"limit": 0}).json()["size"]
    remaining = max(sizes["journal"] - journal, 0)

    def reads(count: int) -> None:
        with httpx.Client(base_url=url, headers={"x-api-key": "sk_bench_ui_0"}, timeout=30) as api:
            for _ in range(count):
                api.get("/v3/characters", params={"take": 1})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(reads, [remaining // 4 + (1 if i < remaining % 4 else 0) for i in range(4)]))
    state = httpx.get(f"{url}/_mock/conversations", params={"limit": 1}).json()
    return {"journal_entries": httpx.get(f"{url}/_mock/journal", params={"limit": 0}).json()["size"],
            "conversations": state["total"], "running": state["running"],
            "organizations": int(httpx.get(f"{url}/_mock/organizations", params={"limit": 1}).headers["x-mock-total"])}


def control_reads(url: str, samples: int = 15) -> dict[str, float]:
    """Median milliseconds of the reads behind each view (the page's first data), over HTTP."""
    reads = {"GET /_mock/conversations?limit=50": ("/_mock/conversations", {"limit": 50}),
             "GET /_mock/journal?limit=200&bodies=0": ("/_mock/journal", {"limit": 200, "bodies": 0}),
             "GET /_mock/journal/count": ("/_mock/journal/count", {}),
             "GET /_mock/changes": ("/_mock/changes", {})}
    out = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for name, (path, query) in reads.items():
            times = []
            for _ in range(samples):
                began = time.perf_counter()
                assert client.get(path, params=query).status_code == 200
                times.append((time.perf_counter() - began) * 1000)
            out[name] = round(statistics.median(times), 2)
    return out


def render_times(url: str, runs: int) -> dict[str, list[float]]:
    sys.path.insert(0, str(ROOT / "tests"))
    import chromium  # the tests' headless Chromium: loopback only, every request recorded

    reason = chromium.missing_reason()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    found: dict[str, list[float]] = {"conversations": [], "journal": []}
    with tempfile.TemporaryDirectory() as profile:
        browser = chromium.start(Path(profile))
        try:
            for _ in range(runs):
                for view in found:
                    browser.get("about:blank")
                    browser.get(f"{url}/_mock/ui#{view}")
                    mark = f"{view}-rendered"
                    deadline = time.monotonic() + 30
                    value = None
                    while value is None and time.monotonic() < deadline:
                        value = browser.driver.execute_script(MARK_SCRIPT, mark)
                        if value is None:
                            time.sleep(0.02)
                    assert value is not None, f"{view} never rendered"
                    rows = browser.driver.execute_script(
                        "return document.querySelectorAll(arguments[0]).length",
                        "#conv-list .vrow" if view == "conversations" else "#j-list .vrow")
                    assert rows > 0, f"{view}: no row drawn"
                    found[view].append(round(value, 1))
            assert browser.foreign_requests() == []
        finally:
            browser.driver.quit()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, two runs (the harness check)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    runs = 2 if args.smoke else args.runs
    process, url = serve()
    try:
        began = time.perf_counter()
        filled = fill(url, sizes)
        fill_s = time.perf_counter() - began
        print(f"filled in {fill_s:.1f} s: {filled}", flush=True)
        reads = control_reads(url)
        times = render_times(url, runs)
    finally:
        process.terminate()
        process.wait(timeout=10)
    result: dict[str, Any] = {
        "command": "python -m benchmarks.inspector_render" + (" --smoke" if args.smoke else f" --runs {runs}"),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": _cpus(), "chromium": chromium_version()},
        "filled": filled, "fill_seconds": round(fill_s, 1), "runs": runs, "goal_ms": GOAL_MS,
        "render_ms": {view: {"runs": values, "median": round(statistics.median(values), 1),
                             "first": values[0], "max": max(values)} for view, values in times.items()},
        "control_reads_median_ms": reads,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "inspector_render.json").write_text(json.dumps(result, indent=2) + "\n")
    for view, figures in result["render_ms"].items():
        print(f"{view}: median {figures['median']} ms, first {figures['first']} ms, runs {figures['runs']}")
    print(json.dumps(reads))
    return 0


def _cpus() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    raise SystemExit(main())
