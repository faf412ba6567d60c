"""The legacy official SDK equos 1.2.7 drives agents, avatars and sessions against a real mock server."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from livekit import api as livekit_api

pytestmark = pytest.mark.slow  # pip installs the legacy SDK (once per machine), then runs it in a subprocess

DRIVER = Path(__file__).with_name("sdk127_driver.py")
IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
IMAGE_URL = "data:image/png;base64," + base64.b64encode(IMAGE).decode()


def test_legacy_sdk_end_to_end(legacy_server, legacy_sdk_path, run_legacy_sdk):
    key = "sk_legacy_sdk_e2e"
    result = run_legacy_sdk(DRIVER, legacy_server.url, key, IMAGE_URL)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout)
    assert seen["equos_file"].startswith(str(legacy_sdk_path))  # really 1.2.7, not the venv's 3.x

    agent = seen["agent"]
    assert agent["provider"] == "gemini" and agent["voice"] == "Puck" and agent["search"] is True
    assert agent["model"] == "gemini-2.5-flash-native-audio-preview-09-2025"
    assert seen["agent_get"] == agent
    assert [a["id"] for a in seen["agents_list"]["agents"]] == [agent["id"]]
    updated = seen["agent_updated"]
    assert (updated["name"], updated["voice"], updated["memory"]) == ("Guide 2", "Kore", True)
    assert updated["instructions"] == "Be brief."  # absent keys are kept

    avatar = seen["avatar"]
    assert avatar["agentId"] == agent["id"] and avatar["agent"]["id"] == agent["id"]
    thumbnail = seen["thumbnail"]
    assert (thumbnail["status"], thumbnail["type"]) == (200, "image/png")
    assert base64.b64decode(thumbnail["base64"]) == IMAGE
    assert httpx.get(avatar["thumbnailUrl"]).status_code == 404  # archived by the driver since
    assert seen["avatars_list"]["total"] == 1 and seen["avatar_get"]["id"] == avatar["id"]
    assert seen["avatar_updated"]["name"] == "Renamed"

    by_id = seen["session_by_id"]
    session = by_id["session"]
    assert session["status"] == "starting" and session["avatarId"] == avatar["id"]
    assert session["agentId"] == agent["id"] and session["provider"] == "gemini"
    assert session["maxDuration"] == 600 and session["freemium"] is True
    verifier = livekit_api.TokenVerifier("devkey", "secret")
    consumer = verifier.verify(by_id["consumerAccessToken"])
    remote = verifier.verify(by_id["remoteAgentAccessToken"])
    assert consumer.identity == "user-1" and remote.identity == "bot-1"
    assert consumer.video.room == remote.video.room and consumer.video.room_join

    fly = seen["session_on_the_fly"]["session"]
    assert fly["avatar"]["identity"] == "fresh-avatar" and fly["agent"]["instructions"] == "Fresh agent."
    assert fly["agentId"] not in (None, agent["id"]) and fly["maxDuration"] == 3600

    assert seen["sessions_list"]["total"] == 2
    assert [s["id"] for s in seen["sessions_list_client"]["sessions"]] == [session["id"]]
    assert seen["session_get"]["id"] == session["id"]
    stopped = seen["session_stopped"]
    assert stopped["status"] == "ended" and stopped["endedAt"] is not None
    assert seen["second_stop"].startswith("EquosException")
    assert seen["async_sessions_total"] == 2 and seen["async_agent_name"] == "Guide 2"
    assert seen["avatar_deleted"]["id"] == avatar["id"] and seen["agent_deleted"]["id"] == agent["id"]
    assert seen["agents_after_delete"] == 1  # the agent made on the fly remains

    # Sessions count in the organization's usage, like conversations.
    usage = httpx.get(legacy_server.url + "/v3/organizations/freemium-usage", headers={"x-api-key": key})
    assert float(usage.text) > 0
