"""A server many test runs share: organizations are reclaimed, reads create none, lists are paged,
and no control call walks every organization or every key (checked by counting, not by timing)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mock_server import auth, create_app, state
from mock_server.asgi_client import asgi_client
from mock_server.clock import Clock
from mock_server.control_client import ControlError, MockControl
from mock_server.domain import organizations
from mock_server.journal import Journal, JournalFilter
from mock_server.server import MockServer
from mock_server.settings import Settings

BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}


def _app(**settings: Any) -> Any:
    return create_app(Settings(**settings), clock=Clock(frozen_at=datetime(2030, 1, 1, tzinfo=UTC)))


@pytest.fixture
def app() -> Any:
    return _app()


@pytest.fixture
def client(app: Any) -> Iterator[httpx.Client]:
    with asgi_client(app) as http:
        yield http


def _use(client: httpx.Client, key: str) -> dict[str, Any]:
    reply = client.post("/v3/brains", json=BRAIN, headers={"x-api-key": key})
    assert reply.status_code == 201, reply.text
    return reply.json()


# --- deleting -------------------------------------------------------------------------------
def test_an_organization_is_deleted_by_key_and_by_id(app: Any, client: httpx.Client) -> None:
    _use(client, "sk_a")
    _use(client, "sk_b")
    org_a = client.get("/_mock/organizations", params={"key": "sk_a"}).json()[0]
    org_b = client.get("/_mock/organizations", params={"key": "sk_b"}).json()[0]
    client.post("/_mock/faults", json={"key": "sk_a", "status": 503})
    client.post("/_mock/faults", json={"organization": org_b["id"], "status": 503})

    reply = client.delete("/_mock/organizations", params={"key": "sk_a"})
    assert reply.status_code == 200 and reply.json() == {"deleted": org_a["id"]}
    reply = client.delete(f"/_mock/organizations/{org_b['id']}")
    assert reply.status_code == 200 and reply.json() == {"deleted": org_b["id"]}

    store = app.state.runtime.store
    assert store.organizations == {} and store.keys == {} and store.public_keys == {}
    assert client.get("/_mock/faults").json() == []  # their fault rules went with them
    # The key works again, on a new, empty organization.
    assert client.get("/v3/brains", headers={"x-api-key": "sk_a"}).json()["total"] == 0
    assert client.get("/_mock/organizations", params={"key": "sk_a"}).json()[0]["id"] != org_a["id"]


def test_deleting_what_is_not_there_is_a_404_and_naming_nothing_a_400(client: httpx.Client) -> None:
    for reply in (client.delete("/_mock/organizations", params={"key": "sk_never"}),
                  client.delete("/_mock/organizations/org-nope")):
        assert reply.status_code == 404 and reply.json()["statusCode"] == 404
    reply = client.delete("/_mock/organizations")
    assert reply.status_code == 400 and "?key=" in reply.json()["message"][0]


def test_the_plugin_deletes_its_organization_even_when_the_test_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_leaky='''
import pytest

def test_passes(equos_httpx):
    assert equos_httpx.post("/v3/brains", json={"instructions": "x", "greetingMessage": "y"}).status_code == 201

def test_fails(equos_httpx):
    equos_httpx.get("/v3/brains")
    assert False

def test_seeded(equos_httpx, equos_org):
    pass
''')
    with MockServer() as server:
        for _ in range(2):  # a second run finds the server as flat as the first left it
            result = pytester.runpytest_inprocess("--equos-mock-url", server.url, "-p", "no:cacheprovider")
            result.assert_outcomes(passed=2, failed=1)
            assert server.runtime.store.organizations == {}
            assert server.runtime.store.keys == {}


# --- the idle limit ------------------------------------------------------------------------------
def test_idle_organizations_are_evicted_by_the_app_clock_except_pinned_ones() -> None:
    app = _app(org_idle_ttl_seconds=60, seed_file="demo")  # the seed file closes the keys
    rt = app.state.runtime
    with asgi_client(app) as client:
        for key in ("sk_old", "sk_made", "sk_new", "sk_newer"):
            client.post("/_mock/organizations", json={"keys": [key]})
        seeded = set(rt.store.organizations) - {rt.store.keys[k] for k in ("sk_old", "sk_made", "sk_new", "sk_newer")}
        assert seeded and all(rt.store.organizations[o].pinned for o in seeded)
        _use(client, "sk_old")
        client.post("/_mock/clock/advance", json={"seconds": 59})
        _use(client, "sk_made")  # used within the limit: stays
        client.post("/_mock/clock/advance", json={"seconds": 2})
        _use(client, "sk_new")  # any use sweeps what went idle
        assert "sk_old" not in rt.store.keys
        assert {"sk_made", "sk_new"} <= set(rt.store.keys)
        client.post("/_mock/clock/advance", json={"seconds": 3600})
        _use(client, "sk_newer")
        assert set(rt.store.keys) & {"sk_made", "sk_new", "sk_old"} == set()
        assert seeded <= set(rt.store.organizations)  # seed-file organizations are never evicted
        assert len(rt.last_used) == 1  # only sk_newer's organization is tracked


def test_one_request_evicts_a_bounded_number_of_idle_organizations() -> None:
    from mock_server.runtime import EVICT_PER_REQUEST

    app = _app(org_idle_ttl_seconds=10)
    rt = app.state.runtime
    with asgi_client(app) as client:
        for n in range(EVICT_PER_REQUEST * 2 + 5):
            auth.organization_for_key(rt, f"sk_{n}")
        client.post("/_mock/clock/advance", json={"seconds": 11})
        _use(client, "sk_a")
        assert len(rt.store.organizations) == EVICT_PER_REQUEST + 5 + 1
        _use(client, "sk_a")
        _use(client, "sk_a")
        assert set(rt.store.keys) == {"sk_a"}


def test_api_key_organizations_are_never_evicted() -> None:
    app = _app(org_idle_ttl_seconds=1, api_keys=("sk_conf",))
    rt = app.state.runtime
    with asgi_client(app) as client:
        _use(client, "sk_conf")
        client.post("/_mock/organizations", json={"keys": ["sk_tmp"]})
        _use(client, "sk_tmp")
        client.post("/_mock/clock/advance", json={"seconds": 100})
        _use(client, "sk_conf")
        assert "sk_conf" in rt.store.keys and "sk_tmp" not in rt.store.keys


def test_the_idle_limit_is_a_flag_and_a_variable() -> None:
    from mock_server.cli import build_parser, settings_from

    assert settings_from(build_parser({}).parse_args(["serve"])).org_idle_ttl_seconds is None
    args = build_parser({"EQUOS_MOCK_ORG_IDLE_TTL": "90"}).parse_args(["serve"])
    assert settings_from(args).org_idle_ttl_seconds == 90
    assert settings_from(build_parser({}).parse_args(["serve", "--org-idle-ttl", "1.5"])).org_idle_ttl_seconds == 1.5
    for bad in ("0", "-3", "nan", "inf", "soon"):
        with pytest.raises(SystemExit):
            build_parser({}).parse_args(["serve", "--org-idle-ttl", bad])


# --- reads create nothing --------------------------------------------------------------------------
def test_reads_never_create_organizations(app: Any, client: httpx.Client) -> None:
    for path in ("/_mock/clock", "/_mock/organizations", "/_mock/journal", "/_mock/journal/count",
                 "/_mock/conversations/running", "/_mock/faults", "/_mock/state"):
        reply = client.get(path, params={"key": "sk_fresh"})
        assert reply.status_code in (200, 404), (path, reply.text)
    assert client.get("/_mock/clock", headers={"x-api-key": "sk_fresh"}).json()["scope"] == "app"
    assert app.state.runtime.store.organizations == {}


# --- paging ----------------------------------------------------------------------------------------
def test_organizations_are_listed_in_pages_with_a_cursor(app: Any, client: httpx.Client) -> None:
    for n in range(7):
        client.post("/_mock/organizations", json={"id": f"org-{n}", "keys": [f"sk_{n}"]})
    first = client.get("/_mock/organizations", params={"limit": 3})
    assert [o["id"] for o in first.json()] == ["org-0", "org-1", "org-2"]
    assert first.headers["x-mock-total"] == "7" and 'rel="next"' in first.headers["link"]
    client.delete("/_mock/organizations/org-2")  # the cursor's own organization may go meanwhile
    second = client.get("/_mock/organizations", params={"limit": 3, "after": first.headers["x-mock-next"]})
    assert [o["id"] for o in second.json()] == ["org-3", "org-4", "org-5"]
    last = client.get("/_mock/organizations", params={"limit": 3, "after": second.headers["x-mock-next"]})
    assert [o["id"] for o in last.json()] == ["org-6"] and "x-mock-next" not in last.headers
    for bad in ({"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"after": "x"}):
        reply = client.get("/_mock/organizations", params=bad)
        assert reply.status_code == 400 and reply.json()["statusCode"] == 400


def test_the_default_page_holds_100_and_mock_control_reads_every_page() -> None:
    with MockServer() as server:
        control = MockControl(server.url)
        for n in range(105):
            organizations.create(server.runtime, [f"sk_{n}"], org_id=f"org-{n:03d}")
        page, cursor = control.organizations_page()
        assert len(page) == 100 and cursor is not None
        assert [o["id"] for o in control.organizations()] == [f"org-{n:03d}" for n in range(105)]
        assert len(control.organizations(page_size=7)) == 105
        assert control.delete_organization(organization="org-000") == {"deleted": "org-000"}
        assert control.delete_organization(key="sk_1") == {"deleted": "org-001"}
        with pytest.raises(ControlError) as raised:
            control.delete_organization(key="sk_1")
        assert raised.value.status == 404
        assert control.public_key("sk_brand_new").startswith("pk_")  # made on demand, by a write


def test_the_journal_is_read_in_pages(client: httpx.Client) -> None:
    for _ in range(230):
        client.get("/v3/health")
    page = client.get("/_mock/journal").json()
    assert len(page["entries"]) == 100 and page["next"] == page["entries"][-1]["id"]
    seen = [e["id"] for e in page["entries"]]
    while page["next"] is not None:
        page = client.get("/_mock/journal", params={"after": page["next"], "pageSize": 60}).json()
        seen += [e["id"] for e in page["entries"]]
    assert seen == list(range(1, 231))
    assert [e["id"] for e in client.get("/_mock/journal", params={"limit": 3}).json()["entries"]] == [228, 229, 230]
    for bad in ({"pageSize": 0}, {"pageSize": 1001}, {"limit": 1001}, {"limit": -1}):
        assert client.get("/_mock/journal", params=bad).status_code == 400, bad


def test_mock_control_reads_the_whole_journal_across_pages() -> None:
    with MockServer() as server, httpx.Client(base_url=server.url, headers={"x-api-key": "sk_j"}) as api:
        for _ in range(150):
            api.get("/v3/brains")
        entries = server.control.journal(key="sk_j")
        assert len(entries) == 150 and len({e["id"] for e in entries}) == 150
        assert server.control.journal_page(key="sk_j", page_size=5)["next"] is not None


# --- the journal's size ------------------------------------------------------------------------------
def test_the_journal_is_bounded_by_entries_and_by_body_bytes() -> None:
    journal = Journal(capacity=1000, body_limit=100, max_bytes=1000)
    for n in range(50):
        journal.record({"method": "GET", "path": "/x", "organization": None, "key": None, "status": 200,
                        "_at_ms": n, "_request": (b"q" * 100, True), "_response": (b"r" * 100, True)})
    assert len(journal) == 5 and journal.body_bytes == 1000 and journal.evicted == 45
    assert journal.count(JournalFilter()) == 5
    journal = Journal(capacity=3)
    for n in range(5):
        journal.record({"method": "GET", "path": "/x", "_at_ms": n})
    assert len(journal) == 3 and journal.evicted == 2


def test_journal_sizes_come_from_settings() -> None:
    app = _app(journal_entries=4, journal_body_bytes=10, journal_max_bytes=10_000)
    with asgi_client(app, "sk_s") as client:
        for _ in range(6):
            client.post("/v3/brains", json={"instructions": "x" * 50, "greetingMessage": "hi"})
        page = client.get("/_mock/journal").json()
    assert page["capacity"] == 4 and page["size"] == 4 and page["evicted"] == 2 and page["maxBytes"] == 10_000
    assert all(e["requestBody"].endswith("…") and len(e["requestBody"]) == 11 for e in page["entries"])


# --- no call walks everything ----------------------------------------------------------------------
class CountingDict(dict):  # type: ignore[type-arg]
    """A dict that counts whole passes over it."""

    passes = 0

    def __iter__(self) -> Any:
        CountingDict.passes += 1
        return super().__iter__()

    def items(self) -> Any:
        CountingDict.passes += 1
        return super().items()

    def values(self) -> Any:
        CountingDict.passes += 1
        return super().values()

    def keys(self) -> Any:
        CountingDict.passes += 1
        return super().keys()


def test_no_per_organization_control_call_passes_over_all_keys_or_organizations(app: Any, client: httpx.Client
                                                                              ) -> None:
    store = app.state.runtime.store
    for n in range(20):
        client.post("/_mock/organizations", json={"keys": [f"sk_{n}"], "publicKeys": [f"pk_custom_{n}"]})
    store.organizations = CountingDict(store.organizations)
    store.keys = CountingDict(store.keys)
    store.public_keys = CountingDict(store.public_keys)
    CountingDict.passes = 0
    calls = [
        ("POST", "/_mock/organizations", {"keys": ["sk_new"]}),
        ("GET", "/_mock/organizations?limit=5", None),
        ("GET", "/_mock/organizations?key=sk_3", None),
        ("GET", "/_mock/clock?key=sk_3", None),
        ("POST", "/_mock/clock/freeze", {"key": "sk_3"}),
        ("POST", "/_mock/reset", {"key": "sk_4"}),
        ("GET", "/_mock/state?key=sk_5", None),
        ("GET", "/_mock/conversations/running", None),
        ("GET", "/_mock/journal?key=sk_5", None),
        ("POST", "/v3/brains", BRAIN),
        ("DELETE", "/_mock/organizations?key=sk_6", None),
    ]
    for method, path, body in calls:
        reply = client.request(method, path, json=body, headers={"x-api-key": "sk_7"})
        assert reply.status_code < 300, (path, reply.text)
        assert CountingDict.passes == 0, path


def test_the_running_list_reads_only_organizations_that_started_a_conversation(app: Any, client: httpx.Client
                                                                               ) -> None:
    headers = {"x-api-key": "sk_talk"}
    brain = _use(client, "sk_talk")
    character = client.post("/v3/characters", headers=headers, json={
        "name": "G", "livekitIdentity": "g", "brainId": brain["id"]}).json()
    conversation = client.post("/v3/conversations", headers=headers,
                               json={"name": "c", "characterId": character["id"]}).json()["conversation"]
    for n in range(5):
        _use(client, f"sk_idle_{n}")
    store = app.state.runtime.store
    assert list(store.conversation_holders) == [store.keys["sk_talk"]]
    assert [c["id"] for c in client.get("/_mock/conversations/running").json()] == [conversation["id"]]
    client.post(f"/v3/conversations/{conversation['id']}/stop", headers=headers)
    assert client.get("/_mock/conversations/running").json() == []
    assert store.conversation_holders == {}  # nothing running: it left the index


# --- the full export streams --------------------------------------------------------------------------
def test_the_full_state_export_streams_and_lets_other_requests_through() -> None:
    app = _app()
    rt = app.state.runtime
    for n in range(300):
        organizations.create(rt, [f"sk_{n}"])
    events: list[str] = []

    async def call(path: str, name: str) -> bytes:
        chunks: list[bytes] = []
        messages = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop(0)
            await asyncio.Event().wait()  # the client stays connected (as a real one does)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                events.append(name)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)
        return b"".join(chunks)

    async def both() -> bytes:
        export = asyncio.create_task(call("/_mock/state", "export"))
        await asyncio.sleep(0)
        await call("/v3/health", "health")
        return await export

    body = asyncio.run(both())
    assert json.loads(body) == state.export_state(rt)
    assert events.count("export") > 3  # written in pieces
    assert events.index("health") < len(events) - 1 - events[::-1].index("export")  # served meanwhile


def test_reading_one_keys_journal_reads_only_its_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal(capacity=50)
    for n in range(80):
        journal.record({"method": "GET", "path": "/v3/brains", "organization": f"org-{n % 10}",
                        "key": f"****{n % 10}", "status": 200, "_at_ms": n})
    checked: list[int] = []
    real = JournalFilter.matches
    monkeypatch.setattr(JournalFilter, "matches", lambda self, entry: checked.append(entry.id) or real(self, entry))
    where = JournalFilter(organization="org-3", key_fingerprint="****3")
    assert journal.count(where) == 5  # 80 recorded, the last 50 kept: 5 of them org-3's
    assert len(checked) == 5
    assert [e["id"] for e in journal.find(where, limit=2)] == [64, 74]  # ids start at 1: n=73 is id 74
    assert [e["id"] for e in journal.page(JournalFilter(key_fingerprint="****3", after=54), 10)[0]] == [64, 74]
    assert journal.clear(JournalFilter(organization="org-3")) == 5 and journal.count(where) == 0
    journal.record({"method": "GET", "path": "/x", "organization": "org-3", "key": None, "status": 200, "_at_ms": 0})
    assert journal.count(where) == 1 and len(journal) == 46
