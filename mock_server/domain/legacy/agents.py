"""Legacy agents: create, update (PUT with id and organizationId in the body), archive."""

from __future__ import annotations

from ... import errors
from ...models.agents import CreateEquosAgentRequest, EquosAgent, UpdateEquosAgentRequest
from ...runtime import Runtime
from ...store import Organization


def create_agent(rt: Runtime, org: Organization, body: CreateEquosAgentRequest) -> EquosAgent:
    now = rt.now(org)
    agent = EquosAgent(id=rt.new_id("agent"), organizationId=org.id, createdAt=now, updatedAt=now,
                       **body.model_dump())
    return org.agents.add(agent)


def check_body_ids(org: Organization, path_id: str, body_id: str, organization_id: str) -> None:
    """The legacy PUT bodies repeat the id and organizationId; they must name what the path names."""
    messages = []
    if body_id != path_id:
        messages.append("id must match the id in the path")
    if organization_id != org.id:
        messages.append("organizationId must be the caller's organization")
    if messages:
        raise errors.bad_request(messages)


def update_agent(rt: Runtime, org: Organization, agent_id: str, body: UpdateEquosAgentRequest
                 ) -> EquosAgent | None:
    agent = org.agents.get(agent_id)
    if agent is None:
        return None
    check_body_ids(org, agent_id, body.id, body.organizationId)
    # Absent keys are kept and an explicit null clears (the legacy SDKs drop None values).
    changes = body.model_dump(exclude_unset=True, exclude={"id", "organizationId"})
    for flag in ("search", "emotions", "memory"):
        if flag in changes and changes[flag] is None:
            raise errors.bad_request([f"{flag} must be a boolean value"])
    return org.agents.replace(agent.model_copy(update={**changes, "updatedAt": rt.now(org)}))


def archive_agent(rt: Runtime, org: Organization, agent_id: str) -> EquosAgent | None:
    """Archive (the mock's soft delete): the agent vanishes and avatars linked to it are unlinked."""
    agent = org.agents.remove(agent_id)
    if agent is None:
        return None
    now = rt.now(org)
    for avatar in org.avatars.values():
        if avatar.agentId == agent_id:
            org.avatars.replace(avatar.model_copy(update={"agentId": None, "updatedAt": now}))
    return agent
