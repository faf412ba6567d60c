"""/v1/limits and /v1/health (legacy)."""

from ...domain.legacy import limits
from ...models.common import HealthResponse
from ...models.sessions import EquosLimitResponse
from ..operation import Operation
from ..organizations import health

LIMITS = Operation("GET", "/v1/limits", "LimitsController_limit_v1",
                   "The organization's limits, or null if none set.", "limits",
                   lambda call: limits.describe(call.runtime, call.org), response=EquosLimitResponse, nullable=True)
HEALTH = Operation("GET", "/v1/health", "HealthController_check_v1", "Check the API's health.", "health", health,
                   response=HealthResponse, auth=False)
