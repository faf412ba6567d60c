"""One probe per assumption of the mock: which alternative the target shows.

Against a target without the control plane (the real API has none) the probes decide what the other
checks expect: ``expected(target, name)`` runs the probe the first time a check needs the answer and
keeps it, so a target that differs from the mock's defaults yields a report row ("switch
``--set auth_failure=403``"), not a red check. A target that shows none of the known alternatives keeps
the mock's default as expectation, and its probe fails.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from mock_server.assumptions import lookup

from .api import create, null_style
from .target import BudgetExhausted, Example, Target

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CUID = re.compile(r"^c[0-9a-z]{20,30}$")
PREFIXED = re.compile(r"^[a-z]{2,5}_[0-9A-Za-z]+$")


def _brain(target: Target, ex: Example) -> dict[str, Any]:
    reply = create(target, ex, "brains", {"instructions": "probe", "greetingMessage": "hi", "client": ex.tag})
    target.expect("createBrain", reply.status == 201, f"probe brain answered {reply.status}")
    return reply.json()


def _character(target: Target, ex: Example, identity: str | None = None) -> Any:
    body = {"name": "probe", "livekitIdentity": identity or f"{ex.tag}-probe", "client": ex.tag}
    return create(target, ex, "characters", body)


def probe_null_result(target: Target, ex: Example) -> tuple[str, str]:
    reply = target.get(f"/v3/brains/{uuid.uuid4()}")
    return null_style(reply), f"GET /v3/brains/<unknown> -> {reply.status} {reply.content[:40]!r}"


def probe_auth_failure(target: Target, ex: Example) -> tuple[str, str]:
    reply = target.get("/v3/brains", api_key=None)
    return str(reply.status), f"GET /v3/brains without x-api-key -> {reply.status}"


def probe_id_style(target: Target, ex: Example) -> tuple[str, str]:
    brain_id = _brain(target, ex)["id"]
    style = ("uuid" if UUID4.match(brain_id) else "cuid" if CUID.match(brain_id) else
             "prefixed" if PREFIXED.match(brain_id) else "other")
    return style, f"a brain id looks like {brain_id[:4]}… ({len(brain_id)} chars)"


def _rejected(status: int) -> bool:
    """A validation error, whichever 4xx the target picks for it (not an auth or routing answer)."""
    return 400 <= status < 500 and status not in (401, 403, 404, 405, 429)


def probe_page_limit(target: Target, ex: Example) -> tuple[str, str]:
    reply = target.get("/v3/brains", params={"take": 51})
    if reply.status == 200:
        take = reply.json().get("take")
        observed = "clamp" if isinstance(take, (int, float)) and take <= 50 else f"other (200, take {take})"
    else:
        observed = "reject" if _rejected(reply.status) else f"other ({reply.status})"
    return observed, f"GET /v3/brains?take=51 -> {reply.status}"


def probe_list_order(target: Target, ex: Example) -> tuple[str, str]:
    first = _brain(target, ex)
    if target.control:
        target.clock("advance", seconds=1)
    else:
        time.sleep(0.05)
    second = _brain(target, ex)
    listed = target.get("/v3/brains", params={"client": ex.tag}).json()["brains"]
    ids = [b["id"] for b in listed]
    observed = ("newest-first" if ids == [second["id"], first["id"]] else
                "oldest-first" if ids == [first["id"], second["id"]] else "other")
    return observed, f"two brains listed {observed}"


def probe_freemium_usage_type(target: Target, ex: Example) -> tuple[str, str]:
    reply = target.get("/v3/organizations/freemium-usage")
    media = reply.content_type.split(";")[0].strip()
    observed = "json" if media == "application/json" else "text" if media.startswith("text/") else f"other ({media})"
    return observed, f"freemium-usage answered {reply.status} as {reply.content_type}"


def probe_duplicate_livekit_identity(target: Target, ex: Example) -> tuple[str, str]:
    identity = f"{ex.tag}-dup"
    first = _character(target, ex, identity)
    target.expect("createCharacter", first.status == 201, f"probe character answered {first.status}")
    second = _character(target, ex, identity)
    observed = "409" if second.status == 409 else "allow" if second.status == 201 else f"other ({second.status})"
    return observed, f"second character with the same livekitIdentity -> {second.status}"


def _conversation(target: Target, ex: Example, **extra: Any) -> Any:
    character = _character(target, ex).json()
    body = {"name": "probe", "characterId": character["id"], "client": ex.tag, **extra}
    return target.start_conversation(ex, body)


def probe_max_seconds(target: Target, ex: Example) -> tuple[str, str]:
    cap, target.max_seconds_cap = target.max_seconds_cap, None  # this probe must send a too-large value
    try:
        reply = _conversation(target, ex, maxSeconds=10_000_000)
    finally:
        target.max_seconds_cap = cap
    if reply.status == 201:
        got = reply.json()["conversation"]["maxSeconds"]
        return ("clamp" if got < 10_000_000 else "other (accepted)"), f"maxSeconds=10000000 started with {got}"
    observed = "reject" if _rejected(reply.status) else f"other ({reply.status})"
    return observed, f"maxSeconds=10000000 -> {reply.status}"


def probe_tokens_with_host(target: Target, ex: Example) -> tuple[str, str]:
    host = {"serverUrl": "wss://livekit.invalid", "accessToken": "probe-token"}
    reply = _conversation(target, ex, host=host, consumer={"identity": "probe-user", "name": "Probe"}, maxSeconds=30)
    target.expect("startConversation", reply.status == 201, f"start with host answered {reply.status}")
    minted = reply.json().get("consumerAccessToken") is not None
    return ("mint" if minted else "none"), f"with host, consumerAccessToken {'minted' if minted else 'null'}"


def probe_cors(target: Target, ex: Example) -> tuple[str, str]:
    reply = target.http.request("OPTIONS", "/v3/brains", headers={
        "origin": "https://app.example", "access-control-request-method": "GET",
        "access-control-request-headers": "x-api-key"})
    allowed = reply.headers.get("access-control-allow-origin")
    return ("open" if allowed else "off"), f"preflight -> {reply.status_code}, allow-origin {allowed!r}"


def probe_end_on_consumer_leave(target: Target, ex: Example) -> tuple[str | None, str]:
    """Cannot know over REST: it takes a consumer leaving a LiveKit room, which this suite never joins."""
    return None, ("cannot know over REST: whether a conversation ends when its consumer leaves the LiveKit room "
                  "takes a participant in the room (the mock's room tests check the mock's own behaviour)")


PROBES: dict[str, Callable[[Target, Example], tuple[str | None, str]]] = {
    "null_result": probe_null_result,
    "auth_failure": probe_auth_failure,
    "id_style": probe_id_style,
    "page_limit": probe_page_limit,
    "list_order": probe_list_order,
    "freemium_usage_type": probe_freemium_usage_type,
    "duplicate_livekit_identity": probe_duplicate_livekit_identity,
    "max_seconds": probe_max_seconds,
    "tokens_with_host": probe_tokens_with_host,
    "cors": probe_cors,
    "end_on_consumer_leave": probe_end_on_consumer_leave,
}



def run_probe(target: Target, name: str) -> tuple[str | None, str]:
    """Probe once per run (the answer is kept on the target) and report what was seen."""
    if name not in target.probed:
        with target.example() as ex:
            try:
                observed, evidence = PROBES[name](target, ex)
            except BudgetExhausted as exc:
                observed, evidence = None, f"not probed: {exc}"
        target.probed[name] = (observed, evidence)
        target.fidelity.observe(name, observed, evidence)
        if not target.control and observed in lookup(name).choices:
            target.assumptions_in_force[name] = observed
    return target.probed[name]


def expected(target: Target, name: str) -> str:
    """The behaviour the checks expect: the mock's setting, else what the probe saw, else the default."""
    if name not in target.assumptions_in_force:
        run_probe(target, name)
    return target.assumptions_in_force.get(name, lookup(name).default)
