"""Organization limits: suspension and a concurrent limit, checked when a legacy v1 session starts.

A suspended organization starts no session (403); an organization with a concurrent limit starts no
session while that many avatar sessions are live (429), counting running v3 conversations with the
sessions. Starting a v3 conversation checks neither: the v3 API publishes no limits.
"""

from __future__ import annotations

from ... import errors
from ...models.sessions import EquosLimitResponse
from ...runtime import Runtime
from ...store import Organization


def check_can_start(org: Organization, live: int) -> None:
    """Refuse a start when ``org`` is suspended or already has ``live`` sessions at its limit."""
    settings = org.settings
    if settings.suspended:
        reason = f": {settings.reason}" if settings.reason else ""
        raise errors.ApiError(403, f"Organization is suspended{reason}")
    limit = settings.concurrent_limit
    if limit is not None and live >= limit:
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
