"""A tutoring app: a pupil books a lesson with a subject's avatar tutor, through the official equos SDK.

The client is made as in production, ``EquosClient(key, EquosOptions(endpoint=...))``: on a 4xx or
a 5xx the SDK's methods return None rather than raise, so the app checks every reply. Each lesson
carries its pupil's client tag, so Equos can say how many seconds each pupil used.
"""

from __future__ import annotations

from dataclasses import dataclass

from equos import EquosClient, EquosOptions
from equos.client.models import (
    CreateEquosBrainRequest,
    CreateEquosCharacterRequest,
    CreateEquosConversationRequest,
    EquosParticipantIdentity,
)

TUTORS = {
    "maths": ("Maths tutor", "Explain one step at a time and let the pupil try first."),
    "french": ("French tutor", "Speak simple French; translate only when asked."),
}


class LessonUnavailable(RuntimeError):
    """Equos could not start or read the lesson (an outage, a limit): the app shows 'try again'."""


@dataclass(frozen=True)
class Lesson:
    conversation_id: str
    room: str
    server_url: str
    token: str  # the pupil's LiveKit token for the lesson's room


def connect(api_key: str, endpoint: str = "https://api.equos.ai") -> EquosClient:
    return EquosClient(api_key, EquosOptions(endpoint=endpoint))


def pupil_tag(pupil_id: str) -> str:
    return f"pupil-{pupil_id}"


def tutor_id(client: EquosClient, subject: str) -> str:
    """The subject's tutor, made with its brain the first time it is needed."""
    name, instructions = TUTORS[subject]
    page = client.characters.list(take=50)
    if page is None:
        raise LessonUnavailable("Equos could not list the tutors")
    for character in page.characters:
        if character.name == name:
            return character.id
    brain = client.brains.create(CreateEquosBrainRequest(instructions=instructions,
                                                         greeting_message=f"Hello! Ready for {subject}?"))
    if brain is None:
        raise LessonUnavailable("Equos could not make the tutor's brain")
    character = client.characters.create(CreateEquosCharacterRequest(
        name=name, livekit_identity=f"tutor-{subject}", brain_id=brain.id))
    if character is None:
        raise LessonUnavailable("Equos could not make the tutor")
    return character.id


def book(client: EquosClient, pupil_id: str, pupil_name: str, subject: str, *, minutes: int = 20) -> Lesson:
    started = client.conversations.start(CreateEquosConversationRequest(
        name=f"{subject} with {pupil_name}", character_id=tutor_id(client, subject), client=pupil_tag(pupil_id),
        max_seconds=minutes * 60, consumer=EquosParticipantIdentity(identity=pupil_id, name=pupil_name)))
    if started is None:
        raise LessonUnavailable("Equos could not start the lesson; try again in a minute")
    conversation = started.conversation
    return Lesson(conversation.id, conversation.room, conversation.server_url, started.consumer_access_token)


def finish(client: EquosClient, lesson: Lesson) -> float:
    """End the lesson (unless Equos already ended it at its limit); the seconds it lasted."""
    conversation = client.conversations.get(lesson.conversation_id)
    if conversation is None:
        raise LessonUnavailable("Equos could not find the lesson")
    if conversation.status.value == "running":
        conversation = client.conversations.stop(lesson.conversation_id)
        if conversation is None:
            raise LessonUnavailable("Equos could not end the lesson")
    return (conversation.ended_at - conversation.started_at).total_seconds()
