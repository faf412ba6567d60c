"""The target under test: HTTP transport, call log (as curl), contract checks, safety and cleanup."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import shlex
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from mock_server.masking import mask_secret

from . import oracle
from .declared import DELETE_ORDER, LIST_KEYS, PATHS  # referring resources first in DELETE_ORDER
from .options import LIVE_MAX_CONVERSATIONS, LIVE_MAX_SECONDS, LIVE_RATE, RunOptions
from .report import RUN_SECRET, Fidelity

DEFAULT_KEY = object()
IN_PROCESS_URL = "http://127.0.0.1"
COLLECTIONS = {kind: (PATHS[kind], LIST_KEYS[kind]) for kind in PATHS}  # kind -> (list path, items key)


class ContractViolation(AssertionError):
    pass


class BudgetExhausted(Exception):
    pass


def mask(value: str | None) -> str:
    """What the suite may print of a key or token: never the value, only a keyed fingerprint."""
    if not value:
        return "<none>"
    return f"<{len(value)} chars {mask_secret(value, RUN_SECRET)}>"


def mask_token(token: str | None) -> str:
    if not token:
        return "<none>"
    return token[:10] + "…" + mask(token)


@dataclass
class Reply:
    method: str
    path: str
    status: int
    headers: httpx.Headers
    content: bytes
    operation: str | None
    schema: dict[str, Any] | None = None  # the record's schema of this reply (None: not an API operation)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def empty(self) -> bool:
        return not self.content.strip()

    def json(self) -> Any:
        """The body as the record sees it: properties the record does not know are left out, so a target
        that adds fields (see ``added``) is judged on the record's fields only."""
        return self._view[0]

    def raw_json(self) -> Any:
        return json.loads(self.content) if not self.empty else None

    @property
    def added(self) -> list[oracle.Added]:
        """(schema, field, value) of every property in the body that the record does not know."""
        return self._view[1]

    @cached_property
    def _view(self) -> tuple[Any, list[oracle.Added]]:
        return oracle.project(self.raw_json(), self.schema)

    @property
    def is_null(self) -> bool:
        """The API's 'returns null': an empty body, or a JSON null."""
        return self.empty or self.content.strip() == b"null"


@dataclass
class Call:
    method: str
    url: str
    api_key: str | None
    body: Any
    status: int | None = None


@dataclass
class Example:
    """One generated example: its own client tag and what it created (removed when it ends)."""

    tag: str
    created: dict[str, list[str]] = field(default_factory=dict)
    running: list[str] = field(default_factory=list)


def load_app_factory(spec: str | None) -> Any:
    module_name, _, attr = (spec or "mock_server:create_app").partition(":")
    return getattr(importlib.import_module(module_name), attr or "create_app")


