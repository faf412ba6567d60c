"""/v3/faces: gallery faces; one live face per identity and organization."""

from ..domain import resources
from ..models.resources import CreateEquosFaceRequest, EquosFace, ListEquosFacesResponse
from .common import delete_operation, get_operation, list_operation
from .operation import Operation

PATH, TAG = "/v3/faces", "face"

OPERATIONS = (
    list_operation(path=PATH, tag=TAG, operation_id="listFaces", summary="List Equos Faces.",
                   collection="faces", key="faces", response=ListEquosFacesResponse),
    get_operation(path=PATH, tag=TAG, operation_id="getFace", summary="Get Equos Face by ID.",
                  collection="faces", response=EquosFace),
    Operation("POST", PATH, "createFace", "Create a new Equos Face (409 if the identity exists).", TAG,
              lambda call: resources.create_face(call.runtime, call.org, call.body),
              status=201, body=CreateEquosFaceRequest, response=EquosFace),
    delete_operation(path=PATH, tag=TAG, operation_id="deleteFace", summary="Delete an Equos Face.",
                     collection="faces", response=EquosFace),
)
