"""How much a fresh organization per test costs: control calls and whole pytest runs.

Run: python scripts/measure_fixture_overhead.py [N]. Loopback only.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from mock_server.server import MockServer


def per_call(label: str, call, n: int) -> None:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    print(f"{label:55s} median {statistics.median(samples):6.2f} ms  p90 {sorted(samples)[int(n * 0.9)]:6.2f} ms")


def pytest_run(body: str, n: int, url: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "test_x.py").write_text(f"import pytest\n\n@pytest.mark.parametrize('i', range({n}))\n{body}")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--equos-mock-url", url,
                        tmp], check=True, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with MockServer() as server:
        control = server.control
        client = httpx.Client(base_url=server.url)
        per_call("first request of a new key (creates the organization)",
                 lambda: client.get("/v3/brains", headers={"x-api-key": f"sk_{uuid.uuid4().hex}"}), n)
        client.get("/v3/brains", headers={"x-api-key": "sk_same"})
        per_call("the same request with a known key",
                 lambda: client.get("/v3/brains", headers={"x-api-key": "sk_same"}), n)
        per_call("equos_org: POST /_mock/organizations",
                 lambda: control.create_organization([f"sk_{uuid.uuid4().hex}"]), n)
        per_call("leak guard: GET /_mock/conversations/running?key=",
                 lambda: control.running_conversations(f"sk_{uuid.uuid4().hex}"), n)
        per_call("equos_clock: POST /_mock/clock/freeze {key}", lambda: control.freeze(key=f"sk_{uuid.uuid4().hex}"), n)
        bare = pytest_run("def test_x(i, equos_mock):\n    pass\n", n, server.url)
        keyed = pytest_run("def test_x(i, equos_api_key):\n    pass\n", n, server.url)
        org = pytest_run("def test_x(i, equos_org):\n    pass\n", n, server.url)
        full = pytest_run("def test_x(i, equos_org, equos_clock, equos_journal, equos_faults):\n    pass\n", n,
                          server.url)
        print(f"pytest, {n} tests: equos_mock only {bare:.2f} s; +equos_api_key {keyed:.2f} s "
              f"({(keyed - bare) / n * 1000:.2f} ms/test); +equos_org {org:.2f} s "
              f"({(org - bare) / n * 1000:.2f} ms/test); "
              f"org+clock+journal+faults {full:.2f} s ({(full - bare) / n * 1000:.2f} ms/test)")


if __name__ == "__main__":
    main()
