"""The plugin in a user's project (pytester, in a directory outside the repository): what a missing
extra looks like, the session server's fixed port, and no warnings of ours in the user's output."""

from __future__ import annotations

import socket
from pathlib import Path

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
from mock_server import extras

ROOT = Path(__file__).resolve().parents[2]

SDK_TEST = '''
def test_sdk(equos_client):
    assert equos_client.brains.list().total == 0
'''


def _hint(extra: str) -> str:
    """The install line for ``extra`` in this checkout's own venv (installed from it, editable)."""
    assert extras.install_source() == (ROOT, True), "the suite runs from an editable install of this checkout"
    return f"pip install -e '{ROOT}[{extra}]' (the checkout this equos-mock was installed from), " \
           f"or pip install 'equos-mock[{extra}]'"


SDK_MISSING = "the official equos SDK is not installed: {fixture} needs the 'sdk' extra: {hint}"


@pytest.mark.slow  # a pytest subprocess
def test_without_the_sdk_the_test_errors_in_one_line_naming_the_extra(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(blocker_source(["equos"]))
    pytester.makepyfile(test_user=SDK_TEST + '''
def test_in_process(equos_asgi_client):
    pass

def test_as_the_app_makes_it(equos_default_client):
    pass
''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=3)  # a CI job that forgot the extra fails; it does not pass with skips
    reasons = [line for line in result.outlines if line.startswith("the official equos SDK")]
    assert reasons == [SDK_MISSING.format(fixture=fixture, hint=_hint("sdk"))
                       for fixture in ("equos_client", "equos_asgi_client", "equos_default_client")]
    assert "Traceback" not in result.stdout.str() and "SKIPPED" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()  # the import error is not chained before the line


@pytest.mark.slow  # a pytest subprocess
def test_a_project_that_opts_in_skips_instead(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(blocker_source(["equos"]))
    pytester.makeini("[pytest]\nequos_missing_extra = skip\n")
    pytester.makepyfile(test_user=SDK_TEST + '''
def test_in_process(equos_asgi_client):
    pass
''')
    result = pytester.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=2)
    skipped = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert [line.split(": ", 1)[1] for line in skipped] == [
        SDK_MISSING.format(fixture=fixture, hint=_hint("sdk")) for fixture in ("equos_client", "equos_asgi_client")]


def test_the_opt_in_takes_error_or_skip_only(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nequos_missing_extra = ignore\n")
    pytester.makepyfile(test_user="def test_x(): pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: equos_missing_extra must be error or skip, not 'ignore'"])


@pytest.mark.slow  # a pytest subprocess
def test_the_sdk_without_python_dateutil_fails_in_one_line_naming_the_extra(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(blocker_source(["dateutil"]))
    pytester.makepyfile(test_user=SDK_TEST)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    failure = [line for line in result.outlines if line.startswith("equos_client needs")]
    assert failure == [f"equos_client needs the 'sdk' extra: {_hint('sdk')} (No module named 'dateutil')"]
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
def test_without_httpx_its_fixtures_error_naming_the_extra(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(blocker_source(["httpx", "equos"]))
    pytester.makepyfile(test_user='''
def test_httpx(equos_httpx): pass
def test_asgi(equos_asgi_httpx): pass
''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=2)
    reasons = [line for line in result.outlines if line.startswith("httpx is not installed")]
    assert reasons == [f"httpx is not installed: {fixture} needs the 'pytest' extra: {_hint('pytest')}"
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


# --- a shared server given by URL ----------------------------------------------------------
def test_a_url_where_no_mock_answers_fails_the_session_in_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user='''
def test_one(equos_client): pass
def test_two(equos_client, equos_faults): pass
def test_three(equos_httpx, equos_journal): pass
''')
    url = f"http://127.0.0.1:{_free_port()}"  # nobody listens there
    result = pytester.runpytest("--equos-mock-url", url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.outlines == []
    assert [line for line in result.errlines if line] == [
        f"ERROR: no equos-mock answers at {url}: start `equos-mock serve`, or drop --equos-mock-url"]


def test_a_url_where_another_server_answers_is_named_too(pytester: pytest.Pytester) -> None:
    from mock_server import MockServer

    pytester.makepyfile(test_user="def test_one(equos_client): pass\n")
    with MockServer() as server:  # an equos-mock, but the URL misses its root: /api/v3/health is a 404
        result = pytester.runpytest("--equos-mock-url", server.url + "/api")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line] == [
        f"ERROR: no equos-mock answers at {server.url}/api (GET /v3/health answered 404): start `equos-mock "
        "serve`, or drop --equos-mock-url"]


# --- the two SDK clients, and what the SDK lacks -------------------------------------------------
CLIENTS_TEST = '''
import pytest
from equos.client.errors import UnexpectedStatus
from equos.client.models import CreateEquosBrainRequest

BRAIN = CreateEquosBrainRequest(instructions="Be brief.", greeting_message="Hi")

def test_the_default_client_is_the_apps_and_returns_none_on_a_fault(equos_default_client, equos_faults):
    from equos import EquosClient
    assert type(equos_default_client) is EquosClient
    assert equos_default_client._client.raise_on_unexpected_status is False  # the SDK's default
    equos_faults.fail("POST", "/v3/brains", status=503)
    assert equos_default_client.brains.create(BRAIN) is None

def test_the_strict_client_raises_on_the_same_fault(equos_client, equos_faults):
    equos_faults.fail("POST", "/v3/brains", status=503)
    with pytest.raises(UnexpectedStatus) as raised:
        equos_client.brains.create(BRAIN)
    assert raised.value.status_code == 503

def test_both_share_the_tests_organization(equos_client, equos_default_client):
    made = equos_default_client.brains.create(BRAIN)
    assert equos_client.brains.get(made.id).instructions == "Be brief."

def test_user_usage_per_client_tag(equos_user_usage, equos_httpx, equos_clock):
    character = equos_httpx.post("/v3/characters", json={"name": "c", "livekitIdentity": "c"}).json()
    for tag, seconds in (("pupil-1", 30), ("pupil-2", 75)):
        started = equos_httpx.post("/v3/conversations", json={
            "name": tag, "characterId": character["id"], "client": tag,
            "consumer": {"identity": tag, "name": tag}}).json()
        equos_clock.advance(seconds)
        equos_httpx.post(f"/v3/conversations/{started['conversation']['id']}/stop")
    assert (equos_user_usage("pupil-1"), equos_user_usage("pupil-2"), equos_user_usage("nobody")) == (30, 75, 0)
    assert isinstance(equos_user_usage("pupil-1"), float)
'''


def test_the_apps_client_the_strict_client_and_user_usage(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=CLIENTS_TEST)
    pytester.runpytest().assert_outcomes(passed=4)


# --- fault rules that could never fire --------------------------------------------------------------
def test_a_fault_rule_that_can_never_fire_fails_the_test_that_adds_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user='''
def test_outage(equos_faults, equos_client):
    equos_faults.fail("GET", "/brains")  # no /v3: would never fire
    equos_client.brains.list()

def test_typo_in_a_glob(equos_faults):
    equos_faults.delay(path="/v3/conversation/*", ms=10)

def test_right(equos_faults):
    equos_faults.fail("GET", "/v3/brains")
''')
    result = pytester.runpytest()
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines([
        "E *ValueError: a fault rule for GET /brains can never fire: the path matches no route; "
        "did you mean GET /v3/brains?",
        "E *ValueError: a fault rule for /v3/conversation/* can never fire: the glob matches no route; "
        "did you mean GET /v3/conversations/{id}?",
    ], consecutive=False)
