"""What an organization has used: v3 conversations and legacy v1 sessions are billed together."""

from __future__ import annotations

from ..runtime import Runtime
from ..store import Organization
from . import conversations
from .legacy import sessions


def seconds_used(rt: Runtime, org: Organization, client: str | None = None) -> float:
    """Seconds from startedAt to endedAt (or to now while live), summed exactly in milliseconds."""
    return (conversations.milliseconds_used(rt, org, client) + sessions.milliseconds_used(rt, org, client)) / 1000
