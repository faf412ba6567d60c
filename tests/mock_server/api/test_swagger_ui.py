"""Issue 14: /docs/v3 and /docs/v1 load Swagger UI from the swagger-ui-py package through /docs/assets/,
never from a CDN. What a browser sees of it is in test_swagger_ui_browser.py; this is the HTTP side."""

from __future__ import annotations

import gzip
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.api.swagger_ui import ASSETS, ASSETS_PATH, IMMUTABLE, SwaggerUi, package_directory
from mock_server.app import create_app
from mock_server.asgi_client import asgi_client
from mock_server.server import MockServer
from mock_server.settings import Settings

PAGES = {"/docs/v3": "/docs/v3-json", "/docs/v1": "/docs/v1-json"}
TEXT_ASSETS = [name for name, media_type in ASSETS.items() if media_type.startswith("text/")]


def client(**settings: Any) -> httpx.Client:
    return asgi_client(create_app(Settings(**settings)), raise_app_exceptions=True)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One default app for the module: it reads and gzips the files once, as a server does."""
    with client() as shared:
        yield shared


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with MockServer() as mock:
        yield mock.url


def envelope(reply: httpx.Response, status: int) -> dict[str, Any]:
    assert reply.status_code == status, (reply.status_code, reply.text)
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    body = reply.json()
    assert body["statusCode"] == status and body["message"]
    return body


def links(page: str) -> list[str]:
    return re.findall(r'(?:href|src|url:)\s*=?\s*"([^"]+)"', page)


def package_file(name: str) -> bytes:
    directory = package_directory()
    assert directory is not None, "swagger-ui-py is a core dependency"
    return (directory / name).read_bytes()


@pytest.mark.parametrize(("page", "document"), PAGES.items())
def test_a_page_loads_only_the_mocks_own_files(http: httpx.Client, page: str, document: str) -> None:
    reply = http.get(page)
    assert reply.status_code == 200 and reply.headers["content-type"] == "text/html; charset=utf-8"
    found = links(reply.text)
    assert document in found
    assets = {link.split("?")[0].removeprefix(ASSETS_PATH + "/") for link in found
              if link.startswith(ASSETS_PATH + "/")}
    assert assets == set(ASSETS)
    assert set(found) - {link for link in found if link.startswith(ASSETS_PATH + "/")} == {document}
    assert "://" not in reply.text.replace("http://www.w3.org", "")  # no absolute URL: nothing off the machine
    for link in found:
        assert http.get(link).status_code == 200, link


def test_each_asset_is_the_packages_file_with_its_type_and_a_fingerprint(http: httpx.Client) -> None:
    page = http.get("/docs/v3").text
    for name, media_type in ASSETS.items():
        (link,) = [link for link in links(page) if link.startswith(f"{ASSETS_PATH}/{name}?v=")]
        reply = http.get(link, headers={"accept-encoding": "identity"})
        assert reply.status_code == 200
        assert reply.headers["content-type"] == media_type
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert "content-encoding" not in reply.headers
        assert reply.content == package_file(name)
        # The fingerprinted link may be kept for a year; the bare name is revalidated each time.
        assert reply.headers["cache-control"] == IMMUTABLE
        assert reply.headers["etag"] == f'"{link.split("?v=")[1]}"'
        bare = http.get(f"{ASSETS_PATH}/{name}", headers={"accept-encoding": "identity"})
        assert bare.headers["cache-control"] == "no-cache" and bare.headers["etag"] == reply.headers["etag"]
        stale = http.get(f"{ASSETS_PATH}/{name}?v=0000", headers={"accept-encoding": "identity"})
        assert stale.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("name", TEXT_ASSETS)
def test_text_assets_are_gzipped_for_a_client_that_accepts_it(http: httpx.Client, served: str, name: str) -> None:
    raw = package_file(name)
    zipped = http.get(f"{ASSETS_PATH}/{name}", headers={"accept-encoding": "gzip, deflate, br"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.content == raw  # httpx decoded it
    assert int(zipped.headers["content-length"]) < len(raw) // 3
    # On the wire, through uvicorn: gzip bytes of the package's file.
    status, wire = _raw_get(served, f"{ASSETS_PATH}/{name}", "Accept-Encoding: gzip\r\n")
    assert status == 200 and len(wire) < len(raw) // 3 and gzip.decompress(wire) == raw
    plain = http.get(f"{ASSETS_PATH}/{name}", headers={"accept-encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in plain.headers and plain.content == raw
    # A representation has its own ETag: a cached plain copy never answers for the gzipped one.
    assert zipped.headers["etag"] != plain.headers["etag"]


def test_the_image_is_sent_as_is(http: httpx.Client) -> None:
    reply = http.get(f"{ASSETS_PATH}/favicon-32x32.png", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in reply.headers and "vary" not in reply.headers
    assert reply.content.startswith(b"\x89PNG")


def test_a_known_etag_gets_a_304_without_a_body(http: httpx.Client) -> None:
    first = http.get(f"{ASSETS_PATH}/swagger-ui.css", headers={"accept-encoding": "gzip"})
    again = http.get(f"{ASSETS_PATH}/swagger-ui.css", headers={"accept-encoding": "gzip",
                                                               "if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    weak = http.get(f"{ASSETS_PATH}/swagger-ui.css", headers={"accept-encoding": "gzip",
                                                              "if-none-match": f'"x", W/{first.headers["etag"]}'})
    assert weak.status_code == 304
    changed = http.get(f"{ASSETS_PATH}/swagger-ui.css", headers={"accept-encoding": "gzip",
                                                                 "if-none-match": '"0000"'})
    assert changed.status_code == 200 and changed.content == package_file("swagger-ui.css")


@pytest.mark.parametrize("name", ["index.html", "swagger-initializer.js", "swagger-ui-bundle.js.map",
                                  "swagger-editor-bundle.js", "LICENSE", "%2e%2e", "swagger-ui.CSS",
                                  "swagger-ui.css%00", "swagger-ui.css%2F..", "..%5Cswagger-ui.css", "x" * 300])
def test_only_the_named_files_are_served(http: httpx.Client, name: str) -> None:
    """By name only (the dot segments, which httpx would remove, are sent raw below)."""
    body = envelope(http.get(f"{ASSETS_PATH}/{name}"), 404)
    assert body["message"].startswith(f"Cannot GET {ASSETS_PATH}/")


def _raw_get(url: str, target: str, headers: str = "") -> tuple[int, bytes]:
    """One GET with the request target exactly as given (httpx and browsers would remove the dot segments)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("target", [
    "/docs/assets/../../pyproject.toml", "/docs/assets/../v3-json", "/docs/assets/..%2f..%2fpyproject.toml",
    "/docs/assets/%2e%2e/%2e%2e/pyproject.toml", "/docs/assets/%2e%2e%2f%2e%2e%2fmock_server%2fapp.py",
    "/docs/assets/..", "/docs/assets/%2e%2e", "/docs/assets/..\\..\\pyproject.toml",
    "/docs/assets//etc/passwd", "/docs/assets/%2fetc%2fpasswd", "/docs/assets/static/swagger-ui.css",
    "/docs/assets/../../../../../../etc/passwd", "/docs/assets/"])
