"""The mock's own URLs outside the API: signed document uploads and avatar thumbnails, and the one rule
for serving bytes a user supplied: inert.

The domain builds a URL under a base it is given; the paths (routes) are the API layer's. Whatever a
user stored is served back under ``USER_CONTENT_PREFIXES`` only, through ``user_bytes``; a middleware
(``http/user_content.py``) holds every reply under those prefixes to the same rule, so a route added
later cannot forget it. Inert means: a raster image type from an allow-list, else
``application/octet-stream`` as an attachment; ``nosniff``; and a CSP that forbids everything and
sandboxes the document (an opaque origin: even a browser that ran a script there would not be the
mock's origin, and its requests would carry ``Origin: null``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

UPLOAD_PATH = "/_uploads"  # PUT {UPLOAD_PATH}/{org}/{doc}?expires=&signature=
THUMBNAIL_PATH = "/_media/avatars"  # GET {THUMBNAIL_PATH}/{org}/{avatar}
USER_CONTENT_PREFIXES = ("/_media/", UPLOAD_PATH + "/")

# Raster images only: an <img> needs them, and no browser runs anything in them. SVG is not raster.
RASTER_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"})
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
OPAQUE_TYPE = "application/octet-stream"
INERT_POLICY = "default-src 'none'; sandbox"
INERT_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": INERT_POLICY}


def raster_type(declared: str) -> str | None:
    """The allowed raster type ``declared`` names (parameters dropped), or None."""
    name = declared.split(";")[0].strip().lower()
    name = _ALIASES.get(name, name)
    return name if name in RASTER_TYPES else None


def inert_headers(declared: str) -> dict[str, str]:
    """Content type and the headers that keep a reply of user bytes from running as anything."""
    served = raster_type(declared)
    if served is None:
        return {**INERT_HEADERS, "Content-Type": OPAQUE_TYPE, "Content-Disposition": "attachment"}
    return {**INERT_HEADERS, "Content-Type": served}


def user_bytes(content: bytes, declared: str, headers: dict[str, str] | None = None) -> Response:
    """The one responder for bytes a user stored, whatever type they declared for them."""
    return Response(content, headers={**(headers or {}), **inert_headers(declared)})


def upload_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + UPLOAD_PATH


def thumbnail_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + THUMBNAIL_PATH
