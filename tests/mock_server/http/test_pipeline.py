"""The request pipeline keeps the order the separate middlewares had: host guard, then CORS, then the
journal, then the credentials guard, then faults; the control plane is never journaled, CORS'd or faulted."""

from __future__ import annotations

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.journal import JournalFilter

KEY = "sk_pipeline"
ORIGIN = {"origin": "http://page.example"}


def _setup():
    app = create_app()
    return app.state.runtime, asgi_client(app, KEY)


def _journal(runtime) -> list[dict]:
    return runtime.journal.find(JournalFilter())


def test_preflight_is_answered_before_the_journal_and_replies_carry_cors():
    runtime, client = _setup()
    with client:
        preflight = client.options("/v3/brains", headers={**ORIGIN, "access-control-request-method": "POST"})
        assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
        assert _journal(runtime) == []  # a preflight is not an API call
        listed = client.get("/v3/brains", headers=ORIGIN)
        assert listed.status_code == 200
        assert (listed.headers["access-control-allow-origin"], listed.headers["vary"]) == ("*", "Origin")
        assert "access-control-allow-origin" not in client.get("/v3/brains").headers  # no Origin, no CORS
        assert [(e["method"], e["path"], e["status"]) for e in _journal(runtime)] == [
            ("GET", "/v3/brains", 200), ("GET", "/v3/brains", 200)]
        runtime.assumptions.set("cors", "off")
        assert "access-control-allow-origin" not in client.get("/v3/brains", headers=ORIGIN).headers


def test_repeated_credentials_are_refused_journaled_with_cors_and_never_faulted():
    runtime, client = _setup()
    runtime.faults.add({"path": "*", "status": 503})
    with client:
        twice = client.get("/v3/brains", headers=[("x-api-key", KEY), ("x-api-key", "sk_other"), *ORIGIN.items()])
        assert twice.status_code == 400 and "x-api-key must be sent once" in twice.text
        assert twice.headers["access-control-allow-origin"] == "*"
        faulted = client.get("/v3/brains", headers=ORIGIN)
        assert faulted.status_code == 503 and faulted.headers["access-control-allow-origin"] == "*"
    entries = _journal(runtime)
    assert [(e["status"], e.get("fault")) for e in entries] == [(400, None), (503, "fault-1")]
    assert runtime.faults.list()[0].hits == 1


def test_a_404_without_a_route_gets_hints_and_cors_and_a_null_reply_gets_none():
    runtime, client = _setup()
    runtime.assumptions.set("null_result", "404")
    with client:
        missed = client.get("/v3/brain", headers=ORIGIN)
        assert missed.status_code == 404 and "GET /v3/brains" in missed.headers["x-mock-near-miss"]
        assert missed.headers["access-control-allow-origin"] == "*"
        unknown = client.get("/v3/brains/nope")
        assert unknown.status_code == 404 and "x-mock-near-miss" not in unknown.headers
    first, second = _journal(runtime)
    assert first["nearMisses"][0]["path"] == "/v3/brains" and "nearMisses" not in second


def test_the_control_plane_is_guarded_but_never_journaled_cors_or_faulted():
    runtime, client = _setup()
    runtime.faults.add({"path": "*", "status": 503})
    with client:
        assert client.get("/_mock/clock").status_code == 200
        from_a_page = client.get("/_mock/clock", headers={"origin": "http://localhost"})
        assert from_a_page.status_code == 403  # the browser guard: a page needs the inspector's token
        assert "access-control-allow-origin" not in from_a_page.headers
        twice = client.get("/_mock/clock", headers=[("x-mock-token", "a"), ("x-mock-token", "b")])
        assert twice.status_code == 400 and "x-mock-token must be sent once" in twice.text
        foreign = client.get("/_mock/clock", headers={"host": "evil.example"})
        assert foreign.status_code == 403
        docs = client.get("/docs/v3-json", headers={"host": "evil.example"})
        assert docs.status_code == 403
    assert _journal(runtime) == []  # the refused docs call too: the host guard answers first
    assert runtime.faults.list()[0].hits == 0
