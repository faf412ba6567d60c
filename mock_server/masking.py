"""Secret masking: what may be shown of a key, token or signature (journal, control plane, contract suite).

A secret is shown as a keyed fingerprint (HMAC-SHA256 under a per-server secret), never as its value.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import re
import secrets
from typing import Any

FINGERPRINT_HEX = 16  # 64 bits: no collisions among a fleet's keys

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# Names of query parameters (and form fields) whose value is a secret: the upload signature, and what
# clients put keys and tokens in (?key=, ?api_key=, ?x-api-key=, ?token=, ?access_token=, ...).
SECRET_PARAMETERS = ("x-api-key", "x-mock-token", "api[-_]?key", "key", "access[-_]?token", "token", "auth",
                     "authorization", "signature", "secret", "password", "client[-_]?secret")
_PARAMETER = re.compile(r"(?i)(?<![\w-])((?:" + "|".join(SECRET_PARAMETERS) + r")=)([^&\s\"'#]+)")
_SECRET_FIELDS = {"consumerAccessToken", "remoteAgentAccessToken", "token", "apiKey", "x-api-key", "signature"}


def fingerprint(value: str, secret: bytes) -> str:
    """HMAC-SHA256 under a per-server secret: without the secret, no key can be tested against it
    (an unkeyed 32-bit hash gave a test key away to a 100k-candidate brute force)."""
    return hmac.new(secret, value.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()[:FINGERPRINT_HEX]


def mask_secret(value: str, secret: bytes) -> str:
    """What may be shown of a key or token: a keyed fingerprint, never the value."""
    return f"****{fingerprint(value, secret)}" if value else ""


def fingerprint_secret(seed: int | None) -> bytes:
    """Made at app start: from the app's seed when it has one (reproducible runs), else at random."""
    if seed is None:
        return secrets.token_bytes(32)
    return random.Random(f"fingerprints:{seed}").randbytes(32)  # its own stream: ids do not shift


def mask_text(text: str, secret: bytes) -> str:
    """JWTs anywhere, and the values of secret-named parameters (``?key=sk_...``), become fingerprints."""
    text = _JWT.sub(lambda m: mask_secret(m.group(0), secret), text)
    return _PARAMETER.sub(lambda m: m.group(1) + mask_secret(m.group(2), secret), text)


def mask_value(value: Any, secret: bytes, field: str | None = None) -> Any:
    if isinstance(value, str):
        return mask_secret(value, secret) if field in _SECRET_FIELDS else mask_text(value, secret)
    if isinstance(value, dict):
        return {k: mask_value(v, secret, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v, secret) for v in value]
    return value


# uvicorn's loggers that may print a request's URL: at trace level, "ASGI [n] Started scope={...}" shows
# every scope with its query string verbatim (?key=, ?apiKey=, an upload URL's signature).
URL_LOGGERS = ("uvicorn.asgi", "uvicorn.error", "uvicorn.access")


class LogMasking(logging.Filter):
    """Masks JWTs and secret-named parameters in every record of the logger it is added to. It runs only
    for records that pass the level, so it costs nothing below trace."""

    def __init__(self, secret: bytes):
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message, self.secret)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:  # a traceback's text too (formatters reuse exc_text)
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info), self.secret)
        return True


def mask_logs(names: tuple[str, ...] = URL_LOGGERS) -> None:
    """Add a ``LogMasking`` to each of these loggers, once per process (loggers are process-wide; its
    fingerprints are the log's own, under a secret of its own)."""
    secret = secrets.token_bytes(32)
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, LogMasking) for f in logger.filters):
            logger.addFilter(LogMasking(secret))
