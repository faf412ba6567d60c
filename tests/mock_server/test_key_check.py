"""API keys: any non-empty key works by default, but the journal warns about one that looks like a
header mistake; ``--key-pattern`` makes the server refuse keys of another shape."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mock_server import MockServer

MISTAKES = [
    ("Bearer sk_abc", "the x-api-key starts with 'Bearer': x-api-key takes the key alone, with no scheme"),
    ('"sk_abc"', "the x-api-key is in quotes: the quotes are sent as part of the key"),
    ("'sk_abc'", "the x-api-key is in quotes: the quotes are sent as part of the key"),
    ("not a key at all!!", "the x-api-key has whitespace in it: no API key does"),
    ("x-api-key: sk_abc", "the x-api-key value starts with 'x-api-key:': the header's name was pasted into its value"),
]


def _entry(server: MockServer, key: str) -> dict:
    return server.control.journal(key=key, limit=1)[-1]


def test_any_key_works_but_the_journal_warns_about_a_header_mistake():
    with MockServer() as server:
        for key, warning in MISTAKES:
            reply = httpx.get(f"{server.url}/v3/brains", headers={"x-api-key": key})
            assert reply.status_code == 200, key  # the documented default: any key works
            assert _entry(server, key)["warnings"] == [warning], key
        httpx.get(f"{server.url}/v3/brains", headers={"x-api-key": "sk_fine"})
        assert "warnings" not in _entry(server, "sk_fine")
        # The warning never repeats the key.
        assert all("sk_abc" not in w for e in server.control.journal() for w in e.get("warnings", []))


def _command() -> list[str]:
    script = Path(sys.executable).with_name("equos-mock")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]


@pytest.mark.slow  # a server process
def test_key_pattern_refuses_keys_of_another_shape_and_says_why_in_the_journal():
    env = {k: v for k, v in os.environ.items() if not k.startswith("EQUOS_MOCK_")}
    env["EQUOS_MOCK_KEY_PATTERN"] = "sk_[a-z0-9_]{8,}"
    process = subprocess.Popen([*_command(), "serve", "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        banner = [process.stdout.readline() for _ in range(5)]
        url = re.search(r"at (http://127\.0\.0\.1:\d+)", banner[0]).group(1)
        assert banner[4] == "         and only those that match --key-pattern sk_[a-z0-9_]{8,}\n", banner
        key = re.search(r"x-api-key: (\S+)'", banner[1]).group(1)
        assert httpx.get(f"{url}/v3/brains", headers={"x-api-key": key}).status_code == 200  # the banner's works
        for bad in ("sk_short", "Bearer sk_abcdefghij", "pk_abcdefghij"):
            reply = httpx.get(f"{url}/v3/brains", headers={"x-api-key": bad})
            assert (reply.status_code, reply.json()["message"]) == (401, "Unauthorized"), bad
        entries = httpx.get(f"{url}/_mock/journal", params={"status": "401"}).json()["entries"]
        assert [e["warnings"][-1] for e in entries] == [
            "the x-api-key does not match --key-pattern sk_[a-z0-9_]{8,}"] * 3
        assert entries[1]["warnings"][0].startswith("the x-api-key starts with 'Bearer'")
    finally:
        process.terminate()
        process.wait(timeout=10)
