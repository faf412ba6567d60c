"""Per-test overhead inside pytest: the plugin's fresh organization (``equos_api_key`` and the first
request with the new key) and a reset (POST /_mock/reset with the key), measured in a child pytest."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .servers import REPO

_CONFTEST = r'''
import json, os, time
import pytest

RECORDS = []


def _record(item, phase, seconds):
    RECORDS.append({"test": item.originalname, "phase": phase, "s": seconds,
                    **{k: v for k, v in item.user_properties}})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    started = time.perf_counter()
    yield
    _record(item, "setup", time.perf_counter() - started)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    _record(item, "call", 0.0)  # carries what the test measured (user_properties)
    yield


def pytest_sessionfinish(session):
    with open(os.environ["BENCH_OUT"], "w") as fh:
        json.dump(RECORDS, fh)
'''

_TESTS = r'''
import http.client, json, os, time
from urllib.parse import urlsplit
import pytest

N = int(os.environ["BENCH_N"])


@pytest.fixture(scope="session")
def conn(equos_mock):
    url = urlsplit(equos_mock.url)
    connection = http.client.HTTPConnection(url.hostname, url.port)
    yield connection
    connection.close()


def timed(conn, method, path, key, body=None):
    headers = {"x-api-key": key}
    if body is not None:
        body = json.dumps(body)
        headers["content-type"] = "application/json"
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    seconds = time.perf_counter() - started
    assert response.status < 300, response.status
    return seconds


@pytest.mark.parametrize("i", range(N))
def test_warm_key(i, conn, record_property):
    record_property("request_s", timed(conn, "GET", "/v3/characters?take=20", "sk_bench_warm"))


@pytest.mark.parametrize("i", range(N))
def test_fresh_org(i, conn, equos_api_key, record_property):
    record_property("request_s", timed(conn, "GET", "/v3/characters?take=20", equos_api_key))


@pytest.mark.parametrize("i", range(N))
def test_reset(i, conn, equos_api_key, record_property):
    timed(conn, "GET", "/v3/characters?take=20", equos_api_key)
    record_property("reset_s", timed(conn, "POST", "/_mock/reset", equos_api_key, {"key": equos_api_key}))
'''


def run_pytest_overhead(n: int = 200) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="equos-bench-") as tmp:
        folder = Path(tmp)
        (folder / "conftest.py").write_text(_CONFTEST)
        (folder / "test_overhead.py").write_text(_TESTS)
        out = folder / "records.json"
        env = {**os.environ, "BENCH_OUT": str(out), "BENCH_N": str(n), "PYTHONPATH": str(REPO)}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                               "-o", "addopts=", "--rootdir", str(folder), str(folder)],
                              cwd=folder, env=env, capture_output=True, text=True, timeout=600)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"the overhead run failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
        records = json.loads(out.read_text())

    def median(test: str, field: str, phase: str = "call") -> float:
        return statistics.median([r[field] for r in records
                                  if r["test"] == test and r["phase"] == phase and field in r])

    session_setup = next(r["s"] for r in records if r["phase"] == "setup")  # the first test starts the server
    # Setup beyond that of a test with the same fixtures but no equos_api_key: the plugin's share.
    key_setup = max(median("test_fresh_org", "s", "setup") - median("test_warm_key", "s", "setup"), 0.0)
    warm = median("test_warm_key", "request_s")
    fresh = median("test_fresh_org", "request_s")
    # The HTTP difference of one store insertion drowns in a noisy machine's jitter; the in-process
    # cost of creating the organization is its floor.
    store_s = org_creation_in_process(2_000)["per_org_us"] / 1e6
    return {
        "tests": 3 * n,
        "wall_s": wall,
        "session_server_start_s": session_setup,
        "equos_api_key_setup_s": key_setup,
        "request_warm_key_s": warm,
        "first_request_new_key_s": fresh,
        "fresh_org_increment_s": fresh - warm,
        "org_in_process_s": store_s,
        "fresh_org_per_test_s": key_setup + max(fresh - warm, store_s),
        "reset_with_key_s": median("test_reset", "reset_s"),
    }


def org_creation_in_process(n: int = 10_000) -> dict[str, float]:
    """The store's share alone: a new organization for a new key, without HTTP."""
    from mock_server import auth, create_app

    runtime = create_app().state.runtime
    keys = [f"sk_bench_{i}" for i in range(n)]
    started = time.perf_counter()
    for key in keys:
        auth.organization_for_key(runtime, key)
    return {"per_org_us": (time.perf_counter() - started) / n * 1e6, "organizations": n}
