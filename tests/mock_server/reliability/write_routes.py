"""Every mutating route of the app, driven once with a valid request, in an order where each step has what
it needs (ids of earlier steps); and what a state check compares before and after a request.

``mutating_routes(app)`` is read from the app's own route table, so a route added later and missing here
fails ``test_every_mutating_route_is_driven`` until it gets a step.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from mock_server import state
from mock_server.store.sqlite import DB_NAME

KEY, SECOND, THIRD = "sk_write", "sk_write_2", "sk_write_3"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x07" * 32
IMAGE = "data:image/png;base64," + base64.b64encode(PNG).decode()
BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}

Ctx = dict[str, Any]


@dataclass(frozen=True)
class Step:
    method: str
    route: str  # the route's template, as the route table names it
    request: Callable[[Ctx], tuple[str, dict[str, Any]]]  # -> (url, httpx keyword arguments)
    save: Callable[[Ctx, Any], None] | None = None
    # For the invalid variants: the path with an unknown id in it (routes with path parameters).
    missing: str | None = None

    def send(self, client: httpx.Client, ctx: Ctx) -> httpx.Response:
        url, kwargs = self.request(ctx)
        kwargs.setdefault("headers", {"x-api-key": KEY})
        return client.request(self.method, url, **kwargs)

    def body(self, ctx: Ctx) -> Any:
        return self.request(ctx)[1].get("json")


def _id(name: str, *path: str) -> Callable[[Ctx, Any], None]:
    def save(ctx: Ctx, body: Any) -> None:
        for part in path:
            body = body[part]
        ctx[name] = body["id"] if isinstance(body, dict) else body
    return save


def _upload(kind: str) -> Callable[[Ctx, Any], None]:
    def save(ctx: Ctx, body: Any) -> None:
        ctx[kind + "_doc"] = body["document"]["id"]
        parts = urlsplit(body["uploadUrl"])
        ctx[kind + "_upload"] = f"{parts.path}?{parts.query}"
    return save


def _bearer(ctx: Ctx) -> dict[str, str]:
    return {"Authorization": f"Bearer {ctx['public_key']}"}


def j(url: str, body: Any, **extra: Any) -> tuple[str, dict[str, Any]]:
    return url, {"json": body, **extra}


def _legacy(prefix: str) -> list[Step]:
    """The legacy resources under one prefix (/v1, and their /v3 aliases)."""
    p, k = prefix, prefix.strip("/")
    agent = {"provider": "gemini", "name": "Guide", "voice": "Puck"}
    return [
        Step("POST", f"{p}/agents", lambda c: j(f"{p}/agents", agent), _id(f"{k}agent")),
        Step("PUT", f"{p}/agents/{{id}}", lambda c: j(f"{p}/agents/{c[k + 'agent']}", {
            "id": c[k + "agent"], "organizationId": c["org"], "provider": "gemini", "name": "Guide 2"}),
             missing=f"{p}/agents/missing"),
        Step("POST", f"{p}/avatars", lambda c: j(f"{p}/avatars", {
            "identity": f"{k}-face", "name": "Face", "refImage": IMAGE, "agentId": c[k + "agent"]}), _id(f"{k}avatar")),
        Step("PUT", f"{p}/avatars/{{id}}", lambda c: j(f"{p}/avatars/{c[k + 'avatar']}", {
            "id": c[k + "avatar"], "organizationId": c["org"], "identity": f"{k}-face", "name": "Face 2"}),
             missing=f"{p}/avatars/missing"),
        Step("POST", f"{p}/sessions", lambda c: j(f"{p}/sessions", {
            "name": "s", "avatar": {"id": c[k + "avatar"]}, "agent": {"id": c[k + "agent"]}}),
             _id(f"{k}session", "session")),
        Step("PATCH", f"{p}/sessions/{{id}}/stop", lambda c: (f"{p}/sessions/{c[k + 'session']}/stop", {}),
             missing=f"{p}/sessions/missing/stop"),
        Step("POST", f"{p}/session-passes", lambda c: j(f"{p}/session-passes", {
            "name": "p", "avatar": {"id": c[k + "avatar"]}, "agent": {"id": c[k + "agent"]},
            "consumerIdentity": {"identity": "guest", "name": "Guest"}}, headers=_bearer(c)),
             _id(f"{k}pass", "session")),
        Step("PATCH", f"{p}/session-passes/{{id}}/stop",
             lambda c: (f"{p}/session-passes/{c[k + 'pass']}/stop", {"headers": _bearer(c)}),
             missing=f"{p}/session-passes/missing/stop"),
        Step("DELETE", f"{p}/avatars/{{id}}", lambda c: (f"{p}/avatars/{c[k + 'avatar']}", {}),
             missing=f"{p}/avatars/missing"),
        Step("DELETE", f"{p}/agents/{{id}}", lambda c: (f"{p}/agents/{c[k + 'agent']}", {}),
             missing=f"{p}/agents/missing"),
    ]


def _knowledge(p: str) -> list[Step]:
    k = p.strip("/")
    return [
        Step("POST", f"{p}/knowledge-bases", lambda c: j(f"{p}/knowledge-bases", {"name": "KB", "description": "d"}),
             _id(f"{k}kb")),
        Step("POST", f"{p}/knowledge-bases/{{id}}/documents", lambda c: j(
            f"{p}/knowledge-bases/{c[k + 'kb']}/documents",
            {"name": "a.txt", "description": "d", "mimeType": "text/plain"}),
             _upload(k), missing=f"{p}/knowledge-bases/missing/documents"),
        Step("PUT", "/_uploads/{org}/{doc}", lambda c: (c[k + "_upload"], {"content": b"hello world"})),
        Step("PATCH", f"{p}/knowledge-bases/{{id}}/documents/{{doc}}/index",
             lambda c: (f"{p}/knowledge-bases/{c[k + 'kb']}/documents/{c[k + '_doc']}/index", {}),
             missing=f"{p}/knowledge-bases/missing/documents/missing/index"),
        Step("DELETE", f"{p}/knowledge-bases/{{id}}/documents/{{doc}}",
             lambda c: (f"{p}/knowledge-bases/{c[k + 'kb']}/documents/{c[k + '_doc']}", {}),
             missing=f"{p}/knowledge-bases/missing/documents/missing"),
        Step("DELETE", f"{p}/knowledge-bases/{{id}}", lambda c: (f"{p}/knowledge-bases/{c[k + 'kb']}", {}),
             missing=f"{p}/knowledge-bases/missing"),
    ]


def steps() -> list[Step]:
    v3 = [
        Step("POST", "/v3/brains", lambda c: j("/v3/brains", BRAIN), _id("brain")),
        Step("PATCH", "/v3/brains/{id}", lambda c: j(f"/v3/brains/{c['brain']}", {
            "instructions": "Be kind.", "greetingMessage": "Hello"}), missing="/v3/brains/missing"),
        Step("POST", "/v3/faces", lambda c: j("/v3/faces", {"identity": "tommy"}), _id("face")),
        Step("POST", "/v3/voices", lambda c: j("/v3/voices", {"identity": "Puck"}), _id("voice")),
        Step("PATCH", "/v3/voices/{id}",
             lambda c: j(f"/v3/voices/{c['voice']}", {"identity": "Kore", "instructions": "x"}),
             missing="/v3/voices/missing"),
        *_knowledge("/v3"),
        Step("POST", "/v3/characters", lambda c: j("/v3/characters", {
            "name": "Guide", "livekitIdentity": "guide", "brainId": c["brain"], "faceId": c["face"]}),
             _id("character")),
        Step("PUT", "/v3/characters/{id}", lambda c: j(f"/v3/characters/{c['character']}", {"name": "Guide 2"}),
             missing="/v3/characters/missing"),
        Step("POST", "/v3/conversations", lambda c: j("/v3/conversations", {
            "name": "c", "characterId": c["character"], "consumer": {"identity": "u", "name": "U"}}),
             _id("conversation", "conversation")),
        Step("POST", "/_mock/conversations/{id}/events", lambda c: j(
            f"/_mock/conversations/{c['conversation']}/events", {"key": KEY, "type": "joined"}),
             missing="/_mock/conversations/missing/events"),
        Step("POST", "/v3/conversations/{id}/stop", lambda c: (f"/v3/conversations/{c['conversation']}/stop", {}),
             missing="/v3/conversations/missing/stop"),
        Step("POST", "/v3/tokens", lambda c: j("/v3/tokens", {"user": "alice", "character": c["character"]})),
        Step("DELETE", "/v3/characters/{id}", lambda c: (f"/v3/characters/{c['character']}", {}),
             missing="/v3/characters/missing"),
        Step("DELETE", "/v3/faces/{id}", lambda c: (f"/v3/faces/{c['face']}", {}), missing="/v3/faces/missing"),
        Step("DELETE", "/v3/voices/{id}", lambda c: (f"/v3/voices/{c['voice']}", {}), missing="/v3/voices/missing"),
        Step("DELETE", "/v3/brains/{id}", lambda c: (f"/v3/brains/{c['brain']}", {}), missing="/v3/brains/missing"),
    ]
    control = [
        Step("POST", "/_mock/clock/freeze", lambda c: j("/_mock/clock/freeze", {"at": "2031-01-01T00:00:00.000Z"})),
        Step("POST", "/_mock/clock/advance", lambda c: j("/_mock/clock/advance", {"seconds": 5})),
        Step("POST", "/_mock/clock/advance", lambda c: j("/_mock/clock/advance", {"key": KEY, "seconds": 7})),
        Step("POST", "/_mock/clock/set", lambda c: j("/_mock/clock/set", {"at": "2031-02-01T00:00:00.000Z"})),
        Step("POST", "/_mock/clock/unfreeze", lambda c: j("/_mock/clock/unfreeze", {})),
        Step("PUT", "/_mock/assumptions", lambda c: j("/_mock/assumptions", {"list_order": "oldest-first"})),
        Step("POST", "/_mock/organizations", lambda c: j("/_mock/organizations", {
            "keys": [SECOND], "name": "Second", "settings": {"durationLimit": 60}}), _id("second")),
        Step("POST", "/_mock/seed", lambda c: j("/_mock/seed", {"name": "demo", "key": SECOND})),
        Step("POST", "/_mock/state", lambda c: j("/_mock/state", c["second_export"])),
        Step("DELETE", "/_mock/organizations", lambda c: ("/_mock/organizations", {"params": {"key": SECOND}})),
        Step("POST", "/_mock/organizations", lambda c: j("/_mock/organizations", {"keys": [THIRD]}), _id("third")),
        Step("DELETE", "/_mock/organizations/{id}", lambda c: (f"/_mock/organizations/{c['third']}", {}),
             missing="/_mock/organizations/missing"),
        Step("POST", "/_mock/faults", lambda c: j("/_mock/faults", {  # a rule for a key nobody uses
            "path": "/v3/brains", "method": "POST", "status": 500, "key": "sk_nobody"}),
             _id("fault")),
        Step("DELETE", "/_mock/faults/{id}", lambda c: (f"/_mock/faults/{c['fault']}", {}),
             missing="/_mock/faults/missing"),
        Step("DELETE", "/_mock/faults", lambda c: ("/_mock/faults", {})),
        Step("DELETE", "/_mock/journal", lambda c: ("/_mock/journal", {})),
        Step("POST", "/_mock/reset", lambda c: j("/_mock/reset", {"key": KEY})),
        Step("POST", "/_mock/reset", lambda c: j("/_mock/reset", {})),
    ]
    return [*v3, *_legacy("/v1"), *_knowledge("/v1"), *_legacy("/v3"), *control]


def start(client: httpx.Client) -> Ctx:
    """The caller's organization exists (and its public key, for session passes)."""
    described = client.get("/_mock/organizations", params={"key": KEY}, headers={"x-api-key": KEY}).json()
    if not described:
        assert client.get("/v3/brains", headers={"x-api-key": KEY}).status_code == 200
        described = client.get("/_mock/organizations", params={"key": KEY}).json()
    return {"org": described[0]["id"], "public_key": described[0]["publicKeys"][0]}


