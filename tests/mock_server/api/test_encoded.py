"""Reads served from each record's cached JSON (api/encoded.py) are byte for byte what the models write,
and a change to a record, or to one it embeds, shows in the very next read: the cache follows versions."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server import create_app
from mock_server.api import encoded
from mock_server.asgi_client import asgi_client
from mock_server.domain import conversations, resources
from mock_server.models.characters import ListEquosCharactersResponse
from mock_server.models.conversations import CreateEquosConversationRequest, ListEquosConversationsResponse

KEY = "sk_encoded"
BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}


def _app_and_client():
    app = create_app()
    return app, asgi_client(app, KEY, raise_app_exceptions=True)


def _model_read(app, name: str, item_id: str) -> bytes:
    """What the read was before the cache: the populated model, dumped."""
    rt = app.state.runtime
    org = rt.store.organization_for_key(KEY)
    resource = rt.resources[name]
    return resources.read(rt, org, resource, org.collection(name).get(item_id)).model_dump_json().encode()


def _model_page(app, take: int = 50) -> bytes:
    rt = app.state.runtime
    org = rt.store.organization_for_key(KEY)
    total, items = org.characters.page(0, take)
    reads = [resources.read(rt, org, rt.resources["characters"], item) for item in items]
    return ListEquosCharactersResponse(skip=0, take=take, total=total, characters=reads).model_dump_json().encode()


def test_get_and_list_follow_every_version_of_a_record_and_of_what_it_embeds():
    app, client = _app_and_client()
    with client:
        brain = client.post("/v3/brains", json=BRAIN).json()
        face = client.post("/v3/faces", json={"identity": "tommy"}).json()
        voice = client.post("/v3/voices", json={"identity": "Puck", "instructions": "Calm."}).json()
        kb = client.post("/v3/knowledge-bases", json={"name": "kb", "description": "d"}).json()
        full = client.post("/v3/characters", json={"name": "Ünïcode \u2028 \"q\"", "livekitIdentity": "a",
                                                    "brainId": brain["id"], "faceId": face["id"],
                                                    "voiceId": voice["id"], "knowledgeBaseId": kb["id"]})
        bare = client.post("/v3/characters", json={"name": "Bare", "livekitIdentity": "b", "client": "c1"})
        assert full.status_code == bare.status_code == 201
        ids = [full.json()["id"], bare.json()["id"]]

        def check() -> None:
            for item_id in ids:
                got = client.get(f"/v3/characters/{item_id}")
                assert got.content == _model_read(app, "characters", item_id)
            assert client.get("/v3/characters?take=50").content == _model_page(app)

        check()
        assert full.content == _model_read(app, "characters", ids[0])  # the create's reply too
        # A change to an embedded record shows at once in the reads that embed it.
        assert client.patch(f"/v3/voices/{voice['id']}", json={"identity": "Puck", "instructions": "Now loud."}
                            ).status_code == 200
        check()
        assert json.loads(client.get(f"/v3/characters/{ids[0]}").content)["voice"]["instructions"] == "Now loud."
        assert client.patch(f"/v3/brains/{brain['id']}", json={**BRAIN, "greetingMessage": "Hello again"}
                            ).status_code == 200
        check()
        # The knowledge base shows its documents: a new document is in the next read of the character.
        added = client.post(f"/v3/knowledge-bases/{kb['id']}/documents",
                            json={"name": "doc", "description": "d", "mimeType": "text/plain"})
        assert added.status_code == 201, added.text
        check()
        embedded = json.loads(client.get(f"/v3/characters/{ids[0]}").content)["knowledgeBase"]
        assert [d["name"] for d in embedded["documents"]] == ["doc"]
        # A change to the character itself, and a delete that clears its reference.
        assert client.put(f"/v3/characters/{ids[0]}", json={"name": "Renamed"}).status_code == 200
        check()
        assert client.delete(f"/v3/faces/{face['id']}").status_code == 200
        check()
        assert json.loads(client.get(f"/v3/characters/{ids[0]}").content)["face"] is None
        assert client.delete(f"/v3/characters/{ids[1]}").status_code == 200
        ids.pop()
        check()
        assert client.get("/v3/characters?client=c1").json()["characters"] == []


def test_conversation_start_get_and_list_are_the_models_json():
    app, client = _app_and_client()
    with client:
        brain = client.post("/v3/brains", json=BRAIN).json()
        character = client.post("/v3/characters", json={"name": "G", "livekitIdentity": "g",
                                                         "brainId": brain["id"]}).json()
        rt = app.state.runtime
        org = rt.store.organization_for_key(KEY)
        for body in ({}, {"consumer": {"identity": "u", "name": "U"}},
                     {"consumer": {"identity": "u", "name": "U"}, "remoteAgent": {"identity": "a", "name": "A"},
                      "promptTemplateVars": {"x": "y"}, "client": "t", "maxSeconds": 60}):
            started = conversations.start(rt, org, CreateEquosConversationRequest.model_validate(
                {"name": "c", "characterId": character["id"], **body}))
            assert encoded.started_json(rt, org, started) == started.response(rt, org).model_dump_json().encode()
        reply = client.post("/v3/conversations", json={"name": "http", "characterId": character["id"],
                                                      "consumer": {"identity": "u", "name": "U"}})
        assert reply.status_code == 201
        conversation_id = reply.json()["conversation"]["id"]
        stored = org.conversations.get(conversation_id)
        assert client.get(f"/v3/conversations/{conversation_id}").content == stored.model_dump_json().encode()
        # The conversation expires when observed: its get shows the ended version, not the cached running one.
        client.post("/_mock/clock/advance", json={"seconds": 4000})
        ended = client.get(f"/v3/conversations/{conversation_id}").json()
        assert ended["status"] == "ended"
        got = client.get("/v3/conversations").content  # ends the others (observed: expired)
        total, items = conversations.page(rt, org, 0, 20, None, True)
        assert {c.status.value for c in items} == {"ended"}
        listed = ListEquosConversationsResponse(skip=0, take=20, total=total, conversations=items)
        assert got == listed.model_dump_json().encode()


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(instructions=texts, greeting=texts, name=texts, client_tag=st.none() | texts, search=st.booleans())
def test_any_values_read_as_the_models_write_them(instructions, greeting, name, client_tag, search):
    app, client = _app_and_client()
    with client:
        brain = client.post("/v3/brains", json={"instructions": instructions, "greetingMessage": greeting})
        assert brain.status_code == 201, brain.text
        made = client.post("/v3/characters", json={"name": name, "livekitIdentity": name, "client": client_tag,
                                                    "search": search, "brainId": brain.json()["id"]})
        assert made.status_code == 201, made.text
        character_id = made.json()["id"]
        assert client.get(f"/v3/characters/{character_id}").content == _model_read(app, "characters", character_id)
        assert client.get(f"/v3/brains/{brain.json()['id']}").content == _model_read(app, "brains", brain.json()["id"])
        assert client.get("/v3/characters").content == _model_page(app, 20)
