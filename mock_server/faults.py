"""Fault injection: rules that make matching API requests fail, slow down or lose their connection.

A rule matches by organization (``key`` or ``organization``), method and path (glob or regex),
and fires for its next ``times`` matches or with ``probability`` p (drawn from the app's own
seeded generator). It can delay, answer a status and body (the NestJS envelope by default),
answer 429 with ``Retry-After``, or drop the connection. Rules apply before routing, and
never to the ``/_mock/`` control plane (the middleware is ``http/faults.py``).
"""

from __future__ import annotations

import fnmatch
import json
import random
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError
from starlette.responses import Response

from . import errors
from .fault_routes import refusal
from .models.control import FaultSpecBody

FAULT_HEADER = "x-mock-fault"
THROTTLE_MESSAGE = "ThrottlerException: Too Many Requests"  # what NestJS's throttler answers


class FaultSpecError(ValueError):
    pass


@dataclass
class FaultRule:
    id: str
    method: str | None = None
    path: str = "*"
    path_regex: re.Pattern[str] | None = None
    key: str | None = None
    organization: str | None = None
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0
    retry_after: int | None = None
    drop: bool = False
    times: int | None = None  # None: every match
    probability: float = 1.0
    hits: int = 0

    @property
    def active(self) -> bool:
        return self.times is None or self.hits < self.times

    def matches(self, method: str, path: str, key: str | None, org_id: str | None) -> bool:
        if not self.active or (self.method and self.method != method):
            return False
        if self.key is not None and key != self.key:
            return False
        if self.organization is not None and org_id != self.organization:
            return False
        if self.path_regex is not None:
            return self.path_regex.fullmatch(path) is not None
        return fnmatch.fnmatchcase(path, self.path)

    def response(self) -> Response:
        status = self.status or (429 if self.retry_after is not None else 500)
        headers = {**self.headers, FAULT_HEADER: self.id}  # says the reply was injected, and by which rule
        if self.retry_after is not None:
            headers.setdefault("Retry-After", str(self.retry_after))
        if self.body is not None:
            return Response(json.dumps(self.body), status, headers=headers, media_type=errors.JSON_TYPE)
        if status == 429:
            envelope = errors.ApiError(429, THROTTLE_MESSAGE, headers=headers, with_error=False)
        else:
            envelope = errors.ApiError(status, HTTPStatus(status).phrase, headers=headers)
        return envelope.response()

    def describe(self, mask: Callable[[str], str]) -> dict[str, Any]:
        """The rule as JSON; ``mask`` shows its key (the runtime's keyed fingerprint)."""
        return {"id": self.id, "method": self.method, "path": self.path,
                "pathRegex": self.path_regex.pattern if self.path_regex is not None else None,
                "key": mask(self.key) if self.key else None, "organization": self.organization,
                "status": self.status, "body": self.body, "headers": self.headers, "delayMs": self.delay_ms,
                "retryAfter": self.retry_after, "drop": self.drop, "times": self.times,
                "probability": self.probability, "hits": self.hits, "active": self.active}


def parse_rule(rule_id: str, spec: dict[str, Any]) -> FaultRule:
    """A rule from its JSON spec; every number in range (FaultSpecBody), or FaultSpecError."""
    try:
        body = FaultSpecBody.model_validate(spec)
    except ValidationError as exc:
        raise FaultSpecError("; ".join(errors.validation_messages(exc))) from None
    if body.status is not None and body.status not in {s.value for s in HTTPStatus}:
        raise FaultSpecError(f"status {body.status} is not a known HTTP status")
    if not (body.drop or body.delayMs or body.status is not None or body.retryAfter is not None):
        raise FaultSpecError("a fault needs at least one of status, retryAfter, delayMs, drop")
    try:
        regex = re.compile(body.pathRegex) if body.pathRegex else None
    except (re.error, RecursionError, OverflowError) as exc:
        raise FaultSpecError(f"pathRegex is not a valid regular expression: {exc}") from None
    return FaultRule(id=rule_id, method=body.method.upper() if body.method else None,
                     path=body.path or "*", path_regex=regex, key=body.key,
                     organization=body.organization, status=body.status, body=body.body,
                     headers=body.headers or {}, delay_ms=body.delayMs or 0, retry_after=body.retryAfter,
                     drop=body.drop, times=body.times, probability=float(body.probability))


class Faults:
    """The rules of one app, in the order they were added (the first that fires wins)."""

    def __init__(self, seed: int | None = None):
        # Its own generator, seeded from the app's seed, so fault draws never shift the ids.
        self._random = random.Random(f"faults:{seed}") if seed is not None else random.Random()
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._next = 1

    @property
    def empty(self) -> bool:
        return not self._rules

    def add(self, spec: dict[str, Any], routes: Sequence[tuple[str, str]] | None = None) -> FaultRule:
        """Add a rule; given the app's ``routes`` (method, path template), one whose method and path
        glob match none of them is refused (``fault_routes``): it could never fire."""
        rule = parse_rule("", spec)
        if routes is not None and rule.path_regex is None:
            why = refusal(rule.method, rule.path, routes)
            if why:
                raise FaultSpecError(why)
        with self._lock:
            rule.id = f"fault-{self._next}"
            self._next += 1
            self._rules.append(rule)
            return rule

    def list(self, key: str | None = None, organization: str | None = None) -> list[FaultRule]:
        with self._lock:
            return [r for r in self._rules if _scoped(r, key, organization)]

    def remove(self, rule_id: str) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.id == rule_id:
                    self._rules.remove(rule)
                    return rule
        return None

    def clear(self, key: str | None = None, organization: str | None = None) -> int:
        with self._lock:
            kept = [r for r in self._rules if not _scoped(r, key, organization)]
            removed = len(self._rules) - len(kept)
            self._rules = kept
            return removed

    def pick(self, method: str, path: str, key: str | None, org_id: str | None) -> FaultRule | None:
        """The rule that fires for this request, if any; counts the hit."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path, key, org_id):
                    continue
                if rule.probability < 1 and self._random.random() >= rule.probability:
                    continue
                rule.hits += 1
                return rule
        return None


def _scoped(rule: FaultRule, key: str | None, organization: str | None) -> bool:
    if key is None and organization is None:
        return True
    return (key is not None and rule.key == key) or (organization is not None and rule.organization == organization)
