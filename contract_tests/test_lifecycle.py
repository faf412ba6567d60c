"""Check 2 and 3, directly: paging partitions a list, and the conversation lifecycle with its billing."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from . import strategies as gen
from .api import billed_seconds, create, expect_null, find_listed, ms, page_through
from .paging import brains_in_list_order
from .target import BudgetExhausted, Target


def test_pages_partition_the_list(equos_target: Target) -> None:
    target = equos_target

    @given(st.integers(1, 7), st.integers(1, 4))
    def run(count: int, take: int) -> None:
        with target.example() as ex:
            order = brains_in_list_order(target, ex, count, "p")
            items, totals = page_through(target, "brains", take, ex.tag)
            ids = [i["id"] for i in items]
            target.expect("listBrains", totals == [count] * len(totals), f"totals {totals}, created {count}")
            target.expect("listBrains", ids == order, f"pages of {take} hold {ids}, expected {order}")

    run()


def _character(target: Target, ex: object) -> str:
    body = {"name": "lifecycle", "livekitIdentity": f"{ex.tag}-lc", "client": ex.tag}  # type: ignore[attr-defined]
    return create(target, ex, "characters", body).json()["id"]  # type: ignore[arg-type]


def test_stop_ends_once_and_bills(equos_target: Target) -> None:
    target = equos_target

    @given(st.data())
    def run(data: st.DataObject) -> None:
        if target.control:
            target.clock("freeze")  # exact billing: time moves only when we say so
        try:
            check(data)
        finally:
            if target.control:
                target.clock("unfreeze")

    def check(data: st.DataObject) -> None:
        with target.example() as ex:
            total_before = freemium_usage(target)
            body = data.draw(gen.conversation(ex.tag, _character(target, ex)), label="conversation")
            body["maxSeconds"] = max(body["maxSeconds"], 60)
            wait = data.draw(st.integers(0, 50), label="seconds before stop") if target.control else 0
            try:
                reply = target.start_conversation(ex, body)
            except BudgetExhausted as exc:
                pytest.skip(str(exc))
            conversation = reply.json()["conversation"]
            if wait:
                target.clock("advance", seconds=wait)
            stopped = target.post(f"/v3/conversations/{conversation['id']}/stop")
            ex.running.remove(conversation["id"])
            target.expect("stopConversation", stopped.status == 201 and not stopped.is_null,
                          f"stop answered {stopped.status} {stopped.content[:80]!r}")
            ended = stopped.json()
            target.expect("stopConversation", ended["status"] == "ended", f"stopped conversation is {ended['status']}")
            target.expect("stopConversation", ended["createdAt"] == conversation["createdAt"], "createdAt moved")
            seconds = (ms(ended["endedAt"]) - ms(ended["startedAt"])) / 1000
            if target.control:
                target.expect("stopConversation", seconds == wait, f"ran {seconds}s, the clock moved {wait}s")
            got = target.get(f"/v3/conversations/{conversation['id']}").json()
            target.expect("getConversationById", got["status"] == "ended" and got["endedAt"] == ended["endedAt"],
                          f"read back as {got['status']} ended {got['endedAt']}")
            expect_null(target, "stopConversation", target.post(f"/v3/conversations/{conversation['id']}/stop"),
                        "double stop")
            usage = user_usage(target, ex.tag)
            target.expect("getUserUsage", abs(usage - seconds) < USAGE_TOLERANCE, f"usage {usage}, the conversation "
                                                                                  f"ran {seconds}s")
            check_freemium_growth(target, total_before, seconds)

    run()


USAGE_TOLERANCE = 0.0015  # seconds: usage is summed in milliseconds
# Real time, without the control plane: the conversation must have ended by maxSeconds, at startedAt +
# maxSeconds give or take this much (a real service may end it by a periodic job, or round).
EXPIRY_TOLERANCE = 1.0
EXPIRY_POLL = 10.0  # seconds past the deadline within which the target must show the conversation ended
REAL_TIME_MAX_SECONDS = (1, 2)


def user_usage(target: Target, client: str) -> float:
    reply = target.get("/v3/organizations/user-usage", params={"client": client})
    target.expect("getUserUsage", reply.status == 200, f"user usage answered {reply.status}")
    return float(reply.content)


def freemium_usage(target: Target) -> float:
    reply = target.get("/v3/organizations/freemium-usage")
    target.expect("getFreemiumUsage", reply.status == 200, f"freemium usage answered {reply.status}")
    return float(reply.content)


def check_freemium_growth(target: Target, before: float, seconds: float) -> None:
    """The organization's usage grew by what ours ran: exactly in a private organization (where it is
    also the sum over every listed conversation, none running), at least that much in a shared one
    (others' conversations add to it)."""
    total = freemium_usage(target)
    grown = total - before
    if target.private:
        target.expect("getFreemiumUsage", abs(grown - seconds) < USAGE_TOLERANCE,
                      f"freemium usage grew {grown}s, our conversations ran {seconds}s")
        billed = billed_seconds(target.list_all("conversations"))
        target.expect("getFreemiumUsage", billed is not None and abs(total - billed) < USAGE_TOLERANCE,
                      f"freemium usage {total}, the organization's conversations ran {billed}s")
    else:
        target.expect("getFreemiumUsage", grown >= seconds - USAGE_TOLERANCE,
                      f"freemium usage grew {grown}s, less than our conversations ran ({seconds}s)")


def test_expiry_in_real_time(equos_target: Target) -> None:
    """Without the control plane (as on the real API): short conversations end by themselves, at
    startedAt + maxSeconds, and are billed for that long. Uses len(REAL_TIME_MAX_SECONDS) conversations
    and about max(REAL_TIME_MAX_SECONDS) + 1 s of waiting."""
    target = equos_target
    if target.control:
        pytest.skip("with the control plane, test_expiry_by_max_seconds checks expiry exactly on a moved clock")
    with target.example() as ex:
        total_before = freemium_usage(target)
        character = _character(target, ex)
        started = []
        for max_seconds in REAL_TIME_MAX_SECONDS:
            try:
                reply = target.start_conversation(ex, {"name": "expiry", "characterId": character, "client": ex.tag,
                                                       "maxSeconds": max_seconds})
            except BudgetExhausted as exc:
                pytest.skip(str(exc))
            target.expect("startConversation", reply.status == 201, f"start answered {reply.status}")
            started.append((reply.json()["conversation"], time.monotonic()))
        ended = []
        for conversation, sent in started:
            deadline = sent + conversation["maxSeconds"] + EXPIRY_POLL
            time.sleep(max(0.0, sent + conversation["maxSeconds"] + 0.2 - time.monotonic()))
            while True:  # the client's list first: a get must not be what brings the lists up to date
                listed = find_listed(target, "conversations", conversation["id"], ex.tag)[0] or {}
                if listed.get("status") == "ended" or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            expired_everywhere(target, ex.tag, listed, first=True)
            got = target.get(f"/v3/conversations/{conversation['id']}").json()
            target.expect("getConversationById", got["status"] == "ended" and got["endedAt"] is not None,
                          f"{conversation['maxSeconds']}s conversation still {got['status']} "
                          f"{EXPIRY_POLL}s after its end")
            ex.running.remove(conversation["id"])
            expired_everywhere(target, ex.tag, got)
            ran = (ms(got["endedAt"]) - ms(got["startedAt"])) / 1000
            target.expect("getConversationById", abs(ran - conversation["maxSeconds"]) <= EXPIRY_TOLERANCE,
                          f"endedAt {got['endedAt']} is {ran}s after startedAt {got['startedAt']}, maxSeconds "
                          f"{conversation['maxSeconds']} (tolerance {EXPIRY_TOLERANCE}s)")
            stop = target.post(f"/v3/conversations/{conversation['id']}/stop")
            expect_null(target, "stopConversation", stop, "stop of an expired conversation")
            ended.append(ran)
        usage = user_usage(target, ex.tag)
        target.expect("getUserUsage", abs(usage - sum(ended)) < USAGE_TOLERANCE,
                      f"user usage {usage}s, the expired conversations ran {ended}")
        check_freemium_growth(target, total_before, sum(ended))


def expired_everywhere(target: Target, client: str, got: dict[str, object], *, first: bool = False) -> None:
    """An expired conversation is ended in the client's filtered list and in the list too, with the
    get's endedAt (issue 23, class 2); ``first``: read before any get of it, ``got`` is the filtered list's."""
    if first:
        target.rule("views.expired", got.get("status") == "ended" and got.get("endedAt") is not None,
                    f"expired conversation listed as {got.get('status')} before any get of it", "listConversations")
        if got.get("endedAt") is None:
            return
    for params in ({"client": client}, {}):
        item = find_listed(target, "conversations", str(got["id"]), params.get("client"))[0] or {}
        same = item.get("status") == "ended" and item.get("endedAt") is not None and \
            ms(item["endedAt"]) == ms(str(got["endedAt"]))
        target.rule("views.expired", same, f"expired conversation listed as {item.get('status')} ended "
                                           f"{item.get('endedAt')} ({params}), its get says ended {got['endedAt']}",
                    "listConversations")


def test_expiry_by_max_seconds(needs_control: Target) -> None:
    target = needs_control

    @given(st.integers(1, 120), st.integers(0, 300))
    def run(max_seconds: int, extra: int) -> None:
        with target.example() as ex:
            target.clock("freeze")
            try:
                body = {"name": "expiry", "characterId": _character(target, ex), "client": ex.tag,
                        "maxSeconds": max_seconds}
                try:
                    conversation = target.start_conversation(ex, body).json()["conversation"]
                except BudgetExhausted as exc:
                    pytest.skip(str(exc))
                target.clock("advance", seconds=max_seconds + extra)
                got = target.get(f"/v3/conversations/{conversation['id']}").json()
                deadline = ms(conversation["startedAt"]) + max_seconds * 1000
                target.expect("getConversationById", got["status"] == "ended" and got["endedAt"] is not None
                              and ms(got["endedAt"]) == deadline,
                              f"after {max_seconds + extra}s of {max_seconds}: {got['status']}, ended {got['endedAt']}")
                usage = float(target.get("/v3/organizations/user-usage", params={"client": ex.tag}).content)
                target.expect("getUserUsage", usage == max_seconds, f"usage {usage}, expected {max_seconds}")
            finally:
                target.clock("unfreeze")

    run()
