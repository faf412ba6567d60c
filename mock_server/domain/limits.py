"""Organization limits shared by legacy sessions and conversations: suspension and concurrency.

A suspended organization starts nothing (403); an organization with a concurrent limit starts
nothing while that many sessions and conversations are live (429).
"""

from __future__ import annotations

from .. import errors
from ..models.sessions import EquosLimitResponse
from ..runtime import Runtime
from ..store import Organization


def live_count(rt: Runtime, org: Organization) -> int:
    """Live avatar sessions of every kind: running conversations plus starting or running sessions."""
    from . import conversations, sessions  # late: sessions imports this module

    return len(conversations.running(rt, org)) + len(sessions.live(rt, org))


def check_can_start(rt: Runtime, org: Organization) -> None:
    settings = org.settings
    if settings.suspended:
        reason = f": {settings.reason}" if settings.reason else ""
        raise errors.ApiError(403, f"Organization is suspended{reason}")
    limit = settings.concurrent_limit
    if limit is not None and live_count(rt, org) >= limit:
        raise errors.ApiError(429, f"Concurrent session limit reached ({limit} live at once)")


def describe(rt: Runtime, org: Organization) -> EquosLimitResponse | None:
    """GET /v1/limits: null when nothing is set (no concurrent limit, not suspended)."""
    settings = org.settings
    if settings.concurrent_limit is None and not settings.suspended:
        return None
    stamp = org.created_at or rt.now(org)
    # A suspended organization without a concurrent limit can run none at once.
    concurrent = settings.concurrent_limit if settings.concurrent_limit is not None else 0
    return EquosLimitResponse(organizationId=org.id, concurrent=concurrent, duration=settings.duration_limit,
                              suspended=settings.suspended, reason=settings.reason, createdAt=stamp,
                              updatedAt=stamp)
