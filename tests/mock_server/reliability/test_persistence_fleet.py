"""--data-dir for a long-lived shared server: cost per request independent of the organizations held,
reads write nothing, public keys kept, one server per directory, damage refused with one line."""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mock_server import create_app, state
from mock_server.asgi_client import asgi_client
from mock_server.settings import Settings
from mock_server.store.integrity import DataDirError, wal_problem
from mock_server.store.sqlite import DB_NAME

BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}


@contextmanager
def running(data_dir: Path, **settings: Any) -> Iterator[Any]:
    app = create_app(Settings(data_dir=str(data_dir), **settings))
    try:
        yield app
    finally:
        app.state.persistence.close()


def _statements(app: Any) -> list[str]:
    """Record every SQL statement the app's persistence runs from now on."""
    seen: list[str] = []
    app.state.persistence.connection.set_trace_callback(seen.append)
    return seen


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.lstrip().upper().startswith(("SELECT", "PRAGMA"))]


# --- cost per request ------------------------------------------------------------------------------
def _statements_per_write(tmp_path: Path, organizations: int) -> tuple[list[str], list[str]]:
    with running(tmp_path / str(organizations)) as app, asgi_client(app, "sk_busy") as client:
        for n in range(organizations):
            client.post("/_mock/organizations", json={"keys": [f"sk_{n}"], "settings": {"durationLimit": 60}})
        client.post("/v3/brains", json=BRAIN)
        seen = _statements(app)
        brain = client.post("/v3/brains", json=BRAIN).json()
        write = list(seen)
        seen.clear()
        client.get(f"/v3/brains/{brain['id']}")
        client.get("/v3/brains")
        client.get("/_mock/clock", params={"key": "sk_never_used"})
        client.get("/_mock/organizations")
        return write, list(seen)


def test_a_write_costs_the_same_statements_at_3_and_at_150_organizations(tmp_path: Path) -> None:
    small_write, small_reads = _statements_per_write(tmp_path, 3)
    large_write, large_reads = _statements_per_write(tmp_path, 150)
    assert len(small_write) == len(large_write) <= 6, large_write  # BEGIN, the record, COMMIT
    assert any("INSERT INTO records" in s for s in large_write)
    assert _writes(small_reads) == _writes(large_reads) == []  # reads write nothing


def test_reads_leave_the_database_untouched(tmp_path: Path) -> None:
    with running(tmp_path) as app, asgi_client(app, "sk_r") as client:
        brain = client.post("/v3/brains", json=BRAIN).json()
        client.post("/_mock/clock/freeze", json={"key": "sk_r"})
        changes = app.state.persistence.connection.total_changes
        for path in (f"/v3/brains/{brain['id']}", "/v3/brains", "/v3/conversations", "/_mock/state",
                     "/_mock/journal", "/_mock/organizations"):
            assert client.get(path).status_code == 200, path
        client.get("/_mock/clock", params={"key": "sk_nobody"})
        assert app.state.persistence.connection.total_changes == changes
        assert app.state.persistence.flush() == 0


def test_deleting_and_resetting_everything_is_persisted(tmp_path: Path) -> None:
    with running(tmp_path) as app, asgi_client(app) as client:
        for key in ("sk_a", "sk_b"):
            client.post("/v3/brains", json=BRAIN, headers={"x-api-key": key})
        client.delete("/_mock/organizations", params={"key": "sk_a"})
    with running(tmp_path) as app, asgi_client(app) as client:
        assert set(app.state.runtime.store.keys) == {"sk_b"}
        client.post("/_mock/reset", json={})
    with running(tmp_path) as app:
        assert app.state.runtime.store.organizations == {}
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("organizations", "records", "api_keys", "public_keys")] == [0, 0, 0, 0]
    db.close()


# --- what survives a restart -----------------------------------------------------------------------
def test_custom_public_keys_and_pins_survive_a_restart(tmp_path: Path) -> None:
    with running(tmp_path, seed_file="demo") as app, asgi_client(app) as client:
        made = client.post("/_mock/organizations", json={"id": "org_pk", "keys": ["sk_pk"],
                                                        "publicKeys": ["pk_custom_kept"]})
        assert made.status_code == 200, made.text
        before = state.export_state(app.state.runtime)
    with running(tmp_path, seed_file="demo") as app, asgi_client(app) as client:
        assert state.export_state(app.state.runtime) == before
        listed = client.get("/_mock/organizations", params={"key": "sk_pk"}).json()[0]
        assert listed["publicKeys"] == ["pk_custom_kept"]
        assert app.state.runtime.store.public_keys["pk_custom_kept"] == "org_pk"
        assert any(o["pinned"] for o in before["organizations"])  # the seed's


# --- one server per directory ----------------------------------------------------------------------
@pytest.mark.slow  # `equos-mock serve` in a subprocess
def test_a_second_server_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    with running(tmp_path):
        with pytest.raises(DataDirError) as refused:
            create_app(Settings(data_dir=str(tmp_path)))
        assert "in use by another equos-mock" in str(refused.value) and "\n" not in str(refused.value)
        cli = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--port", "0", "--data-dir",
                              str(tmp_path)], capture_output=True, text=True, timeout=60)
        assert cli.returncode == 2
        assert cli.stderr.count("\n") == 1 and "equos-mock.lock" in cli.stderr and "Traceback" not in cli.stderr
    with running(tmp_path):  # released on close
        pass


