"""The room: join-to-first-frame in a real page, CPU and memory per live room, and an idle mock's cost.

Issue 22's goals: p95 from ``POST /v3/conversations`` to the first video frame in the page < 1.5 s; 10
live rooms < 1 core in all; an idle mock's CPU unchanged by the room server. Starts ``equos-mock serve``
(room on) in its own process, the example page's backend (examples/frontend/backend.py) on 127.0.0.2,
and one headless Chromium with fake media (tests/chromium.py).

- **join**: each join is a fresh tab of the example page; the clock starts when "Start conversation"
  is clicked (the page asks its backend, which calls ``POST /v3/conversations`` through the official SDK)
  and stops at the first frame the video element presents (``requestVideoFrameCallback``). The first
  join (the backend making its demo character) is a warm-up and not counted.
- **rooms**: N pages joined at once; the mock process's CPU (user + system, from /proc) over a window,
  and its RSS, against the same process with no room.
- **idle**: CPU of an untouched mock over a window, with the room server and with ``--no-room``,
  interleaved.

    python -m benchmarks.room [--joins 20] [--rooms 1,5,10] [--window 10] [--smoke] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from .report import chromium_version

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FRONTEND = ROOT / "examples" / "frontend"
GOALS = {"join_p95_s": 1.5, "ten_rooms_cores": 1.0}
TICKS = os.sysconf("SC_CLK_TCK")
# Clicks Start and notes when the character's first frame is presented (ms on the page's clock).
TIMED_START = """
const video = document.getElementById('character-video');
window.__firstFrame = null;
video.requestVideoFrameCallback(() => { window.__firstFrame = performance.now(); });
window.__clicked = performance.now();
document.getElementById('start').click();
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("EQUOS_", "LIVEKIT_"))}


def _url_from(process: subprocess.Popen[str], pattern: str) -> str:
    assert process.stdout is not None
    for _ in range(20):
        line = process.stdout.readline()
        found = re.search(pattern, line)
        if found:
            return found.group(1)
    process.kill()
    raise SystemExit(f"no URL from {process.args}")


def serve(*flags: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "mock_server", "serve", "--port", "0", *flags], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env())
    return process, _url_from(process, r"(http://127\.0\.0\.1:\d+)")


def backend(mock_url: str, key: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, str(FRONTEND / "backend.py"), "--host", "127.0.0.2", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**_env(), "EQUOS_MOCK_URL": mock_url, "EQUOS_API_KEY": key})
    return process, _url_from(process, r"(http://127\.0\.0\.2:\d+/)")


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_over(pid: int, window: float) -> float:
    """Cores used by ``pid`` over ``window`` seconds (1.0 = one core busy)."""
    before, began = cpu_seconds(pid), time.monotonic()
    time.sleep(window)
    return (cpu_seconds(pid) - before) / (time.monotonic() - began)


def live_rooms(url: str) -> int:
    """Rooms the mock holds live now (its control plane), to show the measured rooms were all there."""
    return int(httpx.get(f"{url}/_mock/rooms", timeout=10).json()["rooms"])


def _browser() -> Any:
    sys.path.insert(0, str(ROOT / "tests"))
    import chromium  # the tests' headless Chromium: loopback only

    reason = chromium.missing_reason()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    return chromium


def _join(driver: Any, page: str, timeout: float = 20) -> float:
    """One join in a fresh tab, left open: seconds from the click to the first frame."""
    driver.switch_to.new_window("tab")
    driver.get(page)
    driver.execute_script(TIMED_START)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        spent = driver.execute_script("return window.__firstFrame && window.__firstFrame - window.__clicked")
        if spent:
            return spent / 1000
        time.sleep(0.01)
    raise SystemExit("no first frame within 20 s: " + str(driver.get_log("browser")[-5:]))


