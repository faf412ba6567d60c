"""The room's acceptance harness (its fixtures are named in conftest.py): a live ``equos-mock serve``
(room on), the example page's own backend on another origin (127.0.0.2), and one headless Chromium with
fake media, shared by the session's room tests.

Each test gets its own API key (its own organization, its own clock) and its own tab. The page is the
one users try (examples/frontend), served by its backend; a test either clicks "Start conversation"
(the backend starts it with the official SDK) or opens the page with a conversation it started itself
(``#serverUrl=...&token=...``, the documented curl path).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromium
import httpx
import pytest
from equos.client.models import (
    CreateEquosBrainRequest,
    CreateEquosCharacterRequest,
    CreateEquosConversationRequest,
    EquosParticipantIdentity,
)

from mock_server.control_client import MockControl
from mock_server.pytest_plugin import sdk_client

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "examples" / "frontend"
UMD = FRONTEND / "node_modules" / "livekit-client" / "dist" / "livekit-client.umd.js"
PAGE_HOST = "127.0.0.2"  # another origin than the room (and than the REST API)
WAIT = 15.0  # seconds a person would wait for something to show
PING_TIMEOUT = 6  # the live mock's --room-ping-timeout: a frozen browser's end comes within it


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("EQUOS_", "LIVEKIT_"))}


def _read_url(process: subprocess.Popen[str], pattern: str, what: str) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    seen = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
        found = re.search(pattern, line)
        if found:
            return found.group(1)
    process.kill()
    pytest.fail(f"{what} printed no URL: {seen!r}")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Live:
    """The live mock: its REST URL, its control plane, and its log (stderr) so far."""

    url: str
    control: MockControl
    log: Path

    def sdk(self, key: str) -> Any:
        return sdk_client(self.url, key)

    def get(self, key: str, path: str) -> Any:
        reply = httpx.get(self.url + path, headers={"x-api-key": key}, timeout=10)
        reply.raise_for_status()
        return reply.json() if reply.headers.get("content-type", "").startswith("application/json") else reply.text

    def conversation(self, key: str, conversation_id: str) -> dict[str, Any]:
        return self.get(key, f"/v3/conversations/{conversation_id}")

    def room(self, conversation_id: str) -> dict[str, Any]:
        return self.control.request("GET", f"conversations/{conversation_id}/room")


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``equos-mock serve`` as users start it (the room on by default), on free ports."""
    log = tmp_path_factory.mktemp("mock") / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "mock_server", "serve", "--port", "0",
                                    "--room-ping-timeout", str(PING_TIMEOUT)],
                                   stdout=subprocess.PIPE, stderr=stderr, text=True, env=_clean_env())
    url = _read_url(process, r"(http://127\.0\.0\.1:\d+)", "equos-mock serve")
    yield Live(url, MockControl(url), log)
    _stop(process)
    text = log.read_text()
    assert "Traceback" not in text, text[-4000:]


