"""Deliberately broken variants of the mock, for the contract suite's mutation self-test.

Each ``NAME`` here is an app factory: ``pytest --pyargs contract_tests --equos-app contract_mutants:NAME``
(with this folder on PYTHONPATH) runs the suite against that mutant in-process. Every mutant runs
in its own process, so patching a module for the duration is harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server import DEFAULT_RESOURCES, Catalog, Resource, create_app
from mock_server.domain import conversations as conversations_domain
from mock_server.domain import knowledge as knowledge_domain
from mock_server.domain import resources as resources_domain
from mock_server.models.characters import UpdateEquosCharacterRequest
from mock_server.settings import Settings
from mock_server.store import memory

Rewrite = Callable[[Scope, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


class ResponseRewriter:
    """Buffers each response and passes it through ``rewrite`` (status, headers, body)."""

    def __init__(self, app: ASGIApp, rewrite: Rewrite):
        self.app = app
        self.rewrite = rewrite
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mock/"):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
            status, headers, body = self.rewrite(scope, start["status"], headers, b"".join(chunks))
            headers["content-length"] = str(len(body))
            await send({"type": "http.response.start", "status": status,
                        "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


class RequestRewriter:
    def __init__(self, app: ASGIApp, rewrite: Callable[[Scope], Scope]):
        self.app = app
        self.rewrite = rewrite
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_mock/"):
            scope = self.rewrite(dict(scope))
        await self.app(scope, receive, send)


def _json_rewrite(fn: Callable[[Scope, Any], Any], when: Callable[[Scope, int], bool] = lambda s, st: True
                  ) -> Callable[[], Any]:
    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if not when(scope, status) or not headers.get("content-type", "").startswith("application/json") or not body:
            return status, headers, body
        return status, headers, json.dumps(fn(scope, json.loads(body))).encode()

    return lambda: ResponseRewriter(create_app(), rewrite)


def _walk(value: Any, fn: Callable[[dict[str, Any]], None]) -> Any:
    if isinstance(value, dict):
        fn(value)
        for v in value.values():
            _walk(v, fn)
    elif isinstance(value, list):
        for v in value:
            _walk(v, fn)
    return value


def _query(scope: Scope, change: Callable[[dict[str, str]], dict[str, str]]) -> Scope:
    params = dict(parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True))
    scope["query_string"] = urlencode(change(params)).encode()
    return scope


def _is_list(scope: Scope) -> bool:
    return scope["method"] == "GET" and scope["path"].count("/") == 2 and "organizations" not in scope["path"]


# --- wrong status codes and content ---------------------------------------------------------------
def post_answers_200() -> Any:
    return ResponseRewriter(create_app(), lambda sc, st, h, b: (200 if st == 201 else st, h, b))


def server_error_on_bad_input() -> Any:
    return ResponseRewriter(create_app(), lambda sc, st, h, b: (500 if st == 400 else st, h, b))


def json_as_text_plain() -> Any:
    def rewrite(sc: Scope, st: int, h: dict[str, str], b: bytes) -> tuple[int, dict[str, str], bytes]:
        if h.get("content-type", "").startswith("application/json"):
            h["content-type"] = "text/plain; charset=utf-8"
        return st, h, b

    return ResponseRewriter(create_app(), rewrite)


# --- missing or mistyped fields ---------------------------------------------------------------------
drops_updated_at = _json_rewrite(lambda sc, body: _walk(body, lambda d: d.pop("updatedAt", None)))
take_as_string = _json_rewrite(lambda sc, body: _walk(body, lambda d: d.update(take=str(d["take"]))
                                                      if "take" in d else None))


# --- paging and lists ------------------------------------------------------------------------------
total_is_page_length = _json_rewrite(
    lambda sc, body: _walk(body, lambda d: d.update(total=len(next(v for k, v in d.items() if isinstance(v, list))))
                           if "total" in d else None))


def client_filter_ignored() -> Any:
    def rewrite(scope: Scope) -> Scope:
        if _is_list(scope):
            return _query(scope, lambda q: {k: v for k, v in q.items() if k != "client"})
        return scope

    return RequestRewriter(create_app(), rewrite)


def accepts_bad_paging() -> Any:
    def fix(q: dict[str, str]) -> dict[str, str]:
        def ok(name: str, low: int, high: int) -> bool:
            try:
                return low <= float(q[name]) <= high and float(q[name]).is_integer()
            except (KeyError, ValueError):
                return False

        return {k: v for k, v in q.items() if k not in ("take", "skip") or ok(k, 0 if k == "skip" else 1,
                                                                            10**9 if k == "skip" else 50)}

    return RequestRewriter(create_app(), lambda sc: _query(sc, fix) if _is_list(sc) else sc)


def skip_off_by_one() -> Any:
    original = memory.Collection.page

    def page(self: Any, skip: int, take: int, client: Any = None, *, newest_first: bool = True) -> Any:
        return original(self, skip + 1 if skip else skip, take, client, newest_first=newest_first)

    memory.Collection.page = page  # type: ignore[method-assign]
    return create_app()


def always_oldest_first() -> Any:
    original = memory.Collection.page

    def page(self: Any, skip: int, take: int, client: Any = None, *, newest_first: bool = True) -> Any:
        return original(self, skip, take, client, newest_first=False)

    memory.Collection.page = page  # type: ignore[method-assign]
    return create_app()


# --- delete, conflicts and references ---------------------------------------------------------------
def delete_keeps_item() -> Any:
    memory.Collection.remove = lambda self, item_id: self.get(item_id)  # type: ignore[method-assign]
    return create_app()


def _with(resource: Resource) -> Any:
    """The mock with one declaration changed (the others as they are)."""
    return create_app(resources=Catalog(tuple(resource if r.name == resource.name else r
                                              for r in DEFAULT_RESOURCES)))


def duplicate_faces_allowed() -> Any:
    resources_domain.conflicting = lambda *args, **kwargs: None  # type: ignore[assignment]
    resources_domain.conflicting_identity = lambda *args, **kwargs: None  # type: ignore[assignment]
    return create_app()


def dangling_references_accepted() -> Any:
    resources_domain.check_references = lambda *args, **kwargs: None  # type: ignore[assignment]
    return create_app()


def update_clears_unsent_fields() -> Any:
    original = DEFAULT_RESOURCES["characters"]

    def update(rt: Any, org: Any, character_id: str, body: UpdateEquosCharacterRequest) -> Any:
        changes = {"elevenlabsAgentId": None, **body.model_dump(exclude_unset=True)}
        return resources_domain.update(rt, org, original, character_id,
                                       UpdateEquosCharacterRequest.model_validate(changes))

    return _with(replace(original, update_rule=update))


# --- timestamps -----------------------------------------------------------------------------------
def _on_update(scope: Scope, status: int) -> bool:
    return scope["method"] in ("PUT", "PATCH")


created_at_moves_on_update = _json_rewrite(lambda sc, body: _walk(body, lambda d: d.update(createdAt=d["updatedAt"])
                                                                  if "createdAt" in d else None), _on_update)
updated_at_goes_back = _json_rewrite(lambda sc, body: _walk(body, lambda d: d.update(
    updatedAt="2001-01-01T00:00:00.000Z") if "updatedAt" in d else None), _on_update)


# --- conversation lifecycle and billing ----------------------------------------------------------------
def stop_does_not_end() -> Any:
    conversations_domain.stop = lambda rt, org, cid: conversations_domain.get(rt, org, cid)  # type: ignore
    return create_app()


def never_expires() -> Any:
    conversations_domain.observe = lambda rt, org, conversation: conversation  # type: ignore[assignment]
    return create_app()


def usage_doubled() -> Any:
    def rewrite(sc: Scope, st: int, h: dict[str, str], b: bytes) -> tuple[int, dict[str, str], bytes]:
        if "usage" in sc["path"] and st == 200:
            value = float(b) * 2 + 1
            b = str(value).encode()
        return st, h, b

    return ResponseRewriter(create_app(), rewrite)


# --- tokens ---------------------------------------------------------------------------------------------
def _patch_token(**changes: Any) -> Any:
    """Room tokens signed from the domain's own claims with ``changes`` applied (``livekit_token``'s
    arguments; a callable gets them all)."""
    from mock_server.domain import rooms as rooms_domain
    from mock_server.tokens import livekit_token

    def token(rt: Any, conversation: Any, identity: str, name: str) -> str:
        kwargs = {**rooms_domain._claim_args(rt, conversation.room or "", conversation.startedAt,
                                             conversation.maxSeconds, identity, name),
                  "api_secret": rt.settings.livekit_api_secret}
        kwargs.update({k: (v(kwargs) if callable(v) else v) for k, v in changes.items()})
        return livekit_token(**kwargs)

    conversations_domain._token = token  # type: ignore[assignment]
    return create_app()


def token_wrong_room() -> Any:
    from mock_server.tokens import Grant

    return _patch_token(grant=lambda kw: Grant(room=kw["grant"].room + "-other"))


def token_bad_signature() -> Any:
    return _patch_token(api_secret="not-the-livekit-secret")


def token_expired() -> Any:
    return _patch_token(expires=lambda kw: kw["not_before"] - 3600)


def token_wrong_identity() -> Any:
    return _patch_token(identity=lambda kw: "someone-else")


# --- breaks of the record (the official SDK's schemas) in fields no other check reads -------------------
charge_by_second_as_string = _json_rewrite(lambda sc, body: _walk(body, lambda d: d.update(
    chargeBySecond=str(d["chargeBySecond"])) if "chargeBySecond" in d else None))
organization_id_missing = _json_rewrite(lambda sc, body: _walk(body, lambda d: d.pop("organizationId", None)))
status_outside_record = _json_rewrite(lambda sc, body: _walk(body, lambda d: d.update(status="active")
                                                              if d.get("status") == "running" else None))


# --- billing and documents (held-out faults of issue 11) ---------------------------------------------
def _usage_plus_one(sc: Scope, st: int, h: dict[str, str], b: bytes) -> tuple[int, dict[str, str], bytes]:
    if sc["path"] == "/v3/organizations/freemium-usage" and st == 200:
        b = str(float(b) + 1).encode()
    return st, h, b


def freemium_usage_off() -> Any:
    return ResponseRewriter(create_app(), _usage_plus_one)


def freemium_usage_off_without_control_plane() -> Any:
    return ResponseRewriter(create_app(Settings(control_plane=False)), _usage_plus_one)


documents_never_listed = _json_rewrite(lambda sc, body: _walk(body, lambda d: d.update(documents=[])
                                                               if "documents" in d else None))


def deleted_documents_still_listed() -> Any:
    # Answers as if deleted, and keeps the document.
    knowledge_domain.delete_document = knowledge_domain._document  # type: ignore[assignment]
    return create_app()


def never_expires_without_control_plane() -> Any:
    conversations_domain.observe = lambda rt, org, conversation: conversation  # type: ignore[assignment]
    return create_app(Settings(control_plane=False))


# --- isolation --------------------------------------------------------------------------------------------
def lost_isolation() -> Any:
    def rewrite(scope: Scope) -> Scope:
        scope["headers"] = [(k, b"sk_everyone_shares_this" if k == b"x-api-key" and v else v)
                            for k, v in scope["headers"]]
        return scope

    return RequestRewriter(create_app(), rewrite)


MUTANTS = [
    "post_answers_200", "server_error_on_bad_input", "json_as_text_plain", "drops_updated_at", "take_as_string",
    "total_is_page_length", "client_filter_ignored", "accepts_bad_paging", "skip_off_by_one",
    "always_oldest_first", "delete_keeps_item", "duplicate_faces_allowed", "dangling_references_accepted",
    "update_clears_unsent_fields", "created_at_moves_on_update", "updated_at_goes_back", "stop_does_not_end",
    "never_expires", "usage_doubled", "token_wrong_room", "token_bad_signature", "token_expired",
    "token_wrong_identity", "lost_isolation",
    "charge_by_second_as_string", "organization_id_missing", "status_outside_record",
    "freemium_usage_off", "freemium_usage_off_without_control_plane", "documents_never_listed",
    "deleted_documents_still_listed", "never_expires_without_control_plane",
]
RECORD_MUTANTS = ["charge_by_second_as_string", "organization_id_missing", "status_outside_record"]
