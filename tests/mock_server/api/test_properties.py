"""Property tests, in process (no socket) for speed: organization isolation and the conversation lifecycle.

Responses still pass through the OpenAPI validator (``validated_app``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from mock_server import DEFAULT_RESOURCES

VOICES = ["Puck", "Charon", "Kore", "Fenrir", "Aoede"]
# Every listed v3 resource, by its path under /v3, and its list reply's items key: from the declarations.
SERVED = [r for r in DEFAULT_RESOURCES if r.path and not r.legacy]
KINDS = tuple(r.path.removeprefix("/v3/") for r in SERVED)
LIST_KEY = {r.path.removeprefix("/v3/"): r.key for r in SERVED}


@pytest.fixture
def client(inprocess):
    return inprocess()


def ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000 + 0.5)


# --- isolation -------------------------------------------------------------------
creation = st.tuples(st.sampled_from("AB"), st.sampled_from(KINDS), st.sampled_from(VOICES))


def test_two_keys_never_see_each_others_resources(client, examples):
    @settings(max_examples=examples(30), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(creation, min_size=1, max_size=14))
    def run(plan):
        keys = {owner: f"sk_{owner}_{uuid.uuid4().hex}" for owner in "AB"}
        owned: dict[str, dict[str, list[str]]] = {o: {k: [] for k in KINDS} for o in "AB"}
        identities: dict[str, set[str]] = {"A": set(), "B": set()}
        for owner, kind, voice in plan:
            headers = {"x-api-key": keys[owner]}
            if kind == "brains":
                body = {"instructions": "i", "greetingMessage": "g"}
            elif kind == "faces":
                body, identity = {"identity": "tommy"}, "face:tommy"
            elif kind == "voices":
                body, identity = {"identity": voice}, f"voice:{voice}"
            elif kind == "knowledge-bases":
                body = {"name": "kb", "description": "d"}
            elif kind == "characters":
                body = {"name": "c", "livekitIdentity": f"c-{len(owned[owner]['characters'])}",
                        "brainId": owned[owner]["brains"][-1] if owned[owner]["brains"] else None}
            else:
                if not owned[owner]["characters"]:  # a conversation needs a character of its own organization
                    made = client.post("/v3/characters", headers=headers, json={
                        "name": "c", "livekitIdentity": "for-conversation"})
                    owned[owner]["characters"].append(made.json()["id"])
                body = {"name": "n", "characterId": owned[owner]["characters"][-1]}
            response = client.post(f"/v3/{kind}", json=body, headers=headers)
            if kind in ("faces", "voices"):
                # Uniqueness of identities is per organization: the other key's faces never conflict.
                expected = 409 if identity in identities[owner] else 201
                assert response.status_code == expected, response.text
                if expected == 409:
                    continue
                identities[owner].add(identity)
            assert response.status_code == 201, response.text
            created = response.json()
            owned[owner][kind].append(created["conversation"]["id"] if kind == "conversations" else created["id"])

        for me, other in (("A", "B"), ("B", "A")):
            headers = {"x-api-key": keys[me]}
            for kind in KINDS:
                listed = client.get(f"/v3/{kind}?take=50", headers=headers).json()
                assert sorted(item["id"] for item in listed[LIST_KEY[kind]]) == sorted(owned[me][kind])
                assert listed["total"] == len(owned[me][kind])
                for foreign in owned[other][kind]:
                    got = client.get(f"/v3/{kind}/{foreign}", headers=headers)
                    assert (got.status_code, got.content) == (200, b"")
                    if kind != "conversations":  # conversations have no DELETE
                        gone = client.delete(f"/v3/{kind}/{foreign}", headers=headers)
                        assert (gone.status_code, gone.content) == (200, b"")
            for foreign in owned[other]["conversations"]:
                stopped = client.post(f"/v3/conversations/{foreign}/stop", headers=headers)
                assert (stopped.status_code, stopped.content) == (201, b"")
            for foreign in owned[other]["characters"]:
                for path, body in (("/v3/conversations", {"name": "n", "characterId": foreign}),
                                   ("/v3/tokens", {"user": "u", "character": foreign})):
                    assert client.post(path, json=body, headers=headers).status_code == 404
            for foreign in owned[other]["knowledge-bases"]:
                added = client.post(f"/v3/knowledge-bases/{foreign}/documents", headers=headers,
                                    json={"name": "d", "description": "d", "mimeType": "text/plain"})
                assert added.status_code == 404
            for foreign in owned[other]["brains"]:
                refused = client.post("/v3/characters", headers=headers,
                                      json={"name": "x", "livekitIdentity": "x", "brainId": foreign})
                assert refused.status_code == 404
                patched = client.patch(f"/v3/brains/{foreign}", headers=headers,
                                       json={"instructions": "stolen", "greetingMessage": "g"})
                assert (patched.status_code, patched.content) == (200, b"")
        # Nothing the other key tried changed anything: every owner still sees all of its own, untouched.
        for owner in "AB":
            for kind in KINDS:
                for item_id in owned[owner][kind]:
                    got = client.get(f"/v3/{kind}/{item_id}", headers={"x-api-key": keys[owner]})
                    assert got.status_code == 200 and got.json()["id"] == item_id
                    if kind == "brains":
                        assert got.json()["instructions"] == "i"
                    if kind == "conversations":
                        assert got.json()["status"] == "running"  # the other key's stop changed nothing
                    if kind == "knowledge-bases":
                        assert got.json()["documents"] == []

    run()


# --- the conversation lifecycle ----------------------------------------------------
class Lifecycle(RuleBasedStateMachine):
    """Any sequence of starts, stops and clock moves (either way) keeps timestamps and usage consistent."""

    client: Any  # an in-process client, set by the test below

    conversations = Bundle("conversations")

    def __init__(self) -> None:
        super().__init__()
        self.key = f"sk_life_{uuid.uuid4().hex}"
        self.headers = {"x-api-key": self.key}
        frozen = self.client.post("/_mock/clock/freeze", json={"key": self.key})
        assert frozen.status_code == 200
        self.now_ms = ms(frozen.json()["now"])
        character = self.client.post("/v3/characters", json={"name": "c", "livekitIdentity": "c"},
                                     headers=self.headers)
        self.character_id = character.json()["id"]
        # The model: id -> (client, startedAt ms, maxSeconds, stopped-at ms or None)
        self.model: dict[str, list] = {}

    @rule(target=conversations, max_seconds=st.integers(1, 600), client=st.sampled_from(["a", "b", None]))
    def start(self, max_seconds, client):
        response = self.client.post("/v3/conversations", headers=self.headers, json={
            "name": "n", "characterId": self.character_id, "maxSeconds": max_seconds, "client": client})
        assert response.status_code == 201, response.text
        conversation = response.json()["conversation"]
        assert ms(conversation["startedAt"]) == self.now_ms and conversation["status"] == "running"
        self.model[conversation["id"]] = [client, self.now_ms, max_seconds, None]
        return conversation["id"]

    @rule(conversation_id=conversations)
    def stop(self, conversation_id):
        _client, started, max_seconds, stopped = self.model[conversation_id]
        response = self.client.post(f"/v3/conversations/{conversation_id}/stop", headers=self.headers)
        assert response.status_code == 201
        running = stopped is None and self.now_ms < started + max_seconds * 1000
        if running:
            # A clock moved back before startedAt still never ends a conversation before it started.
            ended_at = max(self.now_ms, started)
            assert response.json()["status"] == "ended" and ms(response.json()["endedAt"]) == ended_at
            self.model[conversation_id][3] = ended_at
        else:
            assert response.content == b""  # already ended: the null result

    @rule(seconds=st.one_of(st.integers(0, 900), st.floats(0, 5, allow_nan=False).map(lambda s: round(s, 3))))
    def advance(self, seconds):
        moved = self.client.post("/_mock/clock/advance", json={"seconds": seconds, "key": self.key})
        assert moved.status_code == 200
        self.now_ms = ms(moved.json()["now"])

    @rule(seconds=st.integers(1, 400))
    def rewind(self, seconds):
        """Clocks may also move back (a test setting a past instant)."""
        at = datetime.fromtimestamp((self.now_ms - seconds * 1000) / 1000, tz=UTC)
        moved = self.client.post("/_mock/clock/set", json={"at": at.isoformat(), "key": self.key})
        assert moved.status_code == 200
        self.now_ms = ms(moved.json()["now"])

    def _expected_end(self, conversation_id: str) -> int | None:
        _, started, max_seconds, stopped = self.model[conversation_id]
        if stopped is not None:
            return stopped
        deadline = started + max_seconds * 1000
        return deadline if self.now_ms >= deadline else None

    @invariant()
    def timestamps_and_usage(self):
        listed = self.client.get("/v3/conversations?take=50", headers=self.headers).json()
        assert listed["total"] == len(self.model)
        used_ms = {"a": 0, "b": 0, None: 0}
        for conversation in listed["conversations"]:
            started = ms(conversation["startedAt"])
            expected_end = self._expected_end(conversation["id"])
            if conversation["endedAt"] is None:
                assert conversation["status"] == "running" and expected_end is None
                duration = max(self.now_ms - started, 0)  # running: up to now (nothing before its start)
            else:
                end = ms(conversation["endedAt"])
                assert conversation["status"] == "ended" and end == expected_end
                assert started <= end
                duration = end - started
                self.model[conversation["id"]][3] = end  # observed ended: stays ended if the clock moves back
            assert duration <= conversation["maxSeconds"] * 1000
            used_ms[conversation["client"]] += duration
        total = self.client.get("/v3/organizations/freemium-usage", headers=self.headers)
        assert round(float(total.text) * 1000) == sum(used_ms.values())
        for client in ("a", "b"):
            usage = self.client.get(f"/v3/organizations/user-usage?client={client}", headers=self.headers)
            assert round(float(usage.text) * 1000) == used_ms[client]


def test_conversation_lifecycle_properties(client, examples):
    Lifecycle.client = client
    run_state_machine_as_test(Lifecycle, settings=settings(
        max_examples=examples(25), stateful_step_count=15, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow]))


# --- timestamps on the wire ------------------------------------------------------
@settings(max_examples=300, deadline=None, database=None)
@given(st.integers(min_value=0, max_value=253_402_300_799_000 - 10**9), st.integers(-10**9, 10**9),
       st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_timestamps_print_as_javascript_does_and_the_cache_follows_the_value(at, delta, offset):
    from datetime import timedelta, timezone

    from mock_server.clock import Instant, from_ms, iso, to_ms

    def js(moment: datetime) -> str:  # Date.prototype.toISOString, from the standard library
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    instant = from_ms(at)
    assert isinstance(instant, Instant)
    plain = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=at)
    assert iso(instant) == iso(instant) == js(plain) == iso(plain)  # the second call reads the cache
    assert to_ms(datetime.fromisoformat(iso(instant))) == to_ms(plain) == at
    moved = instant + timedelta(milliseconds=delta)  # a new object: its own wire form, not the old one
    assert iso(moved) == js(plain + timedelta(milliseconds=delta))
    zoned = instant.astimezone(timezone(timedelta(minutes=offset)))
    assert iso(zoned) == iso(instant)
