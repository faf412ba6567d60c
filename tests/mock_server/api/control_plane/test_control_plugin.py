"""The pytest plugin, tested through pytester (it is registered by the pytest11 entry point)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter

import pytest

# Imported here so pytester's in-process runs (which drop modules they import) share these modules.
import mock_server.app
import mock_server.asgi_client
import mock_server.control_client
import mock_server.pytest_plugin  # noqa: F401
from mock_server.server import MockServer

FIXTURE_TESTS = '''
import httpx
import pytest

def test_server_and_control(equos_mock):
    assert equos_mock.url.startswith("http://127.0.0.1:")
    assert equos_mock.control.clock()["scope"] == "app"
    assert httpx.get(equos_mock.url + "/v3/health").status_code == 200

KEYS = []

@pytest.mark.parametrize("n", range(3))
def test_a_fresh_key_and_organization_per_test(equos_api_key, equos_httpx, n):
    assert equos_api_key not in KEYS
    KEYS.append(equos_api_key)
    assert equos_httpx.get("/v3/brains").json()["total"] == 0
    assert equos_httpx.post("/v3/brains", json={"instructions": "x", "greetingMessage": "Hi"}).status_code == 201

def test_org(equos_org, equos_httpx):
    brain = equos_httpx.post("/v3/brains", json={"instructions": "x", "greetingMessage": "Hi"}).json()
    assert brain["organizationId"] == equos_org["id"]

def test_sdk_client(equos_client):
    from equos.client.models import CreateEquosBrainRequest
    equos_client.brains.create(CreateEquosBrainRequest(instructions="x", greeting_message="Hi"))
    assert equos_client.brains.list().total == 1

def test_clock(equos_clock, equos_httpx):
    equos_clock.set("2030-01-01T00:00:00Z")
    equos_clock.advance(61)
    assert str(equos_clock.now()) == "2030-01-01 00:01:01+00:00"
    brain = equos_httpx.post("/v3/brains", json={"instructions": "x", "greetingMessage": "Hi"}).json()
    assert brain["createdAt"] == "2030-01-01T00:01:01.000Z"

def test_faults(equos_faults, equos_httpx, equos_mock):
    rule = equos_faults.fail("GET", "/v3/faces", status=502, times=1)
    assert equos_httpx.get("/v3/faces").status_code == 502
    assert equos_httpx.get("/v3/faces").status_code == 200
    equos_faults.throttle("GET", "/v3/voices", retry_after=5)
    assert equos_httpx.get("/v3/voices").headers["retry-after"] == "5"
    assert [r["id"] for r in equos_faults.list()][0] == rule["id"]
    other = httpx.get(equos_mock.url + "/v3/voices", headers={"x-api-key": "sk_someone_else"})
    assert other.status_code == 200
    equos_faults.drop("GET", "/v3/brains")
    with pytest.raises(httpx.TransportError):
        equos_httpx.get("/v3/brains")
    equos_faults.delay("GET", "/v3/characters", ms=50)
    assert equos_httpx.get("/v3/characters").status_code == 200

def test_faults_are_gone_after_teardown(equos_mock):
    assert equos_mock.control.faults() == []

def test_journal(equos_journal, equos_httpx):
    equos_httpx.get("/v3/faces")
    equos_httpx.post("/v3/brains", json={"instructions": "x", "greetingMessage": "Hi"})
    assert equos_journal.count("POST", "/v3/brains") == 1
    equos_journal.verify(2)
    assert [e["path"] for e in equos_journal.entries()] == ["/v3/faces", "/v3/brains"]
    assert equos_journal.last()["status"] == 201
    with pytest.raises(AssertionError, match="expected 5"):
        equos_journal.verify(5, "GET")
    assert equos_journal.clear() == 2 and equos_journal.entries() == []

def test_asgi(equos_asgi_app, equos_asgi_httpx, equos_asgi_client):
    assert equos_asgi_httpx.post("/v3/brains", json={"instructions": "x", "greetingMessage": "Hi"}).status_code == 201
    assert equos_asgi_client.brains.list().total == 1
    assert len(equos_asgi_app.state.runtime.journal) == 2
'''


def test_every_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fixtures=FIXTURE_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--durations=3")
    result.assert_outcomes(passed=11)


def test_seed_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_seeded='''
        import pytest

        @pytest.mark.equos_seed("demo")
        def test_demo_is_loaded(equos_httpx, equos_org):
            characters = equos_httpx.get("/v3/characters").json()["characters"]
            assert [c["id"] for c in characters] == ["char_demo_guide"]
            assert equos_org["counts"]["characters"] == 1

        def test_unseeded_is_empty(equos_httpx):
            assert equos_httpx.get("/v3/characters").json()["total"] == 0
    ''')
    pytester.runpytest().assert_outcomes(passed=2)


LEAKY = '''
import pytest

def _start(client, name):
    brain = client.post("/v3/brains", json={"instructions": "x", "greetingMessage": "Hi"}).json()
    character = client.post("/v3/characters", json={"name": "G", "livekitIdentity": "g" + name,
                                                    "brainId": brain["id"]}).json()
    return client.post("/v3/conversations", json={"name": name, "characterId": character["id"]}).json()

def test_leaks(equos_httpx):
    _start(equos_httpx, "left-running")

def test_stops(equos_httpx):
    started = _start(equos_httpx, "stopped")
    equos_httpx.post(f"/v3/conversations/{started['conversation']['id']}/stop")

@pytest.mark.equos_leak("off")
def test_leaks_on_purpose(equos_httpx):
    _start(equos_httpx, "on-purpose")

def test_leaks_in_process(equos_asgi_httpx):
    _start(equos_asgi_httpx, "in-process")
'''


def test_leak_guard_fails_by_default_and_names_the_conversation(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest()
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaks*",
                                 "*leak guard: the test ended with 1 conversation(s) still running*left-running*"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaks_in_process*"])
    assert "on-purpose" not in result.stdout.str()


def test_leak_guard_warns_by_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest("--equos-leak=warn")
    result.assert_outcomes(passed=4, warnings=2)
    result.stdout.fnmatch_lines(["*EquosLeakWarning*left-running*"])


def test_leak_guard_off_by_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nequos_leak = off\n")
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest()
    result.assert_outcomes(passed=4)
    assert "EquosLeakWarning" not in result.stdout.str()


def test_leak_guard_does_not_bury_a_real_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_failing=LEAKY.split("def test_leaks(")[0] + '''
def test_fails_while_running(equos_httpx):
    _start(equos_httpx, "mid-failure")
    assert False, "the real failure"
''')
    result = pytester.runpytest()
    result.assert_outcomes(failed=1, warnings=1)
    result.stdout.fnmatch_lines(["*the real failure*", "*EquosLeakWarning*mid-failure*"])


def test_external_server_by_url(pytester: pytest.Pytester) -> None:
    with MockServer() as server:
        pytester.makepyfile(test_external=f'''
            def test_uses_it(equos_mock, equos_httpx):
                assert equos_mock.url == "{server.url}" and equos_mock.server is None
                equos_httpx.get("/v3/faces")
        ''')
        pytester.runpytest("--equos-mock-url", server.url).assert_outcomes(passed=1)
        assert server.control.count("GET", "/v3/faces") == 1


def test_external_server_with_a_control_token(pytester: pytest.Pytester) -> None:
    with MockServer(control_token="s3cret") as server:
        pytester.makepyfile(test_token='''
            def test_clock(equos_clock):
                equos_clock.advance(5)
        ''')
        refused = pytester.runpytest("--equos-mock-url", server.url)
        refused.assert_outcomes(errors=2)  # the clock at setup, the leak guard at teardown
        refused.stdout.fnmatch_lines(["*control plane answered 401*"])
        pytester.runpytest("--equos-mock-url", server.url, "--equos-mock-token", "s3cret").assert_outcomes(passed=1)


def test_external_server_without_control_plane(pytester: pytest.Pytester) -> None:
    with MockServer(control_plane=False) as server:
        pytester.makepyfile(test_plain='''
            def test_api_only(equos_httpx):
                assert equos_httpx.get("/v3/faces").status_code == 200
        ''')
        pytester.runpytest("--equos-mock-url", server.url).assert_outcomes(passed=1)


def test_plugin_import_is_cheap() -> None:
    code = ("import sys, mock_server.pytest_plugin\n"
            "heavy = [m for m in ('httpx', 'equos', 'starlette', 'uvicorn', 'pydantic') if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow  # a pytest run in a fresh process
def test_works_without_equos_and_httpx(pytester: pytest.Pytester) -> None:
    # A conftest that makes both packages unimportable, in a subprocess so this process keeps them.
    pytester.makeconftest("import sys\nsys.modules['equos'] = None\nsys.modules['httpx'] = None\n")
    pytester.makepyfile(test_bare='''
        def test_sdk(equos_client): pass
        def test_httpx(equos_httpx): pass
        def test_asgi(equos_asgi_httpx): pass
        def test_clock_and_journal_need_neither(equos_clock, equos_journal, equos_faults):
            equos_clock.advance(5)
            assert equos_journal.count() == 0
            assert equos_faults.list() == []
    ''')
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, errors=3)  # a missing extra errors, naming it
    result.stdout.fnmatch_lines(["the official equos SDK is not installed: equos_client needs the 'sdk' *",
                                 "httpx is not installed: equos_httpx needs the 'pytest' *"], consecutive=False)
    assert "During handling" not in result.stdout.str() and "halted" not in result.stdout.str()
    pytester.makeini("[pytest]\nequos_missing_extra = skip\n")  # the project opts into skips
    pytester.runpytest_subprocess().assert_outcomes(passed=1, skipped=3)


SAMPLE_SUITE = '''
import pytest

N = 12

def _brain(client, tag):
    response = client.post("/v3/brains", json={"instructions": tag, "greetingMessage": "Hi", "client": tag})
    assert response.status_code == 201
    return response.json()

@pytest.mark.parametrize("n", range(N))
def test_sees_only_its_own(n, equos_httpx, equos_clock, equos_journal, equos_faults):
    equos_clock.set(f"2030-01-{n + 1:02d}T00:00:00Z")
    equos_clock.advance(n)
    made = {_brain(equos_httpx, f"t{n}-{i}")["id"] for i in range(n % 4 + 1)}
    listed = equos_httpx.get("/v3/brains", params={"take": 50}).json()
    assert {b["id"] for b in listed["brains"]} == made and listed["total"] == len(made)
    assert all(b["createdAt"] == f"2030-01-{n + 1:02d}T00:00:{n:02d}.000Z" for b in listed["brains"])
    equos_faults.fail("GET", "/v3/faces", status=503, times=1)
    assert equos_httpx.get("/v3/faces").status_code == 503
    assert equos_httpx.get("/v3/faces").status_code == 200
    assert equos_journal.count("POST", "/v3/brains") == len(made)
    assert equos_journal.count() == len(made) + 3
'''


@pytest.mark.slow  # a pytest -n 2 run in fresh processes
def test_xdist_sample_suite_on_one_shared_server(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    with MockServer() as server:
        pytester.makepyfile(test_sample=SAMPLE_SUITE)
        result = pytester.runpytest_subprocess("-n", "2", "--equos-mock-url", server.url, "-p", "no:cacheprovider")
        result.assert_outcomes(passed=12)
        result.stdout.fnmatch_lines(["*2 workers*"])
        control = server.control
        # One organization per test, each deleted when its test ended: the shared server stays flat.
        assert control.organizations() == []
        assert server.runtime.store.keys == {} and server.runtime.store.public_keys == {}
        created = control.journal(method="POST", path="/v3/brains")
        assert len({e["organization"] for e in created}) == 12  # the journal still tells them apart
        assert sorted(Counter(e["organization"] for e in created).values()) == sorted(n % 4 + 1 for n in range(12))
        assert control.faults() == []  # every test's rules removed at its teardown
        assert control.clock()["frozen"] is False  # nobody moved the shared clock


def test_the_docs_example_runs(pytester: pytest.Pytester) -> None:
    """The complete example of docs/pytest-plugin.md (app.py and test_kiosk.py) passes as written."""
    from pathlib import Path

    page = (Path(__file__).resolve().parents[4] / "docs" / "pytest-plugin.md").read_text(encoding="utf-8")
    section = page.split("## A complete example", 1)[1].split("\n## ", 1)[0]
    blocks = [textwrap.dedent(b.split("\n", 1)[1]) for b in section.split("```python")[1:]]
    files = {b.split("\n", 1)[0].removeprefix("# ").split(" ")[0].rstrip(":"): b.split("```", 1)[0] for b in blocks}
    assert {"app.py", "test_kiosk.py"} <= set(files), files.keys()
    for name, source in files.items():
        pytester.path.joinpath(name).write_text(source, encoding="utf-8")
    pytester.syspathinsert()
    result = pytester.runpytest("test_kiosk.py")
    result.assert_outcomes(passed=1)
