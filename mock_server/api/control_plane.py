"""The control plane under /_mock/: reset, clock, assumptions, organizations, seeds, events.

Nothing here costs what all organizations cost: lookups go through the store's indexes, lists
are paged, and the full state export is streamed.

Plain JSON over HTTP (the typed client is ``mock_server.control.MockControl``). It can be
switched off, or made to require ``x-mock-token``, by settings.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .. import auth, errors, seed, state
from ..assumptions import UnknownAssumption
from ..clock import CLOCK_RANGE, Clock, iso
from ..credentials import request_credentials
from ..domain import conversations, organizations
from ..events import DomainEvent
from ..faults import FaultSpecError
from ..http.dispatch import served
from ..journal import MAX_PAGE, PAGE_SIZE, JournalFilter
from ..models.control import ClockAdvanceBody
from ..runtime import Runtime
from ..store import Organization
from . import control_room
from .operation import JSON_TYPE, parse_json_object, read_body

Handler = Callable[[Request, Runtime, dict[str, Any]], Any]
# An exported state can be far larger than an API body, and it is parsed and validated whole (in a worker
# thread, the loop keeps serving): capped so one import holds memory and a core for seconds, not minutes
# (docs/reliability-and-security.md).
STATE_BODY_LIMIT = 64 * 1024 * 1024


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status, media_type=JSON_TYPE)


async def _payload(request: Request, runtime: Runtime) -> dict[str, Any]:
    if request.url.path == "/_mock/state":  # up to 64 MiB: parsed in a worker thread, the loop keeps serving
        raw = await read_body(request, STATE_BODY_LIMIT)
        return await asyncio.to_thread(parse_json_object, raw) if raw.strip() else {}
    raw = await read_body(request, runtime.settings.max_body_bytes)
    return parse_json_object(raw) if raw.strip() else {}


def _moment(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise errors.bad_request([f"{name} must be an ISO 8601 date string"])
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise errors.bad_request([f"{name} must be an ISO 8601 date string"]) from None
    if moment.tzinfo is None:
        raise errors.bad_request([f"{name} must carry a time zone (end it with Z)"])
    if not CLOCK_RANGE[0] <= moment.timestamp() * 1000 <= CLOCK_RANGE[1]:
        raise errors.bad_request([f"{name} must be between 1970-01-01 and 9000-01-01"])
    return moment


def _text(data: dict[str, Any], name: str) -> str | None:
    """A string field of a control body (``key``, ``organization``), or None when absent."""
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise errors.bad_request([f"{name} must be a string"])
    return value


def _by_id(rt: Runtime, request: Request, data: dict[str, Any]) -> Organization | None:
    org_id = _text(data, "organization") or request.query_params.get("organization")
    if not org_id:
        return None
    org = rt.organization(str(org_id))
    if org is None:
        raise errors.not_found(f"organization {org_id} not found")
    return org


def organization_from(runtime: Runtime, request: Request, data: dict[str, Any]) -> Organization | None:
    """The organization a control call is about: by ``organization`` (id) or by ``key`` / x-api-key."""
    if (org := _by_id(runtime, request, data)) is not None:
        return org
    key = _text(data, "key") or request.query_params.get("key") or request_credentials(request.scope).api_key
    return auth.organization_for_key(runtime, key) if key else None


def existing_organization(rt: Runtime, request: Request, data: dict[str, Any]) -> Organization | None:
    """Like ``organization_from`` but never creates one: reads must not conjure organizations."""
    if (org := _by_id(rt, request, data)) is not None:
        return org
    key = _text(data, "key") or request.query_params.get("key")
    if not key:
        return None
    org = rt.store.organization_for_key(key)
    if org is None:
        raise errors.not_found("no organization has this key")
    rt.touch(org)
    return org


# --- handlers -----------------------------------------------------------------
def _clock(request: Request, rt: Runtime, data: dict[str, Any], *, split: bool = True) -> Clock:
    """The app clock, or one organization's own clock when the call names one (key/organization)."""
    org = organization_from(rt, request, data)
    if org is None:
        return rt.clock
    return rt.scoped_clock(org) if split else rt.clock_for(org)


