"""The inspector shows the room live in the conversation's detail, and its buttons speak into the room."""

from __future__ import annotations

import asyncio
import threading

import pytest
from chromium import wait_until
from lk_client import LkClient
from room_kit import start
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By


def _text(browser, selector):
    try:
        found = browser.driver.find_elements(By.CSS_SELECTOR, selector)
        return found[0].text if found else ""
    except StaleElementReferenceException:  # the page redrew it meanwhile (room activity redraws the detail)
        return ""


def _act(browser, selector, action):
    def attempt():
        try:
            action(browser.driver.find_element(By.CSS_SELECTOR, selector))
            return True
        except (StaleElementReferenceException, NoSuchElementException):
            return False
    wait_until(f"to act on {selector}", attempt)


@pytest.mark.slow  # a browser and a WebRTC client
def test_the_inspector_shows_who_is_in_the_room_and_says_into_it(mock, chromium):
    started = start(mock)
    joined, done, received = threading.Event(), threading.Event(), []

    async def page():
        client = await LkClient(mock.room_url, started.consumer_token).connect(microphone=True)
        joined.set()
        await client.wait(lambda: any(m.get("utterance", {}).get("content") == "Hello from the inspector"
                                      for m in client.received), "the inspector's words", timeout=30)
        received.extend(client.received)
        await asyncio.get_running_loop().run_in_executor(None, done.wait, 30)
        await client.close()

    thread = threading.Thread(target=asyncio.run, args=(page(),))
    thread.start()
    try:
        assert joined.wait(15)
        chromium.get(f"{mock.url}/_mock/ui")
        row = f'#conv-list .vrow[data-id="{started.id}"]'
        wait_until("the conversation's row", lambda: chromium.driver.find_elements(By.CSS_SELECTOR, row))
        _act(chromium, row, lambda e: e.click())
        people = wait_until("the room's participants", lambda: "User One" in _text(chromium, "#room-participants")
                       and _text(chromium, "#room-participants"))
        assert "Ada · character" in people and "equos_character_ada_video" in people and "audio: microphone" in people
        messages = wait_until("the greeting among the data messages", lambda: _text(chromium, "#room-messages"))
        assert "Hello, I am Ada." in messages
        _act(chromium, "#room-say-text", lambda e: e.send_keys("Hello from the inspector"))
        _act(chromium, "#room-say", lambda e: e.click())
        wait_until("the client to hear it", lambda: received)
        wait_until("the transcript to show it", lambda: "Hello from the inspector" in _text(chromium, "#transcript"))
    finally:
        done.set()
        thread.join(15)
    body = started.get()
    assert ("character", "Hello from the inspector") in [(u["author"], u["content"]) for u in body["transcript"]]
