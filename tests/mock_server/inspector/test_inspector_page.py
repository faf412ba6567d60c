"""The inspector page (/_mock/ui) in headless Chromium against a live mock on loopback, as issue 15 lists:
conversations appear live, the clock ends them, events and faults are sent from the page, the journal
filters, and the control token guards it all. The same run saves the docs' screenshots (docs/images/)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from equos.client.errors import UnexpectedStatus
from equos.client.models import (
    CreateEquosBrainRequest,
    CreateEquosCharacterRequest,
    CreateEquosConversationRequest,
    EquosParticipantIdentity,
)
from inspector_scenery import world

from mock_server.pytest_plugin import sdk_client

pytestmark = pytest.mark.slow  # a browser and a server per test

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ROOT / "docs" / "images"
PAGE_BUDGET_BYTES = 200_000


def wait(browser: Any, condition: Callable[[Any], Any], timeout: float = 15, message: str = "") -> Any:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The page redraws its lists as data arrives: an element read a moment ago may be gone.
    return WebDriverWait(browser.driver, timeout, poll_frequency=0.1, ignored_exceptions=(
        StaleElementReferenceException, NoSuchElementException)).until(condition, message)


def css(browser: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return browser.driver.find_element(By.CSS_SELECTOR, selector)


def all_css(browser: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return browser.driver.find_elements(By.CSS_SELECTOR, selector)


def click(browser: Any, selector: str) -> None:
    """Click what ``selector`` finds, again if the page redrew it in between."""
    wait(browser, lambda d: css(browser, selector).click() or True, message=f"could not click {selector}")


def pick_organization(browser: Any, org_id: str) -> None:
    from selenium.webdriver.support.ui import Select

    wait(browser, lambda d: any(o.get_attribute("value") == org_id for o in all_css(browser, "#org option")),
         message=f"organization {org_id} never listed")
    Select(css(browser, "#org")).select_by_value(org_id)


def tab(browser: Any, view: str) -> None:
    css(browser, f'#tabs [data-view="{view}"]').click()
    wait(browser, lambda d: css(browser, f"#view-{view}").is_displayed())


def row(browser: Any, list_id: str, item_id: str) -> Any:
    found = all_css(browser, f'#{list_id} .vrow[data-id="{item_id}"]')
    return found[0] if found else None


def started(url: str, *, max_seconds: float = 600) -> tuple[Any, str, Any]:
    """A fresh key's organization, a character, and a conversation started through the official SDK."""
    key = f"sk_ui_{uuid.uuid4().hex[:10]}"
    sdk = sdk_client(url, key)
    brain = sdk.brains.create(CreateEquosBrainRequest(instructions="Be brief.", greeting_message="Hi!"))
    character = sdk.characters.create(CreateEquosCharacterRequest(
        name="Ava", livekit_identity=f"ava-{uuid.uuid4().hex[:6]}", brain_id=brain.id))
    conversation = sdk.conversations.start(CreateEquosConversationRequest(
        name="Lobby kiosk", character_id=character.id, max_seconds=max_seconds,
        consumer=EquosParticipantIdentity(identity="user-1", name="Dana"))).conversation
    return sdk, key, conversation


def org_name_of(url: str, org_id: str) -> str:
    return next(o["name"] for o in httpx.get(f"{url}/_mock/organizations").json() if o["id"] == org_id)


def organization_of(url: str, key: str) -> str:
    return httpx.get(f"{url}/_mock/organizations", params={"key": key}).json()[0]["id"]


def seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)


