"""A browser reaches the control plane only through the inspector page: same origin is not enough.

The host guard (``host_guard.py``) refuses other hosts and other origins. It cannot refuse a script
that runs in the mock's own origin: same Host, same Origin, any header it likes. The mock serves
bytes users stored from that origin (avatar images), inert (``api/media.py``); this guard is the
second wall, should anything ever run there.

A request from a browser (it carries ``Sec-Fetch-Site`` or ``Origin``: browsers set them, and a
script can neither set nor remove them) to ``/_mock/`` must carry ``x-mock-page``: a per-server
token written into the inspector page and nowhere else. A script in the origin cannot read it:

- the page is given to a browser only as a top-level document (``Sec-Fetch-Dest: document``), so a
  ``fetch`` or a frame of it is refused (and ``frame-ancestors 'none'`` refuses the frame anyway);
- it is sent with ``Cross-Origin-Opener-Policy: same-origin``, so a page that opens it in a pop-up
  gets no handle on its document;
- and with ``Cache-Control: no-store``, so no cached copy is there to be read; the page keeps the
  token in memory only (never in storage another page of the origin could read).

``Sec-Fetch-Mode`` alone does not mark a browser: Node's built-in ``fetch`` sends it too. Browsers
always send ``Sec-Fetch-Site`` with it (Chromium 76+, Firefox 90+, Safari 16.4+).

Two browser requests need no token: the inspector's two static files (no secret in them), and a
GET that a person typed or bookmarked (``Sec-Fetch-Site: none``, a navigation: no page can make
one). Tools (curl, the SDKs, ``MockControl``, the pytest plugin) send neither header: nothing
changes for them, and ``--control-token`` still applies to everyone.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from starlette.types import Scope

PAGE_HEADER = "x-mock-page"


class BrowserGuard:
    """403 in the envelope for a browser's /_mock/ request without the inspector page's token (asked by the
    request pipeline, ``http/pipeline.py``, right after the host guard)."""

    def __init__(self, token: str, page: str, assets: Iterable[str]):
        self.token = token.encode()
        self.page = page
        self.assets = frozenset(assets)

    def refusal(self, scope: Scope) -> str | None:
        headers = dict(scope["headers"])
        site, dest = headers.get(b"sec-fetch-site"), headers.get(b"sec-fetch-dest")
        if site is None and dest is None and b"origin" not in headers:
            return None  # not a browser: a tool, a test, an SDK
        path = scope["path"]
        if path == self.page:
            if dest in (None, b"document") and b"sec-purpose" not in headers:  # not a prefetch either
                return None
            return "the inspector opens as a page of its own (a top-level navigation), never in a frame or a fetch"
        if path in self.assets:
            return None
        if (site == b"none" and headers.get(b"sec-fetch-mode") == b"navigate"
                and scope["method"] in ("GET", "HEAD")):
            return None  # typed into the address bar or bookmarked: no page can send this
        given = headers.get(PAGE_HEADER.encode(), b"")
        if given and hmac.compare_digest(given, self.token):
            return None
        return (f"a browser may call the control plane only from the inspector page (/_mock/ui), which sends "
                f"{PAGE_HEADER}; reload that page if the server restarted. Tools outside a browser need no such "
                "header")

