"""Fixtures of the control-plane tests: one loopback server per module, and a fresh key per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from mock_server.control_client import MockControl
from mock_server.server import MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer() as mock:
        yield mock


@pytest.fixture
def control(server: MockServer) -> MockControl:
    return server.control


@pytest.fixture
def key() -> str:
    return f"sk_ctl_{uuid.uuid4().hex}"


@pytest.fixture
def api(server: MockServer, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"x-api-key": key}) as client:
        yield client
