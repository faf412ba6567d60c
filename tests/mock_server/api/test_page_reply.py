"""A list reply is kept while nothing in its organization changes, and made again after any change:
one of its records, one they embed, a document of an embedded knowledge base, an undone request."""

from __future__ import annotations

import httpx

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.domain import resources
from mock_server.models.characters import ListEquosCharactersResponse
from mock_server.store.memory import PAGES_KEPT

KEY = "sk_page_reply"
BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}


def _model_page(app, query: dict, take: int = 50) -> bytes:
    """What the page was before any cache: the populated models, dumped."""
    rt = app.state.runtime
    org = rt.store.organization_for_key(KEY)
    total, items = org.characters.page(0, take, query.get("client"))
    reads = [resources.read(rt, org, rt.resources["characters"], item) for item in items]
    return ListEquosCharactersResponse(skip=0, take=take, total=total, characters=reads).model_dump_json().encode()


def test_a_page_is_kept_until_its_organization_changes() -> None:
    app = create_app()
    with asgi_client(app, KEY) as client:
        kb = client.post("/v3/knowledge-bases", json={"name": "kb", "description": "d"}).json()
        brain = client.post("/v3/brains", json=BRAIN).json()
        made = client.post("/v3/characters", json={"name": "Ada", "livekitIdentity": "ada", "brainId": brain["id"],
                                                   "knowledgeBaseId": kb["id"], "client": "c1"}).json()
        org = app.state.runtime.store.organization_for_key(KEY)

        def listed(**query: str) -> httpx.Response:
            page = client.get("/v3/characters", params={"take": 50, **query})
            assert page.status_code == 200 and page.content == _model_page(app, query)
            return page

        first = listed()
        kept = org.characters._pages[(0, 50, None, True)][1]
        listed()
        assert org.characters._pages[(0, 50, None, True)][1] is kept  # the same reply, not made again
        assert listed(client="c1").content == first.content  # its own page, the same records
        # Each change below shows in the next page (listed() compares with the models each time).
        client.patch(f"/v3/brains/{brain['id']}", json={**BRAIN, "greetingMessage": "Hello again"})
        assert b"Hello again" in listed().content and b"Hello again" in listed(client="c1").content
        doc = client.post(f"/v3/knowledge-bases/{kb['id']}/documents",
                          json={"name": "doc", "description": "d", "mimeType": "text/plain"}).json()
        assert doc["document"]["id"].encode() in listed().content
        refused = client.post("/v3/characters", json={"name": "Bob", "livekitIdentity": "ada"})  # identity taken
        assert refused.status_code == 409 and b"Bob" not in listed().content
        client.post("/v3/characters", json={"name": "Cy", "livekitIdentity": "cy"})
        assert b"Cy" in listed().content and b"Cy" not in listed(client="c1").content
        client.delete(f"/v3/brains/{brain['id']}")
        assert listed().json()["characters"][-1]["brain"] is None
        client.delete(f"/v3/characters/{made['id']}")
        assert [c["name"] for c in listed().json()["characters"]] == ["Cy"]


def test_pages_kept_are_bounded() -> None:
    app = create_app()
    with asgi_client(app, KEY) as client:
        client.post("/v3/characters", json={"name": "Ada", "livekitIdentity": "ada"})
        for take in range(1, 3 * PAGES_KEPT):
            assert client.get("/v3/characters", params={"take": take}).status_code == 200
    org = app.state.runtime.store.organization_for_key(KEY)
    assert len(org.characters._pages) == PAGES_KEPT
