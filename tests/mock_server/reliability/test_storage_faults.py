"""--data-dir on a disk that refuses writes (issue 19, item 3): a write that cannot be persisted is undone in
memory and answered 507 (full) or 503 with Retry-After; reads keep working; health says degraded; the journal
shows it; it recovers by itself. Nothing refused is kept, nothing acknowledged is lost, also after a crash."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.settings import Settings

from .conftest import all_pages
from .faulty_disk import FaultyDisk
from .test_persistence import _start
from .write_routes import BRAIN, KEY, after, disk, memory, start, steps

H = {"x-api-key": KEY}


def _open(data_dir: Path) -> tuple[Any, httpx.Client, FaultyDisk]:
    app = create_app(Settings(data_dir=str(data_dir)))
    return app, asgi_client(app), FaultyDisk(app)


def _crash(app: Any, client: httpx.Client) -> None:
    """Drop the app as a kill -9 would: nothing flushed or folded on the way out."""
    client.close()
    app.state.persistence.abandon()


def assert_refused(response: httpx.Response, status: int | tuple[int, ...] = (507, 503)) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.text
    body = response.json()
    assert body["statusCode"] == response.status_code and "nothing was changed" in body["message"]
    assert body["error"] == {507: "Insufficient Storage", 503: "Service Unavailable"}[response.status_code]
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.parametrize(("fault", "at", "status"), [("full", "write", 507), ("full", "commit", 507),
                                                     ("io", "write", 503), ("io", "commit", 503)])
def test_a_refused_write_is_undone_reads_work_and_it_recovers(tmp_path: Path, fault: str, at: str, status: int
                                                               ) -> None:
    app, client, faulty = _open(tmp_path)
    brain = client.post("/v3/brains", json=BRAIN, headers=H).json()
    character = client.post("/v3/characters", headers=H, json={
        "name": "Guide", "livekitIdentity": "guide", "brainId": brain["id"]}).json()
    before, stored = memory(app), disk(tmp_path)

    faulty.arm(fault, at)
    for _ in range(3):
        assert_refused(client.post("/v3/brains", json=BRAIN, headers=H), status)
    start_ = client.post("/v3/conversations", headers=H, json={"name": "c", "characterId": character["id"]})
    assert_refused(start_, status)
    assert_refused(client.post("/_mock/organizations", json={"keys": ["sk_more"]}), status)
    assert memory(app) == before and disk(tmp_path) == stored
    # Reads keep working; health answers, degraded, and says why.
    assert client.get("/v3/brains", headers=H).json()["total"] == 1
    health = client.get("/v3/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded", health.text
    assert ("full" if fault == "full" else "cannot be written") in health.headers["x-mock-storage"]
    # The journal shows each refused API call, with its reason.
    journal = client.get("/_mock/journal", params={"status": str(status)}).json()["entries"]
    assert [e["path"] for e in journal] == ["/v3/brains"] * 3 + ["/v3/conversations"]
    assert all("nothing was changed" in str(e) for e in journal)

    faulty.disarm()  # space is back: nobody restarts anything
    assert client.get("/v3/health").json()["status"] == "ok"
    assert client.get("/v3/conversations", headers=H).json()["total"] == 0  # the refused start is not there
    assert client.get("/v3/organizations/freemium-usage", headers=H).text == "0"  # nor billed
    assert client.post("/v3/brains", json=BRAIN, headers=H).status_code == 201
    acknowledged = memory(app)
    _crash(app, client)
    again, client, _ = _open(tmp_path)
    assert memory(again) == acknowledged
    assert client.get("/v3/brains", headers=H).json()["total"] == 2
    client.close()
    again.state.persistence.close()


@pytest.mark.slow  # 65 steps, each refused, checked, then acknowledged, and three reopenings: 1-2 s
def test_every_mutating_route_on_a_failing_disk(tmp_path: Path) -> None:
    """Each route's valid request: refused on a failing disk with nothing kept (memory and disk), then
    acknowledged once the disk works; a crash at any of three points loses nothing acknowledged."""
    app, client, faulty = _open(tmp_path)
    ctx = start(client)
    faults = itertools.cycle([("full", "write"), ("io", "commit"), ("full", "commit"), ("io", "write")])
    refused = 0
    every = steps()
    for position, step in enumerate(every):
        before, stored = memory(app), disk(tmp_path)
        faulty.arm(*next(faults))
        response = step.send(client, ctx)
        faulty.disarm()
        if response.status_code < 300:  # a route that stores nothing (the journal, fault rules): done
            assert faulty.refused == refused, (step.route, "acknowledged although its write was refused")
            assert memory(app) == before and disk(tmp_path) == stored, (step.method, step.route)
        else:
            assert_refused(response)
            refused = faulty.refused
            assert memory(app) == before, (step.method, step.route)
            assert disk(tmp_path) == stored, (step.method, step.route)
            response = step.send(client, ctx)
            assert response.status_code < 300, (step.method, step.route, response.text)
        after(step, client, ctx, response)
        if position in (len(every) // 3, 2 * len(every) // 3):
            acknowledged = memory(app)
            _crash(app, client)
            app, client, faulty = _open(tmp_path)
            refused = 0
            assert memory(app) == acknowledged, f"lost after a crash at step {position} ({step.route})"
    client.close()
    app.state.persistence.close()


def test_a_failure_to_store_one_organization_never_downs_the_others(tmp_path: Path) -> None:
    app, client, faulty = _open(tmp_path)
    assert client.post("/v3/brains", json=BRAIN, headers=H).status_code == 201
    real_check = faulty.check

    def poisoned(sql: str) -> None:  # only what concerns one organization fails (as a bad value would)
        if faulty.fault == "poison":
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        real_check(sql)

    faulty.check = poisoned  # type: ignore[method-assign]
    faulty.arm("poison")
    assert_refused(client.post("/_mock/organizations", json={"name": "Poison", "keys": ["sk_poison"]}), 503)
    faulty.disarm()
    # Everyone else is served, and writes again: the refused organization left nothing pending behind.
    assert client.get("/v3/health").json()["status"] == "ok"
    assert client.post("/v3/brains", json=BRAIN, headers=H).status_code == 201
    assert client.get("/v3/brains", headers={"x-api-key": "sk_other"}).status_code == 200
    assert client.get("/_mock/organizations", params={"key": "sk_poison"}).json() == []
    client.close()
    app.state.persistence.close()


# --- a real full disk: a 2 MiB tmpfs ---------------------------------------------------------------
@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(directory: Path) -> Path:
    """Take every free byte of the file system (unbuffered, so nothing is left to flush)."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