def _described(clock: Clock, rt: Runtime) -> dict[str, Any]:
    return {**clock.describe(), "scope": "app" if clock is rt.clock else "organization"}


def _moved(rt: Runtime) -> None:
    """A clock moved: the room looks at its timers again (expire_soon, expiry)."""
    rt.events.publish(DomainEvent("clock"))


def clock_get(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """A read: a key that has no organization yet reads the app clock (its organization would start
    on it) and creates nothing."""
    org = _by_id(rt, request, data)
    key = request.query_params.get("key") or request.headers.get("x-api-key")
    if org is None and key:
        org = rt.store.organization_for_key(key)
    return _described(rt.clock_for(org), rt)


def clock_freeze(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    clock = _clock(request, rt, data)
    clock.freeze(_moment(data["at"], "at") if "at" in data else None)
    _moved(rt)
    return _described(clock, rt)


def clock_unfreeze(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    clock = _clock(request, rt, data)
    clock.unfreeze()
    _moved(rt)
    return _described(clock, rt)


def _reachable(clock: Clock, delta_ms: float) -> None:
    """Keep every clock inside CLOCK_RANGE, or datetimes overflow on later requests (500s)."""
    if not CLOCK_RANGE[0] <= clock.now_ms() + delta_ms <= CLOCK_RANGE[1]:
        raise errors.bad_request(["the clock must stay between 1970-01-01 and 9000-01-01"])


def clock_advance(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    seconds = ClockAdvanceBody.model_validate(data).seconds  # a ValidationError is a 400 (see wrap)
    clock = _clock(request, rt, data)
    _reachable(clock, seconds * 1000)
    clock.advance(seconds)
    _moved(rt)
    return _described(clock, rt)


def clock_set(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    clock = _clock(request, rt, data)
    clock.set(_moment(data.get("at"), "at"))
    _moved(rt)
    return _described(clock, rt)


def assumptions_get(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    return rt.assumptions.describe()


def assumptions_set(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    values = data.get("values", data)
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise errors.bad_request(["body must map assumption names to string values"])
    try:
        rt.assumptions.update(values)
    except UnknownAssumption as exc:
        raise errors.bad_request([str(exc)]) from None
    return rt.assumptions.describe()


def reset(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """Everything (default), or one organization's resources (``organization`` or ``key``)."""
    org = organization_from(rt, request, data)
    if org is not None:
        organizations.reset(rt, org)
        rt.events.publish(DomainEvent("reset", org.id))
        return {"reset": "organization", "organization": org.id}
    rt.store.clear()
    rt.last_used.clear()
    rt.journal.clear()
    rt.faults.clear()
    rt.configured_keys = set(rt.settings.api_keys)
    rt.assumptions = type(rt.assumptions)(rt.settings.assumptions)
    rt.clock.reset()
    if rt.settings.seed_file:
        seed.load(rt, seed.read_seed(rt.settings.seed_file))
    rt.events.publish(DomainEvent("reset"))
    return {"reset": "all"}


def _describe_org(rt: Runtime, org: Organization) -> dict[str, Any]:
    keys = [rt.mask(k) for k in rt.store.keys_of(org.id)]
    return {"id": org.id, "name": org.name, "keys": keys, "publicKeys": [rt.public_key_of(org)],
            "settings": org.settings.to_json(),
            "clock": {**rt.clock_for(org).describe(), "scope": "app" if org.clock is None else "organization"},
            "counts": {name: len(collection) for name, collection in org.collections.items()}}


ORG_PAGE = 100  # organizations per page when the caller names no limit
MAX_ORG_PAGE = 1000


def page_size(request: Request, name: str, default: int, most: int) -> int:
    size = int_query(request, name)
    if size is None:
        return default
    if not 1 <= size <= most:
        raise errors.bad_request([f"{name} must be between 1 and {most}"])
    return size


def organizations_list(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """One page of organizations, oldest first: ``?limit=`` (default 100) and ``?after=`` (the cursor in
    the ``x-mock-next`` header of the previous page; no header: the last page). ``x-mock-total``
    counts them all. The body stays a plain list, as before paging."""
    key = request.query_params.get("key")
    if key:  # the organization of one key, if it has one
        org = rt.store.organization_for_key(key)
        return [_describe_org(rt, org)] if org is not None else []
    limit = page_size(request, "limit", ORG_PAGE, MAX_ORG_PAGE)
    after = int_query(request, "after") or 0
    orgs, cursor = rt.store.page(after, limit)
    headers = {"x-mock-total": str(len(rt.store.organizations))}
    if cursor is not None:
        headers["x-mock-next"] = str(cursor)
        headers["link"] = f'</_mock/organizations?limit={limit}&after={cursor}>; rel="next"'
    return Response(json.dumps([_describe_org(rt, org) for org in orgs]), 200, headers, media_type=JSON_TYPE)


def organization_delete(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """``DELETE /_mock/organizations/{id}`` or ``DELETE /_mock/organizations?key=K``: the organization,
    its resources, keys, public keys and fault rules go (see ``Runtime.delete_organization``)."""
    org_id = request.path_params.get("id")
    key = request.query_params.get("key")
    if org_id is None and not key:
        raise errors.bad_request(["say which organization: DELETE /_mock/organizations/{id} or ?key="])
    org = rt.store.organizations.get(org_id) if org_id is not None else rt.store.organization_for_key(str(key))
    if org is None:
        raise errors.not_found(f"organization {org_id} not found" if org_id else "no organization has this key")
    rt.delete_organization(org)  # which announces it (the room closes its rooms)
    return {"deleted": org.id}


def organizations_create(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    keys = data.get("keys") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        raise errors.bad_request(["keys must be a list of non-empty strings"])
    taken = [k for k in keys if k in rt.store.keys]
    if taken:
        raise errors.conflict(f"{len(taken)} key(s) already belong to an organization")
    try:
        spec = {**data, "keys": keys}
        if not keys and not spec.get("id"):
            spec["id"] = rt.new_id("organization")
        org = seed.load(rt, {"organizations": [spec]}, configure_keys=False, pinned=False)[0]
    except seed.SeedError as exc:
        raise errors.bad_request([str(exc)]) from None
    return _describe_org(rt, org)


def seed_load(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """Load a seed: from fixtures/ by ``name``, or sent whole as ``content`` (the pytest plugin reads a
    project's own file and sends it); with ``key``/``organization``, into that organization."""
    name = data.get("name")
    if "content" in data:
        if name is not None:
            raise errors.bad_request(["give name or content, not both"])
    elif not isinstance(name, str) or not name:
        raise errors.bad_request(["name must be a string"])
    # A name from fixtures/, never a path: the control plane must not read files elsewhere.
    elif any(c in name for c in "/\\\x00") or name.startswith("."):
        raise errors.bad_request(["name must be the name of a seed in fixtures/, not a path"])
    try:
        content = seed.read_seed(name) if name is not None else seed.checked_top(data["content"])
        target = organization_from(rt, request, data)
        if target is None:
            return {"organizations": [o.id for o in seed.load(rt, content, configure_keys=False)]}
        seed.load_into(rt, target, content)
    except seed.SeedError as exc:
        raise errors.bad_request([str(exc)]) from None
    return {"organizations": [target.id]}


def conversation_event(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    org = organization_from(rt, request, data)
    if org is None:
        raise errors.bad_request(["say which organization: x-api-key, key or organization"])
    conversation = conversations.apply_event(rt, org, request.path_params["id"], data)
    return json.loads(conversation.model_dump_json())


def running_conversations(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    key = request.query_params.get("key")
    if key and not request.query_params.get("organization"):
        org = rt.store.organization_for_key(key)
        orgs = [org] if org is not None else []  # a key never used has nothing running
    else:
        org = existing_organization(rt, request, data)
        orgs = [org] if org is not None else _holders(rt)
    return [{"organization": o.id, "id": c.id, "name": c.name, "client": c.client, "startedAt": iso(c.startedAt)}
            for o in orgs for c in conversations.running(rt, o)]


def _holders(rt: Runtime) -> list[Organization]:
    """Organizations that may have a conversation running: only those that started one, not all.
    One with none running any more leaves the index (it rejoins when it starts another)."""
    found = []
    for org_id in list(rt.store.conversation_holders):
        org = rt.store.organizations.get(org_id)
        if org is not None and conversations.running(rt, org):
            found.append(org)
        else:
            rt.store.conversation_holders.pop(org_id, None)
    return found


EXPORT_BATCH = 64  # organizations serialised between two yields to the event loop


def state_export(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """One organization at once; all of them streamed, yielding to the event loop between batches,
    so other requests are served while a large state is written out. Each organization is exported
    as it stands when its turn comes; one deleted meanwhile is left out."""
    org = existing_organization(rt, request, data)
    if org is not None:
        return state.export_state(rt, org)
    return StreamingResponse(_stream_state(rt), media_type=JSON_TYPE)


async def _stream_state(rt: Runtime) -> AsyncIterator[bytes]:
    ids = list(rt.store.organizations)
    yield f'{{"format": {json.dumps(state.FORMAT)}, "organizations": ['.encode()
    first = True
    for start in range(0, len(ids), EXPORT_BATCH):
        parts = []
        for org_id in ids[start:start + EXPORT_BATCH]:
            org = rt.store.organizations.get(org_id)
            if org is not None:
                parts.append(("" if first else ", ") + json.dumps(state.export_org(rt, org)))
                first = False
        yield "".join(parts).encode()
        await asyncio.sleep(0)
    yield b"]}"


async def state_import(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """Load an export back: organizations with the same id are replaced, the others kept. Validating and
    building (seconds for a large state) run in a worker thread; storing them runs on the loop, in one go."""
    if not isinstance(data.get("organizations"), list):
        raise errors.bad_request(["organizations must be an array"])
    try:
        loaded = state.apply_import(rt, await asyncio.to_thread(state.prepare_import, rt, data))
    except ValidationError as exc:
        raise errors.bad_request([f"not an equos-mock state export: {m}" for m in errors.validation_messages(exc)]
                                 ) from None
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise errors.bad_request([f"not an equos-mock state export: {exc}"]) from None
    return {"organizations": [org.id for org in loaded]}


def int_query(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.bad_request([f"{name} must be an integer"]) from None


def journal_filter(request: Request, rt: Runtime) -> JournalFilter:
    query = request.query_params
    key = query.get("key")
    org_id = query.get("organization")
    if key:
        org = rt.store.organization_for_key(key)
        org_id = org_id or (org.id if org is not None else None)
    since = query.get("since")
    return JournalFilter(method=query.get("method") or None, path=query.get("path") or None,
                         organization=org_id or None, key_fingerprint=rt.mask(key) if key else None,
                         status=query.get("status") or None,
                         since=_moment(since, "since") if since else None, after=int_query(request, "after"),
                         before=int_query(request, "before"))


def journal_get(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """``?limit=N``: the last N matching entries (before ``?before=`` when given; ``?bodies=0`` leaves the
    bodies out). Otherwise one page, oldest first, of ``?pageSize=`` entries (default 100) after
    ``?after=``; ``next`` is the ``after`` of the next page (null: the end)."""
    journal = rt.journal
    where = journal_filter(request, rt)
    limit = int_query(request, "limit")
    if limit is not None:
        if not 0 <= limit <= MAX_PAGE:
            raise errors.bad_request([f"limit must be between 0 and {MAX_PAGE}"])
        bodies = request.query_params.get("bodies", "1") not in ("0", "false")
        entries, after = journal.find(where, limit, bodies=bodies), None
    else:
        entries, after = journal.page(where, page_size(request, "pageSize", PAGE_SIZE, MAX_PAGE))
    return {"capacity": journal.capacity, "maxBytes": journal.max_bytes, "size": len(journal),
            "evicted": journal.evicted, "entries": entries, "next": after}


def journal_count(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    return {"count": rt.journal.count(journal_filter(request, rt))}


def journal_clear(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    where = journal_filter(request, rt)
    return {"removed": rt.journal.clear(where if where != JournalFilter() else None)}


def faults_add(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    try:
        rule = rt.faults.add(data, routes=served(request.app.router.routes))
    except FaultSpecError as exc:
        raise errors.bad_request([str(exc)]) from None
    return _json(rule.describe(rt.mask), 201)


def faults_list(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    query = request.query_params
    return [r.describe(rt.mask) for r in rt.faults.list(query.get("key"), query.get("organization"))]


def faults_clear(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    query = request.query_params
    return {"removed": rt.faults.clear(query.get("key"), query.get("organization"))}


def fault_remove(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    rule = rt.faults.remove(request.path_params["id"])
    if rule is None:
        raise errors.not_found(f"fault {request.path_params['id']} not found")
    return rule.describe(rt.mask)


TABLE: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/_mock/clock", clock_get),
    ("POST", "/_mock/clock/freeze", clock_freeze),
    ("POST", "/_mock/clock/unfreeze", clock_unfreeze),
    ("POST", "/_mock/clock/advance", clock_advance),
    ("POST", "/_mock/clock/set", clock_set),
    ("GET", "/_mock/assumptions", assumptions_get),
    ("PUT", "/_mock/assumptions", assumptions_set),
    ("POST", "/_mock/reset", reset),
    ("GET", "/_mock/organizations", organizations_list),
    ("POST", "/_mock/organizations", organizations_create),
    ("DELETE", "/_mock/organizations", organization_delete),
    ("DELETE", "/_mock/organizations/{id}", organization_delete),
    ("POST", "/_mock/seed", seed_load),
    ("POST", "/_mock/conversations/{id}/events", conversation_event),
    ("GET", "/_mock/conversations/running", running_conversations),
    ("GET", "/_mock/state", state_export),
    ("POST", "/_mock/state", state_import),
    ("GET", "/_mock/journal", journal_get),
    ("DELETE", "/_mock/journal", journal_clear),
    ("GET", "/_mock/journal/count", journal_count),
    ("GET", "/_mock/faults", faults_list),
    ("POST", "/_mock/faults", faults_add),
    ("DELETE", "/_mock/faults", faults_clear),
    ("DELETE", "/_mock/faults/{id}", fault_remove),
    *control_room.TABLE,
)


def _keep_runtime(rt: Runtime) -> None:
    """What only the control plane changes outside the store (the app clock, assumptions, configured keys),
    put back if the call fails (``http/persist.py`` undoes the store's changes)."""
    clock, clock_state = rt.clock, rt.clock.state()
    assumptions, values, configured = rt.assumptions, rt.assumptions.values(), set(rt.configured_keys)

    def restore() -> None:
        clock.restore(clock_state)
        rt.assumptions = assumptions
        assumptions.update(values)
        rt.configured_keys = configured
    rt.store.undo.record(restore)


def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        try:
            # Host and Origin were checked before routing (host_guard.HostGuard): no web page gets here.
            token = runtime.settings.control_token
            if token is not None:
                given = request_credentials(request.scope).mock_token or ""
                if not hmac.compare_digest(given.encode(), token.encode()):
                    raise errors.unauthorized()
            data = await _payload(request, runtime) if request.method in ("POST", "PUT") else {}
            if request.method != "GET":
                runtime.control_changes += 1  # before the handler: a change that fails half-way still counts
                _keep_runtime(runtime)
            result = handler(request, runtime, data)
            if inspect.isawaitable(result):  # a handler that waits (the room's event feed)
                result = await result
            return result if isinstance(result, Response) else _json(result)
        except errors.ApiError as exc:
            return exc.response()
        except ValidationError as exc:  # a control body against its model (models/control.py)
            return errors.from_validation(exc).response()

    run.__name__ = handler.__name__
    return run


def routes() -> list[tuple[str, str, Callable[[Request], Awaitable[Response]]]]:
    return [(method, path, wrap(handler)) for method, path, handler in TABLE]

