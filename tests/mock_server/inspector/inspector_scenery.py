"""A small, realistic world for the inspector's tests and screenshots: two organizations with characters,
knowledge bases, conversations in every state, and a journal with a 404 and a faulted call. Raw HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx


@dataclass
class Org:
    id: str
    key: str
    character: str


def _ok(response: httpx.Response) -> dict:
    assert response.status_code < 300, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else {}


def organization(base: str, name: str, token: str | None = None) -> Org:
    key = f"sk_demo_{uuid.uuid4().hex[:12]}"
    headers = {"x-mock-token": token} if token else {}
    org = _ok(httpx.post(f"{base}/_mock/organizations", json={"name": name, "keys": [key]}, headers=headers))
    api = httpx.Client(base_url=base, headers={"x-api-key": key})
    face = _ok(api.post("/v3/faces", json={"identity": "tommy"}))
    voice = _ok(api.post("/v3/voices", json={"identity": "Kore", "instructions": "Warm, unhurried."}))
    brain = _ok(api.post("/v3/brains", json={"instructions": "You are a friendly concierge.",
                                              "greetingMessage": "Hello! How can I help?"}))
    kb = _ok(api.post("/v3/knowledge-bases", json={"name": "Hotel handbook", "description": "Rooms, hours"}))
    for position, name_ in enumerate(("check-in.pdf", "breakfast-menu.md", "spa-prices.csv")):
        added = _ok(api.post(f"/v3/knowledge-bases/{kb['id']}/documents",
                             json={"name": name_, "description": "handbook page", "mimeType": "text/plain"}))
        if position < 2:
            upload = httpx.put(added["uploadUrl"], content=b"x" * (2048 * (position + 1)))
            assert upload.status_code < 300, upload.text
        if position == 0:
            _ok(api.patch(f"/v3/knowledge-bases/{kb['id']}/documents/{added['document']['id']}/index"))
    character = _ok(api.post("/v3/characters", json={
        "name": "Ava, concierge", "livekitIdentity": f"ava-{uuid.uuid4().hex[:6]}", "faceId": face["id"],
        "voiceId": voice["id"], "brainId": brain["id"], "knowledgeBaseId": kb["id"]}))
    _ok(api.post("/v3/characters", json={"name": "Max, tour guide", "livekitIdentity": f"max-{uuid.uuid4().hex[:6]}",
                                         "brainId": brain["id"]}))
    api.close()
    return Org(org["id"], key, character["id"])


def conversation(base: str, org: Org, name: str, *, max_seconds: float = 900, client: str | None = None) -> dict:
    body = {"name": name, "characterId": org.character, "maxSeconds": max_seconds,
            "consumer": {"identity": f"user-{uuid.uuid4().hex[:4]}", "name": "Dana Guest"},
            "remoteAgent": {"identity": "agent-1", "name": "Booking agent"}}
    if client:
        body["client"] = client
    started = httpx.post(f"{base}/v3/conversations", json=body, headers={"x-api-key": org.key})
    return _ok(started)["conversation"]


def world(base: str, token: str | None = None) -> tuple[Org, Org]:
    """Two organizations; conversations running, ended, errored; a 404 near-miss and a faulted request."""
    headers = {"x-mock-token": token} if token else {}
    acme = organization(base, "Acme Hotels", token)
    globex = organization(base, "Globex Tours", token)
    for position, name in enumerate(("Lobby kiosk", "Room 214 check-in", "Spa booking")):
        conversation(base, acme, name, max_seconds=600 + 300 * position, client=("kiosk", "app", "app")[position])
    ended = conversation(base, acme, "Late checkout", client="app")
    httpx.post(f"{base}/v3/conversations/{ended['id']}/stop", headers={"x-api-key": acme.key})
    broken = conversation(base, globex, "City tour")
    _ok(httpx.post(f"{base}/_mock/conversations/{broken['id']}/events", headers=headers,
                   json={"organization": globex.id, "type": "error", "content": "avatar crashed"}))
    live = conversation(base, globex, "Museum guide", max_seconds=1800, client="web")
    for event in ({"type": "joined"}, {"type": "utterance", "author": "user", "content": "Where does the tour start?"},
                  {"type": "utterance", "author": "character", "content": "At the fountain, at ten sharp."}):
        _ok(httpx.post(f"{base}/_mock/conversations/{live['id']}/events", headers=headers,
                       json={"organization": globex.id, **event}))
    httpx.get(f"{base}/v3/charcters", headers={"x-api-key": acme.key})  # a typo: a 404 with near misses
    fault = _ok(httpx.post(f"{base}/_mock/faults", headers=headers,
                           json={"path": "/v3/voices", "status": 503, "times": 1}))
    httpx.get(f"{base}/v3/voices", headers={"x-api-key": globex.key})
    httpx.get(f"{base}/v3/characters?take=10", headers={"x-api-key": acme.key})
    assert fault["id"]
    for rule in ({"method": "POST", "path": "/v3/conversations", "retryAfter": 30, "probability": 0.25,
                  "organization": globex.id},
                 {"path": "/v3/knowledge-bases/*", "delayMs": 1500, "times": 5}):
        _ok(httpx.post(f"{base}/_mock/faults", headers=headers, json=rule))
    return acme, globex
