"""``equos-mock serve``: flags and EQUOS_MOCK_* variables into Settings, then uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from . import cli_values as values
from . import extras
from .cli_values import OneLineParser
from .settings import Settings
from .version import __version__

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def build_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = OneLineParser(prog="equos-mock", description="A faithful fake of the Equos.ai API.")
    parser.add_argument("--version", action="version", version=f"equos-mock {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the mock server (the default command)")
    add_serve_arguments(serve, environ)
    contract = sub.add_parser("contract", help="run the contract suite (equos-mock contract --help)")
    contract.add_argument("pytest_args", nargs=argparse.REMAINDER)
    drift = sub.add_parser("drift", help="compare a published /docs/v3-json with the record and the mock")
    drift.add_argument("drift_args", nargs=argparse.REMAINDER, help="FILE_OR_URL [--json] [--against ...]")
    return parser


def add_serve_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """Every option of ``serve``, each with its variable and its value type (``cli_values``)."""
    def option(*flags: str, env: str, **kwargs: Any) -> argparse.Action:
        return values.env_option(parser, environ, *flags, env=env, **kwargs)

    option("--host", env="HOST", default="127.0.0.1", type=values.host,
           help="address to bind (default 127.0.0.1, loopback only) [EQUOS_MOCK_HOST]")
    option("--port", env="PORT", default=8787, type=values.port,
           help="port (default 8787; 0 picks a free one) [EQUOS_MOCK_PORT]")
    option("--api-key", env="API_KEYS", action=values.Repeated, dest="api_keys", metavar="KEY", default=[],
           type=values.many(values.text),
           help="accept only this key (repeatable); none: any key gets its own organization "
                "[EQUOS_MOCK_API_KEYS, comma separated]")
    option("--seed", env="SEED", dest="seed_file", metavar="FILE", type=values.seed,
           help="seed file: a path, or a name from fixtures/ such as 'demo' [EQUOS_MOCK_SEED]")
    option("--random-seed", env="RANDOM_SEED", type=values.integer, metavar="N",
           help="seed of the id generator, for reproducible ids [EQUOS_MOCK_RANDOM_SEED]")
    option("--livekit-url", env="LIVEKIT_URL", metavar="URL", type=values.livekit_url,
           help="serverUrl of conversations and sessions on your own LiveKit server; given, the embedded room is "
                "off (default: the embedded room; sessions: livekit-server --dev's ws://localhost:7880) "
                "[EQUOS_MOCK_LIVEKIT_URL]")
    option("--room", env="ROOM", action=values.OnOff, default=True,
           help="serve the embedded LiveKit room that conversations point at (default on; --livekit-url turns "
                "it off) [EQUOS_MOCK_ROOM]")
    option("--room-port", env="ROOM_PORT", type=values.port, metavar="N",
           help="port of the embedded LiveKit room (default: --port + 1, or a free one when that is taken or "
                "with --port 0; 0 picks a free one) [EQUOS_MOCK_ROOM_PORT]")
    option("--room-ping-timeout", env="ROOM_PING_TIMEOUT", type=values.positive(float), metavar="SECONDS",
           default="15", help="seconds without a message after which a room client counts as gone (it is told "
                              "to ping every third of it; default 15) [EQUOS_MOCK_ROOM_PING_TIMEOUT]")
    option("--livekit-api-key", env="LIVEKIT_API_KEY", metavar="KEY", default="devkey", type=values.text,
           help="iss of the LiveKit tokens (default: livekit-server --dev's) [EQUOS_MOCK_LIVEKIT_API_KEY]")
    option("--livekit-api-secret", env="LIVEKIT_API_SECRET", metavar="SECRET", default="secret", type=values.text,
           help="HS256 secret of the LiveKit tokens (default: livekit-server --dev's) [EQUOS_MOCK_LIVEKIT_API_SECRET]")
    option("--set", env="SET", action=values.Repeated, dest="assumptions", default=[], metavar="NAME=VALUE",
           type=values.many(values.assumption), help="switch an assumption (repeatable) [EQUOS_MOCK_SET]")
    option("--key-pattern", env="KEY_PATTERN", metavar="REGEX", type=values.regex,
           help="accept only API keys that match this regular expression whole, e.g. 'sk_[A-Za-z0-9_-]{16,}' "
                "(default: any non-empty key) [EQUOS_MOCK_KEY_PATTERN]")
    option("--no-control", env="NO_CONTROL", action=values.Switch, default=False,
           help="disable the /_mock/ control plane [EQUOS_MOCK_NO_CONTROL]")
    option("--control-token", env="CONTROL_TOKEN", metavar="TOKEN", type=values.text,
           help="require this x-mock-token on /_mock/ calls [EQUOS_MOCK_CONTROL_TOKEN]")
    option("--allowed-host", env="ALLOWED_HOSTS", action=values.Repeated, dest="allowed_hosts", metavar="NAME",
           default=[], type=values.many(values.host),
           help="a Host name (besides loopback and --host) that may reach /_mock/ and /docs/, "
                "e.g. behind a proxy (repeatable) [EQUOS_MOCK_ALLOWED_HOSTS, comma separated]")
    option("--legacy-v3", env="LEGACY_V3", action=values.OnOff, default=True,
           help="serve the deprecated /v3 twins of the legacy /v1 sessions, agents, avatars, "
                "session passes and limits (default on) [EQUOS_MOCK_LEGACY_V3]")
    option("--data-dir", env="DATA_DIR", metavar="DIR", type=values.directory,
           help="keep all state in SQLite in this directory (default: memory only) [EQUOS_MOCK_DATA_DIR]")
    add_fleet_arguments(parser, environ)
    option("--max-header-bytes", env="MAX_HEADER_BYTES", type=values.positive(int), metavar="N", default=65536,
           help="request line plus headers of one request, at most (default 65536); larger: 431 "
                "[EQUOS_MOCK_MAX_HEADER_BYTES]")
    option("--read-timeout", env="READ_TIMEOUT", type=values.positive(float), metavar="SECONDS", default="30",
           help="seconds a client may take to send a request head, or stall in a body, before "
                "its connection is closed (default 30) [EQUOS_MOCK_READ_TIMEOUT]")
    option("--log-level", env="LOG_LEVEL", metavar="LEVEL", default="warning", type=values.log_level,
           help="uvicorn's log level: critical, error, warning, info, debug or trace [EQUOS_MOCK_LOG_LEVEL]")


def add_fleet_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """What keeps a server shared by many test runs bounded: the idle limit and the journal's size."""
    defaults = Settings()

    def option(*flags: str, env: str, **kwargs: Any) -> argparse.Action:
        return values.env_option(parser, environ, *flags, env=env, **kwargs)

    option("--org-idle-ttl", env="ORG_IDLE_TTL", type=values.positive(float), metavar="SECONDS",
           help="delete organizations nobody used for this long, by the mock's clock (default: never); "
                "--api-key and seed-file ones stay [EQUOS_MOCK_ORG_IDLE_TTL]")
    option("--journal-entries", env="JOURNAL_ENTRIES", type=values.positive(int), metavar="N",
           default=defaults.journal_entries,
           help="journal entries kept (default %(default)s) [EQUOS_MOCK_JOURNAL_ENTRIES]")
    option("--journal-body-bytes", env="JOURNAL_BODY_BYTES", type=values.positive(int), metavar="N",
           default=defaults.journal_body_bytes,
           help="bytes kept of each journaled body (default %(default)s) [EQUOS_MOCK_JOURNAL_BODY_BYTES]")
    option("--journal-max-bytes", env="JOURNAL_MAX_BYTES", type=values.positive(int), metavar="N",
           default=defaults.journal_max_bytes,
           help="bytes of all journaled bodies together (default %(default)s) [EQUOS_MOCK_JOURNAL_MAX_BYTES]")


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        host=args.host, port=args.port, api_keys=tuple(args.api_keys), seed_file=args.seed_file,
        seed=args.random_seed, livekit_url=args.livekit_url or Settings.livekit_url,
        room=args.room and args.livekit_url is None, room_port=args.room_port,  # None: --port + 1, else free
        room_ping_timeout_seconds=args.room_ping_timeout, livekit_api_key=args.livekit_api_key,
        livekit_api_secret=args.livekit_api_secret, assumptions=dict(args.assumptions),
        control_plane=not args.no_control, control_token=args.control_token, data_dir=args.data_dir,
        legacy_v3_routes=args.legacy_v3, org_idle_ttl_seconds=args.org_idle_ttl,
        journal_entries=args.journal_entries, journal_body_bytes=args.journal_body_bytes,
        journal_max_bytes=args.journal_max_bytes, allowed_hosts=tuple(args.allowed_hosts),
        max_header_bytes=args.max_header_bytes, read_timeout_seconds=args.read_timeout,
        key_pattern=args.key_pattern,
    )


