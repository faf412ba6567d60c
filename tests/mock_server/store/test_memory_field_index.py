"""The field index of a collection (livekitIdentity, face and voice identity) must answer exactly what a
scan of the collection answers, in the same order, whatever was added, replaced or removed."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from mock_server.app import create_app
from mock_server.asgi_client import asgi_client
from mock_server.store.memory import Collection


class Item(BaseModel):
    id: str
    createdAt: datetime
    name: str
    client: str | None = None


def asgi_json(app: object, method: str, path: str, key: str, body: object = None) -> tuple[int, object]:
    with asgi_client(app) as client:  # type: ignore[arg-type]
        response = client.request(method, path, json=body, headers={"x-api-key": key})
    return response.status_code, response.json() if response.content else None


def test_matching_equals_a_scan_under_random_changes() -> None:
    rng = random.Random(6)
    collection: Collection[Item] = Collection(itertools.count(), indexed=("name",))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for step in range(1200):
        live = collection.values()
        action = rng.random()
        if action < 0.5 or not live:
            # Times go back now and then: the order that counts is the order of adding, not createdAt.
            moment = start + timedelta(seconds=rng.randint(-50, 50))
            collection.add(Item(id=f"i{step}", createdAt=moment, name=rng.choice("abcd")))
        elif action < 0.8:
            old = rng.choice(live)
            collection.replace(old.model_copy(update={"name": rng.choice("abcd"), "client": rng.choice("xy")}))
        else:
            collection.remove(rng.choice(live).id)
        for name in "abcde":
            assert collection.matching("name", name) == [x for x in collection.values() if x.name == name]
    for item in collection.values():
        collection.remove(item.id)
    assert all(collection.matching("name", name) == [] for name in "abcd")


def test_livekit_identity_conflicts_name_the_first_holder_and_free_on_delete() -> None:
    app = create_app()
    key = "sk_index"
    first = asgi_json(app, "POST", "/v3/characters", key, {"name": "A", "livekitIdentity": "guide"})
    assert first[0] == 201
    status, body = asgi_json(app, "POST", "/v3/characters", key, {"name": "B", "livekitIdentity": "guide"})
    assert status == 409 and first[1]["id"] in body["message"]
    assert asgi_json(app, "DELETE", f"/v3/characters/{first[1]['id']}", key)[0] == 200
    assert asgi_json(app, "POST", "/v3/characters", key, {"name": "C", "livekitIdentity": "guide"})[0] == 201


def test_voice_identity_conflict_on_create_and_update() -> None:
    app = create_app()
    key = "sk_index_voice"
    puck = asgi_json(app, "POST", "/v3/voices", key, {"identity": "Puck", "instructions": "calm"})[1]
    kore = asgi_json(app, "POST", "/v3/voices", key, {"identity": "Kore", "instructions": "calm"})[1]
    status, body = asgi_json(app, "POST", "/v3/voices", key, {"identity": "Puck", "instructions": "x"})
    assert status == 409 and puck["id"] in body["message"]
    status, body = asgi_json(app, "PATCH", f"/v3/voices/{kore['id']}", key,
                             {"identity": "Puck", "instructions": "x"})
    assert status == 409 and puck["id"] in body["message"]
    # Renaming a voice to its own identity is no conflict, and renaming it frees its old identity.
    assert asgi_json(app, "PATCH", f"/v3/voices/{puck['id']}", key, {"identity": "Puck", "instructions": "x"})[0] == 200
    renamed = asgi_json(app, "PATCH", f"/v3/voices/{puck['id']}", key, {"identity": "Leda", "instructions": "x"})
    assert renamed[0] == 200
    assert asgi_json(app, "POST", "/v3/voices", key, {"identity": "Puck", "instructions": "x"})[0] == 201
