"""Issue 23, class 8: a document's lifecycle walked to its end, every view agreeing at each step.

Upload URL (``expireAt`` in the future, within 7 days: the longest a pre-signed S3 or GCS URL may
live), the upload itself (the URL takes the bytes; the document's size becomes their length), then
indexing (the status moves on; a document never uploaded is not made ready)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from . import strategies as gen
from .api import PATHS, create, ts
from .options import is_loopback
from .target import Target

RULE = "lifecycle.document"
UPLOAD_WINDOW = (timedelta(seconds=60), timedelta(days=7))


def _put(target: Target, url: str, content: bytes, mime: str) -> int:
    """PUT the bytes to the upload URL: the target's own client for its own origin, else a plain one
    (a live run only: the storage of a real API)."""
    headers = {"content-type": mime}
    if url.startswith(target.base_url) or target.in_process:
        return target.http.request("PUT", url, content=content, headers=headers).status_code
    if not (target.live or is_loopback(url)):
        return -1
    with httpx.Client(timeout=30.0) as client:
        return client.put(url, content=content, headers=headers).status_code


def _listed(target: Target, kb_id: str, doc_id: str) -> list[dict[str, Any]]:
    """The document as the knowledge base's get and its client's list show it."""
    kb = target.get(f"{PATHS['knowledge_bases']}/{kb_id}").json()
    seen = [d for d in kb.get("documents") or [] if d.get("id") == doc_id]
    listed = target.get(PATHS["knowledge_bases"], params={"client": kb["client"], "take": 50}).json()
    for item in listed["items"]:
        if item["id"] == kb_id:
            seen += [d for d in item.get("documents") or [] if d.get("id") == doc_id]
    return seen


def test_document_lifecycle(equos_target: Target) -> None:
    target = equos_target

    @given(st.data())
    def run(data: st.DataObject) -> None:
        with target.example() as ex:
            kb = create(target, ex, "knowledge_bases", data.draw(gen.knowledge_base(ex.tag), label="kb")).json()
            base = f"{PATHS['knowledge_bases']}/{kb['id']}/documents"
            body = data.draw(gen.document(), label="document")
            added = target.post(base, body)
            target.rule(RULE, added.status == 201, f"add document answered {added.status}", "addDocument")
            reply = added.json()
            doc = reply["document"]
            target.rule(RULE, all(doc.get(k) == body[k] for k in ("name", "description")) and
                        doc.get("knowledgeBaseId") == kb["id"], f"document {doc} is not what was sent", "addDocument")
            left = ts(reply["expireAt"]) - ts(doc["createdAt"])
            target.rule(RULE, UPLOAD_WINDOW[0] <= left <= UPLOAD_WINDOW[1],
                        f"expireAt {reply['expireAt']} is {left} after the document's createdAt "
                        f"{doc['createdAt']}: outside {UPLOAD_WINDOW[0]}..{UPLOAD_WINDOW[1]}", "addDocument")
            # Indexing a document that was never uploaded does not make it ready.
            early = target.post(base, data.draw(gen.document(), label="never uploaded")).json()["document"]
            premature = target.request("PATCH", f"{base}/{early['id']}/index")
            content = data.draw(st.binary(min_size=1, max_size=2048), label="bytes")
            status = _put(target, reply["uploadUrl"], content, body["mimeType"])
            target.rule(RULE, 200 <= status < 300, f"the upload URL answered {status} to a PUT of {len(content)} "
                                                   f"bytes", "addDocument")
            uploaded = _listed(target, kb["id"], doc["id"])
            target.rule(RULE, len(uploaded) == 2 and all(d.get("size") == len(content) for d in uploaded),
                        f"after uploading {len(content)} bytes the views show {uploaded}", "getKnowledgeBase")
            indexed = target.request("PATCH", f"{base}/{doc['id']}/index")
            target.rule(RULE, indexed.status == 200 and not indexed.is_null, f"index answered {indexed.status}",
                        "indexDocument")
            final = indexed.json()
            target.rule(RULE, final.get("status") != uploaded[0].get("status"),
                        f"indexing left the document {final.get('status')}", "indexDocument")
            seen = _listed(target, kb["id"], doc["id"])
            target.rule(RULE, len(seen) == 2 and all(d.get("status") == final.get("status") and
                                                    d.get("size") == len(content) for d in seen),
                        f"indexed as {final.get('status')}, the views show {seen}", "getKnowledgeBase")
            target.rule(RULE, 400 <= premature.status < 500 or premature.json().get("status") != final.get("status"),
                        f"a document never uploaded was indexed: {premature.status} {premature.content[:120]!r}",
                        "indexDocument")
            gone = target.request("DELETE", f"{base}/{doc['id']}")
            target.rule(RULE, gone.status == 200 and _listed(target, kb["id"], doc["id"]) == [],
                        f"the deleted document is still listed ({gone.status})", "deleteDocument")

    run()
