"""Issue 23's own held-out faults: plausible ways a clone of the Equos API goes wrong, one table.

Written before the properties that catch them (see benchmarks/RESULTS.md, "Contract strength"), each
in the class of issue 23 it belongs to. Every fault is an app factory two ways:
``contract_faults:NAME`` (the control plane visible) and ``contract_faults:NAME__hidden`` (hidden, as
on the real API); ``FAULTS`` says for each whether the hidden variant can be caught at all, and if not
why. Every fault runs in its own forked process (mutation_driver.py), so patching a module is harmless.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from contract_mutants import ResponseRewriter, _walk  # type: ignore[import-not-found]  (this folder: one reply buffer)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server import create_app
from mock_server.domain import conversations as conversations_domain
from mock_server.domain import knowledge as knowledge_domain
from mock_server.domain import rooms as rooms_domain
from mock_server.settings import Settings
from mock_server.tokens import sign

Change = Callable[[Scope, Any, int, Any], Any]  # (scope, request JSON, status, reply JSON) -> reply JSON
Raw = Callable[[Scope, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]  # a reply as bytes


class Rewriter:
    """Buffers the request and the reply of every API call and lets ``change`` rewrite either."""

    def __init__(self, app: ASGIApp, reply: Change | None = None,
                 request: Callable[[Scope, Any], tuple[Scope, Any]] | None = None,
                 status: Raw | None = None):
        self.app, self.reply, self.request_change, self.status_change = app, reply, request, status
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mock/"):
            await self.app(scope, receive, send)
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        sent = _loads(raw)
        if self.request_change is not None:
            scope, changed = self.request_change(dict(scope), sent)
            if changed is not sent:
                raw = json.dumps(changed).encode()
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": raw, "more_body": False}

        def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes
                    ) -> tuple[int, dict[str, str], bytes]:
            if self.reply is not None and headers.get("content-type", "").startswith("application/json") and body:
                body = json.dumps(self.reply(scope, sent, status, json.loads(body))).encode()
            if self.status_change is not None:
                status, headers, body = self.status_change(scope, status, headers, body)
            return status, headers, body

        await ResponseRewriter(self.app, rewrite)(scope, replay, send)


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


def _conversations(body: Any) -> list[dict[str, Any]]:
    """Every conversation object in a reply (the start reply's, a get's, a list's items)."""
    found: list[dict[str, Any]] = []
    _walk(body, lambda d: found.append(d) if "maxSeconds" in d and "characterId" in d else None)
    return found


def _query(scope: Scope) -> dict[str, str]:
    return dict(parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True))


def _is_list(scope: Scope, path: str | None = None) -> bool:
    return scope["method"] == "GET" and scope["path"].count("/") == 2 and (path is None or scope["path"] == path)


def _on(method: str, prefix: str, *, exact: bool = False) -> Callable[[Scope], bool]:
    def match(scope: Scope) -> bool:
        return scope["method"] == method and (scope["path"] == prefix if exact else scope["path"].startswith(prefix))

    return match


def _conversation_reply(fn: Callable[[dict[str, Any], Scope], None], when: Callable[[Scope], bool] = lambda s: True
                        ) -> Callable[[Settings], Any]:
    """A fault in every conversation a matching reply holds."""
    def change(scope: Scope, sent: Any, status: int, body: Any) -> Any:
        if when(scope) and scope["path"].startswith("/v3/conversations"):
            for conversation in _conversations(body):
                fn(conversation, scope)
        return body

    return lambda settings: Rewriter(create_app(settings), change)


def _objects(fn: Callable[[dict[str, Any], Scope], None], when: Callable[[Scope], bool] = lambda s: True
             ) -> Callable[[Settings], Any]:
    """A fault in every JSON object of matching replies."""
    def change(scope: Scope, sent: Any, status: int, body: Any) -> Any:
        return _walk(body, lambda d: fn(d, scope)) if when(scope) else body

    return lambda settings: Rewriter(create_app(settings), change)


def _patched(patch: Callable[[], None]) -> Callable[[Settings], Any]:
    def build(settings: Settings) -> Any:
        patch()
        return create_app(settings)

    return build


