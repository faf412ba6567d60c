"""Organizations: every creation and reset goes through here, so each has an id, a name and created_at."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..store import Organization

if TYPE_CHECKING:
    from ..runtime import Runtime


def create(rt: Runtime, keys: list[str], *, name: str | None = None, org_id: str | None = None) -> Organization:
    org_id = org_id or rt.new_id("organization")
    org = rt.new_organization(org_id, name or org_id)
    org.created_at = rt.clock.now()
    return rt.store.add_organization(org, keys)


def reset(rt: Runtime, org: Organization) -> Organization:
    """The organization without its resources: same id, name, settings, keys, pin and created_at."""
    fresh = rt.new_organization(org.id, org.name, org.settings)
    fresh.pinned, fresh.created_at = org.pinned, org.created_at
    rt.store.replace_organization(fresh)
    return fresh
