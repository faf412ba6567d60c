"""/v3/voices: Gemini Live voices; one live voice per identity and organization."""

from ..domain import resources
from ..models.resources import CreateEquosVoiceRequest, EquosVoice, ListEquosVoicesResponse
from .common import delete_operation, get_operation, list_operation
from .operation import Operation

PATH, TAG = "/v3/voices", "voice"

OPERATIONS = (
    list_operation(path=PATH, tag=TAG, operation_id="listVoices", summary="List Equos Voices.",
                   collection="voices", key="voices", response=ListEquosVoicesResponse),
    get_operation(path=PATH, tag=TAG, operation_id="getVoice", summary="Get Equos Voice by ID.",
                  collection="voices", response=EquosVoice),
    Operation("POST", PATH, "createVoice", "Create a new Equos Voice (409 if the identity exists).", TAG,
              lambda call: resources.create_voice(call.runtime, call.org, call.body),
              status=201, body=CreateEquosVoiceRequest, response=EquosVoice),
    Operation("PATCH", PATH + "/{id}", "updateVoice", "Update an Equos Voice (full body).", TAG,
              lambda call: resources.update_voice(call.runtime, call.org, call.params["id"], call.body),
              body=CreateEquosVoiceRequest, response=EquosVoice, nullable=True),
    delete_operation(path=PATH, tag=TAG, operation_id="deleteVoice", summary="Delete an Equos Voice.",
                     collection="voices", response=EquosVoice),
)