def test_an_sdk_started_conversation_shows_as_running_with_a_countdown(validated_server, chromium):
    server = validated_server()
    _, _, conversation = started(server.url, max_seconds=600)
    chromium.get(f"{server.url}/_mock/ui")
    wait(chromium, lambda d: row(chromium, "conv-list", conversation.id), message="the conversation never showed")
    line = row(chromium, "conv-list", conversation.id)
    assert "running" in line.get_attribute("class")  # running ones stand out
    assert css(chromium, f'.vrow[data-id="{conversation.id}"] .badge').text == "running"
    first = css(chromium, f'.vrow[data-id="{conversation.id}"] [data-deadline]').text
    assert 590 <= seconds(first) <= 600, first  # counting down from maxSeconds on the organization's clock
    wait(chromium, lambda d: css(chromium, f'.vrow[data-id="{conversation.id}"] [data-deadline]').text != first,
         timeout=5, message="the countdown does not move")
    assert seconds(css(chromium, f'.vrow[data-id="{conversation.id}"] [data-deadline]').text) < seconds(first)
    assert css(chromium, "#running-count").text == "1"
    # First load, the page and its first data: small, and from the mock only.
    assert chromium.transferred_bytes() < PAGE_BUDGET_BYTES
    assert chromium.foreign_requests() == []
    assert any(url.endswith("/_mock/ui/app.js") for url in chromium.requests())


def test_advancing_the_clock_from_the_page_ends_it_at_started_plus_max_seconds(validated_server, chromium):
    server = validated_server()
    sdk, key, conversation = started(server.url, max_seconds=120)
    org_id = organization_of(server.url, key)
    chromium.get(f"{server.url}/_mock/ui")
    pick_organization(chromium, org_id)
    tab(chromium, "clock")
    wait(chromium, lambda d: css(chromium, "#clock-scope-name").get_attribute("data-org") == org_id)
    field = css(chromium, "#clock-advance")
    field.clear()
    field.send_keys("180")
    css(chromium, "#clock-advance-go").click()
    tab(chromium, "conversations")
    wait(chromium, lambda d: row(chromium, "conv-list", conversation.id) is not None
         and css(chromium, f'.vrow[data-id="{conversation.id}"] .badge').text == "ended",
         message="the conversation did not turn ended")
    read = sdk.conversations.get(conversation.id)
    assert read.status.value == "ended"
    assert read.ended_at == read.started_at + timedelta(seconds=120)
    # Only this organization's clock moved: the app clock did not.
    assert httpx.get(f"{server.url}/_mock/clock").json()["offsetMs"] == 0


def test_joined_and_an_utterance_sent_from_the_page_read_back_through_the_api(validated_server, chromium):
    server = validated_server()
    sdk, _, conversation = started(server.url)
    chromium.get(f"{server.url}/_mock/ui")
    wait(chromium, lambda d: row(chromium, "conv-list", conversation.id))
    click(chromium, f'#conv-list .vrow[data-id="{conversation.id}"]')
    wait(chromium, lambda d: all_css(chromium, "#ev-joined"))
    click(chromium, "#ev-joined")
    wait(chromium, lambda d: "joined" in css(chromium, "#timeline").text)
    from selenium.webdriver.support.ui import Select

    Select(css(chromium, "#utterance-author")).select_by_value("user")
    css(chromium, "#utterance-text").send_keys("Is the pool open tonight?")
    click(chromium, "#utterance-send")
    wait(chromium, lambda d: "Is the pool open tonight?" in css(chromium, "#conv-detail").text)
    read = sdk.conversations.get(conversation.id)
    assert read.joined_at is not None
    assert [entry.type_ for entry in read.timeline] == ["started", "joined"]
    wait(chromium, lambda d: len(lines(css(chromium, "#timeline").text)) == 2)
    assert lines(readable(chromium, "#timeline")) == [
        f"{read.started_at.strftime('%H:%M:%S')} started", f"{read.joined_at.strftime('%H:%M:%S')} joined · consumer"]
    assert lines(readable(chromium, "#transcript"))[-2:] == [
        f"user · {read.transcript[-1].recorded_at.strftime('%H:%M:%S')}", "Is the pool open tonight?"]
    assert lines(readable(chromium, "#claims"))[0] == "consumer token"
    assert '"sub": "user-1"' in readable(chromium, "#claims")
    assert (read.transcript[-1].author.value, read.transcript[-1].content) == ("user", "Is the pool open tonight?")


