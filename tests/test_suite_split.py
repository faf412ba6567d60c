"""The inner loop (``pytest -m "not slow"``) keeps most of the suite, and slow-by-nature tests are marked."""

from __future__ import annotations

from collections import Counter

import pytest
from suite_split import INNER_LOOP_EXAMPLES, SPLIT, Split, inner_loop, split_problems


def test_the_inner_loop_keeps_most_of_the_suite_and_of_every_test_directory(pytestconfig: pytest.Config) -> None:
    split = pytestconfig.stash[SPLIT]
    if not split.whole:
        pytest.skip("counts only a whole-suite collection (python -m pytest [-m 'not slow'])")
    assert sum(split.tests.values()) > 500 and len(split.tests) >= 10  # the whole suite was counted
    assert split_problems(split) == []


def test_no_test_that_is_slow_by_nature_lacks_the_marker(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.stash[SPLIT].unmarked == {}


def test_split_problems_name_the_directory_and_the_suite() -> None:
    fine = Split(whole=True, tests=Counter({"tests/a": 10, "tests/b": 2}), inner=Counter({"tests/a": 9, "tests/b": 2}))
    assert split_problems(fine) == []
    thin = Split(whole=True, tests=Counter({"tests/a": 10, "tests/b": 40}),
                 inner=Counter({"tests/a": 2, "tests/b": 40}))
    assert split_problems(thin) == ["tests/a: the inner loop runs 2 of its 10 tests, fewer than 5 (make some "
                                    "faster, or list it in ONLY_SLOW with the reason)"]
    mostly_slow = Split(whole=True, tests=Counter({"tests/a": 100}), inner=Counter({"tests/a": 60}))
    assert split_problems(mostly_slow) == ["the inner loop runs 60 of 100 tests, under 80%"]


def test_property_tests_run_their_written_counts_in_the_full_suite(pytestconfig: pytest.Config, examples) -> None:
    expected = max(2, round(300 * INNER_LOOP_EXAMPLES)) if inner_loop(pytestconfig) else 300
    assert examples(300) == expected
    assert inner_loop(pytestconfig) == ("not slow" in (pytestconfig.getoption("markexpr") or ""))


GUARDED = '''
import pytest

@pytest.fixture
def chromium():
    return "a browser"

@pytest.fixture
def fresh_venv(tmp_path):
    import venv
    if False:
        venv.create(tmp_path / "v")
    return tmp_path

def test_browser_unmarked(chromium): pass

@pytest.mark.slow
def test_browser_marked(chromium): pass

def test_venv_unmarked(fresh_venv): pass

def test_npm_unmarked():
    if False:
        import subprocess; subprocess.run(["npm", "ci"])

def test_plain(): pass
'''


@pytest.mark.parametrize("markexpr", [[], ["-m", "not slow"]])
def test_an_unmarked_slow_test_errors_in_both_runs(pytester: pytest.Pytester, markexpr: list[str]) -> None:
    pytester.makeconftest("from suite_split import pytest_collection_modifyitems, pytest_runtest_setup\n")
    pytester.makeini('[pytest]\nmarkers =\n    slow: slow\n')
    pytester.makepyfile(test_guarded=GUARDED)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *markexpr)
    result.assert_outcomes(passed=1 if markexpr else 2, errors=3)  # they fail at setup: nothing slow starts
    output = result.stdout.str()
    assert "test_browser_unmarked is slow by nature but lacks @pytest.mark.slow: requests `chromium`" in output
    assert "test_venv_unmarked is slow by nature but lacks @pytest.mark.slow: fresh_venv creates a virtual" in output
    assert "test_npm_unmarked is slow by nature but lacks @pytest.mark.slow: test_npm_unmarked runs npm" in output
