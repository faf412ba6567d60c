"""pytest plugin (entry point ``pytest11``): an isolated Equos mock per test in one line.

Fixtures: ``equos_mock`` (session-wide server on a free port, or the fixed one of
``--equos-mock-port`` / the ``equos_mock_port`` ini, or ``--equos-mock-url``), ``equos_api_key`` /
``equos_org`` (a fresh organization per test), ``equos_default_client`` (the official SDK as an app
makes it: None on a 4xx/5xx) and ``equos_client`` (the SDK raising on them), ``equos_user_usage``,
``equos_httpx``, ``equos_asgi_app`` / ``equos_asgi_httpx`` / ``equos_asgi_client`` (in process, no
socket), ``equos_clock``, ``equos_faults``, ``equos_journal``. Marker ``equos_seed("demo")``
loads a seed into the test's organization; the leak guard fails (or warns about) a test that
leaves conversations running. Imports stay lazy: installing the package costs no import time,
and neither ``equos`` nor ``httpx`` is needed until a fixture that uses it is requested (without
them, such a test errors in one line naming the extra to install; ``equos_missing_extra = skip``
skips it instead). The warning PyJWT gives about the mock's
short dev LiveKit secret is filtered (``noise.py``).
"""

from __future__ import annotations

import importlib
import os
import uuid
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from . import seed_marker

if TYPE_CHECKING:
    from .room_events import RoomEvents

LEAK_MODES = ("fail", "warn", "off")
_CALL_REPORT = pytest.StashKey[Any]()


