"""The plugin in a user's project (pytester, in a directory outside the repository): what a missing
extra looks like, the session server's fixed port, and no warnings of ours in the user's output."""

from __future__ import annotations

import socket

# Imported here so pytester's in-process runs (which drop the modules they import) share these modules:
# httpx imports httpcore on its first request and keeps its exception classes (a second copy would
# turn httpx.RemoteProtocolError into httpcore's own in later tests).
import httpcore  # noqa: F401
import pytest
from missing_modules import blocker_source

# The plugin's lazily imported modules, for the same reason.
import mock_server.control_client
import mock_server.pytest_plugin
import mock_server.server  # noqa: F401

SDK_TEST = '''
def test_sdk(equos_client):
    assert equos_client.brains.list().total == 0
'''


@pytest.mark.slow  # a pytest subprocess
def test_without_the_sdk_the_test_is_skipped_and_the_reason_names_the_extra(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(blocker_source(["equos"]))
    pytester.makepyfile(test_user=SDK_TEST + '''
def test_in_process(equos_asgi_client):
    pass
''')
    result = pytester.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=2)
    skipped = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert [line.split(": ", 1)[1] for line in skipped] == [
        f"the official equos SDK is not installed: {fixture} needs the 'sdk' extra: pip install 'equos-mock[sdk]'"
        for fixture in ("equos_client", "equos_asgi_client")]


@pytest.mark.slow  # a pytest subprocess
def test_the_sdk_without_python_dateutil_fails_in_one_line_naming_the_extra(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(blocker_source(["dateutil"]))
    pytester.makepyfile(test_user=SDK_TEST)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    failure = [line for line in result.outlines if line.startswith("equos_client needs")]
    assert failure == ["equos_client needs the 'sdk' extra: pip install 'equos-mock[sdk]' "
                       "(No module named 'dateutil')"]
    assert "Traceback" not in result.stdout.str()


@pytest.mark.slow  # a pytest subprocess
def test_another_import_error_inside_the_sdk_is_shown_not_skipped(pytester: pytest.Pytester) -> None:
    # attrs is the SDK's own declared dependency, none of ours: a broken environment the user must see.
    pytester.makeconftest(blocker_source(["attrs"]))
    pytester.makepyfile(test_user=SDK_TEST)
    result = pytester.runpytest_subprocess("-rs")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["E * ModuleNotFoundError: No module named 'attrs'"])
    result.stdout.no_fnmatch_line("*SKIPPED*")
    result.stdout.no_fnmatch_line("*extra*")


@pytest.mark.slow  # a pytest subprocess
def test_without_httpx_its_fixtures_skip_naming_the_extra(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(blocker_source(["httpx", "equos"]))
    pytester.makepyfile(test_user='''
def test_httpx(equos_httpx): pass
def test_asgi(equos_asgi_httpx): pass
''')
    result = pytester.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=2)
    reasons = [line.split(": ", 1)[1] for line in result.outlines if line.startswith("SKIPPED")]
    assert reasons == [f"httpx is not installed: {fixture} needs the 'pytest' extra: pip install 'equos-mock[pytest]'"
                       for fixture in ("equos_httpx", "equos_asgi_httpx")]


# --- the session server's port -------------------------------------------------------
PORT_TEST = '''
def test_port(equos_mock, equos_httpx):
    assert equos_mock.url == "http://127.0.0.1:{port}"
    assert equos_httpx.get("/v3/brains").status_code == 200
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_fixed_port_by_option(pytester: pytest.Pytester) -> None:
    port = _free_port()
    pytester.makepyfile(test_user=PORT_TEST.format(port=port))
    pytester.runpytest("--equos-mock-port", str(port)).assert_outcomes(passed=1)


def test_a_fixed_port_by_ini_and_the_option_wins(pytester: pytest.Pytester) -> None:
    port, other = _free_port(), _free_port()
    pytester.makeini(f"[pytest]\nequos_mock_port = {port}\n")
    pytester.makepyfile(test_user=PORT_TEST.format(port=port))
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.makepyfile(test_user=PORT_TEST.format(port=other))
    pytester.runpytest("--equos-mock-port", str(other)).assert_outcomes(passed=1)


def test_the_default_is_a_free_port(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user='''
def test_port(equos_mock):
    assert int(equos_mock.url.rsplit(":", 1)[1]) > 0
''')
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_busy_fixed_port_is_one_line_with_the_way_out(pytester: pytest.Pytester) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        pytester.makepyfile(test_user=PORT_TEST.format(port=port))
        result = pytester.runpytest("--equos-mock-port", str(port))
    result.assert_outcomes(errors=1)
    assert f"equos-mock: cannot listen on 127.0.0.1:{port}: the port is already in use; set --equos-mock-port or " \
           "equos_mock_port to another port, or 0 for a free one" in result.outlines
    assert "another exception occurred" not in result.stdout.str()


@pytest.mark.parametrize("value", ["http", "70000", "-1"])
def test_a_port_that_is_no_port_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makeini(f"[pytest]\nequos_mock_port = {value}\n")
    pytester.makepyfile(test_user=PORT_TEST.format(port=0))
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: equos_mock_port must be a port number from 0 to 65535, not '{value}'"])


# --- no noise ----------------------------------------------------------------------
TOKEN_TEST = '''
import httpx, jwt, pytest, warnings
from livekit import api

def test_tokens(equos_httpx, equos_faults):
    character = equos_httpx.post("/v3/characters", json={"name": "c", "livekitIdentity": "c"}).json()
    started = equos_httpx.post("/v3/conversations", json={"name": "n", "characterId": character["id"],
                                                          "consumer": {"identity": "u", "name": "U"}}).json()
    assert api.TokenVerifier("devkey", "secret").verify(started["consumerAccessToken"]).identity == "u"
    equos_faults.drop("GET", "/v3/faces")
    with pytest.raises(httpx.TransportError):
        equos_httpx.get("/v3/faces")
    equos_httpx.post(f"/v3/conversations/{started['conversation']['id']}/stop")

def test_a_short_key_of_the_users_own_still_warns():
    jwt.encode({"sub": "x"}, "short", algorithm="HS256")
'''


@pytest.mark.slow
def test_a_user_run_shows_our_dev_secret_warning_nowhere_and_theirs_as_usual(pytester: pytest.Pytester) -> None:
    pytest.importorskip("livekit.api")
    pytester.makepyfile(test_user=TOKEN_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*InsecureKeyLengthWarning: The HMAC key is 5 bytes long*"])
    result.stdout.no_fnmatch_line("*6 bytes long*")
    result.stdout.no_fnmatch_line("*ASGI callable*")
    # Even where every warning is an error.
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "test_tokens").assert_outcomes(passed=1)
