"""A resource declared once is served whole: a toy /v3/webhooks declared here, and nowhere else.

The declaration below uses only the public API (``mock_server.Resource``, ``Reference``,
``DEFAULT_RESOURCES``, ``create_app``); everything the mock does with it — routes, paging,
the filter, the reference rule, state export and import, seed files, the OpenAPI document and
the control plane's counts — is derived from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from pydantic import BaseModel, ConfigDict

from mock_server import DEFAULT_RESOURCES, Reference, Resource, create_app
from mock_server.asgi_client import asgi_client
from mock_server.settings import Settings

KEY = "sk_test_webhooks"


class CreateWebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    event: str
    brainId: str | None = None
    client: str | None = None


class UpdateWebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    event: str | None = None
    brainId: str | None = None


class Webhook(BaseModel):
    id: str
    organizationId: str
    url: str
    event: str
    brainId: str | None = None
    client: str | None = None
    createdAt: datetime
    updatedAt: datetime


class ListWebhooksResponse(BaseModel):
    skip: int
    take: int
    total: int
    webhooks: list[Webhook]


WEBHOOKS = Resource(
    "webhooks", "webhook", Webhook, path="/v3/webhooks", create=CreateWebhookRequest,
    update=UpdateWebhookRequest, list_response=ListWebhooksResponse, id_prefix="whk",
    filters=("event",), references=(Reference("brainId", "brains", on_delete="refuse"),),
)
RESOURCES = DEFAULT_RESOURCES.with_(WEBHOOKS)


@pytest.fixture
def api() -> Iterator[httpx.Client]:
    with asgi_client(create_app(Settings(), resources=RESOURCES), KEY, raise_app_exceptions=True) as client:
        yield client


def _brain(api: httpx.Client) -> str:
    reply = api.post("/v3/brains", json={"instructions": "Be brief.", "greetingMessage": "Hi"})
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def _webhook(api: httpx.Client, **fields: object) -> dict:
    reply = api.post("/v3/webhooks", json={"url": "https://example.test/hook", "event": "brain.updated", **fields})
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_crud_over_http(api):
    created = _webhook(api, client="c1")
    assert created["url"] == "https://example.test/hook" and created["client"] == "c1"
    assert created["createdAt"] == created["updatedAt"]
    assert api.get(f"/v3/webhooks/{created['id']}").json() == created

    patched = api.patch(f"/v3/webhooks/{created['id']}", json={"event": "character.deleted"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["event"] == "character.deleted"
    assert patched.json()["url"] == created["url"]  # absent fields are kept
    assert patched.json()["createdAt"] == created["createdAt"]

    bad = api.post("/v3/webhooks", json={"url": "https://example.test/hook"})  # event missing
    assert bad.status_code == 400 and bad.json()["statusCode"] == 400

    deleted = api.delete(f"/v3/webhooks/{created['id']}")
    assert deleted.status_code == 200 and deleted.json()["id"] == created["id"]
    gone = api.get(f"/v3/webhooks/{created['id']}")
    assert gone.status_code == 200 and gone.content == b""  # the API's null reply (null_result=empty)
    assert api.patch(f"/v3/webhooks/{created['id']}", json={"event": "x"}).content == b""


def test_prefixed_ids_use_the_declared_prefix():
    settings = Settings(assumptions={"id_style": "prefixed"})
    with asgi_client(create_app(settings, resources=RESOURCES), KEY, raise_app_exceptions=True) as api:
        assert _webhook(api)["id"].startswith("whk_")


def test_list_pages_and_filters(api):
    ids = [_webhook(api, event="brain.updated" if n % 2 else "face.deleted", client=f"c{n % 3}")["id"]
           for n in range(7)]
    first = api.get("/v3/webhooks", params={"take": 3}).json()
    second = api.get("/v3/webhooks", params={"take": 3, "skip": 3}).json()
    assert first["total"] == second["total"] == 7
    assert [w["id"] for w in first["webhooks"] + second["webhooks"]] == ids[::-1][:6]  # newest first

    updated = [i for n, i in enumerate(ids) if n % 2]
    page = api.get("/v3/webhooks", params={"event": "brain.updated", "take": 2}).json()
    assert page["total"] == len(updated) == 3
    assert [w["id"] for w in page["webhooks"]] == updated[::-1][:2]
    rest = api.get("/v3/webhooks", params={"event": "brain.updated", "take": 2, "skip": 2}).json()
    assert [w["id"] for w in rest["webhooks"]] == updated[::-1][2:]

    both = api.get("/v3/webhooks", params={"event": "brain.updated", "client": "c1"}).json()
    assert [w["id"] for w in both["webhooks"]] == [i for n, i in enumerate(ids) if n % 2 and n % 3 == 1][::-1]
    assert api.get("/v3/webhooks", params={"event": "nothing"}).json()["total"] == 0
    assert api.get("/v3/webhooks", params={"take": 0}).status_code == 400


def test_reference_must_exist_and_refuses_the_delete_of_its_target(api):
    missing = api.post("/v3/webhooks", json={"url": "u", "event": "e", "brainId": "no-such-brain"})
    assert missing.status_code == 404
    assert "brain no-such-brain not found" in json.dumps(missing.json())

    brain = _brain(api)
    hook = _webhook(api, brainId=brain)
    refused = api.delete(f"/v3/brains/{brain}")
    assert refused.status_code == 409, refused.text
    assert api.get(f"/v3/brains/{brain}").json()["id"] == brain  # nothing changed

    api.patch(f"/v3/webhooks/{hook['id']}", json={"brainId": None})
    assert api.delete(f"/v3/brains/{brain}").status_code == 200
    assert api.get(f"/v3/webhooks/{hook['id']}").json()["brainId"] is None


def test_state_export_import_round_trip(api):
    brain = _brain(api)
    hooks = [_webhook(api, brainId=brain, event=f"e{n}") for n in range(3)]
    exported = api.get("/_mock/state").json()
    (org,) = exported["organizations"]
    assert [w["id"] for w in org["collections"]["webhooks"]] == [h["id"] for h in hooks]

    with asgi_client(create_app(Settings(), resources=RESOURCES), KEY, raise_app_exceptions=True) as fresh:
        assert fresh.post("/_mock/state", json=exported).status_code == 200
        listed = fresh.get("/v3/webhooks").json()
        assert listed["webhooks"] == hooks[::-1]
        assert fresh.get("/v3/webhooks", params={"event": "e1"}).json()["webhooks"] == [hooks[1]]
        assert fresh.get("/_mock/state").json() == exported
        assert fresh.delete(f"/v3/brains/{brain}").status_code == 409  # the rule holds after import


def test_seed_file_creates_webhooks_after_what_they_refer_to(tmp_path):
    seed = {"organizations": [{"keys": [KEY],
                               "webhooks": [{"id": "whk_1", "url": "u", "event": "e", "brainId": "brn_1"}],
                               "brains": [{"id": "brn_1", "instructions": "i", "greetingMessage": "g"}]}]}
    path = tmp_path / "hooks.json"
    path.write_text(json.dumps(seed))
    app = create_app(Settings(seed_file=str(path)), resources=RESOURCES)
    with asgi_client(app, KEY, raise_app_exceptions=True) as api:
        (hook,) = api.get("/v3/webhooks").json()["webhooks"]
        assert (hook["id"], hook["brainId"]) == ("whk_1", "brn_1")

    bad = {"organizations": [{"keys": [KEY], "webhooks": [{"url": "u", "event": "e", "brainId": "nope"}]}]}
    path.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="brain nope not found"):
        create_app(Settings(seed_file=str(path)), resources=RESOURCES)


def test_openapi_document_lists_the_operations(api):
    document = api.get("/docs/v3-json").json()
    operations = {(method.upper(), path): op for path, item in document["paths"].items()
                  for method, op in item.items() if path.startswith("/v3/webhooks")}
    assert {key: op["operationId"] for key, op in operations.items()} == {
        ("GET", "/v3/webhooks"): "listWebhooks", ("POST", "/v3/webhooks"): "createWebhook",
        ("GET", "/v3/webhooks/{id}"): "getWebhook", ("PATCH", "/v3/webhooks/{id}"): "updateWebhook",
        ("DELETE", "/v3/webhooks/{id}"): "deleteWebhook"}
    params = {p["name"] for p in operations[("GET", "/v3/webhooks")]["parameters"]}
    assert {"take", "skip", "client", "event"} <= params
    assert set(document["components"]["schemas"]) >= {"Webhook", "CreateWebhookRequest", "ListWebhooksResponse"}


def test_control_plane_counts_every_collection(api):
    _webhook(api)
    _webhook(api)
    (org,) = api.get("/_mock/organizations").json()
    assert org["counts"]["webhooks"] == 2
    assert set(org["counts"]) == set(RESOURCES.names)


def test_the_default_app_knows_nothing_of_webhooks():
    assert "webhooks" not in DEFAULT_RESOURCES and "webhooks" in RESOURCES
    with asgi_client(create_app(Settings()), KEY, raise_app_exceptions=True) as api:
        assert api.get("/v3/webhooks").status_code == 404
        assert not [p for p in api.get("/docs/v3-json").json()["paths"] if "webhooks" in p]


class CreateWebhookNamingStamps(CreateWebhookRequest):
    """A create body that names fields the server stamps (a declaration's mistake a client can fill in)."""

    id: str | None = None
    organizationId: str | None = None


def test_the_server_stamps_win_over_a_create_body_naming_them():
    stamped = Resource("webhooks", "webhook", Webhook, path="/v3/webhooks", create=CreateWebhookNamingStamps,
                       update=UpdateWebhookRequest, list_response=ListWebhooksResponse, id_prefix="whk")
    app = create_app(Settings(), resources=DEFAULT_RESOURCES.with_(stamped))
    with asgi_client(app, KEY, raise_app_exceptions=True) as api:
        made = api.post("/v3/webhooks", json={"url": "u", "event": "e", "id": "chosen", "organizationId": "org_x"})
        assert made.status_code == 201, made.text
        assert made.json()["id"] != "chosen" and made.json()["organizationId"] != "org_x"
        again = api.post("/v3/webhooks", json={"url": "u", "event": "e", "id": "chosen"})
        assert again.status_code == 201, again.text
        assert again.json()["id"] != made.json()["id"]
