"""The inspector's files over HTTP (mock_server/inspector): served only with the control plane, under its
Host and Origin rules, never with CORS, with a strict content security policy, small and self-contained."""

from __future__ import annotations

import re

import pytest

from mock_server.settings import Settings

FILES = ("/_mock/ui", "/_mock/ui/app.js", "/_mock/ui/app.css")


def test_the_page_and_its_two_files(inprocess):
    http = inprocess()
    page = http.get("/_mock/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/_mock/ui/app.js">' in page.text
    assert http.get("/_mock/ui/app.js").headers["content-type"].startswith("text/javascript")
    assert http.get("/_mock/ui/app.css").headers["content-type"].startswith("text/css")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "'unsafe" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert sum(len(http.get(path).content) for path in FILES) < 200_000


def test_the_files_are_sent_compressed_to_who_accepts_it(inprocess):
    http = inprocess()
    for path in FILES:
        plain = http.get(path, headers={"accept-encoding": "identity"})
        packed = http.get(path, headers={"accept-encoding": "gzip, deflate"})
        assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
        assert packed.content == plain.content  # httpx unpacks it
        assert int(packed.headers["content-length"]) < len(plain.content) / 2


def test_an_unchanged_file_is_a_304(inprocess):
    http = inprocess()
    etag = http.get("/_mock/ui/app.js").headers["etag"]
    again = http.get("/_mock/ui/app.js", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""


def test_nothing_is_fetched_from_another_host(inprocess):
    http = inprocess()
    for path in FILES:
        text = http.get(path).text
        assert not re.search(r"(src|href)\s*=\s*[\"'](https?:)?//", text), path
        assert not re.search(r"@import|url\(\s*[\"']?(https?:)?//", text), path
        assert not re.search(r"fetch\(\s*[\"'`]https?:", text), path


def test_no_page_without_the_control_plane(inprocess):
    http = inprocess(Settings(control_plane=False))
    for path in FILES:
        assert http.get(path).status_code == 404


@pytest.mark.parametrize("headers", [{"host": "evil.example"}, {"origin": "http://evil.example"},
                                     {"origin": "http://127.0.0.1:1"}])
def test_host_and_origin_rules_of_the_control_plane(inprocess, headers):
    http = inprocess()
    assert http.get("/_mock/ui", headers=headers).status_code == 403


def test_never_cors_even_with_cors_open(inprocess):
    http = inprocess(Settings(assumptions={"cors": "open"}))
    page = http.get("/_mock/ui", headers={"origin": "http://127.0.0.1"})
    assert page.status_code == 200
    assert not any(name.startswith("access-control-") for name in page.headers)
    preflight = http.options("/_mock/ui", headers={"origin": "http://127.0.0.1",
                                                   "access-control-request-method": "GET"})
    assert not any(name.startswith("access-control-") for name in preflight.headers)


def test_with_a_control_token_the_shell_has_no_data_and_the_data_needs_the_token(inprocess):
    http = inprocess(Settings(control_token="t0ken"))
    http.get("/v3/faces", headers={"x-api-key": "sk_secret_org_key"})
    page = http.get("/_mock/ui")
    assert page.status_code == 200 and 'id="login-form"' in page.text  # the prompt; it shows no data
    assert "sk_secret_org_key" not in page.text
    assert http.get("/_mock/changes").status_code == 401
    assert http.get("/_mock/changes", headers={"x-mock-token": "t0ken"}).status_code == 200
