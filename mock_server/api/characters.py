"""/v3/characters: face, voice, brain and knowledge base under one LiveKit identity."""

from .. import errors
from ..domain import characters
from ..models.characters import (
    CreateEquosCharacterRequest,
    EquosCharacter,
    ListEquosCharactersResponse,
    UpdateEquosCharacterRequest,
)
from .common import delete_operation, get_operation, list_operation
from .operation import Call, Operation

PATH, TAG = "/v3/characters", "character"


def _populated(call: Call, character: EquosCharacter) -> EquosCharacter:
    return characters.populate(call.org, character)


def _update(call: Call) -> EquosCharacter:
    updated = characters.update_character(call.runtime, call.org, call.params["id"], call.body)
    if updated is None:
        raise errors.not_found(f"character {call.params['id']} not found")
    return updated


OPERATIONS = (
    list_operation(path=PATH, tag=TAG, operation_id="listCharacters", summary="List Equos Characters.",
                   collection="characters", key="characters", response=ListEquosCharactersResponse,
                   shape=_populated),
    get_operation(path=PATH, tag=TAG, operation_id="getCharacter",
                  summary="Get an Equos Character by ID, with face, voice, brain and knowledge base.",
                  collection="characters", response=EquosCharacter, shape=_populated),
    Operation("POST", PATH, "createCharacter", "Create a new Equos Character.", TAG,
              lambda call: characters.create_character(call.runtime, call.org, call.body),
              status=201, body=CreateEquosCharacterRequest, response=EquosCharacter),
    # Not nullable in the real spec (unlike every other update): an unknown id is a 404.
    Operation("PUT", PATH + "/{id}", "updateCharacter", "Update an Equos Character (partial; null clears).",
              TAG, _update, body=UpdateEquosCharacterRequest, response=EquosCharacter),
    delete_operation(path=PATH, tag=TAG, operation_id="deleteCharacter", summary="Delete an Equos Character.",
                     collection="characters", response=EquosCharacter),
)
