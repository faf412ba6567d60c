"""Issue 14: the Swagger UI pages in a real headless Chromium that reaches loopback only (tests/chromium.py):
they render every operation, "Try it out" calls the mock, and no request leaves the machine."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from chromium import Browser

from mock_server.api.legacy.routes import V1_OPERATIONS
from mock_server.control_client import MockControl

pytestmark = pytest.mark.slow

FIRST_LOAD_LIMIT = 700_000  # bytes on the wire; about 520 kB gzipped (1.7 MB as the package ships it)
CACHED_LOAD_LIMIT = 120_000  # a second visit: the page and the documents only, Swagger UI from the cache


def wait(browser: Browser, timeout: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser.driver, timeout)


def css(selector: str) -> tuple[str, str]:
    from selenium.webdriver.common.by import By

    return (By.CSS_SELECTOR, selector)


def rendered_operations(browser: Browser, url: str) -> list[str]:
    """Open a docs page and wait for Swagger UI to draw it; the ids of the operations it shows."""
    from selenium.webdriver.support import expected_conditions as shown

    browser.get(url)
    wait(browser).until(shown.visibility_of_element_located(css(".opblock")))
    return [block.get_attribute("id") for block in browser.driver.find_elements(*css(".opblock"))]


def document_operations(document: dict[str, Any]) -> list[str]:
    """Swagger UI's ids of the document's operations: operations-{tag}-{operationId}."""
    return [f"operations-{op['tags'][0]}-{op['operationId']}"
            for item in document["paths"].values() for op in item.values()]


def test_v3_renders_every_operation_offline(chromium: Browser, equos_mock) -> None:
    document = httpx.get(equos_mock.url + "/docs/v3-json").json()
    shown = rendered_operations(chromium, equos_mock.url + "/docs/v3")
    assert sorted(shown) == sorted(document_operations(document))
    assert len(shown) == 51 and "operations-character-listCharacters" in shown
    driver = chromium.driver
    assert driver.find_element(*css(".info .title")).text.startswith("Equos API (equos-mock)")
    assert driver.find_element(*css("#operations-brain-listBrains .opblock-summary-path")).text == "/v3/brains"
    assert chromium.foreign_requests() == []
    loaded = chromium.bytes_by_url(equos_mock.url)
    assert {url.split("?")[0].removeprefix(equos_mock.url) for url in loaded} >= {
        "/docs/v3", "/docs/v3-json", "/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"}
    first = sum(loaded.values())
    assert first < FIRST_LOAD_LIMIT, loaded
    # A second visit takes Swagger UI from the browser's cache (the links are fingerprinted).
    rendered_operations(chromium, equos_mock.url + "/docs/v3")
    again = {url: n for url, n in chromium.bytes_by_url(equos_mock.url).items() if url not in loaded}
    assert sum(chromium.bytes_by_url(equos_mock.url).values()) - first < CACHED_LOAD_LIMIT, again
    assert chromium.foreign_requests() == []


def test_v1_renders_the_legacy_operations_offline(chromium: Browser, equos_mock) -> None:
    shown = rendered_operations(chromium, equos_mock.url + "/docs/v1")
    document = httpx.get(equos_mock.url + "/docs/v1-json").json()
    assert sorted(shown) == sorted(document_operations(document))
    assert len(shown) == len(V1_OPERATIONS) == 25
    assert "operations-sessions-SessionsController_create_v1" in shown
    assert chromium.driver.find_element(*css(".info .title")).text.startswith("Equos API v1")
    assert chromium.foreign_requests() == []


def test_try_it_out_calls_the_mock_with_the_key_from_authorize(chromium: Browser, validated_server) -> None:
    """With --control-token set too: the docs need no token, the journal does."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown

    mock = validated_server(control_token="s3cret")
    key = "sk_test_swagger_try_it_out"
    brain = httpx.post(mock.url + "/v3/brains", headers={"x-api-key": key},
                       json={"instructions": "be brief", "greetingMessage": "hello from the docs"}).json()
    rendered_operations(chromium, mock.url + "/docs/v3")
    until = wait(chromium).until

    until(shown.element_to_be_clickable(css(".btn.authorize"))).click()
    field = until(shown.visibility_of_element_located((By.ID, "api_key_value")))
    field.send_keys(key)
    field.find_element(By.XPATH, "./ancestor::form").find_element(*css("button.authorize")).click()
    until(shown.visibility_of_element_located((By.XPATH, "//div[contains(@class,'dialog-ux')]"
                                                         "//button[normalize-space()='Logout']")))
    chromium.driver.find_element(*css(".dialog-ux .close-modal")).click()

    operation = "#operations-brain-listBrains"
    chromium.driver.find_element(*css(f"{operation} .opblock-summary-control")).click()
    until(shown.element_to_be_clickable(css(f"{operation} .try-out__btn"))).click()
    until(shown.element_to_be_clickable(css(f"{operation} .execute"))).click()
    status = until(shown.visibility_of_element_located(css(f"{operation} .live-responses-table "
                                                           "tr.response .response-col_status")))
    assert status.text.strip() == "200"
    body = json.loads(chromium.driver.find_element(
        *css(f"{operation} .live-responses-table tr.response .response-col_description pre")).text)
    assert body["total"] == 1 and body["brains"][0]["id"] == brain["id"]
    assert body["brains"][0]["greetingMessage"] == "hello from the docs"
    curl = chromium.driver.find_element(*css(f"{operation} .curl-command")).text
    assert f"x-api-key: {key}" in curl

    # The mock saw the call, from this key, and answered it.
    journal = MockControl(mock.url, token="s3cret").journal(method="GET", path="/v3/brains", key=key)
    assert [(entry["status"], entry["query"]) for entry in journal] == [(200, "take=20&skip=0")]
    assert [url for url in chromium.requests() if "/v3/brains" in url] == [mock.url + "/v3/brains?take=20&skip=0"]
    assert chromium.foreign_requests() == []
