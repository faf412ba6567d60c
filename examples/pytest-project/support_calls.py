"""A tiny app: it puts a user on a call with a support avatar, through the official equos SDK."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from equos import EquosClient, EquosOptions
from equos.client.errors import UnexpectedStatus
from equos.client.models import (
    CreateEquosBrainRequest,
    CreateEquosCharacterRequest,
    CreateEquosConversationRequest,
    EquosParticipantIdentity,
)

GUIDE_NAME = "Support guide"


class CallUnavailable(RuntimeError):
    """Equos could not start the call (an outage, a limit): the app shows a retry button."""


@dataclass(frozen=True)
class Call:
    conversation_id: str
    server_url: str
    token: str


def connect(api_key: str, endpoint: str = "https://api.equos.ai") -> EquosClient:
    return EquosClient(api_key, EquosOptions(endpoint=endpoint))


def guide_id(client: EquosClient) -> str:
    """The support character, created with its brain on first use."""
    page = client.characters.list(take=50)
    for character in page.characters if page else []:
        if character.name == GUIDE_NAME:
            return character.id
    brain = client.brains.create(CreateEquosBrainRequest(
        instructions="Answer billing questions in two sentences.", greeting_message="Hello! How can I help?"))
    character = client.characters.create(CreateEquosCharacterRequest(
        name=GUIDE_NAME, livekit_identity="support-guide", brain_id=brain.id))
    return character.id


def start_call(client: EquosClient, user_id: str, user_name: str, *, max_seconds: int = 600) -> Call:
    request = CreateEquosConversationRequest(
        name=f"support:{user_id}", character_id=guide_id(client), max_seconds=max_seconds,
        consumer=EquosParticipantIdentity(identity=user_id, name=user_name))
    try:
        started = client.conversations.start(request)
    except UnexpectedStatus as exc:  # a client that raises on undocumented statuses
        raise CallUnavailable(f"Equos answered {exc.status_code}") from exc
    if started is None:  # a client that returns None for them
        raise CallUnavailable("Equos started no conversation")
    return Call(started.conversation.id, started.conversation.server_url, started.consumer_access_token)


def end_call(client: EquosClient, conversation_id: str) -> datetime | None:
    """Stops the call; the time it ended."""
    stopped = client.conversations.stop(conversation_id)
    return stopped.ended_at if stopped else None
