"""/v3/knowledge-bases' own operations (their documents), plus the mock's own upload endpoint.

List, get, create and delete are generated from the declaration (see ``catalog``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..domain import knowledge
from ..models.resources import (
    CreateDocumentRequest,
    CreateDocumentResponse,
    EquosDocument,
)
from ..runtime import Runtime
from .media import upload_base
from .operation import JSON_TYPE, Call, Operation, count_body

PATH, TAG = "/v3/knowledge-bases", "knowledge-base"


def _add_document(call: Call) -> CreateDocumentResponse:
    return knowledge.add_document(call.runtime, call.org, call.params["id"], call.body, upload_base(call.request))


DOCUMENT_OPERATIONS = (
    Operation("POST", PATH + "/{id}/documents", "addDocument",
              "Add a document: returns a signed uploadUrl to PUT its bytes to before expireAt.", TAG,
              _add_document, status=201, body=CreateDocumentRequest, response=CreateDocumentResponse),
    Operation("PATCH", PATH + "/{id}/documents/{doc}/index", "indexDocument",
              "Index an uploaded document.", TAG,
              lambda call: knowledge.index_document(call.runtime, call.org, call.params["id"], call.params["doc"]),
              response=EquosDocument),
    Operation("DELETE", PATH + "/{id}/documents/{doc}", "deleteDocument", "Delete a document.", TAG,
              lambda call: knowledge.delete_document(call.org, call.params["id"], call.params["doc"]),
              response=EquosDocument),
)


async def upload(request: Request) -> Response:
    """PUT the bytes of a document to its signed URL (any content type; the size is recorded)."""
    runtime: Runtime = request.app.state.runtime
    try:
        org, doc = knowledge.check_upload(
            runtime, request.path_params["org"], request.path_params["doc"],
            request.query_params.get("expires", ""), request.query_params.get("signature", ""))
        limit = runtime.settings.upload_limit_bytes - knowledge.kb_bytes(org, doc.knowledgeBaseId, doc.id)
        size = await count_body(request, max(limit, 0))  # counted as it streams in, never held
        doc = knowledge.still_there(runtime, org, doc)  # other requests ran while the body arrived
        updated = knowledge.record_upload(runtime, org, doc, size)
    except errors.ApiError as exc:
        return exc.response()
    return Response(updated.model_dump_json(), 200, media_type=JSON_TYPE)
