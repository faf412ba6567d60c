"""Shared helpers of the reliability tests: an in-process client, the envelope check and the error log."""

from __future__ import annotations

import importlib.util
import logging
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def load_script(name: str) -> Any:
    """A module from scripts/ (they are not a package)."""
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def client_for(**settings: Any) -> httpx.Client:
    return asgi_client(create_app(Settings(**settings)), raise_app_exceptions=True)


def page_token(client: Any, **headers: str) -> dict[str, str]:
    """The header the inspector page sends with its calls (its token, read from the page as a browser gets it)."""
    page = client.get("/_mock/ui", headers=headers).text
    found = re.search(r'<meta name="equos-mock-page" content="([^"]+)">', page)
    assert found, "the inspector page carries no page token"
    return {"x-mock-page": found.group(1)}


def assert_envelope(response: Any, status: int | None = None) -> dict[str, Any]:
    """A 4xx in the API's NestJS envelope."""
    if status is not None:
        assert response.status_code == status, (response.status_code, response.text)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["statusCode"] == response.status_code
    assert isinstance(body["message"], (str, list)) and body["message"]
    return body


@pytest.fixture
def api() -> Iterator[httpx.Client]:
    """An in-process client with default settings, closed after the test."""
    with client_for() as c:
        yield c


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not any(r is record for r in self.records):  # seen once per logger it propagates through
            self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[Callable[[], list[logging.LogRecord]]]:
    """Call it once the server runs: uvicorn's logging setup drops handlers attached before."""
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "uvicorn", "starlette")]

    def attach() -> list[logging.LogRecord]:
        for logger in loggers:
            logger.addHandler(handler)
        logging.getLogger("uvicorn.error").error("probe")  # the capture is live
        assert [r.getMessage() for r in handler.records] == ["probe"]
        handler.records.clear()
        return handler.records

    yield attach
    for logger in loggers:
        logger.removeHandler(handler)


def all_pages(client: Any, path: str, key: str) -> list[dict[str, Any]]:
    """Every item of a list, page by page (take=50); the pages must add up to ``total``."""
    items: list[dict[str, Any]] = []
    skip = 0
    while True:
        page = client.get(path, params={"skip": skip, "take": 50}).json()
        items += page[key]
        skip += 50
        if skip >= page["total"]:
            assert len(items) == page["total"]
            return items


class ServedLogs:
    """What a served mock printed: its banner line, then (after it stopped) the rest of stdout and stderr."""

    def __init__(self, first: str) -> None:
        self.first = first
        self.text = first


@contextmanager
def served_logs(env: dict[str, str]) -> Iterator[tuple[str, ServedLogs]]:
    """``equos-mock serve --port 0`` in a subprocess with ``env``: its URL once it answers, and its whole
    output once the block ends (the server stopped), for tests that grep the logs."""
    proc = subprocess.Popen([sys.executable, "-m", "mock_server", "serve", "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    logs = ServedLogs(proc.stdout.readline())
    try:
        url = logs.first.split(" at ")[1].split()[0]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/v3/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url, logs
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=15)
        logs.text = logs.first + out + err