class Target:
    def __init__(self, options: RunOptions, fidelity: Fidelity, *, base_url: str | None = None,
                 api_key: str | None = None, label: str = "target"):
        self.options = options
        self.fidelity = fidelity
        self.label = label
        self.run_id = options.run_id or uuid.uuid4().hex[:10]
        self.run_tag = f"contract-{self.run_id}"
        self.live = options.live
        base_url = base_url if base_url is not None else options.base_url
        self.in_process = base_url is None
        self._exit: contextlib.ExitStack = contextlib.ExitStack()
        if self.in_process:
            from mock_server.asgi_client import asgi_client

            self.app = load_app_factory(options.app)()
            self.http: httpx.Client = self._exit.enter_context(asgi_client(self.app, base_url=IN_PROCESS_URL))
            self.base_url = IN_PROCESS_URL
        else:
            self.app = None
            self.base_url = base_url.rstrip("/")
            self.http = self._exit.enter_context(httpx.Client(base_url=self.base_url, timeout=30.0))
        # A key we made up is ours alone on a mock with open keys: the organization is private.
        self.own_key = api_key is None and options.api_key is None
        self.api_key = api_key or options.api_key or f"sk_contract_{self.run_id}_{uuid.uuid4().hex[:8]}"
        self.max_conversations = options.max_conversations if options.max_conversations is not None else (
            LIVE_MAX_CONVERSATIONS if self.live else None)
        self.max_seconds_cap = options.max_seconds if options.max_seconds is not None else (
            LIVE_MAX_SECONDS if self.live else None)
        self.rate = options.rate if options.rate is not None else (LIVE_RATE if self.live else None)
        self.conversations_started = 0
        self.requests_sent = 0  # what a live run costs in time: requests / rate
        self.calls: list[Call] = []
        self.secrets: set[str] = set()  # other keys the run made up: masked like the main one
        self._last_request = 0.0
        self._lock = threading.RLock()
        self._examples = itertools.count(1)
        self._open: list[Example] = []
        self.probed: dict[str, tuple[str | None, str]] = {}  # assumption -> (observed, evidence)
        self.closed = False
        self.assumptions_in_force: dict[str, str] = {}
        self.control = self._discover_control()
        self.assumptions_in_force = self._assumptions()
        # A key the suite made up is accepted only by a mock with open keys, which gives it a fresh
        # organization: no one else's usage or items in it, so counts and billing can be exact.
        self.private = self.own_key
        self.livekit_secret = options.livekit_secret or ("secret" if self.control else None)
        self.livekit_key = options.livekit_key or ("devkey" if self.control else None)
        self.rooms: dict[str, str] = {}  # room -> the conversation that has it (every start of the run)
        self.boundaries: dict[str, str] = {}  # paging boundary -> what its first observation showed
        self._second_key: str | bool | None = options.second_key or False  # False: not looked for yet

    # --- rules (class 7: a rule claimed is a rule exercised) ---------------------------------------
    def rule(self, name: str, ok: bool, message: str, operation: str | None = None) -> None:
        """A check of one claimed rule (see rules.py): counted for the rules table, then like ``expect``."""
        from .rules import BY_NAME

        if name not in BY_NAME:
            raise KeyError(f"unknown rule {name}")
        self.fidelity.rule(name, ok, self._open[-1].tag if self._open else None)
        self.expect(operation or name, ok, message)

    def second_key(self) -> str | None:
        """Another organization's key: given, made by the control plane, or made up on a mock with open
        keys (checked: it must be accepted). None: this target offers no second organization."""
        if self._second_key is False:
            key: str | None = None
            if self.control:
                key = self.new_organization_key()
            elif self.own_key:
                key = f"sk_contract_{self.run_id}_second_{uuid.uuid4().hex[:8]}"
                self.secrets.add(key)
                if self.request("GET", "/v3/brains", api_key=key, check=False).status != 200:
                    key = None
            self._second_key = key
        return self._second_key or None

    # --- transport -------------------------------------------------------------------------
    def _throttle(self) -> None:
        if not self.rate:
            return
        wait = self._last_request + 1.0 / self.rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()

    def _send(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> httpx.Response:
        for attempt in range(4):
            self._throttle()
            self.requests_sent += 1
            response = self.http.request(method, url, headers=headers, content=body)
            if response.status_code != 429 or attempt == 3:
                return response
            retry_after = response.headers.get("retry-after", "1")
            time.sleep(min(float(retry_after) if retry_after.replace(".", "", 1).isdigit() else 1.0, 30.0))
        raise AssertionError("unreachable")

    def request(self, method: str, path: str, *, json_body: Any = None, params: dict[str, Any] | None = None,
                raw: bytes | None = None, content_type: str | None = "application/json",
                api_key: Any = DEFAULT_KEY, check: bool = True) -> Reply:
        if self.closed and not path.startswith("/_mock/"):
            raise RuntimeError("target already closed")
        key = self.api_key if api_key is DEFAULT_KEY else api_key
        headers: dict[str, str] = {}
        if key is not None:
            headers["x-api-key"] = key
        body: bytes | None = raw
        if json_body is not None:
            body = json.dumps(json_body).encode()
        if body is not None and content_type:
            headers["content-type"] = content_type
        query = "?" + urlencode(params, doseq=True) if params else ""
        call = Call(method, path + query, key, json_body if json_body is not None else raw)
        with self._lock:
            self.calls.append(call)
            if len(self.calls) > 200:
                del self.calls[:100]
        response = self._send(method, path + query, headers, body)
        call.status = response.status_code
        _note(self.curl(call))
        op = oracle.find_operation(method, urlsplit(path).path)
        json_reply = "json" in response.headers.get("content-type", "")
        reply = Reply(method, path, response.status_code, response.headers, response.content,
                      op.operation_id if op else None,
                      oracle.response_schema(op, response.status_code) if op and json_reply else None)
        if check and op is not None and 400 <= reply.status < 500 and reply.status != 429:
            self._check_envelope(op.operation_id, reply)
        if check and op is not None:
            problems = oracle.violations(method, urlsplit(path).path, reply.status, reply.content_type,
                                         reply.content, text_scalars=self.text_scalars)
            self.fidelity.check(op.operation_id, not problems, problems[0] if problems else "")
            if problems:
                raise ContractViolation("response breaks the record of the real API:\n  " + "\n  ".join(problems)
                                        + "\n" + self.curl(call))
            for owner, name, value in reply.added:
                self.fidelity.added(owner, name, value)
        return reply

    def _check_envelope(self, operation: str, reply: Reply) -> None:
        """Every 4xx is NestJS's envelope (assumption error_envelope): its own statusCode equals the
        status, and message is a non-empty string or a non-empty list of strings."""
        try:
            body = json.loads(reply.content)
        except ValueError:
            body = None
        message = body.get("message") if isinstance(body, dict) else None
        ok = (isinstance(body, dict) and body.get("statusCode") == reply.status
              and ((isinstance(message, str) and message != "")
                   or (isinstance(message, list) and message != [] and all(isinstance(m, str) for m in message))))
        self.rule("errors.envelope", ok, f"{reply.status} reply is not the error envelope "
                                         f"{{statusCode: {reply.status}, message}}: {reply.content[:160]!r}", operation)

    @property
    def text_scalars(self) -> bool:
        """Bare numbers may come as text until a probe (or the control plane) says they come as JSON."""
        return self.assumptions_in_force.get("freemium_usage_type") != "json"

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, json_body=body, **kw)

    def expect(self, operation: str, ok: bool, message: str) -> None:
        """A domain check, counted for ``operation`` in the fidelity report."""
        self.fidelity.check(operation, bool(ok), message)
        if not ok:
            raise AssertionError(f"{operation}: {message}")

    # --- curl, with keys masked ------------------------------------------------------------
    def curl(self, call: Call) -> str:
        parts = ["curl", "-sS", "-X", call.method, shlex.quote(f"$EQUOS_BASE_URL{call.url}")
                 if not self.in_process else shlex.quote(f"{self.base_url}{call.url}")]
        if call.api_key == self.api_key:
            parts += ["-H", '"x-api-key: $EQUOS_API_KEY"']
        elif call.api_key is not None:
            parts += ["-H", shlex.quote(f"x-api-key: {mask(call.api_key)}")]
        if call.body is not None:
            text = json.dumps(call.body) if not isinstance(call.body, bytes) else call.body.decode("utf-8", "replace")
            parts += ["-H", "'content-type: application/json'", "-d", shlex.quote(text)]
        line = " ".join(parts)
        # Keys also travel in control-plane bodies and queries: mask them wherever they appear.
        for secret in {self.api_key, call.api_key, *self.secrets} - {None, ""}:
            line = line.replace(secret, "<EQUOS_API_KEY>" if secret == self.api_key else mask(secret))
        return line + (f"    # -> {call.status}" if call.status is not None else "")

    # --- control plane -----------------------------------------------------------------------
    def _discover_control(self) -> bool:
        try:
            reply = self.request("GET", "/_mock/clock", api_key=None, check=False)
            return reply.status == 200 and isinstance(reply.json(), dict) and "now" in reply.json()
        except (httpx.HTTPError, ValueError):
            return False

    def control_call(self, method: str, path: str, body: dict[str, Any] | None = None,
                     params: dict[str, Any] | None = None) -> Any:
        if not self.control:
            raise RuntimeError("the target has no control plane")
        reply = self.request(method, "/_mock/" + path, json_body=body, params=params, api_key=None, check=False)
        if reply.status >= 400:
            raise AssertionError(f"control plane {method} {path} answered {reply.status}: {reply.content[:200]!r}")
        return reply.json()

    def _assumptions(self) -> dict[str, str]:
        """What a mock says is in force; nothing for a target without the control plane (the probes
        find out, see ``probes.expected``)."""
        from mock_server.assumptions import REGISTRY

        if not self.control:
            return {}
        defaults = {a.name: a.default for a in REGISTRY}
        try:
            return {**defaults, **{a["name"]: a["value"] for a in self.control_call("GET", "assumptions")}}
        except AssertionError:
            return defaults

    def clock(self, action: str, **body: Any) -> dict[str, Any]:
        """The clock of the suite's own organization (scoped by key: other users are never disturbed)."""
        if action == "get":
            return self.control_call("GET", "clock", params={"key": self.api_key})
        return self.control_call("POST", f"clock/{action}", {**body, "key": self.api_key})

    def now_ms(self) -> int:
        from datetime import datetime

        now = self.clock("get")["now"]
        return int(datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp() * 1000 + 0.5)

    def new_organization_key(self) -> str:
        """A second, empty organization (control plane only): for isolation checks."""
        return self.new_organization_key_with({})

    def new_organization_key_with(self, settings: dict[str, Any]) -> str:
        """A fresh organization with these settings (e.g. ``durationLimit``; control plane only)."""
        key = f"sk_contract_{self.run_id}_other_{uuid.uuid4().hex[:8]}"
        self.secrets.add(key)
        self.control_call("POST", "organizations", {"keys": [key], **({"settings": settings} if settings else {})})
        return key

    # --- examples, budget and cleanup ----------------------------------------------------------
    @contextlib.contextmanager
    def example(self) -> Iterator[Example]:
        ex = Example(tag=f"{self.run_tag}-{next(self._examples)}")
        self._open.append(ex)
        try:
            yield ex
        finally:
            try:
                self.clean(ex)
            finally:
                self._open.remove(ex)

    def created(self, ex: Example, kind: str, item_id: str) -> None:
        ex.created.setdefault(kind, []).append(item_id)

    def start_conversation(self, ex: Example, body: dict[str, Any], **kw: Any) -> Reply:
        if self.max_conversations is not None and self.conversations_started >= self.max_conversations:
            raise BudgetExhausted(f"conversation budget of {self.max_conversations} used up")
        if self.max_seconds_cap is not None:
            body = {**body, "maxSeconds": min(body.get("maxSeconds") or self.max_seconds_cap, self.max_seconds_cap)}
        self.conversations_started += 1
        reply = self.post("/v3/conversations", body, **kw)
        if reply.status == 201:
            conversation = reply.json()["conversation"]
            ex.running.append(conversation["id"])
            if conversation.get("room"):
                self.rooms.setdefault(conversation["room"], conversation["id"])
        return reply

    def budget_left(self) -> int | None:
        """Conversations this run may still start (None: no budget)."""
        if self.max_conversations is None:
            return None
        return max(self.max_conversations - self.conversations_started, 0)

    def clean(self, ex: Example) -> None:
        """Stop what runs and delete what was made; every step is tried even if one fails."""
        problems = []
        for conversation_id in list(ex.running):
            try:
                self.request("POST", f"/v3/conversations/{conversation_id}/stop", check=False)
                ex.running.remove(conversation_id)
            except Exception as exc:
                problems.append(f"stop {conversation_id}: {exc}")
        for kind in DELETE_ORDER:
            path = COLLECTIONS[kind][0]
            for item_id in reversed(ex.created.get(kind, [])):
                try:
                    self.request("DELETE", f"{path}/{item_id}", check=False)
                except Exception as exc:
                    problems.append(f"delete {kind} {item_id}: {exc}")
            ex.created.pop(kind, None)
        if problems:
            print("contract cleanup problems: " + "; ".join(problems), file=sys.stderr)

    def list_all(self, kind: str, client: str | None = None) -> list[dict[str, Any]]:
        path, key = COLLECTIONS[kind]
        items: list[dict[str, Any]] = []
        skip = 0
        while True:
            params: dict[str, Any] = {"take": 50, "skip": skip}
            if client is not None:
                params["client"] = client
            reply = self.request("GET", path, params=params, check=False)
            if reply.status != 200:
                break
            page = reply.json()[key]
            items += page
            skip += len(page)
            if not page or skip >= reply.json().get("total", 0) or skip > 5000:
                break
        return items

    def sweep(self) -> dict[str, int]:
        """Everything this run tagged: stop and delete it (the last line of defence after a crash)."""
        counts = {"stopped": 0, "deleted": 0}
        for ex in list(self._open):
            self.clean(ex)
        for conversation in self.list_all("conversations"):
            if str(conversation.get("client") or "").startswith(self.run_tag) and conversation["status"] == "running":
                self.request("POST", f"/v3/conversations/{conversation['id']}/stop", check=False)
                counts["stopped"] += 1
        for kind in DELETE_ORDER:
            for item in self.list_all(kind):
                if str(item.get("client") or "").startswith(self.run_tag):
                    self.request("DELETE", f"{COLLECTIONS[kind][0]}/{item['id']}", check=False)
                    counts["deleted"] += 1
        return counts

    def close(self) -> None:
        if self.closed:
            return
        try:
            counts = self.sweep()
            self.fidelity.cleanup = {"run_tag": self.run_tag, **counts}
            if self.control:
                with contextlib.suppress(Exception):
                    self.clock("unfreeze")
        finally:
            self.closed = True
            self._exit.close()

    def describe(self) -> dict[str, Any]:
        return {"url": self.base_url if not self.in_process else "in-process mock", "live": self.live,
                "control_plane": self.control, "private_organization": self.private, "run_tag": self.run_tag,
                "api_key": mask(self.api_key), "max_conversations": self.max_conversations,
                "conversations_started": self.conversations_started, "requests_sent": self.requests_sent,
                "rate": self.rate, "second_key": bool(self._second_key),
                "livekit_secret": self.livekit_secret is not None}


def _note(text: str) -> None:
    """Into Hypothesis's report of the minimal failing example (a no-op outside one)."""
    try:
        from hypothesis import note
        from hypothesis.control import _current_build_context

        if _current_build_context.value is not None:
            note(text)
    except ImportError:  # pragma: no cover
        pass
