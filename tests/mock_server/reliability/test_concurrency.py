"""Many clients at once against the uvicorn server: starting, stopping, listing and deleting,
in one organization and across many. No lost update, no duplicate id, totals match the items,
nothing in the server's error log."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.server import MockServer

from .conftest import all_pages

WORKERS = 10
ROUNDS = 12
SHARED_ORGS = 2  # workers share these keys; each worker also has an organization of its own


def _setup(client: httpx.Client) -> str:
    brain = client.post("/v3/brains", json={"instructions": "Be brief.", "greetingMessage": "Hi"})
    assert brain.status_code == 201, brain.text
    character = client.post("/v3/characters", json={"name": "c", "livekitIdentity": f"av-{brain.json()['id']}",
                                                      "brainId": brain.json()["id"]})
    assert character.status_code == 201, character.text
    return character.json()["id"]


def _check_page(page: httpx.Response, key: str) -> None:
    assert page.status_code == 200, page.text
    body = page.json()
    assert len(body[key]) == min(body["take"], max(body["total"] - body["skip"], 0)), body
    ids = [item["id"] for item in body[key]]
    assert len(ids) == len(set(ids))


def _race_stops(url: str, key: str, conversation: str) -> list[httpx.Response]:
    """Two stops of one conversation, each from its own thread and client, released by one barrier."""
    barrier = threading.Barrier(2)

    def stop() -> httpx.Response:
        with httpx.Client(base_url=url, headers={"x-api-key": key}, timeout=20) as client:
            client.get("/v3/health")  # connect first, so the barrier releases two ready requests
            barrier.wait(timeout=20)
            return client.post(f"/v3/conversations/{conversation}/stop")

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(stop) for _ in range(2)]
        return [future.result() for future in futures]


@pytest.mark.slow  # a load run: many clients over real sockets
@pytest.mark.parametrize("storage", ["memory", "sqlite"])
def test_many_clients_at_once(storage: str, tmp_path: Path,
                              error_log: Callable[[], list[logging.LogRecord]]) -> None:
    data_dir = str(tmp_path) if storage == "sqlite" else None
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    created: dict[str, list[str]] = {}
    stopped: dict[str, set[str]] = {}
    faces_made: dict[str, set[str]] = {}
    faces_gone: dict[str, set[str]] = {}
    stop_wins: Counter[str] = Counter()

    rounds_done = 0

    def count(response: httpx.Response) -> None:
        with lock:  # many worker threads update the counter
            statuses[response.status_code] += 1

    def record(key: str, bucket: dict[str, Any], value: str) -> None:
        with lock:
            target = bucket.setdefault(key, set() if bucket is not created else [])
            if isinstance(target, list):
                target.append(value)
            else:
                target.add(value)

    with MockServer(data_dir=data_dir) as mock:
        errors = error_log()
        keys = [f"sk_shared_{n}" for n in range(SHARED_ORGS)] + [f"sk_own_{n}" for n in range(WORKERS)]
        characters = {}
        for key in keys:
            with httpx.Client(base_url=mock.url, headers={"x-api-key": key}) as client:
                characters[key] = _setup(client)

        def work(worker: int) -> None:
            nonlocal rounds_done
            mine = [f"sk_shared_{worker % SHARED_ORGS}", f"sk_own_{worker}"]
            clients = {k: httpx.Client(base_url=mock.url, headers={"x-api-key": k}, timeout=20) for k in mine}
            try:
                for n in range(ROUNDS):  # a fixed number of rounds, no wall-clock deadline
                    key = mine[n % 2]
                    client = clients[key]
                    started = client.post("/v3/conversations", json={
                        "name": f"w{worker}-{n}", "characterId": characters[key], "client": f"w{worker}"})
                    count(started)
                    conversation = started.json()["conversation"]["id"]
                    record(key, created, conversation)
                    face = client.post("/v3/faces", json={"identity": "tommy"})
                    count(face)  # one identity per org: 201 or a 409 conflict
                    if face.status_code == 201:
                        record(key, faces_made, face.json()["id"])
                    page = client.get("/v3/conversations", params={"take": 7, "skip": n % 5})
                    count(page)
                    _check_page(page, "conversations")
                    # Two stops of one conversation race (two threads, two connections, released
                    # together): exactly one ends it (201 with a body), the other gets the null reply.
                    stops = _race_stops(mock.url, key, conversation)
                    for stop in stops:
                        count(stop)
                    won = [stop for stop in stops if stop.content]
                    assert len(won) == 1, [(s.status_code, s.text) for s in stops]
                    assert won[0].status_code == 201 and won[0].json()["status"] == "ended"
                    lost = [stop for stop in stops if not stop.content]
                    assert [stop.status_code for stop in lost] == [201]  # the null reply: no body
                    with lock:
                        stop_wins[conversation] += 1
                    record(key, stopped, conversation)
                    faces = client.get("/v3/faces")
                    _check_page(faces, "faces")
                    for item in faces.json()["faces"]:
                        gone = client.delete(f"/v3/faces/{item['id']}")
                        count(gone)
                        if gone.content:  # an empty body: another client deleted it first
                            record(key, faces_gone, item["id"])
                    with lock:
                        rounds_done += 1
            finally:
                for c in clients.values():
                    c.close()

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(work, range(WORKERS)))

        all_ids: list[str] = []
        for key in keys:
            with httpx.Client(base_url=mock.url, headers={"x-api-key": key}) as client:
                listed = all_pages(client, "/v3/conversations", "conversations")
                ids = [c["id"] for c in listed]
                all_ids += ids
                assert sorted(ids) == sorted(created.get(key, [])), key  # nothing lost, nothing extra
                for conversation in listed:
                    expected = "ended" if conversation["id"] in stopped.get(key, set()) else "running"
                    assert conversation["status"] == expected
                faces = {f["id"] for f in all_pages(client, "/v3/faces", "faces")}
                assert faces == faces_made.get(key, set()) - faces_gone.get(key, set()), key
                usage = client.get("/v3/organizations/freemium-usage")
                assert usage.status_code == 200
        assert len(all_ids) == len(set(all_ids)), "duplicate ids"
        assert all(wins == 1 for wins in stop_wins.values())
        assert set(stop_wins) == {c for ids in created.values() for c in ids}

    assert not [s for s in statuses if s >= 500], statuses
    assert not errors, [r.getMessage() for r in errors]
    assert rounds_done == WORKERS * ROUNDS  # every worker ran every round
    operations = sum(statuses.values())
    # Each round: start, face, page and two stops (5), plus one delete per face listed (racy, so >=).
    assert operations >= WORKERS * ROUNDS * 5, statuses
    print(f"{storage}: {operations} concurrent operations, statuses {dict(statuses)}")
