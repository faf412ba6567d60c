"""/v1/sessions (backend, x-api-key) and /v1/session-passes (browser, Bearer public key)."""

from __future__ import annotations

from typing import Any

from ...domain.legacy import sessions
from ...models.common import ListQuery
from ...models.sessions import (
    CreateEquosSessionRequest,
    CreateEquosSessionResponse,
    CreateSessionPassRequest,
    CreateSessionPassResponse,
    EquosSession,
    ListEquosSessionsResponse,
)
from ..common import page_args
from ..media import thumbnail_base
from ..operation import Call, Operation
from .avatars import IMAGE_BODY_BYTES

PATH, TAG = "/v1/sessions", "sessions"
PASS_PATH, PASS_TAG = "/v1/session-passes", "session-passes"


def _create(call: Call) -> CreateEquosSessionResponse:
    record, consumer, remote = sessions.create(call.runtime, call.org, call.body, thumbnail_base(call.request))
    return CreateEquosSessionResponse(session=record.public(), consumerAccessToken=consumer,
                                      remoteAgentAccessToken=remote)


def _list(call: Call) -> ListEquosSessionsResponse:
    skip, take, client, newest_first = page_args(call)
    total, items = sessions.page(call.runtime, call.org, skip, take, client, newest_first)
    return ListEquosSessionsResponse(skip=skip, take=take, total=total, sessions=[s.public() for s in items])


def _public(record: Any) -> EquosSession | None:
    return record.public() if record is not None else None


def _create_pass(call: Call) -> CreateSessionPassResponse:
    record, consumer, _ = sessions.create(call.runtime, call.org, call.body, thumbnail_base(call.request),
                                          via_pass=True)
    assert consumer is not None  # a pass always names its consumer and never has a host
    return CreateSessionPassResponse(session=record.public(), consumerAccessToken=consumer)


OPERATIONS = (
    Operation("POST", PATH, "SessionsController_create_v1",
              "Create a session with an existing agent and avatar, or ones created on the fly.", TAG, _create,
              status=201, body=CreateEquosSessionRequest, response=CreateEquosSessionResponse,
              max_body_bytes=IMAGE_BODY_BYTES),
    Operation("GET", PATH, "SessionsController_list_v1", "List sessions.", TAG, _list,
              query=ListQuery, response=ListEquosSessionsResponse),
    Operation("GET", PATH + "/{id}", "SessionsController_getById_v1", "Get a session by ID.", TAG,
              lambda call: _public(sessions.get(call.runtime, call.org, call.params["id"])),
              response=EquosSession, nullable=True),
    Operation("PATCH", PATH + "/{id}/stop", "SessionsController_stop_v1",
              "Stop a session. Returns null if already stopped or session was not found.", TAG,
              lambda call: _public(sessions.stop(call.runtime, call.org, call.params["id"])),
              response=EquosSession, nullable=True),
    Operation("POST", PASS_PATH, "SessionPassesController_create_v1",
              "Start a session from a browser with a public key (existing agent and avatar only).", PASS_TAG,
              _create_pass, status=201, body=CreateSessionPassRequest, response=CreateSessionPassResponse,
              bearer=True),
    Operation("PATCH", PASS_PATH + "/{id}/stop", "SessionPassesController_stop_v1",
              "Stop a session started with a session pass. Returns null if already stopped or not found.",
              PASS_TAG, lambda call: _public(sessions.stop(call.runtime, call.org, call.params["id"], via_pass=True)),
              response=EquosSession, nullable=True, bearer=True),
)
