"""The browser harness itself: loopback pages load, other hosts are unreachable and recorded."""

from __future__ import annotations

import pytest
from chromium import Browser

pytestmark = pytest.mark.slow  # a headless browser


def test_loopback_loads_and_the_internet_does_not(chromium: Browser, equos_mock) -> None:
    chromium.get(equos_mock.url + "/docs/v3-json")
    assert '"paths"' in chromium.driver.page_source and "Cannot GET" not in chromium.driver.page_source
    assert equos_mock.url + "/docs/v3-json" in chromium.requests()
    chromium.driver.execute_script("fetch('https://example.com/x').catch(() => {});")
    chromium.driver.execute_script("return 1")
    import time

    deadline = time.monotonic() + 5
    while not chromium.foreign_requests() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert chromium.foreign_requests() == ["https://example.com/x"]
    assert chromium.transferred_bytes() > 0