def test_a_503_fault_added_from_the_page_fails_the_sdk_call_until_removed(validated_server, chromium):
    server = validated_server()
    sdk, key, _ = started(server.url)
    org_id = organization_of(server.url, key)
    chromium.get(f"{server.url}/_mock/ui")
    pick_organization(chromium, org_id)
    tab(chromium, "faults")
    from selenium.webdriver.support.ui import Select

    Select(css(chromium, "#f-kind")).select_by_value("status")
    status = css(chromium, "#f-status")
    status.clear()
    status.send_keys("503")
    path = css(chromium, "#f-path")
    path.clear()
    path.send_keys("/v3/characters")
    Select(css(chromium, "#f-scope")).select_by_value("organization")
    css(chromium, "#f-add").click()
    wait(chromium, lambda d: all_css(chromium, "#fault-table [data-remove]"), message="the rule never listed")
    rules = httpx.get(f"{server.url}/_mock/faults").json()
    assert [(r["status"], r["path"], r["organization"]) for r in rules] == [(503, "/v3/characters", org_id)]
    assert lines(readable(chromium, "#fault-table")) == [
        "RULE MATCH SCOPE DOES FIRES",
        f"{rules[0]['id']} any /v3/characters {org_name_of(server.url, org_id)} 503 0 hits Remove"]
    with pytest.raises(UnexpectedStatus) as failed:
        sdk.characters.list()
    assert failed.value.status_code == 503
    click(chromium, "#fault-table [data-remove]")
    wait(chromium, lambda d: not all_css(chromium, "#fault-table [data-remove]"), message="the rule stayed")
    assert httpx.get(f"{server.url}/_mock/faults").json() == []
    assert sdk.characters.list().total == 1


def test_the_journal_filters_to_one_organization(validated_server, chromium):
    server = validated_server()
    _, key_a, _ = started(server.url)
    sdk_b, key_b, _ = started(server.url)
    for _ in range(3):
        sdk_b.characters.list()
    org_a, org_b = organization_of(server.url, key_a), organization_of(server.url, key_b)
    chromium.get(f"{server.url}/_mock/ui#journal")
    shown = lambda d: {r.get_attribute("data-org") for r in all_css(chromium, "#j-list .vrow")}  # noqa: E731
    wait(chromium, lambda d: shown(d) >= {org_a, org_b}, message="the journal does not show both organizations")
    pick_organization(chromium, org_a)
    expected = httpx.get(f"{server.url}/_mock/journal/count", params={"organization": org_a}).json()["count"]
    wait(chromium, lambda d: len(all_css(chromium, "#j-list .vrow")) == expected
         and {r.get_attribute("data-org") for r in all_css(chromium, "#j-list .vrow")} == {org_a},
         message="the journal was not filtered to one organization")
    assert re.match(rf"{expected} requests", css(chromium, "#j-total").text)
    shown = readable(chromium, "#view-journal")
    assert org_name_of(server.url, org_a) in shown and org_name_of(server.url, org_b) not in shown
    assert org_b not in css(chromium, "#j-list").get_attribute("innerHTML")


def test_the_page_asks_for_the_control_token_and_is_refused_without_it(validated_server, chromium):
    server = validated_server(control_token="s3cret-token")
    headers = {"x-mock-token": "s3cret-token"}
    chromium.get(f"{server.url}/_mock/ui")
    wait(chromium, lambda d: css(chromium, "#login").is_displayed(), message="no login prompt")
    assert not css(chromium, "#app").is_displayed()
    # The page's own call (with its page token, issue 19) still needs the control token.
    refused = chromium.driver.execute_async_script(
        "fetch('/_mock/organizations', {headers: {'x-mock-page': "
        "document.querySelector('meta[name=equos-mock-page]').content}}).then(r => arguments[0](r.status))")
    assert refused == 401
    css(chromium, "#login-token").send_keys("wrong")
    css(chromium, "#login-form button").click()
    wait(chromium, lambda d: "refused" in css(chromium, "#login-error").text)
    assert not css(chromium, "#app").is_displayed()
    field = css(chromium, "#login-token")
    field.clear()
    field.send_keys("s3cret-token")
    css(chromium, "#login-form button").click()
    wait(chromium, lambda d: css(chromium, "#app").is_displayed(), message="the right token did not open the page")
    # ?token= works too, and is dropped from the address bar at once.
    chromium.driver.execute_script("sessionStorage.clear()")
    chromium.get(f"{server.url}/_mock/ui?token=s3cret-token#journal")
    wait(chromium, lambda d: css(chromium, "#view-journal").is_displayed() and css(chromium, "#app").is_displayed())
    assert "token" not in chromium.driver.current_url
    assert chromium.driver.execute_script("return sessionStorage.getItem('equos-mock-token')") == "s3cret-token"
    assert httpx.get(f"{server.url}/_mock/changes", headers=headers).status_code == 200
    assert chromium.foreign_requests() == []


