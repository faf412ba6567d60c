"""/v1/agents (legacy): CRUD, PUT update with id and organizationId in the body, DELETE archives."""

from ...domain.legacy import agents
from ...models.agents import CreateEquosAgentRequest, EquosAgent, ListEquosAgentsResponse, UpdateEquosAgentRequest
from ..common import get_operation, list_operation
from ..operation import Operation

PATH, TAG = "/v1/agents", "agents"

OPERATIONS = (
    Operation("POST", PATH, "AgentController_create_v1", "Create an agent.", TAG,
              lambda call: agents.create_agent(call.runtime, call.org, call.body),
              status=201, body=CreateEquosAgentRequest, response=EquosAgent),
    list_operation(path=PATH, tag=TAG, operation_id="AgentController_list_v1", summary="List agents.",
                   collection="agents", key="agents", response=ListEquosAgentsResponse),
    get_operation(path=PATH, tag=TAG, operation_id="AgentController_getById_v1", summary="Get an agent by ID.",
                  collection="agents", response=EquosAgent),
    Operation("PUT", PATH + "/{id}", "AgentController_update_v1",
              "Update an agent (absent keys are kept, null clears).", TAG,
              lambda call: agents.update_agent(call.runtime, call.org, call.params["id"], call.body),
              body=UpdateEquosAgentRequest, response=EquosAgent, nullable=True),
    Operation("DELETE", PATH + "/{id}", "AgentController_archive_v1", "Archive an agent.", TAG,
              lambda call: agents.archive_agent(call.runtime, call.org, call.params["id"]),
              response=EquosAgent, nullable=True),
)