def _token_claims(role: str | None, **changes: Any) -> Callable[[Settings], Any]:
    """LiveKit room tokens with changed claims (``role``: only the consumer's or the remote agent's)."""
    def patch() -> None:
        original = conversations_domain._token

        def token(rt: Any, conversation: Any, identity: str, name: str) -> str:
            if role is not None and identity != getattr(conversation, f"{role}Identity"):
                return original(rt, conversation, identity, name)
            claims = rooms_domain.room_claims(rt, conversation.room or "", conversation.startedAt,
                                              conversation.maxSeconds, identity, name)
            for key, value in changes.items():
                if key.startswith("video."):
                    claims["video"] = {**claims["video"], key[6:]: value}  # type: ignore[dict-item]
                elif value is None:
                    claims.pop(key, None)
                else:
                    claims[key] = value(claims) if callable(value) else value
            return sign(claims, rt.settings.livekit_api_secret)  # PyJWT: any claims, changed or gone

        conversations_domain._token = token  # type: ignore[assignment]

    return _patched(patch)


# --- class 1: round-trip completeness ---------------------------------------------------------------
def _null(*names: str) -> Callable[[dict[str, Any], Scope], None]:
    return lambda d, scope: d.update(dict.fromkeys(names)) if all(n in d for n in names) else None


def _embedded_brain_cache(settings: Settings) -> Any:
    """A character's embedded brain comes from a cache filled on first sight: stale after a PATCH."""
    seen: dict[str, dict[str, Any]] = {}

    def fix(d: dict[str, Any], scope: Scope) -> None:
        brain = d.get("brain")
        if isinstance(brain, dict) and "greetingMessage" in brain and "livekitIdentity" in d:
            d["brain"] = seen.setdefault(brain["id"], dict(brain))

    return _objects(fix)(settings)


def _put_null_ignored(settings: Settings) -> Any:
    def request(scope: Scope, sent: Any) -> tuple[Scope, Any]:
        if scope["method"] == "PUT" and isinstance(sent, dict) and sent.get("elevenlabsAgentId", "") is None:
            return scope, {k: v for k, v in sent.items() if k != "elevenlabsAgentId"}
        return scope, sent

    return Rewriter(create_app(settings), request=request)


# --- class 2: views agree over time ------------------------------------------------------------------
def _list_without_expiry(filtered_only: bool) -> Callable[[Settings], Any]:
    def patch() -> None:
        def page(rt: Any, org: Any, skip: int, take: int, client: Any, newest_first: bool) -> Any:
            total, items = org.conversations.page(skip, take, client, newest_first=newest_first)
            if filtered_only and client is None:
                return total, [conversations_domain.observe(rt, org, c) for c in items]
            return total, items

        conversations_domain.page = page  # type: ignore[assignment]

    return _patched(patch)


def _stopped_running_in_filtered(d: dict[str, Any], scope: Scope) -> None:
    if _is_list(scope, "/v3/conversations") and "client" in _query(scope) and d.get("status") == "ended":
        ran = _ms(d["endedAt"]) - _ms(d["startedAt"])
        if ran < d["maxSeconds"] * 1000:  # stopped, not expired: the list's copy missed the stop
            d.update(status="running", endedAt=None)


def _empty_filter_total(settings: Settings) -> Any:
    totals: dict[str, int] = {}

    def change(scope: Scope, sent: Any, status: int, body: Any) -> Any:
        if _is_list(scope) and isinstance(body, dict) and "total" in body:
            if "client" not in _query(scope):
                totals[scope["path"]] = body["total"]
            elif body["total"] == 0:
                body["total"] = totals.get(scope["path"], 0)  # a count query that lost its filter
        return body

    return Rewriter(create_app(settings), change)


def _orphans_unlisted(settings: Settings) -> Any:
    """Conversations whose character was deleted drop out of lists (an inner join), get still works."""
    app = create_app(settings)

    def change(scope: Scope, sent: Any, status: int, body: Any) -> Any:
        if _is_list(scope, "/v3/conversations") and status == 200 and isinstance(body, dict):  # not an error
            rt = app.state.runtime
            org = rt.store.organization_for_key(dict(scope["headers"]).get(b"x-api-key", b"").decode())
            if org is not None:
                kept = [c for c in body["conversations"] if c["characterId"] in org.characters]
                body["total"] -= len(body["conversations"]) - len(kept)
                body["conversations"] = kept
        return body

    return Rewriter(app, change)


