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
from .common import page_args
from .operation import Call, Operation

PATH, TAG = "/v3/conversations", "conversation"


def _list(call: Call) -> ListEquosConversationsResponse:
    skip, take, client, newest_first = page_args(call)
    total, items = conversations.page(call.runtime, call.org, skip, take, client, newest_first)
    return ListEquosConversationsResponse(skip=skip, take=take, total=total,
                                          conversations=items)


def _get(call: Call) -> Any:
    return conversations.get(call.runtime, call.org, call.params["id"])


OPERATIONS = (
    Operation("GET", PATH, "listConversations", "List Equos conversations.", TAG, _list,
              query=ListQuery, response=ListEquosConversationsResponse),
    Operation("GET", PATH + "/{id}", "getConversationById", "Get an Equos conversation by ID.", TAG, _get,
              response=EquosConversation, nullable=True),
    Operation("POST", PATH, "startConversation", "Start an Equos avatar session.", TAG,
              lambda call: conversations.start(call.runtime, call.org, call.body),
              status=201, body=CreateEquosConversationRequest, response=CreateEquosConversationResponse),
    Operation("POST", PATH + "/{id}/stop", "stopConversation",
              "Stop a conversation. Returns null if already stopped or conversation was not found.", TAG,
              lambda call: conversations.stop(call.runtime, call.org, call.params["id"]),
              status=201, response=EquosConversation, nullable=True),
    Operation("POST", "/v3/tokens", "createToken", "Generate a client token for a specific character.",
              "tokens", lambda call: conversations.create_client_token(call.runtime, call.org, call.body),
              status=201, body=CreateEquosTokenRequest, response=CreateEquosTokenResponse),
)