def banner(settings: Settings, base_url: str, key: str, open_keys: bool, public_key: str | None = None,
           room_url: str | None = None) -> str:
    lines = [
        f"equos-mock {__version__} serving the Equos v3 API at {base_url}",
        f"  try:   curl -H 'x-api-key: {key}' {base_url}/v3/characters",
        f"  docs:  {base_url}/docs/v3  (OpenAPI at {base_url}/docs/v3-json)",
        "  keys:  " + ("only the configured ones" if not open_keys else
                       "any non-empty x-api-key; each key gets its own empty organization"),
        *([f"         and only those that match --key-pattern {settings.key_pattern}"] if settings.key_pattern else []),
        f"  control plane: {'off' if not settings.control_plane else base_url + '/_mock/'}",
    ]
    if settings.control_plane:
        lines.append(f"  inspector: {base_url}/_mock/ui" + ("  (asks for the --control-token)"
                                                            if settings.control_token else ""))
    lines.append(f"  room:  {room_url}  (conversations' serverUrl; LiveKit signalling, loopback WebRTC)" if room_url
                 else f"  room:  off (conversations' serverUrl: {settings.livekit_url})")
    if public_key:
        lines.append(f"  public key (legacy session passes, Authorization: Bearer): {public_key}")

    if settings.host not in LOOPBACK:
        lines.append(f"  WARNING: bound to {settings.host}, reachable from other machines. "
                     "The mock has no real security; bind to 127.0.0.1 unless you mean it.")
        lines.append("  /_mock/ and /docs/ answer only loopback names, the bound host and --allowed-host ones.")
    return "\n".join(lines)