@pytest.fixture(scope="session")
def page_backend(live: Live) -> Iterator[tuple[str, str]]:
    """examples/frontend/backend.py on 127.0.0.2, with its own key: (page URL, key)."""
    if not UMD.exists():
        pytest.skip(f"{UMD.relative_to(REPO)} is missing: run `npm ci` in examples/frontend (.ci/run does)")
    key = f"sk_page_{uuid.uuid4().hex[:12]}"
    env = {**_clean_env(), "EQUOS_MOCK_URL": live.url, "EQUOS_API_KEY": key}
    process = subprocess.Popen([sys.executable, str(FRONTEND / "backend.py"), "--host", PAGE_HOST, "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    page = _read_url(process, r"(http://127\.0\.0\.2:\d+/)", "the page's backend")
    yield page, key
    _stop(process)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[chromium.Browser]:
    reason = chromium.missing_reason()
    if reason:
        pytest.skip(reason)
    profile = tmp_path_factory.mktemp("chromium-profile")
    started = chromium.start(profile, media=True)
    yield started
    started.driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


# Keeps every RTCPeerConnection the page makes, so a test can read the browser's own stats.
RECORD_PEER_CONNECTIONS = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__peerConnections = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    window.__peerConnections.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Native);
})();
"""


class Page:
    """One tab with the example page: what a person sees, read from the DOM."""

    def __init__(self, browser: chromium.Browser, handle: str):
        self.browser = browser
        self.driver = browser.driver
        self.handle = handle

    def focus(self) -> Page:
        self.driver.switch_to.window(self.handle)
        return self

    def js(self, script: str, *args: Any) -> Any:
        self.focus()
        return self.driver.execute_script(script, *args)

    def text(self, element_id: str) -> str:
        return self.js("const e = document.getElementById(arguments[0]); return e && !e.hidden && "
                       "!e.closest('[hidden]') ? e.innerText : '';", element_id)

    def wait(self, what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
        return chromium.wait_until(what, check, timeout, detail=lambda: "page log: " + str(
            [entry["message"][:300] for entry in self.driver.get_log("browser")[-8:]]))

    def wait_text(self, element_id: str, wanted: str, timeout: float = WAIT) -> str:
        return self.wait(f"{wanted!r} in #{element_id} (saw {self.text(element_id)!r})",
                         lambda: wanted in self.text(element_id) and self.text(element_id), timeout)

    def transcript(self) -> list[tuple[str, str]]:
        """(who, what) per line, as shown."""
        return [tuple(pair) for pair in self.js(
            "return [...document.querySelectorAll('#transcript .line')].map(li => "
            "[li.querySelector('.who').innerText, li.querySelector('.text').innerText]);")]

    def wait_line(self, who: str, content: str, timeout: float = WAIT) -> None:
        self.wait(f"{who}: {content!r} in the transcript (saw {self.transcript()})",
                  lambda: (who, content) in self.transcript(), timeout)

    def send(self, text: str) -> None:
        self.focus()
        box = self.driver.find_element("id", "message")
        box.send_keys(text)
        self.driver.find_element("id", "send").click()

    def video_width(self) -> int:
        return int(self.js("return document.getElementById('character-video').videoWidth || 0;"))

    def close(self) -> None:
        self.focus()
        self.driver.close()
        self.driver.switch_to.window(self.driver.window_handles[0])


@dataclass
class Started:
    key: str
    id: str
    room: str
    server_url: str
    token: str
    character_identity: str
    character_name: str
    greeting: str
    max_seconds: float


def start_conversation(live: Live, key: str | None = None, *, name: str = "Nova", greeting: str | None = None,
                       max_seconds: float | None = None) -> Started:
    """A conversation started through the official SDK, with a consumer (so a consumer token)."""
    key = key or f"sk_room_{uuid.uuid4().hex[:12]}"
    client = live.sdk(key)
    greeting = greeting or f"Hi, I'm {name}."
    brain = client.brains.create(CreateEquosBrainRequest(instructions="Be brief.", greeting_message=greeting))
    character = client.characters.create(CreateEquosCharacterRequest(
        name=name, livekit_identity=f"{name.lower()}-{uuid.uuid4().hex[:8]}", brain_id=brain.id))
    request = CreateEquosConversationRequest(name="room test", character_id=character.id,
                                             consumer=EquosParticipantIdentity(identity="ada", name="Ada"))
    if max_seconds is not None:
        request.max_seconds = max_seconds
    begun = client.conversations.start(request)
    conversation = begun.conversation
    return Started(key, conversation.id, conversation.room, conversation.server_url, begun.consumer_access_token,
                   character.livekit_identity, name, greeting, conversation.max_seconds)


@pytest.fixture
def open_page(browser: chromium.Browser, page_backend: tuple[str, str]) -> Iterator[Callable[..., Page]]:
    """``open_page(started=None, token=None)``: a new tab with the example page; with ``started`` (or
    a bare ``token``) in its URL it joins that conversation at once, else the person clicks "Start
    conversation"."""
    opened: list[Page] = []
    base, _ = page_backend

    def open_(started: Started | None = None, *, token: str | None = None, server_url: str | None = None) -> Page:
        driver = browser.driver
        driver.switch_to.new_window("tab")
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_PEER_CONNECTIONS})
        url = base
        if started is not None or token is not None:
            fragment = {"serverUrl": server_url or (started.server_url if started else ""),
                        "token": token or (started.token if started else "")}
            if started is not None:
                fragment |= {"conversation": started.id, "character": started.character_identity,
                             "name": started.character_name}
            url += "#" + urllib.parse.urlencode(fragment)
        page = Page(browser, driver.current_window_handle)
        driver.get(url)
        opened.append(page)
        if started is None and token is None:
            page.wait("the Start button", lambda: page.js("return !!document.getElementById('start');"))
            driver.find_element("id", "start").click()
        return page

    yield open_
    for page in opened:
        if page.handle in browser.driver.window_handles:
            page.close()