def test_a_traversal_gets_a_404_in_the_envelope(served: str, target: str) -> None:
    status, body = _raw_get(served, target)
    assert status == 404, (target, body[:200])
    assert body.startswith(b'{"statusCode":404,') and b"[tool" not in body and b"root:" not in body
    assert _raw_get(served, "/docs/assets/swagger-ui.css")[0] == 200  # and the server is fine


def test_a_missing_package_leaves_a_page_that_says_where_the_document_is(tmp_path: Path) -> None:
    ui = SwaggerUi(directory=tmp_path / "no-such-package")
    with asgi_client(_app_with(ui)) as http:
        page = http.get("/docs/v3")
        assert page.status_code == 200 and "/docs/v3-json" in page.text and "did not start" in page.text
        body = envelope(http.get(f"{ASSETS_PATH}/swagger-ui.css"), 404)
        assert "pip install swagger-ui-py" in body["message"] and "not installed" not in body["message"]
        assert str(tmp_path) not in body["message"]
    ui = SwaggerUi()
    with pytest.MonkeyPatch.context() as patch, asgi_client(_app_with(ui)) as http:
        patch.setattr("importlib.util.find_spec", lambda name, *args: None)
        body = envelope(http.get(f"{ASSETS_PATH}/swagger-ui.css"), 404)
        assert "swagger-ui-py) is not installed" in body["message"]


def _app_with(ui: SwaggerUi) -> Any:
    from starlette.applications import Starlette

    from mock_server.http.dispatch import EXCEPTION_HANDLERS, routes

    return Starlette(routes=routes([*ui.routes(), ("GET", "/docs/v3", ui.page("/docs/v3-json", "t"))]),
                     exception_handlers=EXCEPTION_HANDLERS)


def test_assets_keep_the_docs_host_guard() -> None:
    with client() as http:
        refused = envelope(http.get(f"{ASSETS_PATH}/swagger-ui.css", headers={"host": "evil.example"}), 403)
        assert "--allowed-host" in refused["message"]
        assert http.get(f"{ASSETS_PATH}/swagger-ui.css", headers={"host": "[::1]:8787"}).status_code == 200
    with client(allowed_hosts=("mock.ci.internal",)) as http:
        assert http.get(f"{ASSETS_PATH}/swagger-ui.css", headers={"host": "mock.ci.internal"}).status_code == 200


def test_a_control_token_does_not_lock_the_docs() -> None:
    """--control-token guards /_mock/ only: the pages, their files and the documents need no token."""
    with client(control_token="s3cret") as http:
        assert envelope(http.get("/_mock/clock"), 401)
        for page, document in PAGES.items():
            assert http.get(page).status_code == 200 and http.get(document).status_code == 200
        for name in ASSETS:
            assert http.get(f"{ASSETS_PATH}/{name}").status_code == 200
