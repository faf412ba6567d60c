"""Settings of one mock app: parsed by the CLI from flags and EQUOS_MOCK_* variables."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8787
    api_keys: tuple[str, ...] = ()
    seed_file: str | None = None
    seed: int | None = None
    livekit_url: str = "ws://localhost:7880"
    livekit_api_key: str = "devkey"
    livekit_api_secret: str = "secret"
    assumptions: dict[str, str] = field(default_factory=dict)
    control_plane: bool = True
    control_token: str | None = None
    # Host names besides loopback and ``host`` that may reach /_mock/ and /docs/ (DNS rebinding guard).
    allowed_hosts: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576
    max_header_bytes: int = 64 * 1024  # request line plus headers; larger: 431 (http/limits.py)
    read_timeout_seconds: float = 30.0  # to send a request head, or between two reads of a body
    upload_ttl_seconds: int = 3600
    upload_limit_bytes: int = 100 * 1024 * 1024
    client_token_ttl_seconds: int = 900
    upload_secret: str | None = None
    data_dir: str | None = None
    legacy_v3_routes: bool = True  # serve the deprecated /v3 twins of the legacy /v1 routes
    org_idle_ttl_seconds: float | None = None  # evict organizations unused this long (app clock); None: never
    journal_entries: int = 10_000  # the journal keeps at most this many entries
    journal_body_bytes: int = 16 * 1024  # of each request and response body
    journal_max_bytes: int = 32 * 1024 * 1024  # all kept bodies together; the oldest entries go first
    key_pattern: str | None = None  # a regex every API key must match whole (key_check.py); None: any key
