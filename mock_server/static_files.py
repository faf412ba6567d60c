"""Static files the mock serves from a package (the inspector page, Swagger UI): read, hashed and gzipped
once, then answered with an ETag, a 304 on a matching If-None-Match, and gzip when the client takes it.

The gzipped body has its own ETag (``"<hash>-gz"``): a cache must not hand it to a client that asked
without gzip.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    gzipped: bytes | None  # None for a file gzip cannot shrink (an image)
    media_type: str
    version: str  # a hash of the body: its ETag, and the ``?v=`` of fingerprinted links

    @classmethod
    def of(cls, body: bytes, media_type: str) -> StaticFile:
        gzipped = gzip.compress(body, 9, mtime=0) if media_type.startswith("text/") else None
        return cls(body, gzipped, media_type, hashlib.sha256(body).hexdigest()[:16])

    @classmethod
    def read(cls, path: Path, media_type: str) -> StaticFile:
        return cls.of(path.read_bytes(), media_type)

    def response(self, request: Request, headers: Mapping[str, str] | None = None) -> Response:
        """This file for ``request``: gzip if accepted, 304 if the client has it already."""
        zipped = self.gzipped is not None and accepts_gzip(request)
        etag = f'"{self.version}{"-gz" if zipped else ""}"'
        sent = {**(headers or {}), "ETag": etag, "X-Content-Type-Options": "nosniff"}
        if self.gzipped is not None:
            sent["Vary"] = "Accept-Encoding"
        if zipped:
            sent["Content-Encoding"] = "gzip"
        # If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x"; * matches any.
        known = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
        if etag in known or "*" in known:
            return Response(status_code=304, headers=sent)
        body = self.gzipped if zipped and self.gzipped is not None else self.body
        return Response(body, media_type=self.media_type, headers=sent)


def accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False
