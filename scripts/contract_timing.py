"""Run the contract suite against the in-process mock N times in its default profile, timing each run.

    python scripts/contract_timing.py [--runs 3] [extra pytest args]

Acceptance: every run passes, each in under 3 minutes. Prints one line per run and a summary.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    runs = 3
    if argv[:1] == ["--runs"]:
        runs, argv = int(argv[1]), argv[2:]
    times = []
    for run in range(1, runs + 1):
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "contract_tests", "-q",
                                 "-p", "no:cacheprovider", "-p", "no:warnings", *argv],
                                capture_output=True, text=True, cwd=str(ROOT))
        seconds = time.monotonic() - started
        times.append(seconds)
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-300:]
        print(f"run {run}: exit {result.returncode} in {seconds:.1f}s  ({summary})", flush=True)
        if result.returncode != 0:
            print(result.stdout[-5000:])
            return 1
    print(f"{runs} runs passed; slowest {max(times):.1f}s, total {sum(times):.1f}s (limit 180s per run)")
    return 0 if max(times) < 180 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
