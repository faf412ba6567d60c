"""Command-line options of the contract suite (also a pytest11 entry point, so they exist however
pytest is started: ``pytest --pyargs contract_tests`` from any directory).

Kept free of heavy imports: every pytest run in an environment with equos-mock loads this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

GROUP = "equos-contract"
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
# The live budget: what one run may cost on a billable target unless told otherwise.
LIVE_MAX_CONVERSATIONS = 5
LIVE_MAX_SECONDS = 60  # cap on maxSeconds of every conversation started
LIVE_RATE = 5.0  # requests per second
LIVE_MAX_EXAMPLES = 4  # examples per property on a live target, whatever the profile (requests cost money and time)
LIVE_MAX_STEPS = 10  # steps per state machine example, likewise
LIVE_RUN_SECONDS = 300  # the live profile's run time at LIVE_RATE, kept by tests/contract_tests/test_live_budget.py
PROFILES = ("thorough", "ci", "live", "mutation", "reality")


def pytest_addoption(parser: pytest.Parser) -> None:
    register(parser)


def register(parser: pytest.Parser) -> None:
    """Add the options once (the entry point and the package conftest both call this)."""
    group = parser.getgroup(GROUP, "Equos contract suite (contract_tests)")
    if any("--equos-base-url" in option.names() for option in group.options):
        return
    add = group.addoption
    add("--equos-base-url", default=None, help="target API base URL [EQUOS_BASE_URL]; none: an in-process mock")
    add("--equos-api-key", default=None, help="target API key [EQUOS_API_KEY]; never printed")
    add("--equos-live", action="store_true", default=False,
        help="allow a non-loopback (live, billable) target")
    add("--equos-treat-as-live", action="store_true", default=False,
        help="testing aid: treat a loopback target as live (budget, safety rules, needs --equos-live)")
    add("--equos-livekit-secret", default=None,
        help="LiveKit API secret, to verify token signatures (default for a mock target: 'secret')")
    add("--equos-livekit-key", default=None, help="LiveKit API key expected as token issuer (mock: 'devkey')")
    add("--equos-max-conversations", type=int, default=None,
        help=f"at most this many conversations started per run (default {LIVE_MAX_CONVERSATIONS} when live, "
             "unlimited otherwise)")
    add("--equos-max-seconds", type=int, default=None,
        help=f"cap on maxSeconds of started conversations (default {LIVE_MAX_SECONDS} when live)")
    add("--equos-rate", type=float, default=None,
        help=f"request rate cap per second (default {LIVE_RATE:g} when live, none otherwise)")
    add("--equos-report", default=None, metavar="FILE", help="write the fidelity report as JSON to FILE")
    add("--equos-profile", default=None, choices=PROFILES,
        help="Hypothesis profile: thorough (mock default), ci (fast, no shrinking), live (small, "
             "derandomized), mutation (ci, fewer), reality (fewer still: the project's alternate-reality tests)")
    add("--equos-compare-url", default=None, help="differential mode: a second target to compare with")
    add("--equos-compare-api-key", default=None, help="API key of the second target [EQUOS_COMPARE_API_KEY]")
    add("--equos-second-key", default=None, metavar="KEY",
        help="a second organization's key, for isolation [EQUOS_SECOND_API_KEY]")
    add("--equos-run-id", default=None, help="run id used in the client tag of everything created")
    add("--equos-app", default=None, metavar="MODULE:CALLABLE",
        help="in-process target: the app factory to test (default mock_server:create_app) [EQUOS_CONTRACT_APP]")


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


@dataclass(frozen=True)
class RunOptions:
    base_url: str | None
    api_key: str | None
    live_allowed: bool
    treat_as_live: bool
    livekit_secret: str | None
    livekit_key: str | None
    max_conversations: int | None
    max_seconds: int | None
    rate: float | None
    report: str | None
    profile: str | None
    compare_url: str | None
    compare_api_key: str | None
    run_id: str | None
    app: str | None
    second_key: str | None = None

    @property
    def live(self) -> bool:
        """A non-loopback target costs money; a loopback one counts as live only when told to."""
        if self.base_url is None:
            return self.treat_as_live
        return self.treat_as_live or not is_loopback(self.base_url)

    def refusal(self) -> str | None:
        for url in (self.base_url, self.compare_url):
            if url and not urlsplit(url).scheme.startswith("http"):
                return f"target URL must be http(s): {url}"
        if self.live and not self.live_allowed:
            return ("refusing to run against a live target without --equos-live: the suite creates "
                    "billable resources (conversations) on it")
        if self.compare_url and not is_loopback(self.compare_url) and not self.live_allowed:
            return "refusing to compare against a non-loopback target without --equos-live"
        return None


def read_options(config: pytest.Config, environ: dict[str, str] | None = None) -> RunOptions:
    env = os.environ if environ is None else environ

    def opt(name: str) -> object:
        return config.getoption(name)

    return RunOptions(
        base_url=(opt("--equos-base-url") or env.get("EQUOS_BASE_URL") or None),
        api_key=(opt("--equos-api-key") or env.get("EQUOS_API_KEY") or None),
        live_allowed=bool(opt("--equos-live")),
        treat_as_live=bool(opt("--equos-treat-as-live")),
        livekit_secret=opt("--equos-livekit-secret"),  # type: ignore[arg-type]
        livekit_key=opt("--equos-livekit-key"),  # type: ignore[arg-type]
        max_conversations=opt("--equos-max-conversations"),  # type: ignore[arg-type]
        max_seconds=opt("--equos-max-seconds"),  # type: ignore[arg-type]
        rate=opt("--equos-rate"),  # type: ignore[arg-type]
        report=opt("--equos-report"),  # type: ignore[arg-type]
        profile=opt("--equos-profile"),  # type: ignore[arg-type]
        compare_url=opt("--equos-compare-url"),  # type: ignore[arg-type]
        compare_api_key=(opt("--equos-compare-api-key") or env.get("EQUOS_COMPARE_API_KEY") or None),
        run_id=opt("--equos-run-id"),  # type: ignore[arg-type]
        app=(opt("--equos-app") or env.get("EQUOS_CONTRACT_APP") or None),
        second_key=(opt("--equos-second-key") or env.get("EQUOS_SECOND_API_KEY") or None),
    )
