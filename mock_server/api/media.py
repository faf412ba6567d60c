"""The mock's own URLs outside the API: signed document uploads and avatar thumbnails.

The domain builds a URL under a base it is given; the paths (routes) are the API layer's.
"""

from __future__ import annotations

from starlette.requests import Request

UPLOAD_PATH = "/_uploads"  # PUT {UPLOAD_PATH}/{org}/{doc}?expires=&signature=
THUMBNAIL_PATH = "/_media/avatars"  # GET {THUMBNAIL_PATH}/{org}/{avatar}


def upload_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + UPLOAD_PATH


def thumbnail_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + THUMBNAIL_PATH
