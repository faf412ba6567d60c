"""Servers under test, each in its own process on a free 127.0.0.1 port: the mock's CLI, a bare
Starlette app, and Stoplight Prism mocking the mock's own OpenAPI document."""

from __future__ import annotations

import copy
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HOST = "127.0.0.1"  # all benchmark traffic stays on loopback
PRISM_BIN = HERE / "prism" / "node_modules" / ".bin" / "prism"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: Any = None, key: str | None = None,
            timeout: float = 10.0) -> tuple[int, Any]:
    """One HTTP call to 127.0.0.1:port; the JSON answer decoded when there is one."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"accept": "application/json"}
        data = None
        if key:
            headers["x-api-key"] = key
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw
    finally:
        conn.close()


def mock_cli() -> list[str]:
    script = Path(sys.executable).with_name("equos-mock")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]


def prism_available() -> bool:
    return PRISM_BIN.exists() and shutil.which("node") is not None


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def export_openapi(path: Path) -> Path:
    from mock_server import create_app

    path.write_text(json.dumps(create_app().state.openapi))
    return path


def downgrade_to_30(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of an OpenAPI 3.1 document in 3.0 terms (``anyOf [X, null]`` -> ``nullable``, ``const``
    -> ``enum``, ``examples`` -> ``example``), for mock servers that only read 3.0."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        node = {k: walk(v) for k, v in node.items()}
        for key in ("anyOf", "oneOf"):
            options = node.get(key)
            if isinstance(options, list) and {"type": "null"} in options:
                rest = [o for o in options if o != {"type": "null"}]
                del node[key]
                if len(rest) == 1:
                    node.update(rest[0] if "$ref" not in rest[0] else {"allOf": rest})
                else:
                    node[key] = rest
                node["nullable"] = True
        if isinstance(node.get("type"), list):
            types = [t for t in node["type"] if t != "null"]
            node["nullable"] = "null" in node["type"] or node.get("nullable", False)
            node["type"] = types[0] if len(types) == 1 else types
        if "const" in node:
            node["enum"] = [node.pop("const")]
        if isinstance(node.get("examples"), list) and "paths" not in node:
            examples = node.pop("examples")
            if examples:
                node["example"] = examples[0]
        return node

    out = walk(copy.deepcopy(document))
    out["openapi"] = "3.0.3"
    return out


class Server:
    """A server process: started, waited on until /v3/health answers 200, stopped by its own pid."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict[str, str] | None = None):
        self.name = name
        self.argv = argv
        self.port = port
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_s: float | None = None

    def start(self, timeout: float = 60.0) -> Server:
        started = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env={**os.environ, **(self.env or {})}, start_new_session=True)
        self.startup_s = wait_healthy(self.port, self.proc, started, timeout)
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_healthy(port: int, proc: subprocess.Popen[bytes], started: float, timeout: float) -> float:
    """Seconds from ``started`` to the first 200 from GET /v3/health."""
    while True:
        try:
            status, _ = request(port, "GET", "/v3/health", timeout=1.0)
            if status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {err}")
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"no healthy answer on port {port} within {timeout} s")
        time.sleep(0.002)


def mock_server(port: int | None = None) -> Server:
    port = port or free_port()
    return Server("mock", [*mock_cli(), "serve", "--host", HOST, "--port", str(port), "--random-seed", "1"], port)


def bare_server(port: int | None = None, listed: Path | None = None) -> Server:
    """The bare app; with ``listed`` (a JSON file), its ``GET /v3/characters`` serializes that document."""
    port = port or free_port()
    extra = [str(listed)] if listed is not None else []
    return Server("starlette", [sys.executable, str(HERE / "bare_app.py"), str(port), *extra], port)


def prism_server(document: Path, port: int | None = None) -> Server:
    port = port or free_port()
    # Logging at "error": Prism's per-request info lines would otherwise be measured too.
    return Server("prism", [str(PRISM_BIN), "mock", "-h", HOST, "-p", str(port), "-v", "error", str(document)],
                  port)


def start_prism(workdir: Path, port: int | None = None) -> tuple[Server, str]:
    """Prism on the mock's own document; down-converted to 3.0 only if Prism refuses 3.1."""
    document = export_openapi(workdir / "openapi-3.1.json")
    try:
        return prism_server(document, port).start(), "3.1 as exported"
    except RuntimeError as first:
        converted = workdir / "openapi-3.0.json"
        converted.write_text(json.dumps(downgrade_to_30(json.loads(document.read_text()))))
        try:
            return prism_server(converted, port).start(), f"3.0 copy (3.1 failed: {str(first)[:200]})"
        except RuntimeError as second:
            raise RuntimeError(f"Prism failed on 3.1 ({first}) and on a 3.0 copy ({second})") from None