class EquosLeakWarning(UserWarning):
    """A test left conversations running (in production they keep billing)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("equos-mock")
    group.addoption("--equos-mock-url", default=None,
                    help="use an already running equos-mock at this URL instead of starting one")
    group.addoption("--equos-mock-token", default=None,
                    help="x-mock-token of that server's control plane (default: $EQUOS_MOCK_CONTROL_TOKEN)")
    group.addoption("--equos-leak", default=None, choices=LEAK_MODES,
                    help="a test that leaves conversations running: fail (default), warn, or off")
    parser.addini("equos_leak", default="fail",
                  help="leak guard for conversations left running: fail, warn or off (--equos-leak wins)")
    parser.addini(seed_marker.INI, type="paths", default=[],
                  help="folder(s) of the project's seed files, relative to the ini file: "
                       "@pytest.mark.equos_seed('team') finds team.json there")
    group.addoption("--equos-mock-port", type=int, default=None,
                    help="port of the session's mock server (default 0: a free port; the equos_mock_port ini "
                         "sets it too). One server per process: with pytest-xdist each worker starts its own")
    parser.addini("equos_mock_port", default="0",
                  help="port of the session's mock server; 0 (default) picks a free one (--equos-mock-port wins)")
    parser.addini("equos_missing_extra", default="error",
                  help="a test whose fixture needs an extra that is not installed: error (default) or skip")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "equos_seed(*seeds): load these seed files into the test's equos-mock "
                                       "organization: a path from the test file or the rootdir, a name from "
                                       "equos_mock_seed_dir, or a bundled one (demo)")
    seed_marker.check_folders(config)
    config.addinivalue_line("markers", "equos_leak(mode): leak guard for this test: fail, warn or off")
    from .noise import PYTEST_FILTERS

    for line in PYTEST_FILTERS:  # after the user's own lines, so it wins over a `filterwarnings = error`
        config.addinivalue_line("filterwarnings", line)
    mock_port(config)  # a port that is no port: a usage error now, not an error in every test
    missing_extra_mode(config)  # likewise


@pytest.hookimpl(tryfirst=True)  # before the terminal's header: the one line is all the output
def pytest_sessionstart(session: pytest.Session) -> None:
    url = session.config.getoption("--equos-mock-url")
    if url:
        problem = unanswered(url)
        if problem:
            raise pytest.UsageError(problem)


def unanswered(url: str, timeout: float = 5.0) -> str | None:
    """Why nothing usable answers at ``url`` (one line), or None when an equos-mock does."""
    import json
    import urllib.error
    import urllib.request

    base = url.rstrip("/")
    why = ""
    try:
        with urllib.request.urlopen(f"{base}/v3/health", timeout=timeout) as reply:
            if json.loads(reply.read()).get("status") == "ok":
                return None
            why = " (GET /v3/health did not say ok)"
    except urllib.error.HTTPError as exc:
        why = f" (GET /v3/health answered {exc.code})"
    except (OSError, ValueError, AttributeError):  # refused, unreachable, timed out, not JSON, not an object
        pass
    return f"no equos-mock answers at {base}{why}: start `equos-mock serve`, or drop --equos-mock-url"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report  # the leak guard goes easy on a test that already failed
    return report


def pytest_runtest_setup(item: pytest.Item) -> None:
    seed_marker.check_item(item)


class EquosMock:
    """What ``equos_mock`` yields: the base URL and the control client."""

    def __init__(self, url: str, control: Any, server: Any = None):
        self.url = url
        self.control = control
        self.server = server
        self._tls: Any = None

    def tls_context(self) -> Any:
        """One TLS context, httpx's default, for the session's httpx clients: httpx makes a new one per
        client otherwise, and loading the CA bundle is about 50 ms of CPU each (benchmarks/plugin_cpu.py)."""
        if self._tls is None:
            import httpx

            self._tls = httpx.create_ssl_context()
        return self._tls

    def new_key(self) -> str:
        return f"sk_test_{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def equos_mock(request: pytest.FixtureRequest) -> Iterator[EquosMock]:
    from .control_client import MockControl

    url = request.config.getoption("--equos-mock-url")
    if url:
        token = request.config.getoption("--equos-mock-token") or os.environ.get("EQUOS_MOCK_CONTROL_TOKEN")
        yield EquosMock(url.rstrip("/"), MockControl(url, token=token))
        return
    from .server import BindError, MockServer

    port = mock_port(request.config)
    try:
        server = MockServer(port=port).start()
    except BindError as exc:
        problem = f"equos-mock: {exc}"
    else:
        problem = ""
    if problem:  # failed outside the except block: one line, no chained traceback
        if port:
            problem += "; set --equos-mock-port or equos_mock_port to another port, or 0 for a free one"
        if port and hasattr(request.config, "workerinput"):
            problem += " (each pytest-xdist worker starts its own server: a fixed port fits one worker only)"
        pytest.fail(problem, pytrace=False)
    # One kept connection for the test thread's control calls: a new one per call cost both sides a
    # connect and an accept, about half of a test's fixture CPU (benchmarks/plugin_cpu.py).
    control = MockControl(server.url, token=server.settings.control_token, keep_alive=True)
    try:
        yield EquosMock(server.url, control, server)
    finally:
        control.close()
        server.stop()


def mock_port(config: pytest.Config) -> int:
    """The session server's port: --equos-mock-port, else the equos_mock_port ini, else 0 (a free one)."""
    option = config.getoption("--equos-mock-port")
    raw = option if option is not None else (config.getini("equos_mock_port") or "0")
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise pytest.UsageError(f"equos_mock_port must be a port number from 0 to 65535, not {raw!r}")
    return port


