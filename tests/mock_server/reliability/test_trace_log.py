"""Issue 19, item 7: with --log-level trace, uvicorn logs every ASGI scope (``Started scope=...``) with its
query string verbatim: ``?key=`` on the control plane, ``?apiKey=``, an upload URL's ``signature``. The mock
masks them, at every level; this runs a real server at trace and greps its whole output."""

from __future__ import annotations

import os

import httpx
import pytest

from .conftest import served_logs


@pytest.mark.slow  # a server in a subprocess
def test_trace_logs_show_no_secret_from_a_query_string() -> None:
    key, other, token = "sk_trace_secret_5150", "sk_trace_other_2112", "tok_trace_secret_1979"
    env = {**os.environ, "EQUOS_MOCK_LOG_LEVEL": "trace"}
    env.pop("EQUOS_MOCK_CONTROL_TOKEN", None)
    secrets = [key, other, token]
    with served_logs(env) as (url, served):
        with httpx.Client(base_url=url, timeout=5) as http:
            h = {"x-api-key": key}
            kb = http.post("/v3/knowledge-bases", headers=h, json={"name": "kb", "description": "d"}).json()
            added = http.post(f"/v3/knowledge-bases/{kb['id']}/documents", headers=h,
                              json={"name": "n", "description": "d", "mimeType": "text/plain"}).json()
            signature = httpx.URL(added["uploadUrl"]).params["signature"]
            secrets.append(signature)
            assert http.put(added["uploadUrl"], content=b"hello").status_code == 200
            assert http.get("/_mock/state", params={"key": key}).status_code == 200
            assert http.get("/_mock/clock", params={"key": key}).status_code == 200
            assert http.get("/_mock/journal", params={"key": key, "limit": 1}).status_code == 200
            assert http.get("/_mock/ui", params={"token": token}).status_code == 200
            for query in (f"apiKey={other}", f"api_key={other}", f"x-api-key={other}", f"access_token={token}",
                          f"client=a&key={other}&b=1", f"token={token}"):
                http.get(f"/v3/brains?{query}", headers=h)
            consumer = http.post("/v3/conversations", headers=h, json={"name": "c", "characterId": "none"})
            assert consumer.status_code in (400, 404)
    logs = served.text
    assert "Started scope=" in logs and "query_string" in logs, logs[-2000:]  # trace was really on
    assert "****" in logs  # and the values were masked, not the lines dropped
    leaked = [secret for secret in secrets if secret in logs]
    lines = [line for line in logs.splitlines() if any(secret in line for secret in leaked)]
    assert not leaked, "\n".join(lines[:10])
