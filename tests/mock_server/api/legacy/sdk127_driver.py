"""Drive the mock with the legacy official SDK equos 1.2.7 (run with PYTHONPATH=<its folder>).

Usage: sdk127_driver.py BASE_URL API_KEY IMAGE_DATA_URL; prints one JSON object of what it saw.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys

import equos
import requests
from equos import (
    AgentProvider,
    CreateEquosAgentRequest,
    CreateEquosAvatarRequest,
    CreateEquosSessionRequest,
    Equos,
    EquosOptions,
    EquosParticipantIdentity,
    EquosResourceId,
    GeminiRealtimeModels,
    GeminiRealtimeVoices,
)
from equos.models.agent_models import UpdateEquosAgentRequest
from equos.models.avatar_models import UpdateEquosAvatarRequest
from equos.models.error_models import EquosException


def main() -> None:
    base_url, api_key, image = sys.argv[1:4]
    out: dict[str, object] = {"equos_file": equos.__file__}
    client = Equos(api_key, EquosOptions(endpoint=base_url))

    agent = client.agents.create(data=CreateEquosAgentRequest(
        provider=AgentProvider.gemini, name="Guide", client="tenant-1",
        model=GeminiRealtimeModels.gemini_2_5_flash_native_audio_09_2025, voice=GeminiRealtimeVoices.Puck,
        instructions="Be brief.", greetingMsg="Hi!", search=True))
    out["agent"] = agent.model_dump(mode="json")
    out["agents_list"] = client.agents.list().model_dump(mode="json")
    out["agent_get"] = client.agents.get(id=agent.id).model_dump(mode="json")
    updated = client.agents.update(data=UpdateEquosAgentRequest(
        id=agent.id, organizationId=agent.organizationId, provider=AgentProvider.gemini, name="Guide 2",
        voice=GeminiRealtimeVoices.Kore, memory=True))
    out["agent_updated"] = updated.model_dump(mode="json")

    avatar = client.avatars.create(data=CreateEquosAvatarRequest(
        identity="guide-avatar", name="Guide avatar", refImage=image, agentId=agent.id, client="tenant-1"))
    out["avatar"] = avatar.model_dump(mode="json")
    thumbnail = requests.get(avatar.thumbnailUrl, timeout=10)
    out["thumbnail"] = {"status": thumbnail.status_code, "type": thumbnail.headers.get("content-type"),
                        "base64": base64.b64encode(thumbnail.content).decode()}
    out["avatars_list"] = client.avatars.list(client="tenant-1").model_dump(mode="json")
    out["avatar_get"] = client.avatars.get(id=avatar.id).model_dump(mode="json")
    out["avatar_updated"] = client.avatars.update(data=UpdateEquosAvatarRequest(
        id=avatar.id, organizationId=avatar.organizationId, identity="guide-avatar", name="Renamed",
        agentId=agent.id)).model_dump(mode="json")

    by_id = client.sessions.create(data=CreateEquosSessionRequest(
        name="by id", client="tenant-1", agent=EquosResourceId(id=agent.id), avatar=EquosResourceId(id=avatar.id),
        consumerIdentity=EquosParticipantIdentity(identity="user-1", name="User One"),
        remoteAgentConnectingIdentity=EquosParticipantIdentity(identity="bot-1", name="Bot"), maxDuration=600))
    out["session_by_id"] = by_id.model_dump(mode="json")
    on_the_fly = client.sessions.create(data=CreateEquosSessionRequest(
        name="on the fly",
        agent=CreateEquosAgentRequest(provider=AgentProvider.gemini, instructions="Fresh agent."),
        avatar=CreateEquosAvatarRequest(identity="fresh-avatar", name="Fresh", refImage=image),
        consumerIdentity=EquosParticipantIdentity(identity="user-2", name="User Two")))
    out["session_on_the_fly"] = on_the_fly.model_dump(mode="json")
    out["sessions_list"] = client.sessions.list().model_dump(mode="json")
    out["sessions_list_client"] = client.sessions.list(client="tenant-1").model_dump(mode="json")
    out["session_get"] = client.sessions.get(id=by_id.session.id).model_dump(mode="json")
    out["session_stopped"] = client.sessions.stop(id=by_id.session.id).model_dump(mode="json")
    try:  # an ended session stops to "null": an empty body by default, on which 1.2.7 raises
        client.sessions.stop(id=by_id.session.id)
        out["second_stop"] = "returned"
    except EquosException as exc:
        out["second_stop"] = f"EquosException: {exc}"

    async def async_part() -> dict[str, object]:
        listed = await client.async_sessions.list(take=1)
        got = await client.async_agents.get(id=agent.id)
        return {"async_sessions_total": listed.total, "async_agent_name": got.name if got else None}

    out.update(asyncio.run(async_part()))

    out["avatar_deleted"] = client.avatars.delete(id=avatar.id).model_dump(mode="json")
    out["agent_deleted"] = client.agents.delete(id=agent.id).model_dump(mode="json")
    out["agents_after_delete"] = client.agents.list().total
    print(json.dumps(out))


if __name__ == "__main__":
    main()
