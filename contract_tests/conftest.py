"""Fixtures and hooks of the contract suite: target, profiles, safety, and the fidelity report."""

from __future__ import annotations

import atexit
import contextlib
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from mock_server.noise import PYTEST_FILTERS

from .options import LIVE_MAX_EXAMPLES, LIVE_MAX_STEPS, read_options, register
from .report import Fidelity
from .target import Target

FIDELITY = pytest.StashKey[Fidelity]()
OUTCOMES = pytest.StashKey[dict[str, set[str]]]()  # test function -> outcomes of its items
STARTED = pytest.StashKey[float]()
_SLOW = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

# thorough: the default against a mock; ci: fast and derandomized (CI, mutation runs);
# live: few, derandomized examples, for a billable target.
settings.register_profile("thorough", max_examples=60, stateful_step_count=30, deadline=None,
                          suppress_health_check=_SLOW)
# No shrinking in ci (nor explain): a failure is reported whole, as found, so a failing run costs at
# most one replay more than a passing one. Shrinking a state machine on a loaded machine outlasted a
# CI step's 600 s once; on a billable target every replay costs requests and conversations.
BOUNDED = (Phase.explicit, Phase.generate)
settings.register_profile("ci", max_examples=12, stateful_step_count=15, deadline=None, derandomize=True,
                          database=None, suppress_health_check=_SLOW, phases=BOUNDED)
# mutation: the ci profile with fewer examples (the self-test only needs to know that a check fails).
settings.register_profile("mutation", parent=settings.get_profile("ci"), max_examples=8)
# reality: the smallest useful run, for the project's tests against many alternate-reality targets.
settings.register_profile("reality", parent=settings.get_profile("mutation"), max_examples=4,
                          stateful_step_count=10)
settings.register_profile("live", max_examples=4, stateful_step_count=10, deadline=None, derandomize=True,
                          database=None, suppress_health_check=_SLOW,
                          phases=[Phase.explicit, Phase.generate, Phase.shrink])


def pytest_addoption(parser: pytest.Parser) -> None:
    register(parser)  # a no-op when the pytest11 entry point already did it


