"""Everything one app owns: settings, clock, ids, assumptions, store.

Hung off ``app.state.runtime``; nothing lives at module level, so two apps in one
process never see each other.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from . import errors
from .assumptions import Assumptions
from .clock import Clock
from .ids import IdGenerator
from .settings import Settings
from .store import MemoryStore, Organization


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None, store: MemoryStore | None = None):
        self.settings = settings
        self.clock = clock or Clock()
        self.store = store or MemoryStore()
        self.ids = IdGenerator(settings.seed)
        self.assumptions = Assumptions(settings.assumptions)
        self.upload_secret = (settings.upload_secret or self.ids.token(32)).encode()
        # With no keys configured, any non-empty key gets its own organization.
        self.configured_keys: set[str] = set(settings.api_keys)

    # --- time and ids ---------------------------------------------------------
    def clock_for(self, org: Organization | None) -> Clock:
        """An organization may run on its own clock, so parallel tests can move time independently."""
        return org.clock if org is not None and org.clock is not None else self.clock

    def scoped_clock(self, org: Organization) -> Clock:
        """The organization's own clock, split off the app clock (same time, same frozen state) if needed."""
        if org.clock is None:
            clock = Clock()
            clock.set(self.clock.now())
            if self.clock.frozen:
                clock.freeze()
            org.clock = clock
        return org.clock

    def now(self, org: Organization | None = None) -> datetime:
        return self.clock_for(org).now()

    def new_id(self, kind: str) -> str:
        return self.ids.new(kind, self.assumptions["id_style"])

    # --- organizations and keys -----------------------------------------------
    @property
    def open_keys(self) -> bool:
        return not self.configured_keys

    def organization_for_key(self, key: str | None) -> Organization:
        if not key:
            raise errors.unauthorized(int(self.assumptions["auth_failure"]))
        org = self.store.organization_for_key(key)
        if org is not None:
            return org
        if not self.open_keys and key not in self.configured_keys:
            raise errors.unauthorized(int(self.assumptions["auth_failure"]))
        # An open key, or a configured key (--api-key) that no seed gave an organization yet.
        return self.create_organization([key], name=f"org-{_fingerprint(key)}")

    def create_organization(self, keys: list[str], *, name: str | None = None, org_id: str | None = None
                            ) -> Organization:
        org_id = org_id or self.new_id("organization")
        return self.store.add_organization(Organization(org_id, name or org_id), keys)

    def add_keys(self, org: Organization, keys: list[str], *, configure: bool = True) -> None:
        """Map keys to ``org``; ``configure`` also makes them the only keys accepted (seed files)."""
        for key in keys:
            self.store.keys[key] = org.id
            if configure:
                self.configured_keys.add(key)


def _fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def mask_secret(value: str) -> str:
    """What may be shown of a key or token: its kind and a short fingerprint, never the value."""
    return f"****{_fingerprint(value)}" if value else ""
