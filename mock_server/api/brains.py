"""/v3/brains: the prompt (instructions) and first message of a character."""

from ..domain import resources
from ..models.resources import CreateEquosBrainRequest, EquosBrain, ListEquosBrainsResponse
from .common import delete_operation, get_operation, list_operation
from .operation import Operation

PATH, TAG = "/v3/brains", "brain"

OPERATIONS = (
    list_operation(path=PATH, tag=TAG, operation_id="listBrains", summary="List Equos Brains.",
                   collection="brains", key="brains", response=ListEquosBrainsResponse),
    get_operation(path=PATH, tag=TAG, operation_id="getBrain", summary="Get Equos Brain by ID.",
                  collection="brains", response=EquosBrain),
    Operation("POST", PATH, "createBrain", "Create a new Equos Brain.", TAG,
              lambda call: resources.create_brain(call.runtime, call.org, call.body),
              status=201, body=CreateEquosBrainRequest, response=EquosBrain),
    Operation("PATCH", PATH + "/{id}", "updateBrain", "Update an Equos Brain (full body).", TAG,
              lambda call: resources.update_brain(call.runtime, call.org, call.params["id"], call.body),
              body=CreateEquosBrainRequest, response=EquosBrain, nullable=True),
    delete_operation(path=PATH, tag=TAG, operation_id="deleteBrain", summary="Delete an Equos Brain.",
                     collection="brains", response=EquosBrain),
)
