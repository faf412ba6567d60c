"""A real headless Chromium starts and stops a session pass from a page on another loopback port."""

from __future__ import annotations

import base64
import functools
import http.server
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from livekit import api as livekit_api

CHROMIUM = Path("/usr/bin/chromium")
PAGE = "session_pass_page.html"
IMAGE = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()

pytestmark = [pytest.mark.slow,  # a headless browser
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                 "(apt-get install -y chromium; .ci/run does it when apt-get exists)")]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    """The test page, served by a tiny static server on its own loopback port (another origin)."""
    handler = functools.partial(_QuietHandler, directory=str(Path(__file__).parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{PAGE}"
    server.shutdown()
    thread.join(timeout=5)


class _Rows(HTMLParser):
    """Text of the elements with an id (the page renders each result into its own element)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, str] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._current = dict(attrs).get("id") if tag in ("li", "p") else None

    def handle_data(self, data: str) -> None:
        if self._current:
            self.rows[self._current] = self.rows.get(self._current, "") + data

    def handle_endtag(self, tag: str) -> None:
        self._current = None


def run_page(url: str, tmp_path: Path) -> dict[str, str]:
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=10000", "--dump-dom", url],
        capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    parser = _Rows()
    parser.feed(result.stdout)
    return parser.rows


def _org(mock_url: str, key: str, **settings: object) -> str:
    """Create an organization with these settings; its public key."""
    created = httpx.post(mock_url + "/_mock/organizations", json={"keys": [key], "settings": settings})
    assert created.status_code == 200, created.text
    return created.json()["publicKeys"][0]


def _agent_and_avatar(mock_url: str, key: str) -> tuple[str, str]:
    headers = {"x-api-key": key}
    agent = httpx.post(mock_url + "/v1/agents", headers=headers, json={"provider": "gemini", "name": "Guide"})
    avatar = httpx.post(mock_url + "/v1/avatars", headers=headers,
                        json={"identity": "guide", "name": "Guide", "refImage": IMAGE, "agentId": agent.json()["id"]})
    assert (agent.status_code, avatar.status_code) == (201, 201)
    return agent.json()["id"], avatar.json()["id"]


def _url(page_url: str, mock_url: str, keys: list[str], agent: str, avatar: str) -> str:
    query = [("api", mock_url), *(("pk", k) for k in keys), ("agent", agent), ("avatar", avatar)]
    return page_url + "?" + urllib.parse.urlencode(query)


def test_page_starts_reads_token_and_stops_a_session_pass(legacy_server, page_url, tmp_path):
    key = "sk_browser_happy"
    public_key = _org(legacy_server.url, key)
    agent, avatar = _agent_and_avatar(legacy_server.url, key)

    shown = run_page(_url(page_url, legacy_server.url, [public_key], agent, avatar), tmp_path)

    assert shown["state"] == "done"
    assert shown["r0-started"] == "201 starting"
    assert shown["r0-server"] == "ws://localhost:7880"
    assert shown["r0-stopped"] == "200 ended"
    token = livekit_api.TokenVerifier("devkey", "secret").verify(shown["r0-token"])
    assert token.identity == "guest" and token.video.room_join
    sessions = httpx.get(legacy_server.url + "/v1/sessions", headers={"x-api-key": key}).json()["sessions"]
    assert [(s["status"], s["maxDuration"]) for s in sessions] == [("ended", 300)]


def test_page_shows_the_limit_errors(legacy_server, page_url, tmp_path):
    busy_key, suspended_key = "sk_browser_busy", "sk_browser_suspended"
    busy_public = _org(legacy_server.url, busy_key, concurrentLimit=1)
    suspended_public = _org(legacy_server.url, suspended_key, suspended=True, reason="unpaid invoice")
    agent, avatar = _agent_and_avatar(legacy_server.url, busy_key)
    # The busy organization already has one live session: its limit.
    first = httpx.post(legacy_server.url + "/v1/sessions", headers={"x-api-key": busy_key},
                       json={"name": "first", "avatar": {"id": avatar}, "agent": {"id": agent}})
    assert first.status_code == 201

    shown = run_page(_url(page_url, legacy_server.url, [busy_public, suspended_public], agent, avatar), tmp_path)

    assert shown["state"] == "done"
    assert shown["r0-error"] == "429 Concurrent session limit reached (1 live at once)"
    assert shown["r1-error"] == "403 Organization is suspended: unpaid invoice"
    assert "r0-token" not in shown and "r1-token" not in shown
