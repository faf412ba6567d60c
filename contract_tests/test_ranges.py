"""Issue 23, classes 2, 3 and 9: every input across its whole range and boundaries, and its effect;
every view of an expired or errored conversation agrees; each paging boundary probed on its own."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from .api import PATHS, create, find_listed, ms
from .paging import BOUNDARIES, brains_in_list_order, check_paging
from .probes import expected
from .target import Example, Target

USAGE_TOLERANCE = 0.0015
LIMITS = st.one_of(st.sampled_from([60, 3600, 86_400]), st.integers(30, 86_400))  # an organization's durationLimit


def _views(target: Target, key: str, client: str, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation as the get, the client's filtered list and the organization's list show it."""
    # The lists first: a get that brings expiry up to date must not be what makes the lists right.
    seen = [find_listed(target, "conversations", conversation_id, filtered, api_key=key)[0] or {}
            for filtered in (client, None)]
    return [target.get(f"/v3/conversations/{conversation_id}", api_key=key).json(), *seen]


def _agree(target: Target, rule: str, seen: list[dict[str, Any]], status: str, ended_ms: int | None,
           what: str) -> None:
    for view, item in zip(("get", "filtered list", "list"), seen, strict=True):
        ok = item.get("status") == status and (
            (ended_ms is None and item.get("endedAt") is None)
            or (ended_ms is not None and item.get("endedAt") is not None and ms(item["endedAt"]) == ended_ms))
        target.rule(rule, ok, f"{what}: the {view} shows {item.get('status')} ended {item.get('endedAt')}, "
                              f"expected {status} ended {ended_ms}", "getConversationById" if view == "get"
                    else "listConversations")


def _organization(target: Target, limit: int) -> str:
    """A fresh organization with this durationLimit and a frozen clock (control plane)."""
    key = target.new_organization_key_with({"durationLimit": limit})
    target.control_call("POST", "clock/freeze", {"key": key})
    return key


def test_expiry_views(needs_control: Target) -> None:
    """With a clock: maxSeconds across [1, durationLimit] for any limit, running just before the deadline
    and ended just past it in every view; above the limit refused or lowered (as the probe says); an
    errored conversation the same in every view."""
    target = needs_control
    clamp = expected(target, "max_seconds") == "clamp"

    @given(st.data())
    def run(data: st.DataObject) -> None:
        limit = data.draw(LIMITS, label="durationLimit")
        wanted = data.draw(st.one_of(st.sampled_from([1, limit - 1, limit]), st.integers(1, limit),
                                     st.integers(2, 2 * limit).map(lambda n: n / 2)), label="maxSeconds")
        expire(target, limit, wanted, data.draw(st.sampled_from([1, 0.5, limit]), label="over"), clamp)

    run()
    for limit in (3600, 86_400):  # the boundaries of the range, whatever was drawn: every run
        for wanted in (1, limit - 1, limit):
            expire(target, limit, wanted, 1, clamp)


