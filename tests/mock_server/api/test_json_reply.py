"""``JsonReply`` sends what Starlette's ``Response(body, status, media_type=JSON_TYPE)`` sends."""

from __future__ import annotations

import asyncio

import pytest
from starlette.responses import Response

from mock_server.api.operation import JSON_TYPE, JsonReply


def _sent(response: Response) -> list[dict]:
    messages: list[dict] = []

    async def send(message: dict) -> None:
        messages.append(message)

    asyncio.run(response({"type": "http"}, None, send))  # type: ignore[arg-type]
    return messages


@pytest.mark.parametrize("status", [200, 201, 204, 304, 101, 404])
@pytest.mark.parametrize("body", [b"", b"null", b'{"id":"x","name":"\xc3\xa9"}'])
def test_a_json_reply_is_the_response_starlette_makes(status: int, body: bytes) -> None:
    ours, theirs = JsonReply(body, status), Response(body, status, media_type=JSON_TYPE)
    assert (ours.status_code, ours.body, ours.raw_headers) == (theirs.status_code, theirs.body, theirs.raw_headers)
    assert _sent(ours) == _sent(theirs)
