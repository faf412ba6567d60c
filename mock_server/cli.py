"""``equos-mock serve``: flags and EQUOS_MOCK_* variables into Settings, then uvicorn."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from . import extras, noise
from .assumptions import UnknownAssumption, parse_pairs
from .settings import Settings
from .version import __version__

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _env(environ: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    return environ.get(f"EQUOS_MOCK_{name}", default)


def build_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="equos-mock", description="A faithful fake of the Equos.ai API.")
    parser.add_argument("--version", action="version", version=f"equos-mock {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the mock server (the default command)")
    add_serve_arguments(serve, environ)
    contract = sub.add_parser("contract", help="run the contract suite (arguments go to pytest)")
    contract.add_argument("pytest_args", nargs=argparse.REMAINDER)
    drift = sub.add_parser("drift", help="compare a published /docs/v3-json with the record and the mock")
    drift.add_argument("drift_args", nargs=argparse.REMAINDER, help="FILE_OR_URL [--json] [--against ...]")
    return parser


def add_serve_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    env_keys = [k for k in (_env(environ, "API_KEYS") or "").split(",") if k.strip()]
    env_sets = [p for p in (_env(environ, "SET") or "").split(",") if p.strip()]
    parser.add_argument("--host", default=_env(environ, "HOST", "127.0.0.1"),
                        help="address to bind (default 127.0.0.1, loopback only) [EQUOS_MOCK_HOST]")
    parser.add_argument("--port", type=int, default=int(_env(environ, "PORT", "8787") or 8787),
                        help="port (default 8787; 0 picks a free one) [EQUOS_MOCK_PORT]")
    parser.add_argument("--api-key", action="append", dest="api_keys", metavar="KEY", default=list(env_keys),
                        help="accept only this key (repeatable); none: any key gets its own organization "
                             "[EQUOS_MOCK_API_KEYS, comma separated]")
    parser.add_argument("--seed", dest="seed_file", metavar="FILE", default=_env(environ, "SEED"),
                        help="seed file: a path, or a name from fixtures/ such as 'demo' [EQUOS_MOCK_SEED]")
    parser.add_argument("--random-seed", type=int, metavar="N", default=_int(_env(environ, "RANDOM_SEED")),
                        help="seed of the id generator, for reproducible ids [EQUOS_MOCK_RANDOM_SEED]")
    parser.add_argument("--livekit-url", metavar="URL", default=_env(environ, "LIVEKIT_URL"),
                        help="serverUrl of conversations and sessions on your own LiveKit server; given, the "
                             "embedded room is off (default: the embedded room; sessions: livekit-server "
                             "--dev's ws://localhost:7880) [EQUOS_MOCK_LIVEKIT_URL]")
    parser.add_argument("--room-port", type=int, metavar="N", default=_int(_env(environ, "ROOM_PORT")),
                        help="port of the embedded LiveKit room (default: --port + 1, or a free one with "
                             "--port 0; 0 picks a free one) [EQUOS_MOCK_ROOM_PORT]")
    parser.add_argument("--room-ping-timeout", type=_positive(float), metavar="SECONDS",
                        default=_env(environ, "ROOM_PING_TIMEOUT", "15"),
                        help="seconds without a message after which a room client counts as gone (it is told to "
                             "ping every third of it; default 15) [EQUOS_MOCK_ROOM_PING_TIMEOUT]")
    parser.add_argument("--room", action=argparse.BooleanOptionalAction,
                        default=(_env(environ, "ROOM", "1") or "1").lower() not in ("0", "false", "no", "off"),
                        help="serve the embedded LiveKit room that conversations point at (default on; "
                             "--livekit-url turns it off) [EQUOS_MOCK_ROOM]")
    parser.add_argument("--livekit-api-key", metavar="KEY", default=_env(environ, "LIVEKIT_API_KEY", "devkey"),
                        help="iss of the LiveKit tokens (default: livekit-server --dev's) [EQUOS_MOCK_LIVEKIT_API_KEY]")
    parser.add_argument("--livekit-api-secret", metavar="SECRET", default=_env(environ, "LIVEKIT_API_SECRET", "secret"),
                        help="HS256 secret of the LiveKit tokens (default: livekit-server --dev's) "
                             "[EQUOS_MOCK_LIVEKIT_API_SECRET]")
    parser.add_argument("--set", action="append", dest="assumptions", default=list(env_sets),
                        metavar="NAME=VALUE", help="switch an assumption (repeatable) [EQUOS_MOCK_SET]")
    parser.add_argument("--no-control", action="store_true",
                        default=(_env(environ, "NO_CONTROL", "") or "").lower() in ("1", "true", "yes"),
                        help="disable the /_mock/ control plane [EQUOS_MOCK_NO_CONTROL]")
    parser.add_argument("--control-token", metavar="TOKEN", default=_env(environ, "CONTROL_TOKEN"),
                        help="require this x-mock-token on /_mock/ calls [EQUOS_MOCK_CONTROL_TOKEN]")
    parser.add_argument("--allowed-host", action="append", dest="allowed_hosts", metavar="NAME",
                        default=[h.strip() for h in (_env(environ, "ALLOWED_HOSTS") or "").split(",") if h.strip()],
                        help="a Host name (besides loopback and --host) that may reach /_mock/ and /docs/, "
                             "e.g. behind a proxy (repeatable) [EQUOS_MOCK_ALLOWED_HOSTS, comma separated]")
    parser.add_argument("--legacy-v3", action=argparse.BooleanOptionalAction,
                        default=(_env(environ, "LEGACY_V3", "1") or "1").lower() not in ("0", "false", "no", "off"),
                        help="serve the deprecated /v3 twins of the legacy /v1 sessions, agents, avatars, "
                             "session passes and limits (default on) [EQUOS_MOCK_LEGACY_V3]")
    parser.add_argument("--data-dir", metavar="DIR", default=_env(environ, "DATA_DIR") or None,
                        help="keep all state in SQLite in this directory (default: memory only) "
                             "[EQUOS_MOCK_DATA_DIR]")
    add_fleet_arguments(parser, environ)
    parser.add_argument("--max-header-bytes", type=_positive(int), metavar="N",
                        default=_env(environ, "MAX_HEADER_BYTES", "65536"),
                        help="request line plus headers of one request, at most (default 65536); larger: 431 "
                             "[EQUOS_MOCK_MAX_HEADER_BYTES]")
    parser.add_argument("--read-timeout", type=_positive(float), metavar="SECONDS",
                        default=_env(environ, "READ_TIMEOUT", "30"),
                        help="seconds a client may take to send a request head, or stall in a body, before "
                             "its connection is closed (default 30) [EQUOS_MOCK_READ_TIMEOUT]")
    parser.add_argument("--log-level", metavar="LEVEL", default=_env(environ, "LOG_LEVEL", "warning"),
                        help="uvicorn's log level: critical, error, warning, info, debug or trace "
                             "[EQUOS_MOCK_LOG_LEVEL]")


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not 0 < value < 1e9:  # also refuses NaN and infinity
            raise argparse.ArgumentTypeError(f"{text} is not a positive number below 1e9")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its error message
    return parse


def add_fleet_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """What keeps a server shared by many test runs bounded: the idle limit and the journal's size."""
    defaults = Settings()
    parser.add_argument("--org-idle-ttl", type=_positive(float), default=_env(environ, "ORG_IDLE_TTL"),
                        metavar="SECONDS", help="delete organizations nobody used for this long, by the mock's "
                        "clock (default: never); --api-key and seed-file ones stay [EQUOS_MOCK_ORG_IDLE_TTL]")
    parser.add_argument("--journal-entries", type=_positive(int), metavar="N",
                        default=_env(environ, "JOURNAL_ENTRIES", str(defaults.journal_entries)),
                        help="journal entries kept (default %(default)s) [EQUOS_MOCK_JOURNAL_ENTRIES]")
    parser.add_argument("--journal-body-bytes", type=_positive(int), metavar="N",
                        default=_env(environ, "JOURNAL_BODY_BYTES", str(defaults.journal_body_bytes)),
                        help="bytes kept of each journaled body (default %(default)s) "
                             "[EQUOS_MOCK_JOURNAL_BODY_BYTES]")
    parser.add_argument("--journal-max-bytes", type=_positive(int), metavar="N",
                        default=_env(environ, "JOURNAL_MAX_BYTES", str(defaults.journal_max_bytes)),
                        help="bytes of all journaled bodies together (default %(default)s) "
                             "[EQUOS_MOCK_JOURNAL_MAX_BYTES]")


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        host=args.host, port=args.port, api_keys=tuple(args.api_keys), seed_file=args.seed_file,
        seed=args.random_seed, livekit_url=args.livekit_url or Settings.livekit_url,
        room=args.room and args.livekit_url is None, room_port=_room_port(args),
        room_ping_timeout_seconds=args.room_ping_timeout,
        livekit_api_key=args.livekit_api_key,
        livekit_api_secret=args.livekit_api_secret, assumptions=parse_pairs(args.assumptions),
        control_plane=not args.no_control, control_token=args.control_token, data_dir=args.data_dir,
        legacy_v3_routes=args.legacy_v3, org_idle_ttl_seconds=args.org_idle_ttl,
        journal_entries=args.journal_entries, journal_body_bytes=args.journal_body_bytes,
        journal_max_bytes=args.journal_max_bytes, allowed_hosts=tuple(args.allowed_hosts),
        max_header_bytes=args.max_header_bytes, read_timeout_seconds=args.read_timeout,
    )


