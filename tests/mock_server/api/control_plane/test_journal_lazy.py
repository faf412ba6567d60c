"""The request path only notes an exchange; the journal entry is made when the journal is read, and an
exchange that falls off first is never made one. Reads see what they saw when entries were made at once."""

from __future__ import annotations

import gc

import pytest

from mock_server import journal as journal_module
from mock_server.app import create_app
from mock_server.asgi_client import asgi_client
from mock_server.journal import Entry, Journal, JournalFilter

SHOWN = ["time", "method", "path", "query", "organization", "key", "status", "requestBytes", "responseBytes",
         "durationMs", "id", "requestBody", "responseBody"]


def _noted(journal: Journal, path: str, key: str | None = "sk_lazy", body: bytes = b"{}", at_ms: int = 0) -> None:
    journal.note(("GET", path, b"", "org-1" if key else None, key, 200, b"", False, body, False, 0, len(body),
                  0.5, at_ms, None))


def test_an_entry_is_made_when_read_and_shows_what_it_showed_before() -> None:
    app = create_app()
    journal = app.state.runtime.journal
    with asgi_client(app, "sk_lazy_app") as client:
        made = client.post("/v3/brains?client=x", json={"instructions": "Be brief.", "greetingMessage": "Hi!"})
        client.get("/v3/brains/nope")
        assert len(journal) == 2 and not journal._entries and len(journal._pending) == 2
        page = client.get("/_mock/journal").json()
    assert not journal._pending and len(journal._entries) == 2
    first, second = page["entries"]
    assert list(first) == SHOWN and first["query"] == "client=x" and first["status"] == 201
    assert first["key"] == app.state.runtime.mask("sk_lazy_app") and "sk_lazy_app" not in str(page)
    assert first["responseBody"] == made.json() and first["organization"] == made.json()["organizationId"]
    assert first["requestBody"] == {"instructions": "Be brief.", "greetingMessage": "Hi!"}
    assert (second["path"], second["id"]) == ("/v3/brains/nope", first["id"] + 1)


def test_noted_exchanges_that_fall_off_are_never_made_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    real = Entry.__init__
    monkeypatch.setattr(Entry, "__init__", lambda self, *a, **k: made.append(1) or real(self, *a, **k))
    journal = Journal(capacity=3)
    for n in range(10):
        _noted(journal, f"/{n}")
    assert len(journal) == 3 and journal.evicted == 7 and journal.last_id == 10 and not made
    gc.collect()
    gc.collect()  # the pair is let go once the facts inside it are
    assert not any(gc.is_tracked(noted) for noted in journal._pending)  # nothing for the collector to walk
    assert [e["path"] for e in journal.find(JournalFilter())] == ["/7", "/8", "/9"]
    assert [e["id"] for e in journal.find(JournalFilter())] == [8, 9, 10] and len(made) == 3


def test_noted_and_recorded_entries_keep_one_order_and_both_bounds() -> None:
    journal = Journal(capacity=100, max_bytes=10)
    _noted(journal, "/a", body=b"12345")
    journal.record({"method": "GET", "path": "/b", "organization": "org-1", "key": "****", "status": 200,
                    "_at_ms": 0, "_response": (b"123", False)})
    _noted(journal, "/c", body=b"1234")  # 12 bytes kept: /a falls off
    assert journal.body_bytes == 7 and journal.evicted == 1 and len(journal) == 2
    assert [e["path"] for e in journal.find(JournalFilter())] == ["/b", "/c"]
    fingerprint = journal.masked_key("sk_lazy")
    assert [e["path"] for e in journal.find(JournalFilter(key_fingerprint=fingerprint))] == ["/c"]
    assert [e["path"] for e in journal.find(JournalFilter(organization="org-1"))] == ["/b", "/c"]
    _noted(journal, "/d", key=None, body=b"")
    assert journal.count(JournalFilter(organization="org-1")) == 2 and journal.count(JournalFilter()) == 3
    assert journal.clear(JournalFilter(path="/c")) == 1 and journal.body_bytes == 3
    assert journal.entry(4)["path"] == "/d" and journal.entry(3) is None


def test_a_fingerprint_is_worked_out_when_read_within_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_module, "KEY_MASKS_KEPT", 2)
    journal = Journal()
    for n in range(5):
        _noted(journal, "/x", key=f"sk_{n}")
    assert not journal._key_masks  # nothing hashed on the request path
    keys = [e["key"] for e in journal.find(JournalFilter())]
    assert keys == [journal_module.mask_secret(f"sk_{n}", journal.secret) for n in range(5)]
    assert len(journal._key_masks) <= 2
