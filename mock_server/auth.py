"""Who is calling: an API key (``x-api-key``) or a public key (``Authorization: Bearer pk_...``) to its organization.

An unknown key gets an organization of its own on first use when the server runs with open keys
(none configured) or when it is one of the configured keys; anything else is a 401.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.types import Scope

from . import errors
from .credentials import request_credentials
from .domain import organizations
from .key_check import pattern_refusal
from .masking import fingerprint
from .store import Organization

if TYPE_CHECKING:
    from .runtime import Runtime


def organization_for_key(rt: Runtime, key: str | None) -> Organization:
    # A public (session-pass) key never opens the backend routes, not even with open keys.
    if not key or key in rt.store.public_keys or pattern_refusal(key, rt.key_pattern):
        raise errors.unauthorized(int(rt.assumptions["auth_failure"]))
    org = rt.store.organization_for_key(key)
    if org is not None:
        rt.touch(org)
        return org
    # A configured key (--api-key) without an organization yet gets one, like an open key.
    if not rt.open_keys and key not in rt.configured_keys:
        raise errors.unauthorized(int(rt.assumptions["auth_failure"]))
    org = organizations.create(rt, [key], name=f"org-{fingerprint(key, rt.fingerprint_secret)[:8]}")
    org.pinned = key in rt.settings.api_keys
    rt.set_public_keys(org, [])
    rt.touch(org)
    return org


def bearer_organization(rt: Runtime, authorization: str | None) -> tuple[str | None, Organization | None]:
    """The token of ``Authorization: Bearer <token>`` and the organization whose public key it is."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None, None
    org_id = rt.store.public_keys.get(token)
    return token, rt.organization(org_id) if org_id is not None else None


def organization_for_public_key(rt: Runtime, authorization: str | None) -> Organization:
    """``Authorization: Bearer <public key>``; an API key, or anything else, is refused."""
    org = bearer_organization(rt, authorization)[1]
    if org is None:
        raise errors.unauthorized(int(rt.assumptions["auth_failure"]))
    return org


def caller(rt: Runtime, scope: Scope) -> tuple[str | None, Any]:
    """The caller's key (x-api-key, else a bearer public key) and its organization; never creates one."""
    credentials = request_credentials(scope)
    if credentials.api_key is not None:
        return credentials.api_key, rt.store.organization_for_key(credentials.api_key)
    return bearer_organization(rt, credentials.authorization)