GARBAGE = re.compile(r"\[object |\bundefined\b|\bNaN\b")


def readable(browser: Any, selector: str) -> str:
    """The visible text of ``selector`` (and its tooltips), with no JavaScript value shown as data."""
    from selenium.common.exceptions import StaleElementReferenceException

    for attempt in range(10):  # the page redraws as the mock changes: read again from a fresh element
        try:
            element = css(browser, selector)
            text = element.text
            titles = browser.driver.execute_script(
                "return [...arguments[0].querySelectorAll('[title]')].map((n) => n.title).join('\\n')", element)
            break
        except StaleElementReferenceException:
            if attempt == 9:
                raise
    found = GARBAGE.findall(f"{text}\n{titles}")
    assert not found, f"{selector} shows {found}:\n{text}\n{titles}"
    return text


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_every_view_reads_right_and_the_screenshots(validated_server, chromium):
    """The world every view is opened in: what each panel shows, as text a person reads (no
    ``[object ...]``, ``undefined`` or ``NaN`` anywhere), then the pictures for docs/inspector.md."""
    server = validated_server()
    # Empty first: every view says there is nothing yet, in words.
    chromium.get(f"{server.url}/_mock/ui")
    for view, empty in (("journal", "No request matches."), ("clock", "no offset"),
                        ("faults", "No fault rule: every request is answered normally."),
                        ("organizations", "ORGANIZATIONS · 0"),
                        ("resources", "Pick an organization at the top to see its resources."),
                        ("usage", "Pick an organization at the top to see its usage."),
                        ("conversations", "No conversation yet.")):
        tab(chromium, view)
        wait(chromium, lambda d, view=view, empty=empty: empty in css(chromium, f"#view-{view}").text,
             message=f"the empty {view} view does not say {empty!r}")
        readable(chromium, f"#view-{view}")
    acme, globex = world(server.url)
    conversations = httpx.get(f"{server.url}/_mock/conversations").json()["items"]
    by_name = {c["name"]: c for c in conversations}
    wait(chromium, lambda d: len(all_css(chromium, "#conv-list .vrow")) == 6)
    # The list: a running row counts down; an ended one says so, with how long it lasted.
    ended = by_name["Late checkout"]
    ended_row = lines(readable(chromium, f'#conv-list .vrow[data-id="{ended["id"]}"]'))
    assert ended_row[:4] == ["ended", "Late checkout", f"{ended['id']} · Dana Guest", "Acme Hotels"]
    assert ended_row[5] == "ended" and re.fullmatch(r"after 0:0\d", ended_row[6]), ended_row
    readable(chromium, "#conv-list")
    click(chromium, f'#conv-list .vrow[data-id="{ended["id"]}"]')
    wait(chromium, lambda d: css(chromium, "#conv-status-badge").text == "ended")
    stats = lines(readable(chromium, "#conv-top"))
    assert re.fullmatch(r"0:0\d", stats[3]) and stats[4] == "lasted of 15:00 (maxSeconds)", stats
    museum = by_name["Museum guide"]
    click(chromium, f'#conv-list .vrow[data-id="{museum["id"]}"]')
    wait(chromium, lambda d: all_css(chromium, "#transcript"))
    detail = httpx.get(f"{server.url}/_mock/conversations/{museum['id']}").json()
    conversation = detail["conversation"]
    assert f"Consumer\nDana Guest ({conversation['consumerIdentity']})" in readable(chromium, "#conv-detail")
    # The claims: each token's label, then its claims as indented JSON.
    expected_claims = ["consumer token", *json.dumps(detail["tokenClaims"]["consumer"], indent=2).splitlines(),
                       "remote agent token", *json.dumps(detail["tokenClaims"]["remoteAgent"], indent=2).splitlines()]
    assert lines(readable(chromium, "#claims")) == [line for line in expected_claims if line.strip()]
    assert lines(readable(chromium, "#transcript")) == [
        part for u in conversation["transcript"]
        for part in (f"{u['author']} · {u['recordedAt'][11:19]}", u["content"])]
    assert lines(readable(chromium, "#timeline")) == [
        " · ".join(filter(None, (f"{t['recordedAt'][11:19]} {t['type']}", t.get("author"), t.get("content"))))
        for t in conversation["timeline"]]
    chromium.screenshot(IMAGES / "inspector-conversations.png")
    # The organization picker: each organization's name and its key as the journal masks it.
    journal = httpx.get(f"{server.url}/_mock/journal", params={"organization": acme.id, "limit": 1}).json()["entries"]
    acme_key = journal[0]["key"]
    assert acme_key.startswith("****") and acme.key not in acme_key
    def picker(_: Any) -> list[str] | None:  # the picker is rebuilt as organizations come and go
        found = [o.text for o in all_css(chromium, "#org option")]
        return found if f"Acme Hotels · {acme_key}" in found else None

    options = wait(chromium, picker)
    assert options[0] == "All organizations" and f"Acme Hotels · {acme_key}" in options
    assert not any(acme.id in o or globex.id in o for o in options)
    tab(chromium, "journal")
    typo = wait(chromium, lambda d: next((r.get_attribute("data-id") for r in all_css(chromium, "#j-list .vrow")
                                           if "charcters" in r.text), None))
    click(chromium, f'#j-list .vrow[data-id="{typo}"]')
    wait(chromium, lambda d: all_css(chromium, "#near-misses"))
    assert "GET /v3/characters" in readable(chromium, "#near-misses")
    entry = lines(readable(chromium, "#j-detail"))
    assert entry[:2] == ["404", "GET /v3/charcters"] and f"API key\n{acme_key}" in "\n".join(entry)
    readable(chromium, "#view-journal")
    chromium.screenshot(IMAGES / "inspector-journal.png")
    pick_organization(chromium, acme.id)
    expected = {
        "resources": ["CHARACTERS · 2", "Ava, concierge", "check-in.pdf", "2048 B", "KNOWLEDGE BASES · 1", "1 brain"],
        "clock": ["With an organization picked above, only its clock moves (it is split off from the app clock).",
                  "app", "Acme Hotels (app clock)", "no offset"],
        "faults": ["POST /v3/conversations", "429 · Retry-After 30", "0 hits · p=0.25", "/v3/knowledge-bases/*",
                   "after 1500 ms", "0 hits of 5", "Globex Tours", "everyone"],
        "organizations": ["Acme Hotels", acme_key, "limit 1:00:00", "not charged", "2 characters", "1 knowledge base",
                          "Globex Tours", "ASSUMPTIONS IN FORCE"],
        "usage": ["FREEMIUM USAGE", "PER CLIENT TAG (USER-USAGE)", "\nkiosk ", "\napp ", "4 conversations, 3 running"],
    }
    for view, ready in (("resources", "#resources .card"), ("clock", "#clock-table tr"),
                        ("faults", "#fault-table tr"), ("organizations", "#org-table tr"), ("usage", "#usage-total")):
        tab(chromium, view)
        wait(chromium, lambda d, ready=ready: all_css(chromium, ready))
        shown = readable(chromium, f"#view-{view}")
        missing = [text for text in expected[view] if text not in shown]
        assert not missing, f"the {view} view lacks {missing}:\n{shown}"
        chromium.screenshot(IMAGES / f"inspector-{view}.png")
    assert chromium.foreign_requests() == []
