"""The split between the inner loop (``pytest -m "not slow"``) and the full suite (``pytest``), kept honest.

- A test that needs something slow by nature carries ``@pytest.mark.slow``: a test that requests one
  of ``SLOW_FIXTURES``, or whose own code or a fixture's matches one of ``SLOW_CALLS``, fails at setup
  without the marker (in both runs, so it cannot slip into the inner loop unnoticed).
- The inner loop keeps most of the suite and every test directory: ``split_problems`` says where it
  does not, and ``test_suite_split.py`` fails on it.
- In the inner loop, property tests run fewer Hypothesis examples (``examples``); the full suite
  runs the counts written in the tests.
"""

from __future__ import annotations

import inspect
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# Fixtures that make a test slow whatever it does with them.
SLOW_FIXTURES = {
    "chromium": "starts a headless browser",
    "legacy_sdk_path": "pip installs the legacy SDK equos 1.2.7",
    "run_legacy_sdk": "pip installs the legacy SDK equos 1.2.7",
}
# Calls that make a test slow, found in the source of the test function or of a fixture it uses.
SLOW_CALLS = {
    r"\bvenv\.create\(|\bEnvBuilder\(|['\"]-m['\"],\s*['\"]venv['\"]": "creates a virtual environment",
    r"['\"]-m['\"],\s*['\"]pip['\"],\s*['\"]install['\"]": "runs pip install",
    r"['\"](npm|npx)['\"]": "runs npm",
    r"\bwebdriver\.|/usr/bin/chromium\b": "starts a browser",
}
# The inner loop keeps at least this share of the whole suite, and in every test directory at least
# MIN_DIRECTORY_SHARE of its tests and no fewer than MIN_DIRECTORY_TESTS (or all, if it has fewer).
MIN_SUITE_SHARE = 0.8
MIN_DIRECTORY_SHARE = 0.5
MIN_DIRECTORY_TESTS = 3
# Test directories allowed to be slow only, with the reason.
ONLY_SLOW: dict[str, str] = {
    "tests/examples": "each test runs a user's example (npm ci and node, a fresh venv, the curl script as a "
                      "process); only the curl script's error path is quick",
    "tests/room": "each test drives the example page in a headless Chromium against a live equos-mock serve "
                  "(the room's acceptance tests); the room's quick tests live beside the code they test",
}
# The share of written Hypothesis examples the inner loop runs (the full suite runs them all).
INNER_LOOP_EXAMPLES = 0.25

SPLIT = pytest.StashKey["Split"]()


@dataclass
class Split:
    whole: bool  # the collection is the whole tests/ directory (the two commands)
    tests: Counter[str] = field(default_factory=Counter)  # per directory, relative to the repository
    inner: Counter[str] = field(default_factory=Counter)
    unmarked: dict[str, list[str]] = field(default_factory=dict)  # test id -> why it is slow


def is_slow(item: pytest.Item) -> bool:
    return item.get_closest_marker("slow") is not None


def inner_loop(config: pytest.Config) -> bool:
    """True when the run deselects the slow tests (``-m "not slow"``, alone or in a longer expression)."""
    return "not slow" in " ".join((config.getoption("markexpr") or "").split())


def _slow_calls(function: Callable[..., Any]) -> tuple[str, ...]:
    try:
        if "site-packages" in Path(inspect.getsourcefile(function) or "").parts:
            return ()  # pytest's own fixtures and the plugins': ours are written in the repository
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return ()
    return tuple(why for pattern, why in SLOW_CALLS.items() if re.search(pattern, source))


def why_slow(item: pytest.Item, read: dict[Callable[..., Any], tuple[str, ...]] | None = None) -> list[str]:
    """What makes this test slow by nature (an empty list when nothing does); ``read`` caches per function."""
    read = {} if read is None else read
    reasons = [f"requests `{name}` ({why})" for name, why in SLOW_FIXTURES.items() if name in item.fixturenames]
    functions = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for definitions in (info.name2fixturedefs.values() if info else ()):
        functions += [definition.func for definition in definitions]
    for function in filter(None, functions):
        function = inspect.unwrap(function)
        if function not in read:
            read[function] = _slow_calls(function)
        reasons += [f"{function.__name__} {why}" for why in read[function]]
    return sorted(set(reasons))


def _whole(config: pytest.Config) -> bool:
    paths = {Path(str(arg).split("::")[0]).resolve() for arg in config.args}
    return bool(paths & {TESTS, ROOT}) and not any("::" in str(arg) for arg in config.args)


@pytest.hookimpl(tryfirst=True)  # before -m deselects: every collected test is counted
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    split = Split(whole=_whole(config))
    read: dict[Callable[..., Any], tuple[str, ...]] = {}  # a fixture's source is read once, not once per test
    for item in items:
        directory = str(item.path.parent.relative_to(ROOT)) if ROOT in item.path.parents else str(item.path.parent)
        split.tests[directory] += 1
        if not is_slow(item):
            split.inner[directory] += 1
            reasons = why_slow(item, read)
            if reasons:
                split.unmarked[item.nodeid] = reasons
    config.stash[SPLIT] = split


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    reasons = item.config.stash[SPLIT].unmarked.get(item.nodeid) if SPLIT in item.config.stash else None
    if reasons:
        pytest.fail(f"{item.nodeid} is slow by nature but lacks @pytest.mark.slow: {'; '.join(reasons)}",
                    pytrace=False)


def split_problems(split: Split) -> list[str]:
    """Where the inner loop no longer keeps most of the suite and every test directory."""
    problems = []
    total, inner = sum(split.tests.values()), sum(split.inner.values())
    if inner < MIN_SUITE_SHARE * total:
        problems.append(f"the inner loop runs {inner} of {total} tests, under {MIN_SUITE_SHARE:.0%}")
    for directory, count in sorted(split.tests.items()):
        if directory in ONLY_SLOW:
            continue
        need = max(min(MIN_DIRECTORY_TESTS, count), math.ceil(MIN_DIRECTORY_SHARE * count))
        if split.inner[directory] < need:
            problems.append(f"{directory}: the inner loop runs {split.inner[directory]} of its {count} tests, "
                            f"fewer than {need} (make some faster, or list it in ONLY_SLOW with the reason)")
    return problems


@pytest.fixture
def examples(pytestconfig: pytest.Config) -> Callable[[int], int]:
    """``examples(n)``: Hypothesis's max_examples for a property test; fewer in the inner loop."""
    if not inner_loop(pytestconfig):
        return lambda n: n
    return lambda n: max(2, round(n * INNER_LOOP_EXAMPLES))
