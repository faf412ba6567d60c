"""The control plane can be switched off (routes absent: 404) or made to require x-mock-token."""

from __future__ import annotations

import httpx
import pytest

from mock_server.app import create_app
from mock_server.asgi_client import asgi_client
from mock_server.cli import build_parser, settings_from
from mock_server.control_client import ControlError, MockControl
from mock_server.server import MockServer
from mock_server.settings import Settings

CONTROL_CALLS = [("GET", "/_mock/clock"), ("POST", "/_mock/reset"), ("GET", "/_mock/journal"),
                 ("POST", "/_mock/faults"), ("GET", "/_mock/state"), ("GET", "/_mock/assumptions")]


def test_flags_reach_the_settings():
    args = build_parser({}).parse_args(["serve", "--no-control", "--control-token", "t0k"])
    settings = settings_from(args)
    assert settings.control_plane is False and settings.control_token == "t0k"
    env = settings_from(build_parser({"EQUOS_MOCK_NO_CONTROL": "1", "EQUOS_MOCK_CONTROL_TOKEN": "x"}).parse_args(
        ["serve"]))
    assert env.control_plane is False and env.control_token == "x"


@pytest.mark.parametrize(("method", "path"), CONTROL_CALLS)
def test_no_control_means_no_routes(method, path):
    with asgi_client(create_app(Settings(control_plane=False)), "k") as client:
        response = client.request(method, path, json={})
        assert response.status_code == 404
        assert response.json()["message"] == f"Cannot {method} {path}"
        assert client.get("/v3/faces").status_code == 200  # the API itself still works


def test_no_control_faults_and_journal_stay_inert():
    app = create_app(Settings(control_plane=False))
    with asgi_client(app, "k") as client:
        refused = client.post("/_mock/faults", json={"path": "*", "status": 500})
        assert refused.status_code == 404  # no control routes: adding a fault is refused
        assert refused.json()["message"] == "Cannot POST /_mock/faults"
        assert client.get("/v3/faces").status_code == 200
    assert app.state.runtime.faults.empty
    assert len(app.state.runtime.journal) == 1  # still recorded (bounded); nobody can read it over HTTP


@pytest.mark.parametrize(("method", "path"), CONTROL_CALLS)
def test_token_required(method, path):
    with asgi_client(create_app(Settings(control_token="s3cret")), "k") as client:
        for headers in ({}, {"x-mock-token": "wrong"}):
            response = client.request(method, path, json={}, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.json() == {"message": "Unauthorized", "statusCode": 401}
        allowed = client.request(method, path, json={"path": "/v3/faces", "status": 500} if "faults" in path else {},
                                 headers={"x-mock-token": "s3cret"})
        assert allowed.status_code < 300, allowed.text


def test_typed_client_carries_the_token():
    with MockServer(control_token="s3cret") as server:
        assert MockControl(server.url, token="s3cret").clock()["scope"] == "app"
        with pytest.raises(ControlError) as error:
            MockControl(server.url).clock()
        assert error.value.status == 401
        assert httpx.get(server.url + "/v3/health").status_code == 200
