"""pytest plugin (entry point ``pytest11``): an isolated Equos mock per test in one line.

Fixtures: ``equos_mock`` (session-wide server), ``equos_api_key`` / ``equos_org`` (a fresh
organization per test), ``equos_client`` (the official SDK), ``equos_httpx``,
``equos_clock``. Imports stay lazy so that merely installing the package costs nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("equos-mock")
    group.addoption("--equos-mock-url", default=None,
                    help="use an already running equos-mock at this URL instead of starting one")


class EquosMock:
    """What ``equos_mock`` yields: the base URL and the control client."""

    def __init__(self, url: str, control: Any, server: Any = None):
        self.url = url
        self.control = control
        self.server = server

    def new_key(self) -> str:
        return f"sk_test_{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def equos_mock(request: pytest.FixtureRequest) -> Iterator[EquosMock]:
    from .control import MockControl

    url = request.config.getoption("--equos-mock-url")
    if url:
        yield EquosMock(url.rstrip("/"), MockControl(url))
        return
    from .server import MockServer

    server = MockServer().start()
    try:
        yield EquosMock(server.url, server.control, server)
    finally:
        server.stop()


@pytest.fixture
def equos_api_key(equos_mock: EquosMock) -> str:
    """A key nobody else uses: with open keys, the mock gives it a fresh, empty organization."""
    return equos_mock.new_key()


@pytest.fixture
def equos_org(equos_mock: EquosMock, equos_api_key: str) -> dict[str, Any]:
    return equos_mock.control.create_organization([equos_api_key])


def sdk_client(base_url: str, api_key: str, *, raise_on_unexpected_status: bool = True) -> Any:
    """The official ``equos`` client pointed at ``base_url``, raising on undocumented statuses."""
    from equos import EquosClient, EquosOptions
    from equos.client.client import AuthenticatedClient

    client = EquosClient(api_key, EquosOptions(endpoint=base_url))
    strict = AuthenticatedClient(base_url=base_url, token=api_key, auth_header_name="x-api-key", prefix="",
                                 raise_on_unexpected_status=raise_on_unexpected_status)
    client._client = strict
    for group in ("brains", "characters", "faces", "voices", "conversations", "knowledge_bases",
                  "organizations", "tokens", "health"):
        getattr(client, group)._client = strict
    return client


@pytest.fixture
def equos_client(equos_mock: EquosMock, equos_api_key: str) -> Any:
    pytest.importorskip("equos", reason="the official equos SDK is not installed")
    return sdk_client(equos_mock.url, equos_api_key)


@pytest.fixture
def equos_httpx(equos_mock: EquosMock, equos_api_key: str) -> Iterator[Any]:
    httpx = pytest.importorskip("httpx")
    with httpx.Client(base_url=equos_mock.url, headers={"x-api-key": equos_api_key}) as client:
        yield client


class OrgClock:
    """The test organization's own clock: moving it never disturbs another test's organization."""

    def __init__(self, control: Any, key: str):
        self._control = control
        self.key = key

    def now(self) -> Any:
        return self._control.now(key=self.key)

    def freeze(self, at: Any = None) -> Any:
        return self._control.freeze(at, key=self.key)

    def unfreeze(self) -> Any:
        return self._control.unfreeze(key=self.key)

    def advance(self, seconds: float) -> Any:
        return self._control.advance(seconds, key=self.key)

    def set(self, at: Any) -> Any:
        return self._control.set_time(at, key=self.key)


@pytest.fixture
def equos_clock(equos_mock: EquosMock, equos_api_key: str) -> OrgClock:
    """The clock of this test's organization, frozen at now (advance it by hand)."""
    clock = OrgClock(equos_mock.control, equos_api_key)
    clock.freeze()
    return clock
