"""Control-plane reads the inspector page (``/_mock/ui``) needs and the older endpoints do not give.

- ``GET /_mock/changes``: a revision that moves with every API request and every control-plane change,
  so an idle page's poll is a few bytes;
- ``GET /_mock/conversations``: every organization's conversations, one page, newest first;
- ``GET /_mock/conversations/{id}``: one of them in full, with its LiveKit tokens' claims and its billing;
- ``GET /_mock/journal/{id}``: one journal entry with its (masked) bodies;
- ``GET /_mock/usage``: an organization's billed seconds, in all and per client tag;
- ``GET /_mock/organizations/{id}/resources``: its characters (populated) and knowledge bases (with documents).

Reads only: like the API's own reads, they bring conversations past ``maxSeconds`` up to date.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..clock import iso, plus_seconds, to_ms
from ..domain import conversations, organization_usage, resources, rooms
from ..domain.usage import duration_ms
from ..models.conversations import EquosConversation, EquosConversationStatus
from ..runtime import Runtime
from ..store import Organization
from .control_plane import Handler, int_query, page_size, wrap

CONVERSATION_PAGE = 50  # conversations per page when the caller names no limit
MAX_CONVERSATION_PAGE = 500
RESOURCE_PAGE = 200  # of each kind, newest first: the page says how many there are in all
STATUSES = {s.value for s in EquosConversationStatus}


def changes(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """Cheap to ask every second: no organization is read. ``revision`` differs whenever an API request
    was served or a control-plane change was made since the last answer (time passing is not a change:
    the page counts down itself and reads again when a deadline passes)."""
    journal = rt.journal.last_id
    return {"revision": f"{journal}.{rt.control_changes}", "journal": journal, "clock": rt.clock.describe()}


def _org(rt: Runtime, org_id: str) -> Organization:
    org = rt.store.organizations.get(org_id)
    if org is None:
        raise errors.not_found(f"organization {org_id} not found")
    return org


def _billed_seconds(rt: Runtime, org: Organization, conversation: EquosConversation) -> float:
    return duration_ms(conversation, rt.clock_for(org).now_ms()) / 1000


def _summary(rt: Runtime, org: Organization, c: EquosConversation) -> dict[str, Any]:
    return {"id": c.id, "organization": org.id, "organizationName": org.name, "name": c.name, "status": c.status.value,
            "characterId": c.characterId, "client": c.client, "room": c.room, "consumerName": c.consumerName,
            "remoteAgentName": c.remoteAgentName, "startedAt": iso(c.startedAt),
            "endedAt": iso(c.endedAt) if c.endedAt is not None else None, "maxSeconds": c.maxSeconds,
            "deadline": iso(plus_seconds(c.startedAt, c.maxSeconds)), "now": iso(rt.now(org)),
            "billedSeconds": _billed_seconds(rt, org, c), "utterances": len(c.transcript or []),
            "clockFrozen": rt.clock_for(org).frozen}


def conversations_list(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """``?organization=`` (else all), ``?status=``, ``?limit=`` (default 50), ``?offset=``; newest first.
    ``total`` counts the matches, ``running`` the running ones among all the organization's (or all)."""
    status = request.query_params.get("status") or None
    if status is not None and status not in STATUSES:
        raise errors.bad_request([f"status must be one of {', '.join(sorted(STATUSES))}"])
    limit = page_size(request, "limit", CONVERSATION_PAGE, MAX_CONVERSATION_PAGE)
    offset = int_query(request, "offset") or 0
    if offset < 0:
        raise errors.bad_request(["offset must not be negative"])
    org_id = request.query_params.get("organization")
    orgs = [_org(rt, org_id)] if org_id else [o for o in rt.store.organizations.values() if len(o.conversations)]
    # Every conversation is observed (so expiries land), then sorted: fine for thousands; see docs/inspector.md.
    found = [(org, conversations.observe(rt, org, c)) for org in orgs for c in org.conversations.values()]
    running = sum(1 for _, c in found if c.status == conversations.RUNNING)
    if status is not None:
        found = [(org, c) for org, c in found if c.status.value == status]
    found.sort(key=lambda pair: (to_ms(pair[1].startedAt), pair[1].id), reverse=True)
    return {"total": len(found), "running": running, "offset": offset, "limit": limit,
            "items": [_summary(rt, org, c) for org, c in found[offset:offset + limit]]}


