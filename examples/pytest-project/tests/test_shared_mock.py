"""Run with ``pytest --equos-mock-url http://127.0.0.1:8787`` (as in CI) and every fixture uses that
already running mock instead of starting one; each test still gets an organization of its own."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def given_url(request):
    url = request.config.getoption("--equos-mock-url")
    if not url:
        pytest.skip("no --equos-mock-url: the plugin started a mock of its own")
    return url.rstrip("/")


def test_the_fixtures_use_the_running_mock(given_url, equos_mock, equos_client):
    assert equos_mock.url == given_url
    assert equos_mock.server is None  # nothing started by the plugin
    assert httpx.get(f"{given_url}/v3/health").json()["status"] == "ok"
    assert equos_client.characters.list().total == 0  # a fresh organization on a shared server