def banner_key(runtime: Any) -> str:
    """A key that works, for the banner's curl line: any key when keys are open (never one a client used
    before, which --data-dir may have kept), else a seed file's key, else the first --api-key. The
    banner is the operator's own terminal, echoing what they configured; nothing else prints keys."""
    if runtime.open_keys:
        return "sk_test_equos_mock"  # matches the pattern of key_check's example too
    seeded = sorted(runtime.configured_keys - set(runtime.settings.api_keys))
    return seeded[0] if seeded else runtime.settings.api_keys[0]


def serve(settings: Settings, log_level: str = "warning") -> None:
    # The serve command's stack, loaded by it alone: `equos-mock contract` and `drift` start without it.
    from . import auth  # noqa: PLC0415
    from .app import create_app  # noqa: PLC0415
    from .collector import Collector, settle  # noqa: PLC0415
    from .errors import ApiError  # noqa: PLC0415
    from .server import listening_socket, server_for  # noqa: PLC0415

    app = create_app(settings)
    runtime = app.state.runtime
    key = banner_key(runtime)
    sock, base_url = listening_socket(settings.host, settings.port)
    # The key's organization exists from the start, so its public key can be shown.
    try:
        public_key: str | None = runtime.public_key_of(auth.organization_for_key(runtime, key))
    except ApiError:
        public_key = None
    try:
        server = server_for(app, settings, log_level, collector=Collector())
    except BaseException:
        sock.close()
        raise
    print(banner(settings, base_url, key, runtime.open_keys, public_key, runtime.room_url), flush=True)
    settle()  # the collector's one-time part; its ticks run on the server's loop (collector.py)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        if app.state.persistence is not None:
            app.state.persistence.close()


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["contract"]:
        absent = extras.missing("pytest")
        if absent:
            return fail(extras.needs("equos-mock contract", "pytest", absent))
        from . import contract_command  # noqa: PLC0415 - imports pytest: the contract command only

        return contract_command.run(argv[1:])
    if argv[:1] == ["drift"]:
        # Its own parser (contract_tests.drift_cli); imported here so `serve` starts without it.
        from contract_tests import drift_cli  # noqa: PLC0415 - drift only; `serve` starts without it

        return drift_cli.main(argv[1:])
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["serve", *argv]
    parser = build_parser(environ)
    args = parser.parse_args(argv)  # `contract` never gets here (above); its subparser is for --help
    settings = settings_from(args)
    from .seed import SeedError  # noqa: PLC0415 - the serve stack (models, domain), as above
    from .server import BindError  # noqa: PLC0415 - ditto
    from .store.integrity import DataDirError  # noqa: PLC0415 - ditto

    try:
        serve(settings, args.log_level)
    except (SeedError, DataDirError) as exc:
        return fail(str(exc))
    except BindError as exc:
        hint = "; choose another --port, or --port 0 for a free one" if exc.in_use else ""
        return fail(f"{exc}{hint}", code=1)
    return 0


def fail(message: str, code: int = 2) -> int:
    """A start-up error as one line on stderr (no traceback): 2 for a setting or a file, 1 otherwise."""
    print(f"equos-mock: {message}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
