"""Headless Chromium for the page tests: Debian's ``chromium`` and ``chromium-driver``, driven by Selenium.

The browser reaches loopback only: every other host goes to a dead proxy, so a page that needs the
internet fails here as it would offline. Every request the page makes is recorded (Chromium's
performance log), so a test can assert that none left the machine.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"})  # .2: "another origin"
# Flags that keep Chromium from calling Google at start-up (this machine refuses those connections).
QUIET_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--window-size=1400,1000"]
# Chromium bypasses a proxy for loopback by default; everything else hits port 9 (discard) and fails.
OFFLINE_FLAGS = ["--proxy-server=http://127.0.0.1:9",
                 "--proxy-bypass-list=<-loopback>;127.0.0.1;127.0.0.2;localhost;[::1]"]
# For pages that join a room: a fake microphone and camera granted without a prompt, WebRTC on loopback
# (Chromium skips loopback candidates by default) and real host addresses instead of mDNS names.
MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
               "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
               "--autoplay-policy=no-user-gesture-required"]


def wait_until(what: str, check: Callable[[], Any], timeout: float = 15,
               detail: Callable[[], str] | None = None) -> Any:
    """``check()``'s first truthy answer, polled every 0.1 s; the test fails after ``timeout`` seconds,
    naming ``what`` (and ``detail()``, such as the page's log, when given)."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {timeout} s" + (f"; {detail()}" if detail else ""))
        time.sleep(0.1)


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return ("Debian's chromium and chromium-driver are not installed "
                "(apt-get install -y chromium chromium-driver; .ci/run does it when apt-get exists)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@dataclass
class Browser:
    """One headless Chromium: ``driver`` is Selenium's; ``requests()`` lists what the page fetched."""

    driver: Any
    _sent: list[tuple[str, str]] = field(default_factory=list)  # (request id, URL), in order
    _finished: list[tuple[str, int]] = field(default_factory=list)  # (request id, bytes on the wire)

    def get(self, url: str) -> None:
        self.driver.get(url)

    def _drain(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self._sent.append((message["params"]["requestId"], message["params"]["request"]["url"]))
            elif message["method"] == "Network.loadingFinished":
                self._finished.append((message["params"]["requestId"],
                                       message["params"].get("encodedDataLength", 0)))

    def requests(self) -> list[str]:
        """Every URL the page asked for so far (documents, scripts, styles, fetches, images)."""
        self._drain()
        return [url for _, url in self._sent]

    def bytes_by_url(self, prefix: str = "") -> dict[str, int]:
        """Bytes on the wire (headers included) of each finished load whose URL starts with ``prefix``;
        a load served from the browser's cache counts 0 or is not there."""
        self._drain()
        urls = dict(self._sent)  # a redirect keeps its request id: the last URL is the one that loaded
        loaded: dict[str, int] = {}
        for request_id, size in self._finished:
            url = urls.get(request_id)
            if url is not None and url.startswith(prefix):
                loaded[url] = loaded.get(url, 0) + size
        return loaded

    def transferred_bytes(self) -> int:
        """Bytes on the wire for every finished http(s) load so far (headers included). The browser's own
        chrome:// pages (its new-tab page, before the first navigation: some 500 KB) are not counted."""
        return sum(self.bytes_by_url("http").values())  # http:// and https://

    def foreign_requests(self) -> list[str]:
        """Requests to any host but loopback (data:, blob: and the browser's own chrome: URLs stay local)."""
        foreign = []
        for url in self.requests():
            parsed = urllib.parse.urlsplit(url)
            if parsed.scheme in ("data", "blob", "about", "chrome", "chrome-error", "chrome-extension", "devtools"):
                continue
            if parsed.hostname not in LOOPBACK_HOSTS and f"[{parsed.hostname}]" not in LOOPBACK_HOSTS:
                foreign.append(url)
        return foreign

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))
        return path


def start(profile: Path, *, media: bool = False) -> Browser:
    """A headless Chromium; ``media`` adds ``MEDIA_FLAGS`` (fake devices, loopback WebRTC)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*QUIET_FLAGS, *OFFLINE_FLAGS, *(MEDIA_FLAGS if media else []), f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    # An explicit driver path: Selenium Manager would otherwise try to download one.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    return Browser(driver)


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Browser]:
    """A fresh headless Chromium that reaches loopback only; skips with the reason when it is missing."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    browser = start(tmp_path / "chromium-profile")
    try:
        yield browser
    finally:
        browser.driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)
