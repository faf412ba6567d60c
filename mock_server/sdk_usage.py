"""What the official SDK (3.1.5) lacks: a typed call of GET /v3/organizations/user-usage?client=...

The SDK has the low-level call (``equos.client.api.organization.get_user_usage``) but parses its
reply as nothing and exposes it on no ``EquosClient`` group. ``user_usage`` sends it through the
client's own configured transport and reads the bare number, as ``get_freemium_usage`` does.
"""

from __future__ import annotations

from typing import Any

from equos.client import errors
from equos.client.api.organization import get_user_usage


def user_usage(client: Any, client_tag: str) -> float | None:
    """Seconds used in the billing cycle by conversations tagged ``client_tag``. Like the SDK's own
    methods: None on an undocumented status, or ``UnexpectedStatus`` if the client raises on them."""
    reply = get_user_usage.sync_detailed(client=client._client, client_query=client_tag)
    if reply.status_code == 200:
        try:
            return float(reply.content)  # a bare number, as text/html or as JSON
        except ValueError:
            pass
    if client._client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(reply.status_code, reply.content)
    return None