def after(step: Step, client: httpx.Client, ctx: Ctx, response: httpx.Response) -> None:
    """Remember what later steps need from a step that succeeded."""
    if step.save is not None:
        step.save(ctx, response.json())
    if step.route == "/_mock/seed":
        exported = client.get("/_mock/state", params={"key": SECOND}).json()
        exported["organizations"][0]["name"] = "Second, imported"
        ctx["second_export"] = exported


def mutating_routes(app: Any) -> set[tuple[str, str]]:
    """(method, template) of every route that may change something: the app's own route table."""
    found = set()
    for route in app.routes:
        for method in getattr(route.app, "by_method", {}):
            if method not in ("GET", "HEAD", "OPTIONS"):
                found.add((method, route.path))
    return found


# --- what is compared ---------------------------------------------------------------------
def memory(app: Any) -> dict[str, Any]:
    """Everything a request may change that the mock keeps (and, with --data-dir, stores)."""
    rt = app.state.runtime
    exported = state.export_state(rt)
    for spec in exported["organizations"]:  # a running clock's ``now`` moves: compare what it is set to
        clock = rt.store.organizations[spec["id"]].clock
        spec["clock"] = clock.state() if clock is not None else None
    return {"state": exported, "assumptions": rt.assumptions.values(), "clock": rt.clock.state(),
            "configured_keys": sorted(rt.configured_keys)}


def disk(data_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The committed rows of the database (read beside the server, as another process would)."""
    db = sqlite3.connect(f"file:{data_dir / DB_NAME}?mode=ro", uri=True)
    try:
        return {table: sorted(db.execute(f"SELECT * FROM {table}"), key=repr)
                for table in ("organizations", "api_keys", "public_keys", "records")} | {
            "meta": sorted(row for row in db.execute("SELECT key, value FROM meta") if row[0] != "probe")}
    finally:
        db.close()
