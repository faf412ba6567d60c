"""/v3/organizations usage and /v3/health."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.responses import Response

from ..domain import organization_usage
from ..models.common import ClientTag, HealthResponse
from .operation import JSON_TYPE, Call, Operation

USAGE_SCHEMA = {"type": "number", "description": "Seconds of conversation, as a bare number."}


class UserUsageQuery(BaseModel):
    client: ClientTag = Field(min_length=1, description="The client tag whose usage to sum.")


def health(call: Call) -> Any:
    """``degraded`` (still a 200) while the data directory refuses writes: reads keep working."""
    persistence = getattr(call.request.app.state, "persistence", None)
    if persistence is not None and not persistence.healthy():
        body = HealthResponse(status="degraded", version="1.0.0").model_dump_json()
        return Response(body, 200, {"x-mock-storage": str(persistence.problem)}, media_type=JSON_TYPE)
    return HealthResponse(status="ok", version="1.0.0")


OPERATIONS = (
    Operation("GET", "/v3/health", "healthCheck", "Check the API's health.", "health", health,
              response=HealthResponse, auth=False),
    Operation("GET", "/v3/organizations/freemium-usage", "getFreemiumUsage",
              "Seconds used by the organization's conversations.", "organization",
              lambda call: organization_usage.seconds_used(call.runtime, call.org), response=USAGE_SCHEMA),
    Operation("GET", "/v3/organizations/user-usage", "getUserUsage",
              "Get per-user billing cycle usage: seconds used by one client tag.", "organization",
              lambda call: organization_usage.seconds_used(call.runtime, call.org, call.query.client),
              query=UserUsageQuery, response=USAGE_SCHEMA),
)
