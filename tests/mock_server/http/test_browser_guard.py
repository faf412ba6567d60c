"""http/browser_guard.py: a browser's /_mock/ request needs the inspector page's token (issue 19).

Browsers mark every request with Sec-Fetch-* (and Origin on writes); a script can neither forge nor
drop them. Without the page token such a request is refused, same origin or not; the page itself is
handed only to a top-level navigation. Tools that send no such header are unaffected.
"""

from __future__ import annotations

import re

import httpx
import pytest

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.settings import Settings

SAME_ORIGIN_FETCH = {"sec-fetch-site": "same-origin", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty"}
NAVIGATION = {"sec-fetch-site": "none", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}


@pytest.fixture
def http() -> httpx.Client:
    return asgi_client(create_app(Settings()), raise_app_exceptions=True)


def token_of(page: httpx.Response) -> str:
    found = re.search(r'<meta name="equos-mock-page" content="([A-Za-z0-9_-]{40,})">', page.text)
    assert found, page.text[:400]
    return found.group(1)


def refused(reply: httpx.Response) -> bool:
    return reply.status_code == 403 and "inspector page" in str(reply.json()["message"])


def test_a_same_origin_script_without_the_token_is_refused(http: httpx.Client) -> None:
    http.get("/v3/brains", headers={"x-api-key": "sk_guarded"})
    for method, path in (("GET", "/_mock/state"), ("GET", "/_mock/organizations"), ("GET", "/_mock/journal"),
                         ("GET", "/_mock/changes"), ("POST", "/_mock/reset"), ("POST", "/_mock/faults"),
                         ("PUT", "/_mock/assumptions"), ("DELETE", "/_mock/organizations/x")):
        for extra in ({}, {"x-mock-page": "guess"}, {"x-mock-page": ""}):
            reply = http.request(method, path, headers={**SAME_ORIGIN_FETCH, "origin": "http://localhost", **extra},
                                 json={} if method in ("POST", "PUT") else None)
            assert refused(reply), (method, path, extra, reply.status_code, reply.text)
        # Origin alone (a browser without Sec-Fetch-*), or Sec-Fetch-* alone, marks a browser too.
        assert refused(http.request(method, path, headers={"origin": "http://localhost"}))
        assert refused(http.request(method, path, headers={"sec-fetch-site": "same-origin"}))
    assert http.get("/_mock/organizations").json()  # nothing was reset


def test_the_inspector_page_token_lets_its_calls_through(http: httpx.Client) -> None:
    page = http.get("/_mock/ui", headers={**NAVIGATION, "sec-fetch-site": "same-origin"})
    assert page.status_code == 200
    token = {"x-mock-page": token_of(page), **SAME_ORIGIN_FETCH, "origin": "http://localhost"}
    assert http.get("/_mock/changes", headers=token).status_code == 200
    assert http.post("/_mock/reset", json={}, headers=token).status_code == 200


def test_the_page_is_only_a_top_level_document(http: httpx.Client) -> None:
    page = http.get("/_mock/ui", headers=NAVIGATION)
    assert page.headers["cross-origin-opener-policy"] == "same-origin"  # a pop-up's opener gets no handle
    assert page.headers["cache-control"] == "no-store"  # no cached copy for a script to read
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cross-origin-resource-policy"] == "same-origin"
    for dest in ("empty", "iframe", "frame", "object", "embed", "script", "style", "worker"):
        reply = http.get("/_mock/ui", headers={**NAVIGATION, "sec-fetch-site": "same-origin", "sec-fetch-dest": dest})
        assert reply.status_code == 403 and token_of(page) not in reply.text, dest
    prefetch = http.get("/_mock/ui", headers={**NAVIGATION, "sec-purpose": "prefetch"})
    assert prefetch.status_code == 403


def test_the_static_files_and_a_typed_url_need_no_token(http: httpx.Client) -> None:
    for path in ("/_mock/ui/app.js", "/_mock/ui/app.css"):
        reply = http.get(path, headers={"sec-fetch-site": "same-origin", "sec-fetch-dest": "script"})
        assert reply.status_code == 200 and reply.headers["cross-origin-resource-policy"] == "same-origin"
    # A person typing /_mock/state into the address bar reads it; no page can send Sec-Fetch-Site: none.
    assert http.get("/_mock/state", headers=NAVIGATION).status_code == 200
    assert refused(http.post("/_mock/reset", json={}, headers=NAVIGATION))
    assert refused(http.get("/_mock/state", headers={**NAVIGATION, "sec-fetch-site": "same-origin"}))


def test_tools_outside_a_browser_are_unaffected(http: httpx.Client) -> None:
    assert http.get("/_mock/state").status_code == 200
    assert http.post("/_mock/reset", json={}).status_code == 200
    node_fetch = {"sec-fetch-mode": "cors", "user-agent": "node", "accept-language": "*"}  # what undici sends
    assert http.post("/_mock/reset", json={}, headers=node_fetch).status_code == 200


def test_each_server_has_its_own_token_and_nothing_else_shows_it() -> None:
    apps = [asgi_client(create_app(Settings()), raise_app_exceptions=True) for _ in range(2)]
    tokens = [token_of(client.get("/_mock/ui")) for client in apps]
    assert tokens[0] != tokens[1]
    assert refused(apps[1].get("/_mock/state", headers={**SAME_ORIGIN_FETCH, "x-mock-page": tokens[0]}))
    client = apps[0]
    client.get("/v3/brains", headers={"x-api-key": "sk_guarded", "x-mock-page": tokens[0]})
    for path in ("/_mock/state", "/_mock/organizations", "/_mock/journal", "/_mock/changes", "/_mock/ui/app.js",
                 "/docs/v3", "/docs/v3-json", "/v3/health"):
        assert tokens[0] not in client.get(path).text, path


def test_with_a_control_token_both_are_needed() -> None:
    http = asgi_client(create_app(Settings(control_token="t0ken")), raise_app_exceptions=True)
    page = {"x-mock-page": token_of(http.get("/_mock/ui")), **SAME_ORIGIN_FETCH}
    assert http.get("/_mock/changes", headers=page).status_code == 401
    assert http.get("/_mock/changes", headers={**page, "x-mock-token": "t0ken"}).status_code == 200
    assert refused(http.get("/_mock/changes", headers={**SAME_ORIGIN_FETCH, "x-mock-token": "t0ken"}))
