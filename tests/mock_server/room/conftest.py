from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_server.server import MockServer


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    """One live mock with its room for the module; each test uses its own key (its own organization)."""
    with MockServer() as server:
        yield server
