"""What a request presents as credentials, read once per request and in one place.

Authentication, the journal, fault scopes and the control plane all ask ``request_credentials``;
none parses the headers itself. Two ``x-api-key`` headers (A, then B) once ran the request as A
while the journal and fault rules saw B: now a repeated credential header is a 400 (``refusal``),
answered by the request pipeline (``http/pipeline.py``) before any route, fault or handler looks at it.
"""

from __future__ import annotations

from typing import NamedTuple

from starlette.types import Scope

from . import errors

# Headers that must come at most once; x-mock-token is the control plane's own credential.
SINGLE_HEADERS = (b"x-api-key", b"authorization", b"x-mock-token")
SCOPE_KEY = "equos_mock.credentials"


class Credentials(NamedTuple):  # a tuple: made on every request, and cheaper to make than a frozen dataclass
    api_key: str | None  # None when absent, empty or repeated
    authorization: str | None
    mock_token: str | None
    repeated: tuple[str, ...]  # header names sent more than once


def _single(given: list[bytes] | None) -> str | None:
    return given[0].decode("latin-1") or None if given is not None and len(given) == 1 else None


def credentials_of(values: dict[bytes, list[bytes]]) -> Credentials:
    """The credentials among ``values`` (lower-case header name -> every value sent, in order)."""
    api_key, authorization, mock_token = values.get(b"x-api-key"), values.get(b"authorization"), values.get(
        b"x-mock-token")
    repeated: tuple[str, ...] = ()
    if ((api_key is not None and len(api_key) > 1) or (authorization is not None and len(authorization) > 1)
            or (mock_token is not None and len(mock_token) > 1)):
        repeated = tuple(n.decode() for n in SINGLE_HEADERS if len(values.get(n, ())) > 1)
    return Credentials(api_key=_single(api_key), authorization=_single(authorization),
                       mock_token=_single(mock_token), repeated=repeated)


def keep(scope: Scope, values: dict[bytes, list[bytes]]) -> Credentials:
    """Credentials from headers already read (the pipeline's one pass), kept in the scope."""
    found = scope[SCOPE_KEY] = credentials_of(values)
    return found


def request_credentials(scope: Scope) -> Credentials:
    """The request's credentials, computed on first use and kept in the ASGI scope."""
    found: Credentials | None = scope.get(SCOPE_KEY)
    if found is not None:
        return found
    values: dict[bytes, list[bytes]] = {}
    for name, value in scope.get("headers", ()):
        name = name.lower()
        if name in SINGLE_HEADERS:
            values.setdefault(name, []).append(value)
    return keep(scope, values)


def refusal(credentials: Credentials) -> errors.ApiError | None:
    """A 400 for a request that repeats a credential header: which one would be meant is anyone's guess."""
    if not credentials.repeated:
        return None
    return errors.bad_request([f"{name} must be sent once, not repeated" for name in credentials.repeated])