def _leak_mode(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("equos_leak")
    mode = (marker.args[0] if marker and marker.args else None) or request.config.getoption("--equos-leak") \
        or request.config.getini("equos_leak")
    if mode not in LEAK_MODES:
        raise pytest.UsageError(f"equos_leak must be one of {', '.join(LEAK_MODES)}, not {mode!r}")
    return mode


def leak_message(running: list[dict[str, Any]]) -> str:
    listed = "; ".join(f"{c['id']} ({c.get('name')!r}, started {c.get('startedAt')})" for c in running)
    return (f"equos-mock leak guard: the test ended with {len(running)} conversation(s) still running: {listed}. "
            "In production a running conversation keeps billing: stop it (conversations.stop(id)), "
            "or mark the test @pytest.mark.equos_leak('warn'/'off').")


def check_leaks(request: pytest.FixtureRequest, running: list[dict[str, Any]]) -> None:
    if not running:
        return
    mode = _leak_mode(request)
    report = request.node.stash.get(_CALL_REPORT, None)
    if mode == "fail" and report is not None and report.failed:
        mode = "warn"  # the test failed already; a second error would only bury the first
    if mode == "fail":
        pytest.fail(leak_message(running), pytrace=False)
    warnings.warn(EquosLeakWarning(leak_message(running)), stacklevel=1)


@pytest.fixture
def equos_api_key(request: pytest.FixtureRequest, equos_mock: EquosMock) -> Iterator[str]:
    """A key nobody else uses: the mock gives it a fresh, empty organization on first use.

    ``@pytest.mark.equos_seed("demo")`` loads seeds into it; at teardown, the leak guard checks
    that no conversation of this organization is still running, then the organization is deleted.
    """
    key = equos_mock.new_key()
    problem = seed_marker.load_on_server(request, equos_mock.control, key)
    if problem:
        _delete_organization(equos_mock, key)
        pytest.fail(problem, pytrace=False)
    yield key
    from .control_client import ControlError

    try:
        if _leak_mode(request) != "off":
            try:
                running = equos_mock.control.running_conversations(key)
            except ControlError as exc:
                if exc.status != 404:
                    raise
                return  # a server started with --no-control: nothing to ask, no guard
            check_leaks(request, running)
    finally:
        _delete_organization(equos_mock, key)


def _delete_organization(equos_mock: EquosMock, key: str) -> None:
    """The test is over: its organization goes, so a server shared by any number of runs stays flat."""
    from .control_client import ControlError

    try:
        equos_mock.control.delete_organization(key=key)
    except ControlError as exc:
        if exc.status != 404:  # 404: the key was never used, or the control plane is off
            raise


@pytest.fixture
def equos_org(equos_mock: EquosMock, equos_api_key: str) -> dict[str, Any]:
    """The test's organization, created now if the key was not used yet (id, name, settings, counts)."""
    from .control_client import ControlError

    try:
        return equos_mock.control.create_organization([equos_api_key])
    except ControlError as exc:
        existing = equos_mock.control.organization_of(equos_api_key) if exc.status == 409 else None
        if existing is None:
            raise
        return existing


def sdk_client(base_url: str, api_key: str, *, raise_on_unexpected_status: bool = True,
               transport: Any = None, verify_ssl: Any = True) -> Any:
    """The official ``equos`` client pointed at ``base_url``, raising on undocumented statuses
    (``verify_ssl``: as the SDK's, e.g. a TLS context made once)."""
    from equos import EquosClient, EquosOptions
    from equos.client.client import AuthenticatedClient

    client = EquosClient(api_key, EquosOptions(endpoint=base_url))
    strict = AuthenticatedClient(base_url=base_url, token=api_key, auth_header_name="x-api-key", prefix="",
                                 raise_on_unexpected_status=raise_on_unexpected_status, verify_ssl=verify_ssl,
                                 httpx_args={"transport": transport} if transport is not None else {})
    client._client = strict
    # Every API group of the SDK (brains, knowledge_bases, tokens, ...): whatever groups this version has.
    for name, group in vars(client).items():
        if not name.startswith("_") and hasattr(group, "_client"):
            group._client = strict
    return client


# What each optional fixture imports, what that is, and the extra that installs it.
_OPTIONAL = {"equos": ("the official equos SDK", "sdk"), "httpx": ("httpx", "pytest")}


def require(config: pytest.Config, module: str, fixture: str) -> Any:
    """Import ``module`` for ``fixture``. Absent: the test errors in one line naming the extra (a CI job
    that forgot it must not pass with every test skipped), or is skipped where the project opted in
    (``equos_missing_extra = skip``). Present but missing one of the modules its extra installs (the
    SDK without python-dateutil): the test errors in one line naming the extra. Any other import
    error is the user's to see, unchanged."""
    from . import extras

    what, extra = _OPTIONAL[module]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            reason = f"{what} is not installed: {extras.needs(fixture, extra)}"
        elif extras.provided_by(exc, extra):
            reason = f"{extras.needs(fixture, extra)} ({exc})"
        else:
            raise
        skip = exc.name == module and missing_extra_mode(config) == "skip"
    # Out of the except block: the one line, without the import error chained before it.
    if skip:
        pytest.skip(reason)
    pytest.fail(reason, pytrace=False)


MISSING_EXTRA_MODES = ("error", "skip")


def missing_extra_mode(config: pytest.Config) -> str:
    mode = (config.getini("equos_missing_extra") or "error").strip()
    if mode not in MISSING_EXTRA_MODES:
        raise pytest.UsageError(f"equos_missing_extra must be error or skip, not {mode!r}")
    return mode


def close_sdk_client(client: Any) -> None:
    """Close the httpx client an SDK client opened on its first call (the SDK never does: left to the
    collector, it is a ResourceWarning, an error under ``filterwarnings = error``)."""
    opened = getattr(client._client, "_client", None)
    if opened is not None:
        opened.close()


@pytest.fixture
def equos_client(request: pytest.FixtureRequest, equos_mock: EquosMock, equos_api_key: str) -> Iterator[Any]:
    """The SDK with the test's key, raising ``UnexpectedStatus`` on a status its spec does not list:
    a strict client for a test's own calls. Not what production runs: see ``equos_default_client``."""
    require(request.config, "equos", "equos_client")
    client = sdk_client(equos_mock.url, equos_api_key, verify_ssl=equos_mock.tls_context())
    yield client
    close_sdk_client(client)


@pytest.fixture
def equos_default_client(request: pytest.FixtureRequest, equos_mock: EquosMock, equos_api_key: str
                         ) -> Iterator[Any]:
    """``EquosClient(key, EquosOptions(endpoint=url))``, exactly as an app makes it: on a 4xx or 5xx its
    methods return None instead of raising. Pass this one into the app under test."""
    equos = require(request.config, "equos", "equos_default_client")
    client = equos.EquosClient(equos_api_key, equos.EquosOptions(endpoint=equos_mock.url))
    yield client
    close_sdk_client(client)


@pytest.fixture
def equos_user_usage(request: pytest.FixtureRequest, equos_default_client: Any) -> Any:
    """``equos_user_usage("tutor-42")``: seconds used by that client tag (GET /v3/organizations/user-usage),
    which the SDK has no method for (``sdk_usage.user_usage``)."""
    from .sdk_usage import user_usage

    return lambda client_tag: user_usage(equos_default_client, client_tag)


@pytest.fixture
def equos_httpx(request: pytest.FixtureRequest, equos_mock: EquosMock, equos_api_key: str) -> Iterator[Any]:
    httpx = require(request.config, "httpx", "equos_httpx")
    with httpx.Client(base_url=equos_mock.url, headers={"x-api-key": equos_api_key},
                      verify=equos_mock.tls_context()) as client:
        yield client


# --- in process: a fresh app per test, no socket ------------------------------------
ASGI_KEY = "sk_test_asgi"


@pytest.fixture
def equos_asgi_app(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh Starlette app of its own for this test (``app.state.runtime`` is all its state)."""
    from .app import create_app

    app = create_app()
    seed_marker.load_in_process(request, app, ASGI_KEY)
    yield app
    if _leak_mode(request) != "off":
        from .domain import conversations

        runtime = app.state.runtime
        running = [{"id": c.id, "name": c.name, "startedAt": c.startedAt.isoformat()}
                   for org in list(runtime.store.organizations.values()) for c in conversations.running(runtime, org)]
        check_leaks(request, running)


@pytest.fixture
def equos_asgi_httpx(request: pytest.FixtureRequest, equos_asgi_app: Any) -> Iterator[Any]:
    """A sync httpx client calling ``equos_asgi_app`` in process, with key ``sk_test_asgi``."""
    require(request.config, "httpx", "equos_asgi_httpx")
    from .asgi_client import asgi_client

    with asgi_client(equos_asgi_app, ASGI_KEY) as client:
        yield client


@pytest.fixture
def equos_asgi_client(request: pytest.FixtureRequest, equos_asgi_app: Any) -> Iterator[Any]:
    """The official SDK calling ``equos_asgi_app`` in process (key ``sk_test_asgi``)."""
    require(request.config, "equos", "equos_asgi_client")
    from .asgi_client import BASE_URL, SyncASGITransport

    transport = SyncASGITransport(equos_asgi_app)
    try:
        yield sdk_client(BASE_URL, ASGI_KEY, transport=transport)
    finally:
        transport.close()


# --- time, faults, journal, scoped to the test's organization ---------------------
class OrgClock:
    """The test organization's own clock: moving it never disturbs another test's organization."""

    def __init__(self, control: Any, key: str):
        self._control = control
        self.key = key

    def now(self) -> Any:
        return self._control.now(key=self.key)

    def freeze(self, at: Any = None) -> Any:
        return self._control.freeze(at, key=self.key)

    def unfreeze(self) -> Any:
        return self._control.unfreeze(key=self.key)

    def advance(self, seconds: float) -> Any:
        return self._control.advance(seconds, key=self.key)

    def set(self, at: Any) -> Any:
        return self._control.set_time(at, key=self.key)


@pytest.fixture
def equos_clock(equos_mock: EquosMock, equos_api_key: str) -> OrgClock:
    """The clock of this test's organization, frozen at now (advance it by hand)."""
    clock = OrgClock(equos_mock.control, equos_api_key)
    clock.freeze()
    return clock


@pytest.fixture
def equos_room(equos_mock: EquosMock, equos_api_key: str) -> RoomEvents:
    """Wait for what happens in a conversation and its room (joins, data, ``ended``) and script the
    character: ``equos_room.until_ended(conversation_id)``, ``equos_room.script(conversation_id, "Hi")``."""
    from .room_events import RoomEvents

    return RoomEvents(equos_mock.control, equos_api_key)


class OrgFaults:
    """Fault rules that only ever match this test's key (see ``MockControl.add_fault``)."""

    def __init__(self, control: Any, key: str):
        self._control = control
        self.key = key

    def add(self, **spec: Any) -> dict[str, Any]:
        """Add a rule; one the mock refuses (it could never fire, a bad number) is a ValueError saying why."""
        from .control_client import ControlError

        try:
            return self._control.add_fault(key=self.key, **spec)
        except ControlError as exc:
            message = exc.body.get("message") if exc.status == 400 and isinstance(exc.body, dict) else None
            if not message:
                raise
            problem = "; ".join(message) if isinstance(message, list) else str(message)
        raise ValueError(problem)  # outside the except block: no chained traceback

    def fail(self, method: str | None = None, path: str | None = None, status: int = 503, **spec: Any
             ) -> dict[str, Any]:
        return self.add(method=method, path=path, status=status, **spec)

    def delay(self, method: str | None = None, path: str | None = None, ms: int = 500, **spec: Any
              ) -> dict[str, Any]:
        return self.add(method=method, path=path, delay_ms=ms, **spec)

    def throttle(self, method: str | None = None, path: str | None = None, retry_after: int = 1, **spec: Any
                 ) -> dict[str, Any]:
        return self.add(method=method, path=path, retry_after=retry_after, **spec)

    def drop(self, method: str | None = None, path: str | None = None, **spec: Any) -> dict[str, Any]:
        return self.add(method=method, path=path, drop=True, **spec)

    def list(self) -> list[dict[str, Any]]:
        return self._control.faults(key=self.key)

    def remove(self, fault_id: str) -> dict[str, Any]:
        return self._control.remove_fault(fault_id)

    def clear(self) -> int:
        return self._control.clear_faults(key=self.key)


@pytest.fixture
def equos_faults(equos_mock: EquosMock, equos_api_key: str) -> Iterator[OrgFaults]:
    faults = OrgFaults(equos_mock.control, equos_api_key)
    yield faults
    faults.clear()


class OrgJournal:
    """The journal entries of this test's key only (filters as in ``MockControl.journal``)."""

    def __init__(self, control: Any, key: str):
        self._control = control
        self.key = key

    def entries(self, method: str | None = None, path: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        return self._control.journal(method=method, path=path, key=self.key, **filters)

    def last(self, method: str | None = None, path: str | None = None, **filters: Any) -> dict[str, Any] | None:
        found = self._control.journal(method=method, path=path, key=self.key, limit=1, **filters)
        return found[-1] if found else None

    def count(self, method: str | None = None, path: str | None = None, **filters: Any) -> int:
        return self._control.count(method, path, key=self.key, **filters)

    def verify(self, expected: int, method: str | None = None, path: str | None = None, **filters: Any) -> None:
        self._control.verify(expected, method, path, key=self.key, **filters)

    def clear(self) -> int:
        return self._control.clear_journal(key=self.key)


@pytest.fixture
def equos_journal(equos_mock: EquosMock, equos_api_key: str) -> OrgJournal:
    return OrgJournal(equos_mock.control, equos_api_key)
