"""Knowledge bases and documents: signed upload URLs, upload size, indexing."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from .. import errors
from ..clock import to_ms
from ..models.resources import (
    CreateDocumentRequest,
    CreateDocumentResponse,
    CreateKnowledgeBaseRequest,
    EquosDocument,
    EquosKnowledgeBase,
)
from ..runtime import Runtime
from ..store import Organization

# Document status values of the mock (the API publishes none).
PENDING, UPLOADED, READY = "pending", "uploaded", "ready"


def create_knowledge_base(rt: Runtime, org: Organization, body: CreateKnowledgeBaseRequest
                          ) -> EquosKnowledgeBase:
    now = rt.now(org)
    kb = EquosKnowledgeBase(id=rt.new_id("knowledge_base"), organizationId=org.id, documents=[],
                            createdAt=now, updatedAt=now, **body.model_dump())
    org.knowledge_bases.add(kb)
    return kb


def with_documents(org: Organization, kb: EquosKnowledgeBase) -> EquosKnowledgeBase:
    """A knowledge base as reads (and its delete) show it: with its documents, oldest first."""
    docs = org.documents.matching("knowledgeBaseId", kb.id)
    docs.sort(key=lambda d: (d.createdAt, d.id))
    return kb.model_copy(update={"documents": docs})


def _sign(rt: Runtime, org_id: str, doc_id: str, expires_ms: int) -> str:
    message = f"{org_id}:{doc_id}:{expires_ms}".encode()
    return hmac.new(rt.upload_secret, message, hashlib.sha256).hexdigest()


def add_document(rt: Runtime, org: Organization, kb_id: str, body: CreateDocumentRequest, upload_base: str
                 ) -> CreateDocumentResponse:
    if kb_id not in org.knowledge_bases:
        raise errors.not_found(f"knowledge base {kb_id} not found in this organization")
    now = rt.now(org)
    doc = EquosDocument(id=rt.new_id("document"), knowledgeBaseId=kb_id, name=body.name,
                        description=body.description, size=0, status=PENDING, createdAt=now, updatedAt=now)
    org.documents.add(doc)
    expire_at = now + timedelta(seconds=rt.settings.upload_ttl_seconds)
    expires_ms = to_ms(expire_at)
    url = (f"{upload_base.rstrip('/')}/{org.id}/{doc.id}"
           f"?expires={expires_ms}&signature={_sign(rt, org.id, doc.id, expires_ms)}")
    return CreateDocumentResponse(document=doc, uploadUrl=url, expireAt=expire_at)


def check_upload(rt: Runtime, org_id: str, doc_id: str, expires: str, signature: str
                 ) -> tuple[Organization, EquosDocument]:
    """Authorize an upload by its URL alone, as a pre-signed storage URL would."""
    try:
        expires_ms = int(expires)
    except ValueError:
        raise errors.ApiError(403, "upload URL signature does not match") from None
    expected = _sign(rt, org_id, doc_id, expires_ms)
    if not hmac.compare_digest(expected, signature):
        raise errors.ApiError(403, "upload URL signature does not match")
    org = rt.store.organizations.get(org_id)
    doc = org.documents.get(doc_id) if org is not None else None
    if org is None or doc is None:
        raise errors.not_found(f"document {doc_id} not found")
    if rt.clock_for(org).now_ms() > expires_ms:
        raise errors.ApiError(403, "upload URL has expired")
    return org, doc


def still_there(rt: Runtime, org: Organization, doc: EquosDocument) -> EquosDocument:
    """After an upload's body arrived: its document as it stands now, or a 409 if it, its knowledge base
    or its organization was deleted meanwhile (the bytes are then not kept)."""
    current = org.documents.get(doc.id) if rt.store.organizations.get(org.id) is org else None
    if current is None or current.knowledgeBaseId not in org.knowledge_bases:
        raise errors.conflict(f"document {doc.id} was deleted during its upload; nothing was stored")
    return current


def kb_bytes(org: Organization, kb_id: str, except_doc: str | None = None) -> int:
    return int(sum(d.size for d in org.documents.matching("knowledgeBaseId", kb_id) if d.id != except_doc))


def record_upload(rt: Runtime, org: Organization, doc: EquosDocument, size: int) -> EquosDocument:
    used = kb_bytes(org, doc.knowledgeBaseId, except_doc=doc.id)
    if used + size > rt.settings.upload_limit_bytes:
        raise errors.payload_too_large(rt.settings.upload_limit_bytes - used)
    return org.documents.replace(doc.model_copy(update={"size": size, "status": UPLOADED, "updatedAt": rt.now(org)}))


def index_document(rt: Runtime, org: Organization, kb_id: str, doc_id: str) -> EquosDocument:
    doc = _document(org, kb_id, doc_id)
    if doc.status == PENDING:
        raise errors.bad_request([f"document {doc_id} has not been uploaded yet"])
    return org.documents.replace(doc.model_copy(update={"status": READY, "updatedAt": rt.now(org)}))


def delete_document(org: Organization, kb_id: str, doc_id: str) -> EquosDocument:
    doc = _document(org, kb_id, doc_id)
    org.documents.remove(doc.id)
    return doc


def _document(org: Organization, kb_id: str, doc_id: str) -> EquosDocument:
    doc = org.documents.get(doc_id)
    if doc is None or doc.knowledgeBaseId != kb_id:
        raise errors.not_found(f"document {doc_id} not found in knowledge base {kb_id}")
    return doc
