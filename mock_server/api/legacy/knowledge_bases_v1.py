"""/v1/knowledge-bases (legacy): the v3 knowledge-base operations under the path the Node SDK 2.2.x calls.

The same operations, rules and state as /v3/knowledge-bases (a knowledge base made through one path
is seen, changed and deleted through the other); only the path and the operation id differ.

Facts (source: EquosAI/equos-node-sdk src/apis/knowledge-base.ts, src/types/knowledge-base.type.ts,
src/utils/http.utils.ts, src/utils/constants.utils.ts at eb50c46, tag v2.2.3, the last 2.x; the
knowledge-base API arrived at 2a01ea3, v2.2.0, and left with the other legacy services at a0dc003, 3.0.1):
- every call goes to ``{endpoint}/{version}{path}`` with ``version`` defaulting to ``v1`` and the key in
  ``x-api-key`` (axios ^1.11);
- ``create``: POST /knowledge-bases ``{name, description, client?}`` -> EquosKnowledgeBase;
- ``list(skip = 0, take = 10, client?)``: GET /knowledge-bases?skip=0&take=10[&client=...] ->
  ``{skip, take, total, items}``;
- ``get`` and ``delete``: GET and DELETE /knowledge-bases/{id} -> ``EquosKnowledgeBase | null``;
- ``createDocument``: POST /knowledge-bases/{id}/documents ``{name, description, mimeType}`` ->
  ``{document, uploadUrl, expireAt}``;
- ``indexDocument``: PATCH /knowledge-bases/{id}/documents/{documentId}/index with a ``null`` body
  (axios then sends none) -> EquosDocument;
- ``deleteDocument``: DELETE /knowledge-bases/{id}/documents/{documentId} -> ``EquosDocument | null``;
- EquosKnowledgeBase ``{id, organizationId, name, description, client?, documents, createdAt, updatedAt}``
  and EquosDocument ``{id, knowledgeBaseId, name, description, size, status, createdAt, updatedAt}``:
  the v3 shapes;
- an error surfaces the body's ``message`` (src/utils/error.utils.ts), so the API's envelope serves it.
Sessions name a knowledge base with ``knowledgeBase: {id}`` (src/types/session.type.ts at cc48c57).
"""

from __future__ import annotations

from dataclasses import replace

from ...catalog import KNOWLEDGE_BASES
from ..common import operations
from ..operation import Operation

V3_PREFIX, V1_PREFIX = "/v3/", "/v1/"


def _v1(op: Operation) -> Operation:
    return replace(op, path=V1_PREFIX + op.path.removeprefix(V3_PREFIX), operation_id=op.operation_id + "_v1")


OPERATIONS: tuple[Operation, ...] = tuple(_v1(op) for op in operations(KNOWLEDGE_BASES))