def pytest_configure(config: pytest.Config) -> None:
    for line in PYTEST_FILTERS:  # the mock's short dev LiveKit secret: ours to know, not the user's
        config.addinivalue_line("filterwarnings", line)
    options = read_options(config)
    profile = options.profile or ("live" if options.live else "thorough")
    settings.load_profile(profile)
    if options.live:  # the live budget caps every profile: --equos-profile ci on a billable target too
        chosen = settings.get_profile(profile)
        settings.register_profile("live-budget", parent=chosen,
                                  max_examples=min(chosen.max_examples, LIVE_MAX_EXAMPLES),
                                  stateful_step_count=min(chosen.stateful_step_count, LIVE_MAX_STEPS),
                                  phases=[p for p in chosen.phases if p in BOUNDED])
        settings.load_profile("live-budget")
    config.stash[FIDELITY] = Fidelity(target={"profile": profile})
    config.stash[OUTCOMES] = {}
    config.stash[STARTED] = time.monotonic()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Which tests ran and how: a rule is due only when its test ran and passed."""
    report = yield
    if OUTCOMES in item.config.stash and (report.when == "call" or (report.when == "setup" and not report.passed)):
        function = item.nodeid.split("::")[-1].split("[")[0]
        item.config.stash[OUTCOMES].setdefault(function, set()).add(report.outcome)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The rules table: a rule whose test passed but that was never exercised fails the run, unless the
    target lacks what it needs (then the table says why)."""
    from .rules import CONVERSATION_TESTS, NEEDS, RULES

    config = session.config
    fidelity = config.stash.get(FIDELITY, None)
    if fidelity is None:
        return
    fidelity.seconds = time.monotonic() - config.stash.get(STARTED, time.monotonic())
    outcomes = config.stash.get(OUTCOMES, {})
    target = fidelity.target
    missing = {"control": not target.get("control_plane"), "second_key": not target.get("second_key"),
               "livekit_secret": not target.get("livekit_secret"), "private": not target.get("private_organization"),
               "conversations": target.get("max_conversations") is not None
               and target.get("conversations_started", 0) >= target.get("max_conversations", 0)}
    unexercised = []
    for rule in RULES:
        seen = set().union(*(outcomes.get(test, set()) for test in rule.test.split("|")))
        tally = fidelity.rules.get(rule.name)
        if tally is not None and tally.exercised:
            fidelity.rule_status[rule.name] = "ok" if tally.passed == tally.exercised else "FAILED"
        elif not seen:
            fidelity.rule_status[rule.name] = "not run (its test was not selected)"
        elif "passed" not in seen:
            fidelity.rule_status[rule.name] = f"not run (its test {'/'.join(sorted(seen))})"
        elif rule.needs and missing.get(rule.needs):
            fidelity.rule_status[rule.name] = "not supported: " + NEEDS[rule.needs]
        elif missing["conversations"] and set(rule.test.split("|")) & CONVERSATION_TESTS:
            fidelity.rule_status[rule.name] = "not supported: " + NEEDS["conversations"]
        else:
            fidelity.rule_status[rule.name] = "NOT EXERCISED"
            unexercised.append(rule.name)
    if unexercised and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\ncontract suite: claimed rules never exercised in this run: {', '.join(unexercised)}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Probes first, then expiry in real time (on a live target they get the conversation budget before
    anything else); the state machine last (it is the slowest check, and the direct ones name a bug more
    plainly)."""
    def rank(item: pytest.Item) -> int:
        if "test_probes.py" in item.nodeid:
            return -2
        if any(name in item.nodeid for name in ("test_expiry_in_real_time", "test_conversation_walk")):
            return -1
        return int("test_stateful.py" in item.nodeid)

    items.sort(key=rank)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def equos_options(pytestconfig: pytest.Config) -> Any:
    options = read_options(pytestconfig)
    refusal = options.refusal()
    if refusal:
        pytest.exit(refusal, returncode=4)
    return options


@pytest.fixture(scope="session")
def equos_target(pytestconfig: pytest.Config, equos_options: Any) -> Iterator[Target]:
    fidelity = pytestconfig.stash[FIDELITY]
    target = Target(equos_options, fidelity)
    fidelity.target.update(target.describe())
    # Cleanup however the run ends: normal teardown, Ctrl-C (KeyboardInterrupt), SIGTERM, or exit.
    atexit.register(target.close)
    previous = signal.getsignal(signal.SIGTERM)
    with contextlib.suppress(ValueError):  # not in the main thread
        signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield target
    finally:
        try:
            target.close()
        finally:
            fidelity.target.update(target.describe())
            atexit.unregister(target.close)
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def equos_compare(pytestconfig: pytest.Config, equos_options: Any, equos_target: Target) -> Iterator[Target]:
    if not equos_options.compare_url:
        pytest.skip("differential mode needs --equos-compare-url")
    other = Target(equos_options, pytestconfig.stash[FIDELITY], base_url=equos_options.compare_url,
                   api_key=equos_options.compare_api_key, label="compare")
    atexit.register(other.close)
    try:
        yield other
    finally:
        other.close()
        atexit.unregister(other.close)


@pytest.fixture
def needs_control(equos_target: Target) -> Target:
    if not equos_target.control:
        pytest.skip("needs the mock's control plane (GET /_mock/clock answered no clock)")
    return equos_target


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    fidelity = config.stash.get(FIDELITY, None)
    if fidelity is None or (not fidelity.operations and not fidelity.assumptions):
        return
    terminalreporter.section("Equos contract fidelity report")
    for line in fidelity.lines():
        terminalreporter.write_line(line)
    path = read_options(config).report
    if path:
        fidelity.write(path)
        terminalreporter.write_line(f"fidelity report written to {path}")
