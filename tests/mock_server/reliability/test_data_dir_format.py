"""A data dir this version does not write is refused at start, with one line and status 2 (issue 19, item 5);
an older one is migrated."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mock_server import create_app, state
from mock_server.asgi_client import asgi_client
from mock_server.settings import Settings
from mock_server.store.integrity import DataDirError
from mock_server.store.sqlite import DB_NAME

BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}


def _made(data_dir: Path) -> dict[str, object]:
    app = create_app(Settings(data_dir=str(data_dir)))
    with asgi_client(app, "sk_format") as client:
        assert client.post("/v3/brains", json=BRAIN).status_code == 201
    exported = state.export_state(app.state.runtime)
    app.state.persistence.close()
    return exported


def _edit(data_dir: Path, *sql: str) -> None:
    db = sqlite3.connect(data_dir / DB_NAME)
    for statement in sql:
        db.execute(statement)
    db.commit()
    db.close()


def _refused(data_dir: Path) -> str:
    with pytest.raises(DataDirError) as refused:
        create_app(Settings(data_dir=str(data_dir)))
    message = str(refused.value)
    assert "\n" not in message and str(data_dir / DB_NAME) in message
    return message


def test_a_newer_format_is_refused_and_left_untouched(tmp_path: Path) -> None:
    _made(tmp_path)
    _edit(tmp_path, "UPDATE meta SET value='equos-mock-sqlite/2' WHERE key='format'",
          "CREATE TABLE webhooks (id TEXT PRIMARY KEY)", "ALTER TABLE organizations ADD COLUMN region TEXT")
    before = (tmp_path / DB_NAME).read_bytes()
    message = _refused(tmp_path)
    assert "'equos-mock-sqlite/2'" in message and "equos-mock-sqlite/1" in message
    assert (tmp_path / DB_NAME).read_bytes() == before
    _refused(tmp_path)  # and refused again, not half-opened


@pytest.mark.slow  # `equos-mock serve` in a subprocess
def test_the_command_line_refuses_it_in_one_line_with_status_2(tmp_path: Path) -> None:
    _made(tmp_path)
    _edit(tmp_path, "UPDATE meta SET value='equos-mock-sqlite/2' WHERE key='format'")
    cli = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--port", "0", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2, cli.stderr
    assert cli.stderr.count("\n") == 1 and "equos-mock-sqlite/2" in cli.stderr and "Traceback" not in cli.stderr


def test_an_sqlite_database_of_something_else_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    assert "not an equos-mock one" in _refused(tmp_path)


def test_an_older_data_dir_is_migrated(tmp_path: Path) -> None:
    """Version 1 files written before organizations had a ``pinned`` column open, keep everything, and gain it."""
    exported = _made(tmp_path)
    _edit(tmp_path, "ALTER TABLE organizations DROP COLUMN pinned")
    app = create_app(Settings(data_dir=str(tmp_path)))
    assert state.export_state(app.state.runtime) == exported
    with asgi_client(app, "sk_format") as client:
        assert client.post("/v3/brains", json=BRAIN).status_code == 201
    app.state.persistence.close()
    columns = {row[1] for row in sqlite3.connect(tmp_path / DB_NAME).execute("PRAGMA table_info(organizations)")}
    assert "pinned" in columns
