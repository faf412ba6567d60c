"""The indexed router sends any request where Starlette's router, scanning the same table, sends it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.routing import Route, Router

from mock_server import create_app
from mock_server.http.dispatch import IndexedRouter

TEMPLATES = [r.path for r in create_app().router.routes]
SEGMENTS = sorted({part for t in TEMPLATES for part in t.split("/") if part and "{" not in part}
                  | {"x", "abc-123", "running", ""})


class _Endpoint:
    """An ASGI app that says which route it is and the parameters it got."""

    def __init__(self, number: int):
        self.number = number

    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": f"{self.number} {scope['path_params']}".encode()})


def _routers(templates: list[str]) -> tuple[Router, IndexedRouter]:
    routes = [Route(t, _Endpoint(i)) for i, t in enumerate(templates)]
    return Router(routes=routes), IndexedRouter(routes)


def _answer(router: Router, path: str) -> list:
    """What the router sends for GET ``path``: which endpoint answered and with what parameters, or its
    404 / redirect."""
    sent: list = []
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "query_string": b"",
             "headers": [(b"host", b"localhost")], "scheme": "http", "server": ("localhost", 80)}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    routing = router.app(scope, receive, send)
    try:  # nothing here waits on anything: one step runs it to the end (no event loop per path)
        routing.send(None)
    except StopIteration:
        return sent
    raise AssertionError(f"routing {path} waited on something")


PLAIN, INDEXED = _routers(TEMPLATES)


def test_the_app_routes_through_the_index():
    router = create_app().router
    assert isinstance(router, IndexedRouter) and router._buckets is not None


def test_every_template_filled_in_goes_where_the_scan_sends_it():
    for template in TEMPLATES:
        for filler in ("abc", "running", "v3", "_mock"):
            path = "/".join(filler if part.startswith("{") else part for part in template.split("/"))
            answer = _answer(INDEXED, path)
            assert answer == _answer(PLAIN, path), path
            assert answer[0]["status"] == 200, path


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SEGMENTS), min_size=0, max_size=6), st.booleans())
def test_any_path_goes_where_the_scan_sends_it(parts, slash):
    path = "/" + "/".join(parts) + ("/" if slash and parts else "")
    assert _answer(INDEXED, path) == _answer(PLAIN, path)


def test_parameters_in_the_first_segments_and_a_parameter_that_holds_slashes():
    plain, indexed = _routers(["/{tenant}/items", "/a/items", "/a/{x}", "/b/{y}/z"])
    for path in ("/a/items", "/b/items", "/a/zzz", "/a", "/a/items/more", "/b/q/z", "/b/q/z/"):
        assert _answer(indexed, path) == _answer(plain, path), path
    assert _answer(indexed, "/a/items")[1]["body"] == b"0 {'tenant': 'a'}"  # the table's first, as scanned
    plain, indexed = _routers(["/files/{rest:path}", "/files/x"])
    assert indexed._buckets is None  # no index: Starlette's scan for everything
    assert _answer(indexed, "/files/a/b") == _answer(plain, "/files/a/b")