# --- damage ----------------------------------------------------------------------------------------
def _crash_image(tmp_path: Path) -> Path:
    """The files a server killed mid-run leaves: a main database and a WAL with the latest writes."""
    live = tmp_path / "live"
    app = create_app(Settings(data_dir=str(live)))
    with asgi_client(app, "sk_crash") as client:
        for n in range(5):
            client.post("/v3/brains", json={**BRAIN, "instructions": f"b{n}"})
        image = tmp_path / "image"
        image.mkdir()
        for name in (DB_NAME, DB_NAME + "-wal"):
            shutil.copy(live / name, image / name)
    app.state.persistence.close()
    assert (image / (DB_NAME + "-wal")).stat().st_size > 0
    return image


def _refusal(data_dir: Path) -> str:
    with pytest.raises(DataDirError) as refused:
        create_app(Settings(data_dir=str(data_dir)))
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_a_crash_image_starts_with_everything(tmp_path: Path) -> None:
    with running(_crash_image(tmp_path)) as app, asgi_client(app, "sk_crash") as client:
        assert client.get("/v3/brains").json()["total"] == 5


def test_a_garbage_wal_is_refused(tmp_path: Path) -> None:
    image = _crash_image(tmp_path)
    wal = image / (DB_NAME + "-wal")
    wal.write_bytes(os.urandom(wal.stat().st_size))
    assert str(wal) in _refusal(image)


def test_an_emptied_database_beside_a_wal_is_refused(tmp_path: Path) -> None:
    image = _crash_image(tmp_path)
    (image / DB_NAME).write_bytes(b"")
    assert str(image / DB_NAME) in _refusal(image)


def _frames(wal: bytes) -> tuple[int, int]:
    page_size = struct.unpack(">I", wal[8:12])[0]
    return page_size + 24, (len(wal) - 32) // (page_size + 24)


def test_a_damaged_frame_inside_the_wal_is_refused(tmp_path: Path) -> None:
    image = _crash_image(tmp_path)
    wal = image / (DB_NAME + "-wal")
    data = bytearray(wal.read_bytes())
    frame, count = _frames(bytes(data))
    assert count >= 3
    data[32 + frame + 24 + 100] ^= 0xFF  # a byte of the second frame's page
    wal.write_bytes(bytes(data))
    assert "fails its checksum" in _refusal(image)


def test_a_torn_frame_of_an_unfinished_transaction_is_accepted(tmp_path: Path) -> None:
    image = _crash_image(tmp_path)
    wal = image / (DB_NAME + "-wal")
    data = wal.read_bytes()
    frame, count = _frames(data)
    last = data[32 + (count - 1) * frame:32 + count * frame]
    # A frame of the same generation, not a commit, whose page never got written: a kill mid-write.
    torn = struct.pack(">II", 2, 0) + last[8:16] + b"\x00" * 8 + os.urandom(frame - 24)
    assert wal_problem(data + torn) is None
    wal.write_bytes(data + torn)
    with running(image) as app, asgi_client(app, "sk_crash") as client:
        assert client.get("/v3/brains").json()["total"] == 5
    # The same frame marked as a commit may be an acknowledged write: refused.
    assert "commit" in (wal_problem(data + struct.pack(">II", 2, 9) + torn[8:]) or "")


@pytest.mark.slow  # `equos-mock serve` in a subprocess
@pytest.mark.parametrize("content", [b"this is not a database at all" * 200,
                                     b"SQLite format 3\x00" + b"\x13" * 8000])
def test_a_malformed_database_is_refused_with_one_line(tmp_path: Path, content: bytes) -> None:
    (tmp_path / DB_NAME).write_bytes(content)
    assert str(tmp_path / DB_NAME) in _refusal(tmp_path)
    cli = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--port", "0", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2, cli.stderr
    assert cli.stderr.count("\n") == 1 and "Traceback" not in cli.stderr and DB_NAME in cli.stderr


def test_the_directory_is_free_again_after_a_refusal(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"junk" * 100)
    _refusal(tmp_path)
    (tmp_path / DB_NAME).unlink()
    with running(tmp_path) as app, asgi_client(app, "sk_f") as client:
        assert client.get("/v3/brains").status_code == 200


def test_changes_of_a_failed_flush_are_undone_and_the_next_flush_writes(tmp_path: Path) -> None:
    """A flush that fails is refused (503, nothing kept in memory either, issue 19); the next one writes."""
    with running(tmp_path) as app, asgi_client(app, "sk_retry") as client:
        persistence = app.state.persistence
        real_commit = persistence._commit
        assert client.post("/v3/brains", json=BRAIN).status_code == 201
        before = state.export_state(app.state.runtime)

        def failing(writes: Any) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        persistence._commit = failing
        assert client.post("/v3/brains", json=BRAIN).status_code == 503
        assert client.post("/_mock/organizations", json={"keys": ["sk_second"]}).status_code == 503
        assert state.export_state(app.state.runtime) == before
        persistence._commit = real_commit
        assert client.post("/v3/brains", json=BRAIN).status_code == 201
        expected = state.export_state(app.state.runtime)
    with running(tmp_path) as again:
        assert state.export_state(again.state.runtime) == expected
        store = again.state.runtime.store
        assert "sk_second" not in store.keys
        assert len(store.organizations[store.keys["sk_retry"]].brains) == 2