def _claims(rt: Runtime, c: EquosConversation) -> dict[str, Any]:
    """The claims of the tokens handed out at start (recomputed the same way; never the secret)."""
    out = {}
    for role, identity, name in (("consumer", c.consumerIdentity, c.consumerName),
                                 ("remoteAgent", c.remoteAgentIdentity, c.remoteAgentName)):
        if identity and c.room:
            out[role] = rooms.room_claims(rt, c.room, c.startedAt, c.maxSeconds, identity, name or identity)
    return out


def conversation_get(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """``GET /_mock/conversations/{id}?organization=``: found by id alone when no organization is named."""
    conversation_id = request.path_params["id"]
    org_id = request.query_params.get("organization")
    candidates = [_org(rt, org_id)] if org_id else rt.store.organizations.values()
    org = next((o for o in candidates if conversation_id in o.conversations), None)
    found = conversations.get(rt, org, conversation_id) if org is not None else None
    if org is None or found is None:
        raise errors.not_found(f"conversation {conversation_id} not found")
    character = org.characters.get(found.characterId) if found.characterId else None
    return {**_summary(rt, org, found), "conversation": found.model_dump(mode="json"),
            "character": {"id": character.id, "name": character.name} if character is not None else None,
            "tokenClaims": _claims(rt, found), "clock": rt.clock_for(org).describe()}


def journal_entry(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    try:
        entry_id = int(request.path_params["id"])
    except ValueError:
        raise errors.bad_request(["id must be an integer"]) from None
    entry = rt.journal.entry(entry_id)
    if entry is None:
        raise errors.not_found(f"journal entry {entry_id} not found (the journal keeps {rt.journal.capacity})")
    return entry


def usage(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """``?organization=``: seconds billed (conversations and legacy sessions, as freemium-usage answers),
    and per client tag (as user-usage answers for each tag)."""
    org_id = request.query_params.get("organization")
    if not org_id:
        raise errors.bad_request(["say which organization: ?organization="])
    org = _org(rt, org_id)
    tags = sorted({c.client for c in org.conversations.values() if c.client is not None}
                  | {s.client for s in org.sessions.values() if getattr(s, "client", None) is not None})
    return {"organization": org.id, "chargeBySecond": org.settings.charge_by_second, "charge": org.settings.charge,
            "freemiumSeconds": organization_usage.seconds_used(rt, org),
            "byClient": [{"client": tag, "seconds": organization_usage.seconds_used(rt, org, tag)} for tag in tags],
            "conversations": len(org.conversations), "running": len(conversations.running(rt, org))}


def _newest(rt: Runtime, org: Organization, name: str) -> tuple[int, list[Any]]:
    resource = rt.resources[name]
    total, items = org.collection(name).page(0, RESOURCE_PAGE)
    return total, [resources.read(rt, org, resource, item).model_dump(mode="json") for item in items]


def organization_resources(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    org = _org(rt, request.path_params["id"])
    out: dict[str, Any] = {"organization": org.id, "limit": RESOURCE_PAGE}
    for name in ("characters", "knowledge_bases", "brains", "faces", "voices"):
        total, items = _newest(rt, org, name)
        out[name] = {"total": total, "items": items}
    return out


TABLE: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/_mock/changes", changes),
    ("GET", "/_mock/conversations", conversations_list),
    ("GET", "/_mock/conversations/{id}", conversation_get),
    ("GET", "/_mock/journal/{id}", journal_entry),
    ("GET", "/_mock/usage", usage),
    ("GET", "/_mock/organizations/{id}/resources", organization_resources),
)


def routes() -> list[tuple[str, str, Callable[[Request], Awaitable[Response]]]]:
    return [(method, path, wrap(handler)) for method, path, handler in TABLE]
