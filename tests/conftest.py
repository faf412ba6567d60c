"""Suite-wide fixtures: every response the mock sends is checked against its own OpenAPI document.

``equos_mock`` is the plugin's own session server, started while ``MockServer`` builds wrapped apps so
its ASGI app is a ``ValidatingApp``; in-process apps and throwaway servers made through ``validated_app`` /
``validated_server`` are wrapped the same way. Violations are collected per session: the test
during which one happened fails at teardown, and the session fixture fails again at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
from chromium import chromium  # noqa: F401  (the headless browser fixture, for the page tests)
from jsonschema import Draft202012Validator
from suite_split import (  # noqa: F401  (the inner loop / full suite split, kept honest)
    examples,
    pytest_collection_modifyitems,
    pytest_runtest_setup,
)

from mock_server import pytest_plugin
from mock_server.asgi_client import asgi_client
from mock_server.pytest_plugin import EquosMock
from mock_server.settings import Settings

NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


class ResponseValidator:
    """Checks one (method, path, status, content type, body) against an OpenAPI 3.1 document."""

    def __init__(self, document: dict[str, Any]):
        self.components = document["components"]
        self.routes: list[tuple[re.Pattern[str], dict[str, Any]]] = []
        for template, item in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template)) + "$")
            self.routes.append((pattern, item))
        self._validators: dict[int, Draft202012Validator] = {}

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        cached = self._validators.get(id(schema))
        if cached is None:
            # Refs are "#/components/schemas/X": resolve them by carrying the components in the root.
            cached = Draft202012Validator({**schema, "components": self.components},
                                          format_checker=Draft202012Validator.FORMAT_CHECKER)
            self._validators[id(schema)] = cached
        return cached

    def path_item(self, path: str) -> dict[str, Any] | None:
        for pattern, item in self.routes:
            if pattern.match(path):
                return item
        return None

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> list[str]:
        """Problems with this response; an empty list when it conforms (or the path is undocumented)."""
        item = self.path_item(path)
        if item is None or method in SKIPPED_METHODS:
            return []
        where = f"{method} {path} -> {status}"
        operation = item.get(method.lower())
        responses = operation["responses"] if operation else {}
        documented = responses.get(str(status))
        if documented is None and 400 <= status < 500:
            documented = responses.get("4XX") or {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/ErrorResponse"}}}}
        if documented is None:
            return [f"{where}: status not documented"]
        media_type = content_type.split(";")[0].strip().lower()
        content = documented.get("content", {})
        if not body:
            schema = next(iter(content.values()), {}).get("schema", {})
            nullable = any(s.get("type") == "null" for s in schema.get("anyOf", []))
            return [] if nullable and status < 400 else [f"{where}: empty body for a non-nullable reply"]
        if media_type not in content:
            return [f"{where}: content type {content_type!r} not documented ({sorted(content)})"]
        schema = content[media_type]["schema"]
        if media_type == "application/json":
            try:
                data = json.loads(body)
            except ValueError as exc:
                return [f"{where}: body is not JSON ({exc}): {body[:80]!r}"]
        else:
            text = body.decode("utf-8", "replace")
            if not NUMBER.fullmatch(text):
                return [f"{where}: {media_type} body is not a bare number: {text[:80]!r}"]
            data = float(text)
        errors = sorted(self._validator(schema).iter_errors(data), key=lambda e: list(e.path))
        return [f"{where}: {'/'.join(map(str, e.path)) or '<root>'}: {e.message[:200]}" for e in errors[:3]]


class ValidatingApp:
    """ASGI wrapper that validates each response; other attributes (``state``...) pass through."""

    def __init__(self, app: Any, validator: ResponseValidator, violations: list[str]):
        self.app = app
        self.validator = validator
        self.violations = violations

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen: dict[str, Any] = {"body": bytearray()}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
                seen["content_type"] = headers.get("content-type", "")
                # A reply injected by a fault rule is the test's own doing, not the mock's contract.
                seen["faulted"] = "x-mock-fault" in headers
            elif message["type"] == "http.response.body":
                seen["body"] += message.get("body", b"")
                if not message.get("more_body", False) and not seen["faulted"]:
                    problems = self.validator.check(scope["method"], scope["path"], seen["status"],
                                                    seen["content_type"], bytes(seen["body"]))
                    self.violations.extend(problems)
            await send(message)

        await self.app(scope, receive, capture)


def wrap(app: Any, violations: list[str]) -> ValidatingApp:
    return ValidatingApp(app, ResponseValidator(app.state.openapi), violations)


@pytest.fixture(scope="session", autouse=True)
def _each_openapi_document_built_once() -> Iterator[None]:
    """``openapi.build`` is a pure function of its operations (module constants, or a test's own): the suite
    builds each distinct document once instead of once per app (half of a fresh app's CPU time), and every
    app still gets a fresh copy of its own. The CLI and subprocess-server tests build theirs as users do."""
    import mock_server.openapi

    real = mock_server.openapi.build
    built: dict[tuple[Any, ...], tuple[tuple[Any, ...], bytes]] = {}  # the operations are kept, so ids stay theirs

    def build(operations: Any, **kwargs: Any) -> dict[str, Any]:
        operations = tuple(operations)
        key = (*map(id, operations), *sorted(kwargs.items()))
        if key not in built:
            built[key] = (operations, json.dumps(real(operations, **kwargs)).encode())
        return json.loads(built[key][1])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mock_server.openapi, "build", build)
        yield


@pytest.fixture(scope="session")
def response_violations() -> list[str]:
    return []


@pytest.fixture(autouse=True)
def _no_new_violations(response_violations: list[str]) -> Iterator[None]:
    """Fail the test during which the mock sent a response its own document does not allow."""
    before = len(response_violations)
    yield
    new = response_violations[before:]
    if new:
        pytest.fail("responses violating the OpenAPI document:\n" + "\n".join(new), pytrace=False)


@contextmanager
def _validated_create_app(violations: list[str]) -> Iterator[None]:
    """MockServer.start() builds its app with mock_server.app.create_app: hand it a wrapped one."""
    import mock_server.app

    real = mock_server.app.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        return wrap(real(*args, **kwargs), violations)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mock_server.app, "create_app", create_app)
        yield


@pytest.fixture(scope="session")
def _wrap_the_session_server(response_violations: list[str]) -> Iterator[ExitStack]:
    """Wraps the apps MockServer builds until closed: requested just before the plugin's ``equos_mock``."""
    with ExitStack() as stack:
        stack.enter_context(_validated_create_app(response_violations))
        yield stack


@pytest.fixture(scope="session")
def equos_mock(_wrap_the_session_server: ExitStack, equos_mock: EquosMock,
               response_violations: list[str]) -> Iterator[EquosMock]:
    """The plugin's session server (or ``--equos-mock-url``), its responses validated when it runs here."""
    _wrap_the_session_server.close()  # the plugin's server has started: later apps are wrapped only on request
    if equos_mock.server is not None:
        assert isinstance(equos_mock.server.app, ValidatingApp)
    yield equos_mock
    if response_violations:
        pytest.fail(f"{len(response_violations)} responses violated the OpenAPI document:\n"
                    + "\n".join(response_violations), pytrace=False)


@pytest.fixture(scope="session")
def response_validator() -> type[ResponseValidator]:
    """The validator class itself, for tests that check the checker."""
    return ResponseValidator


@pytest.fixture
def validated_server(response_violations: list[str]) -> Iterator[Callable[..., Any]]:
    """Start throwaway MockServers (own settings, own assumptions) whose responses are validated too."""
    from mock_server.server import MockServer

    started: list[MockServer] = []

    def start(settings: Settings | None = None, **overrides: Any) -> MockServer:
        with _validated_create_app(response_violations):
            server = MockServer(settings, **overrides).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def validated_app(response_violations: list[str]) -> Callable[..., ValidatingApp]:
    """An in-process app (no socket) for fast property tests; its responses are validated."""
    from mock_server.app import create_app

    def make(settings: Settings | None = None, **kwargs: Any) -> ValidatingApp:
        return wrap(create_app(settings, **kwargs), response_violations)

    return make


@pytest.fixture
def sdk(equos_mock: EquosMock) -> Callable[..., Any]:
    """``sdk(key)``: the official SDK client for any key (raise_on_unexpected_status=True)."""

    def build(key: str | None = None, base_url: str | None = None) -> Any:
        return pytest_plugin.sdk_client(base_url or equos_mock.url, key or equos_mock.new_key())

    return build


def _unparsed_keys(value: Any, where: str = "") -> list[str]:
    """Keys the SDK did not recognise (kept in additional_properties), anywhere in a parsed model."""
    import attrs

    found: list[str] = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            found += _unparsed_keys(item, f"{where}[{i}]")
    elif attrs.has(type(value)):
        fields = [f.name for f in attrs.fields(type(value))]
        if fields == ["additional_properties"]:
            return found  # a free-form map (promptTemplateVars): its keys are its content
        found += [f"{where}.{k}" for k in value.additional_properties]
        for field in attrs.fields(type(value)):
            if field.name != "additional_properties":
                found += _unparsed_keys(getattr(value, field.name), f"{where}.{field.name}")
    return found


class SdkApi:
    """Calls ``group.method`` on the official SDK, as itself (sync) or as ``method_async`` (async).

    Every call must return a fully parsed value of the method's declared type (not None), with no
    key the SDK failed to recognise, unless ``allow_none`` is given.
    """

    def __init__(self, mode: str, base_url: str, key: str, loop: Any):
        self.mode = mode
        self.base_url = base_url
        self.key = key
        self.client = pytest_plugin.sdk_client(base_url, key)
        self._loop = loop

    def other(self, key: str) -> SdkApi:
        return SdkApi(self.mode, self.base_url, key, self._loop)

    def run(self, coroutine: Any) -> Any:
        return self._loop.run_until_complete(coroutine)

    def raw(self, name: str, *args: Any, **kwargs: Any) -> Any:
        group, method = name.split(".")
        api = getattr(self.client, group)
        if self.mode == "sync":
            return getattr(api, method)(*args, **kwargs)
        return self.run(getattr(api, method + "_async")(*args, **kwargs))

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        import typing

        group, method = name.split(".")
        result = self.raw(name, *args, **kwargs)
        declared = typing.get_type_hints(getattr(getattr(self.client, group), method))["return"]
        expected = tuple(t for t in typing.get_args(declared) if t is not type(None)) or (declared,)
        if float in expected and not isinstance(result, bool):
            expected = (*expected, int)  # a bare "0" parses as int; PEP 484 lets int stand for float
        assert result is not None, f"{name} ({self.mode}) returned None"
        assert isinstance(result, expected), f"{name} ({self.mode}) returned {type(result).__name__}"
        unparsed = _unparsed_keys(result)
        assert not unparsed, f"{name} ({self.mode}): keys the SDK does not know: {unparsed}"
        return result


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, equos_mock: EquosMock) -> Iterator[SdkApi]:
    """The SDK on a fresh organization, once with the sync methods and once with the ``_async`` ones."""
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        yield SdkApi(request.param, equos_mock.url, equos_mock.new_key(), loop)
    finally:
        loop.close()


def check_livekit_token(token: str, *, room: str, identity: str, name: str,
                        key: str = "devkey", secret: str = "secret") -> Any:
    """A LiveKit token verifies with (key, secret), not with another secret, and grants what it must."""
    from livekit.api import TokenVerifier

    claims = TokenVerifier(key, secret).verify(token)
    assert (claims.identity, claims.name) == (identity, name)
    video = claims.video
    assert video.room == room
    assert (video.room_join, video.can_publish, video.can_subscribe, video.can_publish_data) == (
        True, True, True, True)
    import jwt

    with pytest.raises(jwt.InvalidSignatureError):
        TokenVerifier(key, secret + "-other").verify(token)
    return claims


@pytest.fixture(scope="session")
def livekit_check() -> Callable[..., Any]:
    """``livekit_check(token, room=, identity=, name=)``: see ``check_livekit_token``."""
    return check_livekit_token


@pytest.fixture
def inprocess(validated_app: Callable[..., ValidatingApp]) -> Iterator[Callable[..., httpx.Client]]:
    """``inprocess(settings=None)``: ``mock_server.asgi_client`` on a fresh, validated, in-process app
    (app exceptions raise in the test, to show the traceback)."""
    clients: list[httpx.Client] = []

    def make(settings: Settings | None = None) -> httpx.Client:
        clients.append(asgi_client(validated_app(settings), raise_app_exceptions=True))
        return clients[-1]

    yield make
    for client in clients:
        client.close()
