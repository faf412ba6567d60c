"""What the mock's /docs/v3-json says on purpose beyond the real contract (the official SDK's record).

Every structural difference between the served document and ``contract_tests/contract/equos-v3.record.json``
(as ``docdiff.differences`` names it) must match one entry here, or tests/mock_server/test_openapi_record.py fails.
The table of declared extensions in docs/contract-kit.md is ``markdown_table()`` of this tuple (a test keeps
them equal).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from .docdiff import Difference


@dataclass(frozen=True)
class Extension:
    name: str
    reason: str
    matches: tuple[str, ...]  # fnmatch patterns over Difference.key, e.g. "* -> 4XX: added"


LEGACY_TWINS = Extension(
    "Legacy `/v3` twins",
    "The deprecated `/v3` aliases of the v1 sessions, session passes, agents, avatars and limits routes, "
    "marked `deprecated` as in the real v3 document of December 2025; SDK 3.1.5 no longer calls them. "
    "`legacy_v3_routes=false` removes them.",
    ("* /v3/agents*: added", "* /v3/avatars*: added", "* /v3/sessions*: added", "* /v3/session-passes*: added",
     "GET /v3/limits: added",
     "schema *Agent*: added", "schema *Avatar*: added", "schema *Session*: added", "schema EquosLimitResponse: added",
     "schema EquosResourceId: added", "schema EquosServerUrl: added", "schema VoiceIdentity: added"),
)

EXTENSIONS: tuple[Extension, ...] = (
    LEGACY_TWINS,
    Extension(
        "4xx error responses",
        "Every operation documents `4XX` with `ErrorResponse`, NestJS's error envelope. The SDK's generated "
        "parsers read success statuses only, so its record has no error responses.",
        ("* -> 4XX: added", "schema ErrorResponse: added"),
    ),
    Extension(
        "Input limits",
        "String lengths, numeric bounds and whole-number `take`/`skip` (`multipleOf: 1`): what the mock "
        "refuses with a 400. openapi-python-client drops validation keywords, so the record cannot say "
        "whether the real document has them.",
        ("*: minLength added", "*: maxLength added", "*: minimum added", "*: maximum added",
         "*: multipleOf added"),
    ),
    Extension(
        "Bare-number usage replies",
        "`freemium-usage` answers a bare number as `text/html` (NestJS's `res.send(String(n))`); `user-usage` "
        "answers the same way, and the mock documents that number. The SDK reads no body for `user-usage`, "
        "so the record has no schema for it.",
        ("GET /v3/organizations/freemium-usage -> 200 text/html: added",
         "GET /v3/organizations/user-usage -> 200 application/json: added",
         "GET /v3/organizations/user-usage -> 200 text/html: added"),
    ),
    Extension(
        "Health needs no key",
        "`GET /v3/health` answers without `x-api-key` (the TypeScript SDK marks it \"No authorization "
        "required\"); the Python SDK sends its key everywhere, so the record puts every operation under it.",
        ("GET /v3/health: security changed",),
    ),
    Extension(
        "Knowledge-base client tag defaults to `\"\"`",
        "`CreateKnowledgeBaseRequest.client` is the one client tag that is not nullable: when absent, the "
        "mock stores and returns `\"\"`.",
        ("schema CreateKnowledgeBaseRequest.client: default added",),
    ),
)


def declaring(difference: Difference, extensions: Iterable[Extension] = EXTENSIONS) -> Extension | None:
    """The extension that declares this difference, if any."""
    for extension in extensions:
        if any(fnmatchcase(difference.key, pattern) for pattern in extension.matches):
            return extension
    return None


def markdown_table(extensions: Iterable[Extension] = EXTENSIONS) -> str:
    rows = ["| Extension | Why | Differences it covers |", "| --- | --- | --- |"]
    for extension in extensions:
        patterns = "<br>".join(f"`{p}`" for p in extension.matches)
        rows.append(f"| {extension.name} | {extension.reason} | {patterns} |")
    return "\n".join(rows) + "\n"
