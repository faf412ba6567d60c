"""The registry of switchable assumptions (see docs: where public sources are silent).

Each assumption has a stable name, a default and its alternatives. The registry
itself is an immutable table; the values in force live on each app's
``Assumptions`` instance, so two apps never share a switch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Assumption:
    name: str
    default: str
    alternatives: tuple[str, ...]
    summary: str
    evidence: str
    # Whether a REST client can tell which value is in force (the contract suite's probes need it).
    observable: bool = True

    @property
    def choices(self) -> tuple[str, ...]:
        return (self.default, *self.alternatives)


REGISTRY: tuple[Assumption, ...] = (
    Assumption(
        "null_result", "empty", ("json-null", "404"),
        "Reply to a get/delete of an unknown id and to a stop of an ended or unknown conversation.",
        "The spec says these return null; NestJS sends an empty body for a null handler result.",
    ),
    Assumption(
        "auth_failure", "401", ("403",),
        "Status for a missing, empty or unknown x-api-key.",
        "NestJS guard default.",
    ),
    Assumption(
        "id_style", "uuid", ("cuid", "prefixed"),
        "Shape of generated ids.",
        "NestJS + Prisma default; no real id was ever published.",
    ),
    Assumption(
        "page_limit", "reject", ("clamp",),
        "take > 50 or < 1, skip < 0: 400 (reject) or clamped into range (clamp).",
        "Documented range take <= 50, skip >= 0.",
    ),
    Assumption(
        "list_order", "newest-first", ("oldest-first",),
        "Order of every list.",
        "Studio lists newest first.",
    ),
    Assumption(
        "freemium_usage_type", "text", ("json",),
        "Usage numbers as bare text (text/html, like NestJS res.send) or as JSON.",
        "NestJS sends a non-object result with res.send(String(n)).",
    ),
    Assumption(
        "duplicate_livekit_identity", "409", ("allow",),
        "A second live character with the same livekitIdentity in one organization.",
        "Every official example makes the identity unique.",
    ),
    Assumption(
        "max_seconds", "reject", ("clamp",),
        "maxSeconds above the organization's duration limit: 400 (reject) or lowered to it (clamp).",
        "Legacy docs: 'Must be less than organization limit'.",
    ),
    Assumption(
        "tokens_with_host", "none", ("mint",),
        "With a self-hosted LiveKit host, mint no tokens (none) or mint them anyway (mint).",
        "Legacy docs: with a self-hosted room the caller owns the room.",
    ),
    Assumption(
        "cors", "open", ("off",),
        "CORS open to every origin (without credentials) or no CORS headers at all.",
        "The browser SDK calls the API from pages.",
    ),
    Assumption(
        "end_on_consumer_leave", "on", ("off",),
        "When the consumer leaves the room (leave, closed socket, missed pings, microphone unpublished), "
        "the conversation ends at that moment (on), or keeps running until stopped or expired (off).",
        "equos-browser-sdk ends the session when the consumer's audio track ends or it disconnects; "
        "the REST side of that is not documented (inferred).",
        observable=False,
    ),
)

_BY_NAME: Mapping[str, Assumption] = {a.name: a for a in REGISTRY}


class UnknownAssumption(ValueError):
    pass


def lookup(name: str) -> Assumption:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownAssumption(f"unknown assumption {name!r}; known: {', '.join(_BY_NAME)}") from None


class Assumptions:
    """The values in force for one app."""

    def __init__(self, overrides: Mapping[str, str] | None = None):
        self._values = {a.name: a.default for a in REGISTRY}
        for name, value in (overrides or {}).items():
            self.set(name, value)

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def set(self, name: str, value: str) -> None:
        assumption = lookup(name)
        if value not in assumption.choices:
            raise UnknownAssumption(
                f"{name} must be one of the following values: {', '.join(assumption.choices)}"
            )
        self._values[name] = value

    def update(self, values: Mapping[str, str]) -> None:
        for name, value in values.items():  # validate all before changing any
            if value not in lookup(name).choices:
                self.set(name, value)
        for name, value in values.items():
            self.set(name, value)

    def values(self) -> dict[str, str]:
        return dict(self._values)

    def describe(self) -> list[dict[str, object]]:
        return [
            {
                "name": a.name,
                "value": self._values[a.name],
                "default": a.default,
                "choices": list(a.choices),
                "summary": a.summary,
                "evidence": a.evidence,
            }
            for a in REGISTRY
        ]


def parse_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings (CLI ``--set``) into a mapping, validated."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UnknownAssumption(f"expected NAME=VALUE, got {pair!r}")
        name = name.strip().replace("-", "_")
        value = value.strip()
        choices = lookup(name).choices
        if value not in choices:
            raise UnknownAssumption(f"{name} cannot be {value!r}; allowed values: {', '.join(choices)}")
        out[name] = value
    return out