def _errored_running_in_list(d: dict[str, Any], scope: Scope) -> None:
    if _is_list(scope, "/v3/conversations") and d.get("status") == "error":
        d.update(status="running", endedAt=None)


# --- class 3: inputs across their range ----------------------------------------------------------------
def _expiry_capped(settings: Settings) -> Any:
    def patch() -> None:
        original = conversations_domain.observe

        def observe(rt: Any, org: Any, conversation: Any) -> Any:
            if conversation.status == conversations_domain.RUNNING and conversation.maxSeconds > 1000:
                deadline = conversation.startedAt + timedelta(seconds=1000)
                if rt.clock_for(org).now_ms() >= deadline.timestamp() * 1000:
                    return conversations_domain._end(rt, org, conversation, deadline, reason="maxSeconds")
            return original(rt, org, conversation)

        conversations_domain.observe = observe  # type: ignore[assignment]

    return _patched(patch)(settings)


def _expiry_late(settings: Settings) -> Any:
    def patch() -> None:
        original = conversations_domain.observe

        def observe(rt: Any, org: Any, conversation: Any) -> Any:
            if conversation.maxSeconds >= 600:  # a periodic sweeper for long conversations, a minute behind
                late = conversation.model_copy(update={"maxSeconds": conversation.maxSeconds + 60})
                seen = original(rt, org, late)
                return seen if seen is late else seen.model_copy(update={"maxSeconds": conversation.maxSeconds})
            return original(rt, org, conversation)

        conversations_domain.observe = observe  # type: ignore[assignment]

    return _patched(patch)(settings)


def _limit_off_by_one(settings: Settings) -> Any:
    def patch() -> None:
        from mock_server import errors

        original = rooms_domain.allowed_seconds

        def allowed(rt: Any, org: Any, requested: Any, field: str) -> float:
            if requested is not None and requested >= org.settings.duration_limit:
                raise errors.bad_request([f"{field} must be less than {org.settings.duration_limit}"])
            return original(rt, org, requested, field)

        rooms_domain.allowed_seconds = allowed  # type: ignore[assignment]
        conversations_domain.rooms.allowed_seconds = allowed  # type: ignore[attr-defined]

    return _patched(patch)(settings)


def _limit_ignored(settings: Settings) -> Any:
    def patch() -> None:
        original = rooms_domain.allowed_seconds

        def allowed(rt: Any, org: Any, requested: Any, field: str) -> float:
            saved = org.settings.duration_limit
            org.settings.duration_limit = 3600  # the default, whatever the organization's own limit
            try:
                return original(rt, org, requested, field)
            finally:
                org.settings.duration_limit = saved

        rooms_domain.allowed_seconds = allowed  # type: ignore[assignment]

    return _patched(patch)(settings)


def _max_seconds_truncated(settings: Settings) -> Any:
    def request(scope: Scope, sent: Any) -> tuple[Scope, Any]:
        if _on("POST", "/v3/conversations", exact=True)(scope) and isinstance(sent, dict) \
                and isinstance(sent.get("maxSeconds"), float):
            return scope, {**sent, "maxSeconds": int(sent["maxSeconds"])}
        return scope, sent

    return Rewriter(create_app(settings), request=request)


def _paging_query(fix: Callable[[dict[str, str]], dict[str, str] | int]) -> Callable[[Settings], Any]:
    """A list query rewritten by ``fix``, or answered with its status (an int)."""
    def build(settings: Settings) -> Any:
        app = create_app(settings)

        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and _is_list(scope) and not scope["path"].startswith("/_mock"):
                changed = fix(_query(scope))
                if isinstance(changed, int):
                    body = json.dumps({"statusCode": changed, "message": ["bad paging"], "error": "Bad Request"})
                    await send({"type": "http.response.start", "status": changed,
                                "headers": [(b"content-type", b"application/json; charset=utf-8")]})
                    await send({"type": "http.response.body", "body": body.encode()})
                    return
                scope = {**scope, "query_string": urlencode(changed).encode()}
            await app(scope, receive, send)

        wrapped.state = app.state  # type: ignore[attr-defined]
        return wrapped

    return build