def _close_tabs(driver: Any) -> None:
    """Close every tab but the first (each close is the consumer leaving: its conversation ends)."""
    first = driver.window_handles[0]
    for handle in driver.window_handles[1:]:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(first)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(joins: int, room_counts: list[int], window: float, idle_rounds: int = 2) -> dict[str, Any]:
    chromium = _browser()
    process, url = serve()
    page_process, page = backend(url, "sk_bench_room")
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as profile:
        browser = chromium.start(Path(profile), media=True)
        driver = browser.driver
        try:
            _join(driver, page)  # warm-up: the backend makes its character, the imports happen
            _close_tabs(driver)
            times = []
            for _ in range(joins):
                times.append(_join(driver, page))
                _close_tabs(driver)
            result["join"] = {"joins": joins, "seconds": [round(t, 3) for t in times],
                              "median_s": round(statistics.median(times), 3), "p95_s": round(p95(times), 3),
                              "max_s": round(max(times), 3)}
            time.sleep(1)
            base_rss, base_cpu = rss_mib(process.pid), cpu_over(process.pid, window)
            rooms: dict[str, Any] = {"no_room": {"cores": round(base_cpu, 3), "rss_mib": round(base_rss, 1)}}
            for count in room_counts:
                for _ in range(count):
                    _join(driver, page)
                time.sleep(1)
                cores, rss = cpu_over(process.pid, window), rss_mib(process.pid)
                rooms[str(count)] = {"live": live_rooms(url), "cores": round(cores, 3), "rss_mib": round(rss, 1),
                                     "cores_per_room": round((cores - base_cpu) / count, 4),
                                     "rss_mib_per_room": round((rss - base_rss) / count, 2)}
                _close_tabs(driver)
                time.sleep(2)
            result["rooms"] = rooms
            assert browser.foreign_requests() == [], browser.foreign_requests()
        finally:
            driver.quit()
            stop(page_process)
            stop(process)
    result["idle"] = idle(window, idle_rounds)
    return result


def idle(window: float, rounds: int = 2) -> dict[str, Any]:
    """Cores of an untouched mock, with and without the room server, interleaved."""
    found: dict[str, list[float]] = {"room": [], "no_room": []}
    for _ in range(rounds):
        for name, flags in (("room", ()), ("no_room", ("--no-room",))):
            process, _ = serve(*flags)
            try:
                time.sleep(1)
                found[name].append(cpu_over(process.pid, window))
            finally:
                stop(process)
    return {name: {"cores": [round(v, 4) for v in values], "median_cores": round(statistics.median(values), 4)}
            for name, values in found.items()}


def markdown(result: dict[str, Any]) -> str:
    join, rooms, idle_ = result["join"], result["rooms"], result["idle"]
    ten = rooms.get("10")
    lines = [f"Run: {result['date']}, `{result['command']}`.", "",
             f"Machine: {result['machine']['cpus']} CPUs, Python {result['machine']['python']}, "
             f"{result['machine']['chromium']}.", "",
             "| goal | measured | |", "|---|---|---|",
             f"| join to first frame p95 < {GOALS['join_p95_s']} s | median {join['median_s']} s, "
             f"p95 {join['p95_s']} s over {join['joins']} | {_met(join['p95_s'] < GOALS['join_p95_s'])} |"]
    if ten is not None:
        lines.append(f"| 10 live rooms < {GOALS['ten_rooms_cores']} core | {ten['cores']} cores | "
                     f"{_met(ten['cores'] < GOALS['ten_rooms_cores'])} |")
    # One clock tick of CPU over the window is the resolution of /proc: a difference below it is none.
    resolution = 1 / TICKS / result["window_s"]
    lines += [f"| idle mock unchanged by the room | {idle_['room']['median_cores']} cores with, "
              f"{idle_['no_room']['median_cores']} without | "
              f"{_met(idle_['room']['median_cores'] <= idle_['no_room']['median_cores'] + resolution)} |", "",
              "| pages joined | rooms live (control plane) | mock cores | per room | RSS MiB | per room MiB |",
              "|---:|---:|---:|---:|---:|---:|",
              f"| 0 | 0 | {rooms['no_room']['cores']} | | {rooms['no_room']['rss_mib']} | |"]
    for count, figures in rooms.items():
        if count != "no_room":
            lines.append(f"| {count} | {figures['live']} | {figures['cores']} | {figures['cores_per_room']} | "
                         f"{figures['rss_mib']} | {figures['rss_mib_per_room']} |")
    return "\n".join(lines) + "\n"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=20)
    parser.add_argument("--rooms", default="1,5,10", help="live rooms at once, comma separated")
    parser.add_argument("--window", type=float, default=10.0, help="seconds of each CPU measurement")
    parser.add_argument("--smoke", action="store_true", help="1 join, 1 room, 0.5 s windows, one idle round")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    joins, rooms, window = (1, [1], 0.5) if args.smoke else (
        args.joins, [int(n) for n in args.rooms.split(",")], args.window)
    result = measure(joins, rooms, window, idle_rounds=1 if args.smoke else 2)
    result.update(window_s=window, command="python -m benchmarks.room" + (" --smoke" if args.smoke else
                                                         f" --joins {joins} --rooms {args.rooms} --window {window:g}"),
                  date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                  machine={"python": platform.python_version(), "cpus": os.cpu_count() or 0,
                           "chromium": chromium_version()}, goals=GOALS)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "room.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (args.out / "room.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
