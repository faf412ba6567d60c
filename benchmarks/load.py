"""Load from a separate process: wrk (one thread) against each server, interleaved per cell so that
the ratios compare runs made seconds apart on the same (shared, noisy) machine."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .servers import HOST, Server, request

LUA = Path(__file__).resolve().parent / "lua"
KEY = "sk_bench_load"
BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}


@dataclass(frozen=True)
class Workload:
    name: str
    script: str
    args: tuple[str, ...]  # "{key}" and "{character}" are filled in per server

    def argv(self, ctx: dict[str, str]) -> list[str]:
        return [a.format(**ctx) for a in self.args]


def conversation_body(character: str) -> str:
    return json.dumps({"name": "bench", "characterId": character, "consumer": {"identity": "user-1", "name": "User"},
                       "remoteAgent": {"identity": "agent-1", "name": "Agent"}})


WORKLOADS = (
    Workload("GET /v3/health", "request.lua", ("GET", "/v3/health", "{key}")),
    Workload("GET /v3/characters/{id}", "request.lua", ("GET", "/v3/characters/{character}", "{key}")),
    Workload("GET /v3/characters?take=50", "request.lua", ("GET", "/v3/characters?take=50", "{key}")),
    Workload("POST /v3/brains", "request.lua",
             ("POST", "/v3/brains", "{key}", '{{"instructions":"Be brief.","greetingMessage":"Hi!"}}')),
    Workload("POST /v3/conversations", "request.lua",
             ("POST", "/v3/conversations", "{key}", "{conversation}")),
    Workload("mixed", "mixed.lua", ("{key}", "{character}")),
)

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unparsable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests per second, p50/p99 (ms), and the counts of failed answers from ``wrk --latency``."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"(\d+) requests in", output)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if not (rps and p50 and p99 and total):
        raise ValueError(f"unparsable wrk output:\n{output}")
    return {
        "rps": float(rps.group(1)),
        "p50_ms": _ms(p50.group(1)),
        "p99_ms": _ms(p99.group(1)),
        "requests": int(total.group(1)),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
    }


def run_wrk(port: int, workload: Workload, ctx: dict[str, str], connections: int, duration: float
            ) -> dict[str, Any]:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "5s", "--latency",
            "-s", str(LUA / workload.script), f"http://{HOST}:{port}", "--", *workload.argv(ctx)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=True)
    return parse_wrk(done.stdout)


def prepare_mock(port: int, characters: int = 50) -> dict[str, str]:
    """A brain, face and voice, and ``characters`` characters using all three (so lists are full pages)."""
    _, brain = request(port, "POST", "/v3/brains", BRAIN, KEY)
    _, face = request(port, "POST", "/v3/faces", {"identity": "tommy"}, KEY)
    _, voice = request(port, "POST", "/v3/voices", {"identity": "Puck", "instructions": "Calm."}, KEY)
    first = ""
    for i in range(characters):
        status, character = request(port, "POST", "/v3/characters", {
            "name": f"Guide {i}", "livekitIdentity": f"guide-{i}", "brainId": brain["id"],
            "faceId": face["id"], "voiceId": voice["id"]}, KEY)
        if status != 201:
            raise RuntimeError(f"could not create a character: {status} {character}")
        first = first or character["id"]
    return context(first)


def save_list(port: int, path: Path) -> Path:
    """The mock's reply to the list workload, kept for the bare app to serialize the same JSON."""
    status, body = request(port, "GET", "/v3/characters?take=50", key=KEY)
    if status != 200:
        raise RuntimeError(f"GET /v3/characters?take=50 answered {status}")
    path.write_text(json.dumps(body))
    return path


def context(character: str) -> dict[str, str]:
    return {"key": KEY, "character": character, "conversation": conversation_body(character)}


def check_answers(port: int, ctx: dict[str, str]) -> None:
    """Each workload must answer 2xx before it is measured: a benchmark of 4xx answers measures nothing."""
    for path in ("/v3/health", f"/v3/characters/{ctx['character']}", "/v3/characters?take=50"):
        status, body = request(port, "GET", path, key=ctx["key"])
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {str(body)[:300]}")
    for path, body in (("/v3/brains", BRAIN), ("/v3/conversations", None)):
        payload = body if body is not None else json.loads(ctx["conversation"])
        status, answer = request(port, "POST", path, payload, ctx["key"])
        if status != 201:
            raise RuntimeError(f"POST {path} answered {status}: {str(answer)[:300]}")


def run_load(servers: list[tuple[Server, dict[str, str]]], connections: tuple[int, ...], duration: float,
             workloads: tuple[Workload, ...] = WORKLOADS, rounds: int = 1, log: Any = print,
             warm_up: bool = True) -> dict[str, Any]:
    """results[server][workload][connections] = wrk figures; servers alternate within every cell.

    With ``rounds`` > 1 every cell is run that many times and the run with the median req/s is kept
    (every run's figures are under ``"runs"``).
    """
    results: dict[str, Any] = {server.name: {} for server, _ in servers}
    for server, ctx in servers if warm_up else ():  # not recorded
        run_wrk(server.port, workloads[0], ctx, 8, 1)
    rotation = 0
    for conns in connections:
        for workload in workloads:
            runs: dict[str, list[dict[str, Any]]] = {server.name: [] for server, _ in servers}
            for _ in range(rounds):
                order = servers[rotation:] + servers[:rotation]  # who goes first changes run by run
                rotation = (rotation + 1) % len(servers)
                for server, ctx in order:
                    runs[server.name].append(run_wrk(server.port, workload, ctx, conns, duration))
            for server, _ in servers:
                ranked = sorted(runs[server.name], key=lambda f: f["rps"])
                figures = {**ranked[len(ranked) // 2], "runs": [f["rps"] for f in runs[server.name]]}
                results[server.name].setdefault(workload.name, {})[str(conns)] = figures
                log(f"  {server.name:9s} {workload.name:28s} c={conns:<3d} {figures['rps']:9.0f} req/s "
                    f"p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms"
                    + (f"  non-2xx {figures['non_2xx']}" if figures["non_2xx"] else ""))
    return results
