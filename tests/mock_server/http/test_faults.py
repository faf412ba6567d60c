"""The drop fault ends the connection mid-response, and the server logs nothing at error level about it
(uvicorn's "ASGI callable returned without completing response" went into users' captured output)."""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from mock_server.app import create_app
from mock_server.server import listening_socket, uvicorn_config

KEY = "sk_test_drop"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def served(http: str) -> Iterator[tuple[str, Records]]:
    """A mock on a free loopback port in a thread, with every uvicorn log record kept."""
    app = create_app()
    sock, url = listening_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn_config(app, http=http))
    records = Records()
    logger = logging.getLogger("uvicorn.error")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()  # uvicorn sets up its loggers as it starts: the handler goes on after that
    try:
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            thread.join(0.01)
        logger.addHandler(records)
        yield url, records
    finally:
        logger.removeHandler(records)
        server.should_exit = True
        thread.join(10)


def _drop_everything(client: httpx.Client) -> None:
    for method in ("GET", "POST"):
        client.post("/_mock/faults", json={"method": method, "path": "/v3/brains", "drop": True,
                                           "key": KEY}).raise_for_status()
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/v3/brains")
    with pytest.raises(httpx.TransportError):  # a body the app never read (a reset, or an early end)
        client.post("/v3/brains", content=b'{"instructions": "' + b"x" * 200_000 + b'", "greetingMessage": "Hi"}',
                    headers={"content-type": "application/json"})
    dropped = client.get("/_mock/journal", params={"status": "dropped"}).json()["entries"]
    assert [(e["method"], e["dropped"]) for e in dropped] == [("GET", True), ("POST", True)]
    assert client.get("/v3/faces").status_code == 200  # the server is fine


def test_a_drop_logs_nothing_at_error_level():
    with served("httptools") as (url, records), httpx.Client(base_url=url, headers={"x-api-key": KEY}) as client:
        _drop_everything(client)
    assert [r.getMessage() for r in records.records if r.levelno >= logging.ERROR] == []


def test_a_client_that_saw_the_drop_finds_it_in_the_journal_at_once():
    """The connection is closed after the journal recorded the request, never before."""
    with served("httptools") as (url, _), httpx.Client(base_url=url, headers={"x-api-key": KEY}) as client:
        client.post("/_mock/faults", json={"path": "/v3/voices", "drop": True, "key": KEY}).raise_for_status()
        for seen in range(1, 31):
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/v3/voices")
            dropped = client.get("/_mock/journal", params={"status": "dropped", "limit": 50}).json()["entries"]
            assert len(dropped) == seen


def test_without_our_protocol_uvicorn_would_log_it():
    """The same drops on uvicorn's plain h11 protocol (no close extension): the error the fix avoids,
    so the test above would see it."""
    with served("h11") as (url, records), httpx.Client(base_url=url, headers={"x-api-key": KEY}) as client:
        _drop_everything(client)
    errors = [r.getMessage() for r in records.records if r.levelno >= logging.ERROR]
    assert errors and all("without completing response" in e for e in errors)


def _command() -> list[str]:
    script = Path(sys.executable).with_name("equos-mock")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]


@pytest.mark.slow
def test_serve_at_info_level_prints_no_error_for_a_drop():
    process = subprocess.Popen([*_command(), "serve", "--port", "0", "--log-level", "info"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = re.search(r"at (http://127\.0\.0\.1:\d+)", process.stdout.readline()).group(1)
        with httpx.Client(base_url=url, headers={"x-api-key": KEY}) as client:
            _drop_everything(client)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    log = process.stderr.read()
    assert "INFO:" in log  # the log is on, at info level
    assert "ERROR" not in log and "ASGI callable" not in log, log