def expire(target: Target, limit: int, wanted: float, over: float, clamp: bool) -> None:
    key = _organization(target, limit)
    with target.example() as ex:
        character = create(target, ex, "characters", {"name": "range", "livekitIdentity": f"{ex.tag}-r",
                                                      "client": ex.tag}, api_key=key).json()
        body = {"name": "range", "characterId": character["id"], "client": ex.tag}
        started = target.post(PATHS["conversations"], {**body, "maxSeconds": wanted}, api_key=key)
        target.rule("range.duration_limit", started.status == 201 and
                    float(started.json()["conversation"]["maxSeconds"]) == float(wanted),
                    f"maxSeconds {wanted} under a limit of {limit}: {started.status} {started.content[:120]!r}",
                    "startConversation")
        conversation = started.json()["conversation"]
        above = target.post(PATHS["conversations"], {**body, "maxSeconds": limit + over}, api_key=key)
        if clamp:
            ok = above.status == 201 and float(above.json()["conversation"]["maxSeconds"]) == float(limit)
        else:
            ok = 400 <= above.status < 500
        target.rule("range.duration_limit", ok, f"maxSeconds {limit + over} above the limit {limit} answered "
                                                f"{above.status} {above.content[:120]!r} "
                                                f"(max_seconds={'clamp' if clamp else 'reject'})", "startConversation")
        if above.status == 201:
            target.post(f"/v3/conversations/{above.json()['conversation']['id']}/stop", api_key=key)
        deadline = ms(conversation["startedAt"]) + round(float(wanted) * 1000)
        target.control_call("POST", "clock/advance", {"key": key, "seconds": float(wanted) - 0.001})
        seen = _views(target, key, ex.tag, conversation["id"])
        _agree(target, "range.max_seconds_expiry", seen, "running", None, f"1 ms before {wanted}s")
        target.control_call("POST", "clock/advance", {"key": key, "seconds": 0.002})
        seen = _views(target, key, ex.tag, conversation["id"])
        _agree(target, "range.max_seconds_expiry", seen, "ended", deadline, f"1 ms past {wanted}s")
        _agree(target, "views.expired", seen, "ended", deadline, f"expired after {wanted}s")
        used = float(target.get("/v3/organizations/user-usage", params={"client": ex.tag}, api_key=key).content)
        target.rule("range.max_seconds_expiry", abs(used - float(wanted)) < USAGE_TOLERANCE,
                    f"usage {used}s after a {wanted}s conversation expired", "getUserUsage")
        # An errored conversation (the control plane's event): the same in every view.
        errored = target.post(PATHS["conversations"], {**body, "maxSeconds": min(60, limit)}, api_key=key).json()
        cid = errored["conversation"]["id"]
        event = target.control_call("POST", f"conversations/{cid}/events", {"key": key, "type": "error",
                                                                           "content": "range"})
        seen = _views(target, key, ex.tag, cid)
        _agree(target, "views.errored", seen, event["status"], ms(event["endedAt"]), "errored")
    target.control_call("DELETE", "organizations", params={"key": key})


def _number(draw: st.DrawFn, value: int) -> str | int:
    """A number as the SDKs send it: 20 (Node) or 20.0 (the Python SDK's float)."""
    return f"{value}.0" if draw(st.booleans()) else value


def test_paging_ranges(equos_target: Target) -> None:
    """take across 1..50, skip from 0 to far past the end, whole or integral floats: the slice of the
    list that they name, echoed, with the total unchanged."""
    target = equos_target

    @given(st.data())
    def run(data: st.DataObject) -> None:
        with target.example() as ex:
            count = data.draw(st.integers(1, 6), label="items")
            order = brains_in_list_order(target, ex, count, "r")
            take = data.draw(st.one_of(st.sampled_from([1, 50]), st.integers(1, 50)), label="take")
            skip = data.draw(st.one_of(st.sampled_from([0, count, 1000, 1001, 10**6]), st.integers(0, count + 2),
                                       st.integers(0, 10**9)), label="skip")
            page(target, ex, order, take, skip, data.draw(st.booleans(), label="as floats"))

    run()
    with target.example() as ex:  # the boundaries of the range, whatever was drawn: every run
        order = brains_in_list_order(target, ex, 3, "r")
        for take, skip in ((1, 0), (50, 0), (1, 2), (2, 3), (50, 3), (20, 1001), (1, 10**6)):
            for floats in (False, True):
                page(target, ex, order, take, skip, floats)


def page(target: Target, ex: Example, order: list[str], take: int, skip: int, floats: bool) -> None:
    params = {"client": ex.tag, "take": f"{take}.0" if floats else take, "skip": f"{skip}.0" if floats else skip}
    reply = target.get(PATHS["brains"], params=params)
    ok = reply.status == 200
    body = reply.json() if ok else {}
    ids = [b["id"] for b in body.get("brains", [])]
    target.rule("range.paging", ok and float(body["take"]) == take and float(body["skip"]) == skip
                and body["total"] == len(order) and ids == order[skip:skip + take],
                f"{params} over {len(order)} items answered {reply.status}: take {body.get('take')} skip "
                f"{body.get('skip')} total {body.get('total')}, {len(ids)} items, expected "
                f"{len(order[skip:skip + take])}", "listBrains")


def test_paging_boundaries(equos_target: Target) -> None:
    target = equos_target

    @given(st.sampled_from(sorted(BOUNDARIES)), st.data())
    def run(name: str, data: st.DataObject) -> None:
        field, values = BOUNDARIES[name]
        kind = data.draw(st.sampled_from(["brains", "characters", "conversations", "knowledge_bases"]))
        check_paging(target, kind, {field: data.draw(st.sampled_from(values))}, name)

    run()
    for name, (field, values) in BOUNDARIES.items():  # every boundary, whatever was drawn
        check_paging(target, "brains", {field: values[0]}, name)
