"""examples/frontend/backend.py's Backend through the official SDK against a served mock: after the mock
forgets its state it makes its demo character again, and any other refusal is an error, with nothing made twice."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from equos import EquosClient, EquosOptions

from mock_server.server import MockServer

BACKEND = Path(__file__).resolve().parents[2] / "examples" / "frontend" / "backend.py"
KEY = "sk_frontend_backend"


def _backend_module():
    spec = importlib.util.spec_from_file_location("frontend_backend", BACKEND)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_it_makes_the_character_again_after_a_reset_and_refusals_are_errors() -> None:
    with MockServer(room=False) as mock:
        client = EquosClient(KEY, EquosOptions(endpoint=mock.url))
        backend = _backend_module().Backend(client, None, None)
        first = backend.start()
        made = backend.character_id
        assert first["characterName"] == "Nova" and first["token"]
        mock.control.reset()  # the mock forgot everything: the character is gone
        second = backend.start()
        assert backend.character_id != made and second["characterName"] == "Nova"
        backend.max_seconds = 10**7  # over the organization's duration limit: a 400
        with pytest.raises(RuntimeError, match="refused to start a conversation"):
            backend.start()
        assert backend.character_id is not None
        assert len(client.characters.list().characters) == 1  # the refusal made no second character
