"""Normalization for differential mode: ids, timestamps, tags and token signatures masked."""

from __future__ import annotations

import re
from typing import Any

import jwt

JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
ID_KEYS = {"id", "room", "organizationId", "sub", "org", "character"}
DROP_CLAIMS = {"nbf", "exp", "iat"}


class Normalizer:
    """One per target and example: the n-th distinct id becomes ``<id n>`` on both sides."""

    def __init__(self, tag: str):
        self.tag = tag
        self.ids: dict[str, str] = {}

    def id(self, value: str) -> str:
        return self.ids.setdefault(value, f"<id {len(self.ids) + 1}>")

    def __call__(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [self(v, key) for v in value]
        if not isinstance(value, str):
            return value
        if self.tag and self.tag in value:
            return value.replace(self.tag, "<tag>")
        if TIMESTAMP.match(value):
            return "<timestamp>"
        if JWT.match(value):
            try:
                claims = jwt.decode(value, options={"verify_signature": False, "verify_exp": False,
                                                    "verify_nbf": False, "verify_aud": False})
            except jwt.PyJWTError:
                return "<token>"
            return {"<jwt>": self({k: v for k, v in claims.items() if k not in DROP_CLAIMS})}
        if key in ID_KEYS or key.endswith("Id") or value in self.ids:
            return self.id(value)
        if key in ("uploadUrl", "serverUrl"):
            return "<url>"
        return value


def substitute(value: Any, tag: str, ids: list[str]) -> Any:
    """A generated call's placeholders made concrete for one target: <tag> and <ref n>."""
    if isinstance(value, dict):
        return {k: substitute(v, tag, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, tag, ids) for v in value]
    if isinstance(value, str):
        value = value.replace("<tag>", tag)
        match = re.fullmatch(r"<ref (\d+)>", value)
        if match:
            n = int(match.group(1))
            return ids[n % len(ids)] if ids else "00000000-0000-4000-8000-000000000000"
        return re.sub(r"<ref (\d+)>", lambda m: ids[int(m.group(1)) % len(ids)] if ids else "none", value)
    return value
