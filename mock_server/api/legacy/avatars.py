"""/v1/avatars (legacy): CRUD with a base64 reference image, PUT update, DELETE archives.

The kept image is served at ``thumbnailUrl`` (``/_media/avatars/{org}/{id}``, no key needed, as an
``<img>`` cannot send one), inert (``media.user_bytes``): an SVG or any other declared type is an attachment.
"""

from starlette.requests import Request
from starlette.responses import Response

from ... import errors
from ...domain.legacy import avatars
from ...models.avatars import (
    DATA_URL_MAX,
    AvatarRecord,
    CreateEquosAvatarRequest,
    EquosAvatar,
    ListEquosAvatarsResponse,
    UpdateEquosAvatarRequest,
)
from ..common import get_operation, list_operation
from ..media import thumbnail_base, user_bytes
from ..operation import Call, Operation

PATH, TAG = "/v1/avatars", "avatars"
# A 5 MB image is ~7 MB of base64: these bodies may exceed the app's default limit.
IMAGE_BODY_BYTES = DATA_URL_MAX


def _populated(call: Call, record: AvatarRecord) -> EquosAvatar:
    return avatars.populate(call.org, record)


OPERATIONS = (
    Operation("POST", PATH, "AvatarController_create_v1", "Create an avatar from a reference image.", TAG,
              lambda call: avatars.create_avatar(call.runtime, call.org, call.body, thumbnail_base(call.request)),
              status=201, body=CreateEquosAvatarRequest, response=EquosAvatar, max_body_bytes=IMAGE_BODY_BYTES),
    list_operation(path=PATH, tag=TAG, operation_id="AvatarController_list_v1", summary="List avatars.",
                   collection="avatars", key="avatars", response=ListEquosAvatarsResponse, shape=_populated),
    get_operation(path=PATH, tag=TAG, operation_id="AvatarController_getById_v1", summary="Get an avatar by ID.",
                  collection="avatars", response=EquosAvatar, shape=_populated),
    Operation("PUT", PATH + "/{id}", "AvatarController_update_v1",
              "Update an avatar (refImage optional: absent keeps the image).", TAG,
              lambda call: avatars.update_avatar(call.runtime, call.org, call.params["id"], call.body),
              body=UpdateEquosAvatarRequest, response=EquosAvatar, nullable=True, max_body_bytes=IMAGE_BODY_BYTES),
    Operation("DELETE", PATH + "/{id}", "AvatarController_archive_v1", "Archive an avatar.", TAG,
              lambda call: avatars.archive_avatar(call.runtime, call.org, call.params["id"]),
              response=EquosAvatar, nullable=True),
)


async def thumbnail(request: Request) -> Response:
    runtime = request.app.state.runtime
    org = runtime.store.organizations.get(request.path_params["org"])
    found = avatars.image(org, request.path_params["avatar"]) if org is not None else None
    if found is None:
        return errors.not_found("avatar image not found").response()
    mime, content = found
    return user_bytes(content, mime, {"Cache-Control": "private, max-age=60"})
