"""Run the contract suite against many mutants fast: import once, then fork one child per mutant.

``python mutation_driver.py [--workers N] [NAME ...]`` prints one JSON object: for every mutant its
exit code, the first failing check, seconds taken and the fidelity report. ``unbroken`` (the real
mock) must pass. A NAME with a colon is MODULE:CALLABLE (the alternate realities).
Each child owns its mutant's monkeypatches, so mutants never contaminate each other (Linux: fork).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]


def preload(profile: str) -> None:
    """Everything a run imports, imported once before forking."""
    from hypothesis import settings

    import contract_tests.conftest

    # Module-level @given functions of the suite (e.g. _unknown_ids) take their settings when built, at
    # import: load the run's profile first, or they keep Hypothesis's defaults (a 200 ms deadline, that
    # failed the realities on a loaded machine as "Unreliable test timings").
    settings.load_profile(profile)
    import contract_mutants  # noqa: F401
    import contract_realities  # noqa: F401
    import hypothesis  # noqa: F401
    import jsonschema  # noqa: F401
    import pytest  # noqa: F401
    import starlette.testclient  # noqa: F401

    import contract_tests.test_conformance
    import contract_tests.test_differential
    import contract_tests.test_lifecycle
    import contract_tests.test_operations
    import contract_tests.test_probes
    import contract_tests.test_stateful
    import contract_tests.test_tokens  # noqa: F401
    from contract_tests import oracle

    oracle.operations()


class Seeded:
    """The run's profile with Hypothesis' randomness back on, from one seed (two seeds: two different
    sets of examples, to show that what is caught does not rest on chance)."""

    def __init__(self, profile: str, seed: int):
        self.profile, self.seed = profile, seed

    def pytest_collection_finish(self, session: object) -> None:  # after the suite's conftest loaded its own
        from hypothesis import settings

        settings.register_profile("seeded", parent=settings.get_profile(self.profile), derandomize=False)
        settings.load_profile("seeded")


def child(name: str, log: str, profile: str, report: str, seed: int | None = None) -> None:
    import pytest

    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", 0), write_through=True)
    sys.stderr = sys.stdout
    args = ["--pyargs", "contract_tests", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:warnings",
            "--equos-profile", profile, "--equos-report", report]
    if name != "unbroken":  # NAME (a mutant) or MODULE:NAME (e.g. contract_realities:extra_fields)
        args += ["--equos-app", name if ":" in name else f"contract_mutants:{name}"]
    plugins: list[object] = []
    if seed is not None:
        args += [f"--hypothesis-seed={seed}"]
        plugins.append(Seeded(profile, seed))
    code = pytest.main(args, plugins=plugins)
    sys.stdout.flush()
    os._exit(int(code))


def _first_failure(output: str) -> str:
    """The start of the failures section: a mutant's kill is expected, a reality's is not and must say why."""
    start = output.find("= FAILURES =")
    return output[start:start + 4000] if start >= 0 else output[-1500:]


def _report(path: str) -> dict[str, object] | None:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", default="mutation")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed (randomness on): see Seeded")
    args = parser.parse_args()
    preload(args.profile)
    from contract_mutants import MUTANTS

    names = args.names or ["unbroken", *MUTANTS]
    results: dict[str, dict[str, object]] = {}
    running: dict[int, tuple[str, str, float]] = {}
    todo = list(names)
    with tempfile.TemporaryDirectory() as tmp:
        while todo or running:
            while todo and len(running) < args.workers:
                name = todo.pop(0)
                log = os.path.join(tmp, f"{len(results) + len(running)}.log")
                pid = os.fork()
                if pid == 0:
                    child(name, log, args.profile, log + ".report.json", args.seed)
                running[pid] = (name, log, time.monotonic())
            pid, status = os.wait()
            name, log, started = running.pop(pid)
            output = Path(log).read_text(errors="replace")
            failed = re.findall(r"^FAILED (\S+)", output, re.MULTILINE)
            results[name] = {"exit": os.waitstatus_to_exitcode(status), "seconds": round(time.monotonic() - started, 1),
                             "killed_by": failed[0] if failed else None,
                             "record_violation": "breaks the record of the real API" in output,
                             "tail": output[-1500:] if not failed else _first_failure(output),
                             "report": _report(log + ".report.json")}
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