@pytest.mark.slow  # a subprocess server on a real full disk, killed and restarted
@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs")
def test_a_real_full_disk(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "2m") as mounted:
        data_dir = mounted / "data"
        proc, url = _start(data_dir)
        try:
            with httpx.Client(base_url=url, headers=H, timeout=10) as client:
                brain = client.post("/v3/brains", json=BRAIN).json()
                character = client.post("/v3/characters", json={
                    "name": "Guide", "livekitIdentity": "guide", "brainId": brain["id"]}).json()
                filler = _fill(mounted)
                acknowledged = {brain["id"]}
                statuses = []
                for n in range(60):
                    response = client.post("/v3/brains", json={**BRAIN, "instructions": f"brain {n} " + "x" * 2000})
                    statuses.append(response.status_code)
                    if response.status_code == 201:
                        acknowledged.add(response.json()["id"])
                    else:
                        assert_refused(response, 507)
                assert statuses.count(507) >= 50, statuses
                assert_refused(client.post("/v3/conversations", json={"name": "c", "characterId": character["id"]}),
                               507)
                assert client.get("/v3/health").json()["status"] == "degraded"
                assert {b["id"] for b in all_pages(client, "/v3/brains", "brains")} == acknowledged
                filler.unlink()  # space comes back
                assert client.get("/v3/health").json()["status"] == "ok"
                created = client.post("/v3/brains", json=BRAIN)
                assert created.status_code == 201
                acknowledged.add(created.json()["id"])
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            proc, url = _start(data_dir)
            with httpx.Client(base_url=url, headers=H, timeout=10) as client:
                assert {b["id"] for b in all_pages(client, "/v3/brains", "brains")} == acknowledged
                assert client.get("/v3/conversations").json()["total"] == 0
        finally:
            proc.kill()
            proc.wait(timeout=10)
