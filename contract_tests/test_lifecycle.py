"""Check 2 and 3, directly: paging partitions a list, and the conversation lifecycle with its billing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from . import strategies as gen
from .api import create, expect_null, ms, page_through
from .probes import expected
from .target import BudgetExhausted, Target


def test_pages_partition_the_list(equos_target: Target) -> None:
    target = equos_target

    @given(st.integers(1, 7), st.integers(1, 4))
    def run(count: int, take: int) -> None:
        with target.example() as ex:
            made = []
            for _ in range(count):
                if target.control:
                    target.clock("advance", seconds=1)  # distinct createdAt: one right order
                made.append(create(target, ex, "brains", {"instructions": "p", "greetingMessage": "p",
                                                          "client": ex.tag}).json()["id"])
            items, totals = page_through(target, "brains", take, ex.tag)
            ids = [i["id"] for i in items]
            target.expect("listBrains", totals == [count] * len(totals), f"totals {totals}, created {count}")
            order = made[::-1] if expected(target, "list_order") == "newest-first" else made
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
            usage = float(target.get("/v3/organizations/user-usage", params={"client": ex.tag}).content)
            target.expect("getUserUsage", abs(usage - seconds) < 0.0015, f"usage {usage}, the conversation ran "
                                                                         f"{seconds}s")

    run()


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
