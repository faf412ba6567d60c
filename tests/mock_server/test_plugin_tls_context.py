"""The plugin's httpx clients share one TLS context, httpx's default, made once per session (a new one per
client loads the CA bundle: about 50 ms of CPU per test, benchmarks/plugin_cpu.py)."""

from __future__ import annotations

import ssl
from typing import Any

import httpx


def _context_of(client: httpx.Client) -> ssl.SSLContext:
    return client._transport._pool._ssl_context  # type: ignore[attr-defined]


def test_equos_httpx_and_equos_client_use_the_sessions_context(equos_mock: Any, equos_httpx: httpx.Client,
                                                              equos_client: Any) -> None:
    shared = equos_mock.tls_context()
    assert shared is equos_mock.tls_context()
    assert _context_of(equos_httpx) is shared
    assert equos_client.characters.list().total == 0  # the SDK opens its httpx client on the first call
    assert _context_of(equos_client._client.get_httpx_client()) is shared
    # httpx's own default: certificates checked, host names too.
    assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname
    with httpx.Client() as plain:
        assert _context_of(plain).verify_mode == shared.verify_mode


def test_the_context_outlives_a_test(equos_mock: Any, equos_httpx: httpx.Client) -> None:
    assert _context_of(equos_httpx) is equos_mock.tls_context()
