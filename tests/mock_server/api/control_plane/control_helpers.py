"""Helpers shared by the control-plane tests."""

from __future__ import annotations

import uuid

import httpx


def make_character(api: httpx.Client, name: str = "Guide") -> str:
    brain = api.post("/v3/brains", json={"instructions": "Be brief.", "greetingMessage": "Hi!"})
    assert brain.status_code == 201, brain.text
    character = api.post("/v3/characters", json={"name": name, "livekitIdentity": f"id-{uuid.uuid4().hex[:8]}",
                                                 "brainId": brain.json()["id"]})
    assert character.status_code == 201, character.text
    return str(character.json()["id"])


def start_conversation(api: httpx.Client, character_id: str, **extra: object) -> dict:
    body = {"name": "talk", "characterId": character_id, "consumer": {"identity": "u1", "name": "User"}, **extra}
    response = api.post("/v3/conversations", json=body)
    assert response.status_code == 201, response.text
    return response.json()
