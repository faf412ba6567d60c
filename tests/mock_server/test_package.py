"""What ``mock_server`` itself exports: ``from mock_server import Settings`` as the docs show, loaded lazily."""

from __future__ import annotations

import subprocess
import sys

import httpx

import mock_server
from mock_server import MockServer, Settings, create_app
from mock_server.asgi_client import asgi_client


def test_settings_and_the_server_come_from_the_package():
    from mock_server.server import MockServer as server_module_class
    from mock_server.settings import Settings as settings_module_class

    assert Settings is settings_module_class and MockServer is server_module_class
    assert {"Settings", "MockServer", "create_app"} <= set(mock_server.__all__)


def test_create_app_with_settings_from_the_package():
    app = create_app(Settings(api_keys=("sk_only",), assumptions={"null_result": "404"}))
    with asgi_client(app, "sk_only") as client:
        assert client.get("/v3/faces/nope").status_code == 404
    with asgi_client(app, "sk_other") as client:
        assert client.get("/v3/faces").status_code == 401


def test_a_mock_server_from_the_package():
    with MockServer(Settings(port=0, seed_file="demo")) as server:
        reply = httpx.get(server.url + "/v3/characters/char_demo_guide", headers={"x-api-key": "sk_demo_equos_mock"})
        assert reply.json()["name"] == "Museum guide"


def test_importing_the_package_stays_cheap():
    code = ("import sys, mock_server\n"
            "print([m for m in ('mock_server.settings', 'mock_server.server', 'uvicorn', 'starlette') "
            "if m in sys.modules])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