def _skip_limit(q: dict[str, str]) -> dict[str, str] | int:
    return 400 if _number(q.get("skip", "0")) > 1000 else q


def _float_take(q: dict[str, str]) -> dict[str, str] | int:
    return 400 if "." in q.get("take", "") or "." in q.get("skip", "") else q


def _skip_wraps(settings: Settings) -> Any:
    """Skip at or past the total answers the last page again (an ORM's \"clamp the offset\")."""
    app = create_app(settings)
    last: dict[tuple[str, str], list[Any]] = {}

    def remember(scope: Scope, sent: Any, status: int, body: Any) -> Any:
        # A list's reply only: /v3/health has two slashes too, and holds no list (a crash there was a
        # 500 of the fault's own, that Schemathesis counted as catching it).
        key = next((k for k, v in body.items() if isinstance(v, list)), None) if isinstance(body, dict) else None
        if _is_list(scope) and key is not None and status == 200:
            query = _query(scope)
            index = (scope["path"], query.get("client", ""))
            skip = int(_number(query.get("skip", "0")))
            if body[key]:
                last[index] = body[key]
            elif body["total"] and skip >= body["total"]:
                body[key] = last.get(index, [])
        return body

    return Rewriter(app, remember)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


# --- class 5: billing ------------------------------------------------------------------------------------
def _usage_patch(select: Callable[[Any, Any, Any, Any], bool] | None = None, *, running: bool = True,
                 round_down: bool = False, organization_only: bool = False) -> Callable[[Settings], Any]:
    def patch() -> None:
        from mock_server.domain.usage import duration_ms

        def milliseconds_used(rt: Any, org: Any, client: Any = None) -> int:
            now = rt.clock_for(org).now_ms()
            total = 0
            for conversation in org.conversations.values():
                seen = conversations_domain.observe(rt, org, conversation)
                if select is not None and client is not None:
                    if not select(rt, org, seen, client):
                        continue
                elif client is not None and seen.client != client:
                    continue
                if seen.endedAt is None and not running and (client is not None) != organization_only:
                    continue
                spent = duration_ms(seen, now)
                total += spent // 1000 * 1000 if round_down and client is not None else spent
            return total

        conversations_domain.milliseconds_used = milliseconds_used  # type: ignore[assignment]

    return _patched(patch)


def _by_prefix(rt: Any, org: Any, conversation: Any, client: str) -> bool:
    return str(conversation.client or "").startswith(client)


def _by_character_client(rt: Any, org: Any, conversation: Any, client: str) -> bool:
    character = org.characters.get(conversation.characterId)
    return character is not None and character.client == client


