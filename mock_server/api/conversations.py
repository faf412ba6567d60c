"""/v3/conversations and /v3/tokens."""

from __future__ import annotations

from typing import Any

from ..domain import conversations
from ..models.common import ListQuery
from ..models.conversations import (
    CreateEquosConversationRequest,
    CreateEquosConversationResponse,
    CreateEquosTokenRequest,
    CreateEquosTokenResponse,
    EquosConversation,
    ListEquosConversationsResponse,
)
from . import encoded
from .common import page_args
from .operation import Call, Operation

PATH, TAG = "/v3/conversations", "conversation"
encoded.items_last(ListEquosConversationsResponse, "conversations")


def _list(call: Call) -> bytes:
    skip, take, client, newest_first = page_args(call)
    total, items = conversations.page(call.runtime, call.org, skip, take, client, newest_first)
    return encoded.page_json(ListEquosConversationsResponse(skip=skip, take=take, total=total, conversations=[]),
                             "conversations", encoded.records_json(call.runtime, call.org, _resource(call), items))


def _get(call: Call) -> Any:
    found = conversations.get(call.runtime, call.org, call.params["id"])
    return encoded.record_json(call.runtime, call.org, _resource(call), found) if found is not None else None


def _resource(call: Call) -> Any:
    return call.runtime.resources["conversations"]


OPERATIONS = (
    Operation("GET", PATH, "listConversations", "List Equos conversations.", TAG, _list,
              query=ListQuery, response=ListEquosConversationsResponse),
    Operation("GET", PATH + "/{id}", "getConversationById", "Get an Equos conversation by ID.", TAG, _get,
              response=EquosConversation, nullable=True),
    Operation("POST", PATH, "startConversation", "Start an Equos avatar session.", TAG,
              lambda call: encoded.started_json(call.runtime, call.org,
                                                conversations.start(call.runtime, call.org, call.body)),
              status=201, body=CreateEquosConversationRequest, response=CreateEquosConversationResponse),
    Operation("POST", PATH + "/{id}/stop", "stopConversation",
              "Stop a conversation. Returns null if already stopped or conversation was not found.", TAG,
              lambda call: conversations.stop(call.runtime, call.org, call.params["id"]),
              status=201, response=EquosConversation, nullable=True),
    Operation("POST", "/v3/tokens", "createToken", "Generate a client token for a specific character.",
              "tokens", lambda call: conversations.create_client_token(call.runtime, call.org, call.body),
              status=201, body=CreateEquosTokenRequest, response=CreateEquosTokenResponse),
)
