"""What a request presents as credentials, read once per request and in one place.

Authentication, the journal, fault scopes and the control plane all ask ``request_credentials``;
none parses the headers itself. Two ``x-api-key`` headers (A, then B) once ran the request as A
while the journal and fault rules saw B: now a repeated credential header is a 400, answered by
``CredentialGuard`` before any route, fault or handler looks at it.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from . import errors

# Headers that must come at most once; x-mock-token is the control plane's own credential.
SINGLE_HEADERS = (b"x-api-key", b"authorization", b"x-mock-token")
SCOPE_KEY = "equos_mock.credentials"


@dataclass(frozen=True)
class Credentials:
    api_key: str | None  # None when absent, empty or repeated
    authorization: str | None
    mock_token: str | None
    repeated: tuple[str, ...]  # header names sent more than once


def request_credentials(scope: Scope) -> Credentials:
    """The request's credentials, computed on first use and kept in the ASGI scope."""
    found: Credentials | None = scope.get(SCOPE_KEY)
    if found is not None:
        return found
    values: dict[bytes, list[bytes]] = {}
    for name, value in scope.get("headers", ()):
        if name.lower() in SINGLE_HEADERS:
            values.setdefault(name.lower(), []).append(value)

    def single(name: bytes) -> str | None:
        given = values.get(name, [])
        return given[0].decode("latin-1") or None if len(given) == 1 else None

    found = Credentials(api_key=single(b"x-api-key"), authorization=single(b"authorization"),
                        mock_token=single(b"x-mock-token"),
                        repeated=tuple(n.decode() for n in SINGLE_HEADERS if len(values.get(n, [])) > 1))
    scope[SCOPE_KEY] = found
    return found


class CredentialGuard:
    """Refuses a request that repeats a credential header: which one would be meant is anyone's guess."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            repeated = request_credentials(scope).repeated
            if repeated:
                refusal = errors.bad_request([f"{name} must be sent once, not repeated" for name in repeated])
                await refusal.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)