def _usage_cache(settings: Settings) -> Any:
    cached: dict[str, tuple[float, bytes]] = {}

    def status(scope: Scope, st: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if scope["path"] == "/v3/organizations/user-usage" and st == 200:
            client = _query(scope).get("client", "")
            at, value = cached.get(client, (0.0, b""))
            if time.monotonic() - at < 30:
                return st, headers, value
            cached[client] = (time.monotonic(), body)
        return st, headers, body

    return Rewriter(create_app(settings), status=status)


# --- class 6: isolation ------------------------------------------------------------------------------------
def _shared(operation: Callable[[Scope, Any], list[str]]) -> Callable[[Settings], Any]:
    """Requests that name another organization's object run as that organization: the object's id is
    looked up across every organization (a missing tenant filter in one query)."""
    def build(settings: Settings) -> Any:
        app = create_app(settings)
        owners: dict[str, bytes] = {}

        def learn(scope: Scope, sent: Any, status: int, body: Any) -> Any:
            key = dict(scope["headers"]).get(b"x-api-key")
            if key and status in (200, 201):
                _walk(body, lambda d: owners.setdefault(d["id"], key) if isinstance(d.get("id"), str) else None)
            return body

        def request(scope: Scope, sent: Any) -> tuple[Scope, Any]:
            key = dict(scope["headers"]).get(b"x-api-key")
            for ident in operation(scope, sent):
                owner = owners.get(ident)
                if key and owner and owner != key:
                    scope["headers"] = [(k, owner if k == b"x-api-key" else v) for k, v in scope["headers"]]
                    break
            return scope, sent

        return Rewriter(app, learn, request)

    return build


def _path_id(method: str, prefix: str, position: int = 3) -> Callable[[Scope, Any], list[str]]:
    def ids(scope: Scope, sent: Any) -> list[str]:
        parts = scope["path"].split("/")
        return [parts[position]] if scope["method"] == method and scope["path"].startswith(prefix) \
            and len(parts) > position else []

    return ids


def _body_id(method: str, path: str, *fields: str) -> Callable[[Scope, Any], list[str]]:
    def ids(scope: Scope, sent: Any) -> list[str]:
        if scope["method"] != method or scope["path"] != path or not isinstance(sent, dict):
            return []
        return [sent[f] for f in fields if isinstance(sent.get(f), str)]

    return ids


def _cross_org_list(settings: Settings) -> Any:
    """Listing conversations of one organization also lists another's with the same client tag."""
    app = create_app(settings)

    def change(scope: Scope, sent: Any, status: int, body: Any) -> Any:
        client = _query(scope).get("client")
        if _is_list(scope, "/v3/conversations") and client and status == 200 and isinstance(body, dict):
            rt = app.state.runtime
            key = dict(scope["headers"]).get(b"x-api-key", b"").decode()
            mine = rt.store.organization_for_key(key)
            prefix = client.rsplit("-", 1)[0]  # a run's examples share a prefix: a LIKE query
            for org in list(rt.store.organizations.values()):
                if org is mine:
                    continue
                for c in org.conversations.values():
                    if str(c.client or "").startswith(prefix):
                        body["conversations"].append(json.loads(c.model_dump_json()))
                        body["total"] += 1
        return body

    return Rewriter(app, change)


def _cross_org_usage(settings: Settings) -> Any:
    def patch() -> None:
        def milliseconds_used(rt: Any, org: Any, client: Any = None) -> int:
            from mock_server.domain.usage import billed_ms

            orgs = list(rt.store.organizations.values()) if client is not None else [org]
            return sum(billed_ms(o.conversations.values(), lambda c, o=o: conversations_domain.observe(rt, o, c),
                                 rt.clock_for(o).now_ms(), client) for o in orgs)

        conversations_domain.milliseconds_used = milliseconds_used  # type: ignore[assignment]

    return _patched(patch)(settings)


# --- class 8: error replies and lifecycles ---------------------------------------------------------------
def _errors(fix: Callable[[int, dict[str, Any]], tuple[int, Any]]) -> Callable[[Settings], Any]:
    def status(scope: Scope, st: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if 400 <= st < 500 and st not in (401, 403) and headers.get("content-type", "").startswith("application/json"):
            new_status, new_body = fix(st, json.loads(body))
            if isinstance(new_body, str):
                headers["content-type"] = "text/html; charset=utf-8"
                return new_status, headers, new_body.encode()
            return new_status, headers, json.dumps(new_body).encode()
        return st, headers, body

    return lambda settings: Rewriter(create_app(settings), status=status)


def _expire_at(delta: timedelta) -> Callable[[Settings], Any]:
    def fix(d: dict[str, Any], scope: Scope) -> None:
        if "uploadUrl" in d and "expireAt" in d:
            d["expireAt"] = _iso(datetime.now(UTC) + delta) if delta.total_seconds() < 0 else \
                _iso(_parse(d["document"]["createdAt"]) + delta)

    return _objects(fix)


def _size_not_recorded() -> None:
    original = knowledge_domain.record_upload
    knowledge_domain.record_upload = lambda rt, org, doc, size: original(rt, org, doc, 0)  # type: ignore


def _index_stays() -> None:
    knowledge_domain.index_document = lambda rt, org, kb, doc: knowledge_domain._document(org, kb, doc)  # type: ignore


def _index_before_upload() -> None:
    original = knowledge_domain.index_document

    def index(rt: Any, org: Any, kb_id: str, doc_id: str) -> Any:
        doc = knowledge_domain._document(org, kb_id, doc_id)
        if doc is not None and doc.status == knowledge_domain.PENDING:
            doc = org.documents.replace(doc.model_copy(update={"status": knowledge_domain.UPLOADED}))
        return original(rt, org, kb_id, doc_id)

    knowledge_domain.index_document = index  # type: ignore[assignment]


def _upload_forbidden() -> None:
    from mock_server import errors

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise errors.ApiError(403, "upload URL signature does not match")

    knowledge_domain.check_upload = refuse  # type: ignore[assignment]


def _kb_documents_pending(d: dict[str, Any], scope: Scope) -> None:
    if scope["path"].startswith("/v3/knowledge-bases") and scope["method"] == "GET":
        for doc in d.get("documents") or []:
            if isinstance(doc, dict):
                doc["status"] = "pending"


# --- helpers ---------------------------------------------------------------------------------------------
def _ms(text: str) -> int:
    return int(_parse(text).timestamp() * 1000 + 0.5)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- the table -----------------------------------------------------------------------------------------------
VISIBLE_ONLY_CLOCK = "needs the control plane's clock (a wait of minutes on real time)"
VISIBLE_ONLY_LIMIT = "needs the control plane: an organization's durationLimit is settable only there"
VISIBLE_ONLY_EVENTS = "needs the control plane: only its events make a conversation end in error"


@dataclass(frozen=True)
class Fault:
    name: str
    klass: int  # the class of issue 23 it belongs to
    build: Callable[[Settings], Any]
    what: str
    hidden: str | None = None  # why the hidden variant cannot be caught (None: it can)


def _conv_when_read(scope: Scope) -> bool:
    return scope["method"] == "GET"


FAULTS: tuple[Fault, ...] = (
    # 1. round-trip completeness
    Fault("prompt_vars_lost_on_read", 1, _conversation_reply(_null("promptTemplateVars"), _conv_when_read),
          "get and list answer promptTemplateVars null; the start reply keeps them"),
    Fault("prompt_ctx_dropped", 1, _conversation_reply(_null("promptCtx")), "promptCtx is never kept"),
    Fault("consumer_not_echoed", 1, _conversation_reply(_null("consumerIdentity", "consumerName")),
          "consumerIdentity and consumerName read null"),
    Fault("remote_agent_name_is_identity", 1, _conversation_reply(
        lambda d, s: d.update(remoteAgentName=d["remoteAgentIdentity"]) if d.get("remoteAgentIdentity") else None),
        "remoteAgentName reads as the remote agent's identity"),
    Fault("conversation_name_cut_in_list", 1, _conversation_reply(
        lambda d, s: d.update(name=d["name"][:3]), lambda s: _is_list(s)), "list cuts conversation names to 3"),
    Fault("conversation_client_null_on_get", 1, _conversation_reply(
        _null("client"), lambda s: s["method"] == "GET" and s["path"].count("/") == 3), "a get loses client"),
    Fault("embedded_brain_stale", 1, _embedded_brain_cache, "a character's embedded brain is cached: stale"),
    Fault("embedded_voice_drops_instructions", 1, _objects(
        lambda d, s: d["voice"].update(instructions=None) if isinstance(d.get("voice"), dict) else None),
        "a character's embedded voice reads instructions null"),
    Fault("embedded_character_search_false", 1, _objects(
        lambda d, s: d["character"].update(search=False) if isinstance(d.get("character"), dict) else None),
        "the conversation's embedded character reads search false"),
    Fault("embedded_character_agent_id_null", 1, _objects(
        lambda d, s: d["character"].update(elevenlabsAgentId=None) if isinstance(d.get("character"), dict)
        else None), "the conversation's embedded character loses elevenlabsAgentId"),
    Fault("put_null_ignored", 1, _put_null_ignored, "a PUT that sets elevenlabsAgentId to null keeps the old one"),
    Fault("client_token_wrong_client", 1, _patched(lambda: setattr(
        conversations_domain, "client_token", _wrap_client_token(client="someone-else"))),
        "the client token names another client tag"),
    # 2. views agree over time
    Fault("list_ignores_expiry", 2, _list_without_expiry(False), "lists show expired conversations running"),
    Fault("filtered_list_ignores_expiry", 2, _list_without_expiry(True),
          "a client-filtered list shows expired conversations running"),
    Fault("stopped_running_in_filtered_list", 2, _objects(_stopped_running_in_filtered),
          "a client-filtered list shows stopped conversations running"),
    Fault("empty_filter_counts_all", 2, _empty_filter_total, "a filtered list with no match has the full total"),
    Fault("orphans_unlisted", 2, _orphans_unlisted,
          "conversations of a deleted character drop out of the list"),
    Fault("errored_running_in_list", 2, _objects(_errored_running_in_list), "lists show errored conversations running",
          VISIBLE_ONLY_EVENTS),
    # 3. every input across its range, and its effect
    Fault("expiry_capped_at_1000s", 3, _expiry_capped, "conversations longer than 1000 s end at 1000 s",
          VISIBLE_ONLY_CLOCK),
    Fault("expiry_late_for_long", 3, _expiry_late, "conversations of 600 s or more end a minute late",
          VISIBLE_ONLY_CLOCK),
    Fault("max_seconds_limit_off_by_one", 3, _limit_off_by_one, "maxSeconds equal to the limit is refused",
          VISIBLE_ONLY_LIMIT),
    Fault("duration_limit_ignored", 3, _limit_ignored, "an organization's durationLimit is ignored",
          VISIBLE_ONLY_LIMIT),
    Fault("max_seconds_truncated", 3, _max_seconds_truncated, "a fractional maxSeconds is cut to a whole number"),
    Fault("skip_over_1000_rejected", 3, _paging_query(_skip_limit), "skip above 1000 answers 400"),
    Fault("integral_float_paging_rejected", 3, _paging_query(_float_take),
          "take=20.0 (what the Python SDK sends) answers 400"),
    Fault("skip_past_end_repeats_last_page", 3, _skip_wraps, "skip at or past the total repeats the last page"),
    # 4. tokens, every claim
    Fault("remote_agent_no_publish_data", 4, _token_claims("remoteAgent", **{"video.canPublishData": False}),
          "the remote agent may not publish data"),
    Fault("consumer_room_admin", 4, _token_claims("consumer", **{"video.roomAdmin": True}),
          "the consumer's token grants roomAdmin"),
    Fault("remote_agent_room_create", 4, _token_claims("remoteAgent", **{"video.roomCreate": True}),
          "the remote agent's token grants roomCreate"),
    Fault("token_lives_thirty_days", 4, _token_claims(None, exp=lambda c: c["nbf"] + 30 * 86400),
          "room tokens live 30 days"),
    Fault("token_dies_before_room", 4, _token_claims(None, exp=lambda c: c["nbf"] + 45),
          "room tokens expire 45 s after the start, before the conversation can end"),
    Fault("token_nbf_ahead", 4, _token_claims("remoteAgent", nbf=lambda c: c["nbf"] + 50),
          "the remote agent's token is valid only 50 s after the start"),
    Fault("token_without_nbf", 4, _token_claims(None, nbf=None), "room tokens carry no nbf"),
    Fault("one_room_for_all", 4, _patched(lambda: _one_room()), "every conversation has the same room"),
    Fault("room_changes_on_read", 4, _conversation_reply(
        lambda d, s: d.update(room=d["room"] + "-r") if d.get("room") else None, _conv_when_read),
        "a read shows another room than the start"),
    Fault("client_token_year_long", 4, _patched(lambda: setattr(
        conversations_domain, "client_token", _wrap_client_token(lifetime=365 * 86400))),
        "client tokens live a year"),
    # 5. billing, exact even on a shared organization
    Fault("usage_ignores_running", 5, _usage_patch(running=False), "user usage leaves out running conversations"),
    Fault("usage_cached", 5, _usage_cache, "user usage is cached for 30 s"),
    Fault("usage_by_prefix", 5, _usage_patch(_by_prefix), "user usage matches the client tag as a prefix"),
    Fault("usage_by_character_client", 5, _usage_patch(_by_character_client),
          "user usage sums by the character's client tag"),
    Fault("freemium_ignores_running", 5, _usage_patch(running=False, organization_only=True),
          "the organization's usage leaves out running conversations"),
    Fault("usage_whole_seconds", 5, _usage_patch(round_down=True), "user usage is cut to whole seconds"),
    # 6. isolation needs a second organization
    Fault("foreign_character_starts", 6, _shared(_body_id("POST", "/v3/conversations", "characterId")),
          "another organization's character starts a conversation"),
    Fault("foreign_character_updated", 6, _shared(_path_id("PUT", "/v3/characters/")),
          "another organization's character can be updated"),
    Fault("foreign_brain_referenced", 6, _shared(_body_id("POST", "/v3/characters", "brainId", "voiceId",
                                                          "faceId", "knowledgeBaseId")),
          "a character may name another organization's brain"),
    Fault("foreign_conversation_stopped", 6, _shared(_path_id("POST", "/v3/conversations/")),
          "another organization can stop a conversation"),
    Fault("foreign_knowledge_base_documents", 6, _shared(_path_id("POST", "/v3/knowledge-bases/")),
          "another organization can add documents to a knowledge base"),
    Fault("foreign_character_token", 6, _shared(_body_id("POST", "/v3/tokens", "character")),
          "another organization's character gets a client token"),
    Fault("foreign_brain_patched", 6, _shared(_path_id("PATCH", "/v3/brains/")),
          "another organization can patch a brain"),
    Fault("foreign_conversations_listed", 6, _cross_org_list,
          "a client-filtered conversation list shows another organization's conversations of the run"),
    Fault("foreign_usage_counted", 6, _cross_org_usage, "user usage sums the client tag over every organization"),
    # 8. error replies and lifecycles
    Fault("envelope_status_mismatch", 8, _errors(lambda st, b: (st, {**b, "statusCode": 400})),
          "every error envelope says statusCode 400"),
    Fault("envelope_without_message", 8, _errors(lambda st, b: (st, {k: v for k, v in b.items() if k != "message"})),
          "error envelopes carry no message"),
    Fault("validation_as_422", 8, _errors(lambda st, b: (422, {"detail": b.get("message")}) if st == 400 else (st, b)),
          "validation errors answer 422 with a FastAPI body"),
    Fault("errors_as_html", 8, _errors(lambda st, b: (st, f"<h1>{b.get('error', 'Error')}</h1>")),
          "errors come as an HTML page"),
    Fault("upload_expired_already", 8, _expire_at(timedelta(minutes=-5)), "expireAt is in the past"),
    Fault("upload_valid_a_month", 8, _expire_at(timedelta(days=30)), "expireAt is a month away"),
    Fault("upload_size_not_recorded", 8, _patched(_size_not_recorded), "an upload leaves size 0"),
    Fault("index_never_ready", 8, _patched(_index_stays), "indexing leaves the document as it was"),
    Fault("index_before_upload", 8, _patched(_index_before_upload), "a document never uploaded can be indexed"),
    Fault("upload_url_forbidden", 8, _patched(_upload_forbidden), "the upload URL refuses every upload"),
    Fault("kb_documents_status_stale", 8, _objects(_kb_documents_pending),
          "a knowledge base's documents read pending whatever their status"),
)


def _one_room() -> None:
    original = conversations_domain.start

    def start(rt: Any, org: Any, body: Any) -> Any:
        saved = rt.ids.token
        rt.ids.token = lambda n: "0" * n  # type: ignore[method-assign]
        try:
            return original(rt, org, body)
        finally:
            rt.ids.token = saved  # type: ignore[method-assign]

    conversations_domain.start = start  # type: ignore[assignment]


def _wrap_client_token(client: str | None = None, lifetime: int | None = None) -> Callable[..., str]:
    from mock_server import tokens

    original = tokens.client_token

    def client_token(**kw: Any) -> str:
        if client is not None:
            kw["client"] = client
        if lifetime is not None:
            kw["expires"] = kw["issued_at"] + lifetime
        return original(**kw)

    return client_token


BY_NAME = {fault.name: fault for fault in FAULTS}
NAMES = [fault.name for fault in FAULTS]


def __getattr__(attr: str) -> Callable[[], Any]:
    name, _, variant = attr.partition("__")
    if name in BY_NAME and variant in ("", "hidden"):
        fault = BY_NAME[name]
        return lambda: fault.build(Settings(control_plane=variant != "hidden"))
    raise AttributeError(attr)


def specs(*, hidden: bool) -> list[str]:
    """Driver names: every fault visible, or every fault whose hidden variant can be caught."""
    return [f"contract_faults:{f.name}__hidden" if hidden else f"contract_faults:{f.name}"
            for f in FAULTS if not hidden or f.hidden is None]