def _room_port(args: argparse.Namespace) -> int | None:
    return int(args.room_port) if args.room_port is not None else None  # None: --port + 1, else a free one


def banner(settings: Settings, base_url: str, key: str, open_keys: bool, public_key: str | None = None,
           room_url: str | None = None) -> str:
    lines = [
        f"equos-mock {__version__} serving the Equos v3 API at {base_url}",
        f"  try:   curl -H 'x-api-key: {key}' {base_url}/v3/characters",
        f"  docs:  {base_url}/docs/v3  (OpenAPI at {base_url}/docs/v3-json)",
        "  keys:  " + ("only the configured ones" if not open_keys else
                       "any non-empty x-api-key; each key gets its own empty organization"),
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
        return "sk_test_equos_mock"
    seeded = sorted(runtime.configured_keys - set(runtime.settings.api_keys))
    return seeded[0] if seeded else runtime.settings.api_keys[0]


def serve(settings: Settings, log_level: str = "warning") -> None:
    # The serve command's stack, loaded by it alone: `equos-mock contract` and `drift` start without it.

    from . import auth  # noqa: PLC0415
    from .app import create_app  # noqa: PLC0415
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
        server = server_for(app, settings, log_level)
    except BaseException:
        sock.close()
        raise
    print(banner(settings, base_url, key, runtime.open_keys, public_key, runtime.room_url), flush=True)
    # What start-up built (modules, the app, a seed) lives as long as the process: keep it out of
    # the collector's scans. Only once: freezing later state could keep cyclic garbage forever.
    gc.freeze()
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
        # Everything after `contract` belongs to pytest; argparse's REMAINDER drops leading --options.
        import pytest  # noqa: PLC0415 - the pytest extra, needed by this subcommand only

        quiet = [f"-W{line}" for line in noise.CONTRACT_COMMAND_FILTERS]  # first: a user's own -W win
        return int(pytest.main(["--pyargs", "contract_tests", *quiet, *argv[1:]]))
    if argv[:1] == ["drift"]:
        # Its own parser (contract_tests.drift_cli); imported here so `serve` starts without it.
        from contract_tests import drift_cli  # noqa: PLC0415 - drift only; `serve` starts without it

        return drift_cli.main(argv[1:])
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["serve", *argv]
    parser = build_parser(environ)
    args = parser.parse_args(argv)  # `contract` never gets here (above); its subparser is for --help
    try:
        settings = settings_from(args)
    except UnknownAssumption as exc:
        return fail(f"--set: {exc}")
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
