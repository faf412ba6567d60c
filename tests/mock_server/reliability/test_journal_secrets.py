"""Issue 12, item 9: journal fingerprints were an unsalted 32-bit SHA-256 prefix (a test key fell to a
100k-candidate brute force), and a key in a query string stayed in clear text in the journal."""

from __future__ import annotations

import hashlib

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.masking import FINGERPRINT_HEX
from mock_server.settings import Settings

KEY = "sk_test_00042"
CANDIDATES = [f"sk_test_{n:05d}" for n in range(100_000)]


def _journal_key(settings: Settings) -> str:
    with asgi_client(create_app(settings), KEY) as client:
        assert client.get("/v3/brains").status_code == 200
        return str(client.get("/_mock/journal").json()["entries"][0]["key"])


def test_a_journal_fingerprint_no_longer_gives_the_key_away() -> None:
    shown = _journal_key(Settings())
    digest = shown.removeprefix("****")
    assert len(digest) == FINGERPRINT_HEX >= 16
    # The brute force of the report: hash every candidate the way anyone could, compare.
    unkeyed = {hashlib.sha256(c.encode()).hexdigest()[: len(digest)] for c in CANDIDATES}
    assert digest not in unkeyed
    assert hashlib.sha256(KEY.encode()).hexdigest()[:8] not in shown
    # Keyed per server: another server shows another fingerprint; a seeded one is reproducible.
    assert _journal_key(Settings()) != shown
    assert _journal_key(Settings(seed=5)) == _journal_key(Settings(seed=5)) != _journal_key(Settings(seed=6))


def test_open_key_organization_names_do_not_carry_an_unkeyed_hash() -> None:
    with asgi_client(create_app(), KEY) as client:
        client.get("/v3/brains")
        name = client.get("/_mock/organizations", params={"key": KEY}).json()[0]["name"]
    assert hashlib.sha256(KEY.encode()).hexdigest()[:8] not in name


def test_secrets_in_query_strings_are_masked() -> None:
    secrets = {"key": "sk_q_key", "api_key": "sk_q_api", "x-api-key": "sk_q_header", "apiKey": "sk_q_camel",
               "token": "tok_q", "access_token": "tok_q_access", "signature": "sig_q", "X-Mock-Token": "mock_q"}
    query = "&".join(f"{name}={value}" for name, value in secrets.items()) + "&monkey=banana&client=c1"
    with asgi_client(create_app(), KEY) as client:
        assert client.get(f"/v3/brains?{query}").status_code in (200, 400)
        client.get("/v3/brains?take=5&key=sk_q_second")
        journal = client.get("/_mock/journal").json()
    dump = str(journal)
    for value in (*secrets.values(), "sk_q_second"):
        assert value not in dump
    first = journal["entries"][0]["query"]
    assert "monkey=banana" in first and "client=c1" in first  # parameters that merely end in "key" stay
    for name in secrets:
        assert f"{name}=****" in first
