"""Characters' own rules: non-null name and search on update, and the livekitIdentity rule.

Their references (face, voice, brain, knowledge base), the checks on them and their population
on read are declared with the resource (see ``catalog``) and applied by ``domain.resources``.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..runtime import Runtime
from ..store import Organization


def check(rt: Runtime, org: Organization, values: dict[str, Any], character_id: str | None) -> None:
    if character_id is not None:  # an update: only the keys the caller sent; null clears a reference
        for key in ("name", "search"):
            if key in values and values[key] is None:
                raise errors.bad_request([f"{key} must not be null"])
        return
    _check_identity(rt, org, values["livekitIdentity"])


def _check_identity(rt: Runtime, org: Organization, identity: str) -> None:
    if rt.assumptions["duplicate_livekit_identity"] != "409":
        return
    other = next(iter(org.characters.matching("livekitIdentity", identity)), None)
    if other is not None:
        raise errors.conflict(
            f'A character with livekitIdentity "{identity}" already exists for this organization ({other.id}).'
        )
