"""Mutation self-test: the contract suite must fail against every deliberately broken mock."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from mutants import MUTANTS  # type: ignore[import-not-found]
from runner import run_suite  # type: ignore[import-not-found]

WORKERS = 3


def _run(name: str) -> tuple[str, int, str]:
    result = run_suite("-x", "--equos-profile", "mutation", "--equos-app", f"mutants:{name}", "-p", "no:warnings",
                       timeout=300)
    failed = re.findall(r"^FAILED (\S+)", result.stdout, re.MULTILINE)
    return name, result.returncode, failed[0] if failed else result.stdout[-300:] + result.stderr[-300:]


def test_suite_kills_every_mutant() -> None:
    assert len(MUTANTS) >= 15
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(_run, MUTANTS))
    survivors = [(name, detail) for name, code, detail in results if code != 1]
    killed = len(results) - len(survivors)
    print(f"\nmutation kill rate: {killed}/{len(results)} ({100 * killed / len(results):.0f}%)")
    for name, code, detail in results:
        print(f"  {name:<30} {'killed' if code == 1 else f'SURVIVED (exit {code})'} by {detail}")
    assert not survivors, f"mutants the suite did not kill: {survivors}"


def test_unbroken_mock_passes_in_the_ci_profile() -> None:
    result = run_suite("--equos-profile", "ci", "-p", "no:warnings", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
