"""What a request needs: settings, clock, ids, assumptions, store, journal and faults.

Hung off ``app.state.runtime``; nothing lives at module level, so two apps in one
process never see each other.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import datetime

from .assumptions import Assumptions
from .clock import Clock
from .events import DomainEvent, EventHub
from .faults import Faults
from .ids import IdGenerator
from .journal import Journal
from .key_check import compile_pattern
from .masking import fingerprint_secret, mask_secret
from .resource import Catalog
from .settings import Settings
from .store import MemoryStore, Organization
from .store.memory import OrgSettings
from .tokens import Signer

EVICT_PER_REQUEST = 64  # idle organizations one request may evict (--org-idle-ttl)


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None, store: MemoryStore | None = None,
                 *, resources: Catalog):
        self.settings = settings
        self.resources = resources  # the declared resources this app serves
        self._id_prefixes = {r.kind: r.id_prefix for r in resources if r.id_prefix}
        self.clock = clock or Clock()
        self.store = store or MemoryStore()
        self.ids = IdGenerator(settings.seed)
        self.assumptions = Assumptions(settings.assumptions)
        self.upload_secret = (settings.upload_secret or self.ids.token(32)).encode()
        self.fingerprint_secret = fingerprint_secret(settings.seed)
        # With no keys configured, any non-empty key gets its own organization.
        self.configured_keys: set[str] = set(settings.api_keys)
        self.key_pattern = compile_pattern(settings.key_pattern) if settings.key_pattern is not None else None
        self.journal = Journal(settings.journal_entries, body_limit=settings.journal_body_bytes,
                               max_bytes=settings.journal_max_bytes, secret=self.fingerprint_secret)
        self.faults = Faults(settings.seed)
        self.events = EventHub()  # the domain's announcements; the room listens (mock_server/events.py)
        self.room_url: str | None = None  # the embedded room's ws:// URL while it serves (serverUrl)
        self.signer = Signer(settings.livekit_api_secret)  # LiveKit and client tokens, the secret checked once
        # Control-plane calls that may have changed something; with the journal's last id, what the
        # inspector polls to learn cheaply whether anything changed (GET /_mock/changes).
        self.control_changes = 0
        # --org-idle-ttl: organization id -> when it was last used (app clock, ms), least recent first.
        self.last_used: OrderedDict[str, int] = OrderedDict()

    # --- time and ids ---------------------------------------------------------
    def clock_for(self, org: Organization | None) -> Clock:
        """An organization may run on its own clock, so parallel tests can move time independently."""
        return org.clock if org is not None and org.clock is not None else self.clock

    def scoped_clock(self, org: Organization) -> Clock:
        """The organization's own clock, split off the app clock (same time, same frozen state) if needed."""
        if org.clock is None:
            org.clock = self.clock.copy()
        return org.clock

    def now(self, org: Organization | None = None) -> datetime:
        return self.clock_for(org).now()

    def new_id(self, kind: str) -> str:
        return self.ids.new(kind, self.assumptions["id_style"], self._id_prefixes.get(kind))

    def mask(self, value: str) -> str:
        """A key or token as the control plane and journal show it (keyed by this app's secret)."""
        return mask_secret(value, self.fingerprint_secret)

    # --- organizations and keys -----------------------------------------------
    @property
    def open_keys(self) -> bool:
        return not self.configured_keys

    def organization(self, org_id: str) -> Organization | None:
        """The organization with this id (a use of it, for the idle limit), or None."""
        org = self.store.organizations.get(org_id)
        if org is not None:
            self.touch(org)
        return org

    def new_organization(self, org_id: str, name: str, settings: OrgSettings | None = None) -> Organization:
        """An empty organization with a collection per declared resource (not yet in the store)."""
        return Organization(org_id, name, settings, self.resources.resources, undo=self.store.undo)

    def add_keys(self, org: Organization, keys: list[str], *, configure: bool = True) -> None:
        """Map keys to ``org``; ``configure`` also makes them the only keys accepted (seed files)."""
        for key in keys:
            self.store.add_key(org.id, key)
            if configure:
                self.configured_keys.add(key)

    def delete_organization(self, org: Organization) -> None:
        """Forget ``org``: its resources, keys, public keys and fault rules. Its journal entries stay
        (the journal is bounded on its own) and a key of it that is used again gets a new organization."""
        for key in self.store.keys_of(org.id):
            self.faults.clear(key=key)
        self.faults.clear(organization=org.id)
        self.store.remove_organization(org.id)
        self.last_used.pop(org.id, None)
        self.events.publish(DomainEvent("reset", org.id))  # however it went (control plane, idle limit): rooms close

    # --- the idle limit (--org-idle-ttl) ------------------------------------------
    def touch(self, org: Organization) -> None:
        """``org`` is being used now: persistence rechecks its settings, the idle limit restarts."""
        self.store.touch(org)
        ttl = self.settings.org_idle_ttl_seconds
        if ttl is None:
            return
        now = self.clock.now_ms()
        if not org.pinned:
            self.last_used[org.id] = now
            self.last_used.move_to_end(org.id)
        with self.store.undo.paused():  # housekeeping, kept even if the request fails
            self.evict_idle(now - int(ttl * 1000))

    def evict_idle(self, before_ms: int, most: int = EVICT_PER_REQUEST) -> int:
        """Delete up to ``most`` organizations last used before ``before_ms`` (least recent first: it
        stops at the first one still in use, so a request pays only for what it evicts, and a clock
        moved by a day spreads the work over the next requests instead of holding one)."""
        evicted = 0
        while self.last_used and evicted < most:
            org_id, used = next(iter(self.last_used.items()))
            if used >= before_ms:
                break
            del self.last_used[org_id]
            org = self.store.organizations.get(org_id)
            if org is not None and not org.pinned:
                self.delete_organization(org)
                evicted += 1
        return evicted

    # --- public keys (legacy session passes) ----------------------------------
    def public_keys_of(self, org: Organization) -> list[str]:
        return self.store.public_keys_of(org.id)

    def set_public_keys(self, org: Organization, keys: list[str]) -> list[str]:
        """Give ``org`` these public keys; none given: one derived from its first API key, else random.

        Derived keys stay the same across restarts and resets, so a page can keep using one.
        """
        if not keys:
            api_keys = self.store.keys_of(org.id)
            suffix = (hashlib.sha256(f"equos-mock-public:{api_keys[0]}".encode()).hexdigest()[:32]
                      if api_keys else self.ids.token(16))
            keys = [f"pk_{suffix}"]
            if self.store.public_keys.get(keys[0], org.id) != org.id:  # kept by the key's former organization
                keys = [f"pk_{self.ids.token(16)}"]
        for key in keys:
            if key in self.store.keys or self.store.public_keys.get(key, org.id) != org.id:
                raise ValueError(f"public key {self.mask(key)} is already in use")
        self.store.remove_public_keys(org.id)
        for key in keys:
            self.store.set_public_key(org.id, key)
        return keys

    def public_key_of(self, org: Organization) -> str:
        return (self.public_keys_of(org) or self.set_public_keys(org, []))[0]
