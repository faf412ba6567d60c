"""A catalogue of hostile requests: each answers a 4xx in the API's envelope (or a documented 2xx),
never a 5xx, and the server keeps serving after it."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mock_server.server import MockServer

from .conftest import assert_envelope, client_for

KEY = "sk_hostile"
JSON = {"x-api-key": KEY, "content-type": "application/json"}
BRAIN = b'{"instructions": "Be brief.", "greetingMessage": "Hi"}'
MIB = 1_048_576


def _deep(levels: int) -> bytes:
    return b'{"instructions": ' + b"[" * levels + b"]" * levels + b', "greetingMessage": "x"}'


# name, method, path, headers, body, expected status (None: any 4xx)
CATALOGUE: list[tuple[str, str, str, dict[str, Any], bytes | None, int | None]] = [
    ("malformed json", "POST", "/v3/brains", JSON, b'{"instructions": "x",,}', 400),
    ("truncated json", "POST", "/v3/brains", JSON, BRAIN[:20], 400),
    ("json array", "POST", "/v3/brains", JSON, b"[1, 2]", 400),
    ("json string", "POST", "/v3/brains", JSON, b'"brain"', 400),
    ("json null", "POST", "/v3/brains", JSON, b"null", 400),
    ("json number", "POST", "/v3/faces", JSON, b"12", 400),
    ("deep nesting 65", "POST", "/v3/brains", JSON, _deep(65), 400),
    ("deep nesting 100k", "POST", "/v3/brains", JSON, _deep(100_000), 400),
    ("deep nesting control plane", "POST", "/_mock/clock/advance", JSON, b"[" * 50_000 + b"]" * 50_000, 400),
    ("body over 1 MiB", "POST", "/v3/brains", JSON,
     b'{"instructions": "' + b"a" * MIB + b'", "greetingMessage": "x"}', 413),
    ("control body over 1 MiB", "POST", "/_mock/reset", JSON, b'{"x": "' + b"a" * MIB + b'"}', 413),
    ("name too long", "POST", "/v3/characters", JSON, b'{"name": "' + b"n" * 257 + b'", "livekitIdentity": "x"}', 400),
    ("instructions too long", "POST", "/v3/brains", JSON,
     b'{"instructions": "' + b"i" * 100_001 + b'", "greetingMessage": "x"}', 400),
    ("raw NUL in body", "POST", "/v3/faces", JSON, b'{"identity": "a\x00b"}', 400),
    ("invalid utf-8 in body", "POST", "/v3/faces", JSON, b'{"identity": "\xff\xfe"}', 400),
    ("lone surrogate escape", "POST", "/v3/brains", JSON, b'{"instructions": "\\ud800", "greetingMessage": "x"}', 400),
    ("invalid utf-8 in control body", "POST", "/_mock/clock/advance", JSON, b'{"seconds": "\xff"}', 400),
    ("NaN seconds", "POST", "/_mock/clock/advance", JSON, b'{"seconds": NaN}', 400),
    ("infinite seconds", "POST", "/_mock/clock/advance", JSON, b'{"seconds": 1e400}', 400),
    ("clock past year 9000", "POST", "/_mock/clock/advance", JSON, b'{"seconds": 1e300}', 400),
    ("clock set to year 9999", "POST", "/_mock/clock/set", JSON, b'{"at": "9999-12-31T23:59:59Z"}', 400),
    ("seed by path", "POST", "/_mock/seed", JSON, b'{"name": "/etc/passwd"}', 400),
    ("seed by relative path", "POST", "/_mock/seed", JSON, b'{"name": "../fixtures/demo"}', 400),
    ("seed content not a seed", "POST", "/_mock/seed", JSON, b'{"content": "demo"}', 400),
    ("seed content and a name", "POST", "/_mock/seed", JSON, b'{"content": {"organizations": []}, "name": "demo"}',
     400),
    ("seed content, an organization not an object", "POST", "/_mock/seed", JSON,
     b'{"content": {"organizations": [1, null]}, "key": "sk_h_seed"}', 400),
    ("seed content, keys of every kind", "POST", "/_mock/seed", JSON,
     b'{"content": {"organizations": [{"": 1, "\\u0000": 2, "characters": [{"BRAINID": 1}]}]}, "key": "sk_h_seed"}',
     400),
    ("wrong type", "POST", "/v3/brains", JSON, b'{"instructions": 5, "greetingMessage": true}', 400),
    ("NaN maxSeconds", "POST", "/v3/conversations", JSON, b'{"name": "x", "characterId": "y", "maxSeconds": NaN}',
     400),
    ("text/plain body", "POST", "/v3/brains", {"x-api-key": KEY, "content-type": "text/plain"}, BRAIN, 415),
    ("form body", "POST", "/v3/brains", {"x-api-key": KEY, "content-type": "application/x-www-form-urlencoded"},
     b"instructions=x&greetingMessage=y", 415),
    ("xml body", "POST", "/v3/brains", {"x-api-key": KEY, "content-type": "application/xml"}, b"<brain/>", 415),
    ("duplicate query parameter", "GET", "/v3/brains?take=5&take=5", JSON, None, 400),
    ("conflicting query parameters", "GET", "/v3/brains?take=5&take=10", JSON, None, 400),
    ("fractional take", "GET", "/v3/brains?take=2.5", JSON, None, 400),
    ("infinite skip", "GET", "/v3/brains?skip=inf", JSON, None, 400),
    ("overflowing skip", "GET", "/v3/brains?skip=1e400", JSON, None, 400),
    ("NaN take", "GET", "/v3/brains?take=nan", JSON, None, 400),
    ("negative skip", "GET", "/v3/brains?skip=-1", JSON, None, 400),
    ("take not a number", "GET", "/v3/brains?take=ten", JSON, None, 400),
    ("client too long", "GET", "/v3/brains?client=" + "c" * 300, JSON, None, 400),
    ("encoded slash in id", "GET", "/v3/brains/a%2Fb", JSON, None, 404),
    ("dot segments in id", "GET", "/v3/brains/..%2F..%2Fetc%2Fpasswd", JSON, None, 404),
    ("encoded dot-dot path", "DELETE", "/v3/brains/%2E%2E/%2E%2E/_mock/reset", JSON, None, 404),
    ("wrong method on collection", "PATCH", "/v3/brains", JSON, None, 405),
    ("wrong method on item", "POST", "/v3/brains/x", JSON, None, 405),
    ("wrong method on health", "DELETE", "/v3/health", JSON, None, 405),
    ("wrong method on control", "DELETE", "/_mock/clock", JSON, None, 405),
    ("unknown route", "GET", "/v3/nothing-here", JSON, None, 404),
    ("no key", "GET", "/v3/brains", {}, None, 401),
    ("empty key", "GET", "/v3/brains", {"x-api-key": ""}, None, 401),
    ("upload without signature", "PUT", "/_uploads/org/doc", {}, b"x", 403),
    ("upload with overflowing expiry", "PUT", "/_uploads/org/doc?expires=1e999&signature=00", {}, b"x", 403),
    # The control plane (issue 12): every number in range, every field of its type.
    ("durationLimit 10**18", "POST", "/_mock/organizations", JSON,
     b'{"keys": ["sk_h_1"], "settings": {"durationLimit": 1000000000000000000}}', 400),
    ("durationLimit 0", "POST", "/_mock/organizations", JSON, b'{"keys": ["sk_h_2"], "settings": {"durationLimit": 0}}',
     400),
    ("durationLimit -5", "POST", "/_mock/organizations", JSON,
     b'{"keys": ["sk_h_3"], "settings": {"durationLimit": -5}}', 400),
    ("chargeBySecond 1e400", "POST", "/_mock/organizations", JSON,
     b'{"keys": ["sk_h_4"], "settings": {"chargeBySecond": 1e400}}', 400),
    ("settings not an object", "POST", "/_mock/organizations", JSON, b'{"keys": ["sk_h_5"], "settings": [1]}', 400),
    ("organization id not a string", "POST", "/_mock/organizations", JSON, b'{"id": {"a": 1}}', 400),
    ("keys not a list", "POST", "/_mock/organizations", JSON, b'{"keys": "sk_h_6"}', 400),
    ("fault delay 10**30", "POST", "/_mock/faults", JSON, b'{"delayMs": 1000000000000000000000000000000}', 400),
    ("fault retryAfter 10**30", "POST", "/_mock/faults", JSON, b'{"retryAfter": 1000000000000000000000000000000}',
     400),
    ("fault probability NaN", "POST", "/_mock/faults", JSON, b'{"status": 500, "probability": NaN}', 400),
    ("fault times 0", "POST", "/_mock/faults", JSON, b'{"status": 500, "times": 0}', 400),
    ("fault status as string", "POST", "/_mock/faults", JSON, b'{"status": "500"}', 400),
    ("fault header with CRLF", "POST", "/_mock/faults", JSON, b'{"status": 500, "headers": {"x": "a\\r\\nb: c"}}', 400),
    ("fault body with Infinity", "POST", "/_mock/faults", JSON, b'{"status": 500, "body": {"n": 1e999}}', 400),
    ("clock advance by a string", "POST", "/_mock/clock/advance", JSON, b'{"seconds": "60"}', 400),
    ("clock freeze at a number", "POST", "/_mock/clock/freeze", JSON, b'{"at": 5}', 400),
    ("clock key not a string", "POST", "/_mock/clock/advance", JSON, b'{"seconds": 1, "key": ["k"]}', 400),
    ("int with 5000 digits", "POST", "/_mock/clock/advance", JSON, b'{"seconds": ' + b"9" * 5000 + b"}", 400),
    ("state with a clock past year 9999", "POST", "/_mock/state", JSON,
     b'{"format": "equos-mock-state/1", "organizations": [{"id": "o", "clock": {"now": 1e300, "frozen": true}}]}',
     400),
    ("state with an organization that is a number", "POST", "/_mock/state", JSON,
     b'{"format": "equos-mock-state/1", "organizations": [5]}', 400),
    ("journal limit not a number", "GET", "/_mock/journal?limit=1e400", JSON, None, 400),
    ("rebinding Host on the control plane", "GET", "/_mock/state", {"host": "evil.example:8787"}, None, 403),
    ("rebinding Origin on the control plane", "POST", "/_mock/reset", {"origin": "http://evil.example"}, b"{}", 403),
]

# Bodies every control route must answer without a 5xx (issue 12: control-plane input included).
CONTROL_BODIES = [b"[]", b'"x"', b"5", b"null", b'{"key": 5}', b'{"key": {}}', b'{"organization": []}',
                  b'{"seconds": 1e308}', b'{"at": 5}', b'{"at": "9999-12-31T23:59:59Z"}', b'{"settings": []}',
                  b'{"keys": [5]}', b'{"organizations": [5]}', b'{"organizations": [{"id": {}}]}',
                  b'{"format": "equos-mock-state/1", "organizations": [{"id": "x", "settings": {"durationLimit": 0}}]}',
                  b'{"type": "joined", "author": 5}', b'{"type": "timeline", "entryType": "x", "content": 5}',
                  b'{"type": "timeline", "entryType": "x", "author": []}', b'{"type": "error", "content": []}',
                  b'{"type": "utterance", "content": 5}', b'{"name": 5}', b'{"name": "demo", "key": 5}',
                  b'{"values": {"cors": 5}}', b'{"values": []}', b'{"status": 500, "times": 1e308}',
                  b'{"a": ' + b"1" * 4400 + b"}", b'{"x": -1e400}']
CONTROL_QUERIES = ["", "?limit=-1", "?limit=99999999999999999999999", "?after=-5", "?since=yesterday",
                   "?key=", "?organization=nope", "?status=5xx&method=get&path=*"]


@pytest.mark.slow  # every control route x every hostile body and query: about 2.5 s of CPU
def test_every_control_route_survives_hostile_bodies(client: httpx.Client) -> None:
    from mock_server.api.control_plane import TABLE

    character = client.post("/v3/characters", headers=JSON, json={"name": "c", "livekitIdentity": "c-h"}).json()
    conversation = client.post("/v3/conversations", headers=JSON,
                               json={"name": "c", "characterId": character["id"]}).json()["conversation"]["id"]
    for method, template, _ in TABLE:
        if template in ("/_mock/reset", "/_mock/state") and method == "POST":
            continue  # these may legitimately wipe or replace what the loop below relies on; covered above
        path = template.replace("{id}", conversation)
        for body in CONTROL_BODIES:
            for query in (CONTROL_QUERIES if method in ("GET", "DELETE") else [""]):
                reply = client.request(method, path + query, headers=JSON, content=body)
                assert reply.status_code < 500, (method, path + query, body[:80], reply.text[:300])
                if reply.status_code >= 400:
                    assert_envelope(reply)
                else:
                    reply.json()  # valid JSON: no Infinity, no NaN
    assert client.get("/_mock/state").status_code == 200
    assert client.get("/_mock/conversations/running").status_code == 200
    _still_serving(client)


# Odd ids and encodings that reach a handler: the documented null reply (200, empty) for an unknown id.
ODD_IDS = ["%00", "%FF%FE", "%E2%98%83", "...", "%2E%2E", "a" * 20_000, "%20", "null", "0", "-1",
           "%F0%9F%98%80" * 100, "'; DROP TABLE records; --"]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with client_for() as api:
        yield api


def _still_serving(client: httpx.Client) -> None:
    assert client.get("/v3/health").status_code == 200
    made = client.post("/v3/brains", content=BRAIN, headers=JSON)
    assert made.status_code == 201, made.text


@pytest.mark.parametrize(("name", "method", "path", "headers", "body", "status"), CATALOGUE,
                         ids=[entry[0] for entry in CATALOGUE])
def test_hostile_request(client: httpx.Client, name: str, method: str, path: str, headers: dict[str, Any],
                         body: bytes | None, status: int | None) -> None:
    response = client.request(method, path, headers=headers, content=body)
    body_json = assert_envelope(response, status)
    if status == 405:
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert method not in allowed and "OPTIONS" in allowed
        assert body_json["error"] == "Method Not Allowed"
    _still_serving(client)


@pytest.mark.parametrize("odd", ODD_IDS, ids=range(len(ODD_IDS)))
def test_odd_ids_get_the_null_reply(client: httpx.Client, odd: str) -> None:
    for method in ("GET", "DELETE"):
        response = client.request(method, f"/v3/brains/{odd}", headers=JSON)
        assert response.status_code == 200 and response.content == b"", (method, odd, response.text)
    # PUT /v3/characters/{id} is not nullable in the spec: an unknown id is a 404 in the envelope.
    response = client.put(f"/v3/characters/{odd}", headers=JSON, content=b"{}")
    assert_envelope(response, 404)
    _still_serving(client)


def test_chunked_body_over_the_limit_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"instructions": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'", "greetingMessage": "x"}'

    assert_envelope(client.post("/v3/brains", headers=JSON, content=chunks()), 413)
    _still_serving(client)


def test_a_body_without_content_type_is_read_as_json(client: httpx.Client) -> None:
    # Lenient on purpose (curl -d without -H): only a declared non-JSON type is a 415.
    assert client.post("/v3/brains", headers={"x-api-key": KEY}, content=BRAIN).status_code == 201
    assert_envelope(client.post("/v3/brains", headers={"x-api-key": KEY}, content=b"[]"), 400)


def test_head_and_options(client: httpx.Client) -> None:
    head = client.head("/v3/brains", headers=JSON)
    assert head.status_code == 200 and head.content == b""
    assert client.head("/v3/health").status_code == 200
    options = client.options("/v3/brains/x", headers=JSON)
    assert options.status_code == 204
    assert {m.strip() for m in options.headers["allow"].split(",")} == {"GET", "HEAD", "PATCH", "DELETE",
                                                                       "OPTIONS"}
    _still_serving(client)


def test_nul_and_invalid_utf8_in_query_and_headers(client: httpx.Client) -> None:
    # The query is percent-decoded leniently (as Express's qs does): a filter that matches nothing.
    for query in ("client=%00", "client=%FF%FE", "client=%C0%AF"):
        listed = client.get(f"/v3/brains?{query}", headers=JSON)
        assert listed.status_code == 200 and listed.json()["total"] == 0, listed.text
    # Header bytes that are not UTF-8 or hold a NUL are just an unusual key: its own organization.
    for key in (b"\xff\xfe", b"k\x00ey"):
        assert client.get("/v3/brains", headers={"x-api-key": key}).json()["total"] == 0
    _still_serving(client)


def test_upload_cap_per_knowledge_base() -> None:
    with client_for(upload_limit_bytes=1000) as client:
        kb = client.post("/v3/knowledge-bases", headers=JSON, json={"name": "kb", "description": "d"}).json()

        def upload(size: int) -> httpx.Response:
            doc = client.post(f"/v3/knowledge-bases/{kb['id']}/documents", headers=JSON,
                              json={"name": "d", "description": "d", "mimeType": "text/plain"}).json()
            return client.put(httpx.URL(doc["uploadUrl"]).raw_path.decode(), content=b"x" * size)

        assert upload(600).status_code == 200
        assert_envelope(upload(600), 413)  # 1200 > 1000 in this knowledge base
        assert upload(400).status_code == 200  # exactly at the cap
        assert_envelope(upload(1), 413)
        assert client.get(f"/v3/knowledge-bases/{kb['id']}", headers=JSON).json()["documents"][0]["size"] == 600


# --- at the socket, against uvicorn: what a test client cannot send ------------------------
def _raw(url: str, request: bytes, *, close_write: bool = False) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
            if b"\r\n\r\n" in reply and not close_write:
                break
        return reply


def test_raw_requests_against_uvicorn() -> None:
    with MockServer() as mock, httpx.Client(base_url=mock.url) as http:
        requests = [
            b"GET /v3/brains/\xff\xfe HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\nConnection: close\r\n\r\n",
            b"GET /v3/brains?client=\xff HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\nConnection: close\r\n\r\n",
            b"GET /v3/brains HTTP/1.1\r\nHost: x\r\nx-api-key: \xff\xfe\r\nConnection: close\r\n\r\n",
            b"GET /v3/" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            b"POST /v3/brains HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\ncontent-type: application/json\r\n"
            b"Content-Length: 1000\r\nConnection: close\r\n\r\n{\"instructions\": ",
            b"NOT-A-METHOD / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"\x00\x01\x02 garbage\r\n\r\n",
        ]
        for request in requests:
            reply = _raw(mock.url, request, close_write=True)
            if reply:
                status = int(reply.split(b" ", 2)[1])
                assert 200 <= status < 500, reply[:200]
            assert http.get("/v3/health").status_code == 200


def test_a_client_leaving_mid_body_leaves_no_traceback_in_the_server_log(
        error_log: Callable[[], list[logging.LogRecord]]) -> None:
    """A truncated body then a closed socket: starlette raises ClientDisconnect inside read_body;
    the mock answers it (to nobody) instead of letting uvicorn log 'Exception in ASGI application'."""
    with MockServer() as mock:
        records = error_log()  # after start: uvicorn's logging config replaces earlier handlers
        truncated = (b"POST /v3/brains HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\ncontent-type: application/json\r\n"
                     b"Content-Length: 1000\r\nConnection: close\r\n\r\n{\"instructions\": ")
        assert _raw(mock.url, truncated, close_write=True) == b""
        assert httpx.get(mock.url + "/v3/health").status_code == 200
    assert not [r for r in records if r.levelno >= logging.ERROR], [r.getMessage() for r in records]
