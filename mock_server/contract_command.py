"""``equos-mock contract``: the contract suite under pytest, with a help of its own that fits a screen.

``--help`` lists the suite's own options (read from ``contract_tests.options``, so it cannot drift),
grouped by what they are for; pytest's 500 lines of options are one command away
(``equos-mock contract -- --help``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from . import noise

WIDTH = 100
COLUMN = 33  # where an option's help starts
ABOUT = """\
usage: equos-mock contract [OPTIONS] [PYTEST ARGS]

Run the contract suite (property-based, Hypothesis) against a mock in process, or with
--equos-base-url any server of the Equos v3 API (equos-mock serve; the real API with --equos-live).
A fidelity report ends the run: checks per operation and rule, what each assumption showed."""
# The suite's options by what they are for; an option not named here is listed under "other".
SECTIONS = (
    ("target", ("--equos-base-url", "--equos-api-key", "--equos-live", "--equos-treat-as-live", "--equos-app",
                "--equos-livekit-key", "--equos-livekit-secret", "--equos-second-key")),
    ("live budget", ("--equos-max-conversations", "--equos-max-seconds", "--equos-rate")),
    ("profiles", ("--equos-profile",)),
    ("report", ("--equos-report",)),
    ("differential", ("--equos-compare-url", "--equos-compare-api-key", "--equos-run-id")),
)
PYTEST_HELP = "pytest options: equos-mock contract -- --help"


class _Group:
    """Stands in for a pytest option group: records what ``register`` adds."""

    def __init__(self) -> None:
        self.options: list[_Option] = []

    def addoption(self, *names: str, **spec: Any) -> None:
        self.options.append(_Option(names, spec))


class _Option:
    def __init__(self, names: tuple[str, ...], spec: dict[str, Any]):
        self._names, self.spec = names, spec

    def names(self) -> list[str]:
        return list(self._names)

    def shown(self) -> str:
        if self.spec.get("action") in ("store_true", "store_false"):
            return self._names[0]
        return f"{self._names[0]} {self.spec.get('metavar') or self._metavar()}"

    def _metavar(self) -> str:
        if self.spec.get("choices"):
            return "NAME"
        if self.spec.get("type") in (int, float):
            return "N"
        tail = self._names[0].rsplit("-", 1)[-1]
        return tail.upper() if tail in ("url", "key", "secret", "id") else "VALUE"


class _Recorder:
    def __init__(self) -> None:
        self.group = _Group()

    def getgroup(self, name: str, description: str = "") -> _Group:
        return self.group


def suite_options() -> list[_Option]:
    from contract_tests.options import register  # noqa: PLC0415 - needs pytest: the caller checked the extra

    recorder = _Recorder()
    register(recorder)  # type: ignore[arg-type]
    return recorder.group.options


def help_text() -> str:
    options = {option.names()[0]: option for option in suite_options()}
    lines = [ABOUT]
    for title, flags in (*SECTIONS, ("other", tuple(sorted(set(options) - {f for _, f in SECTIONS for f in f})))):
        present = [options[flag] for flag in flags if flag in options]
        if not present:
            continue
        lines.append(f"\n{title}:")
        for option in present:
            lines.append(_line(option.shown(), option.spec.get("help") or ""))
    lines.append(f"\nOther arguments go to pytest (-k EXPR, -x, a test file).\n{PYTEST_HELP}")
    return "\n".join(lines)


def _line(flag: str, text: str) -> str:
    """``  --flag VALUE   help...``, the help wrapped in its column (below the flag when that is long)."""
    head, body = f"  {flag}", textwrap.wrap(text, WIDTH - COLUMN)
    if len(head) < COLUMN - 1 and body:
        head, body = head.ljust(COLUMN) + body[0], body[1:]
    return "\n".join([head, *(" " * COLUMN + part for part in body)])


def run(args: Sequence[str]) -> int:
    """``equos-mock contract ARGS`` (the pytest extra is there): our help, or pytest on the suite
    (after a leading ``--``, everything goes to pytest, ``--help`` too)."""
    args = list(args)
    if args[:1] in (["-h"], ["--help"]):
        print(help_text())
        return 0
    if args[:1] == ["--"]:
        args = args[1:]
    import pytest  # noqa: PLC0415 - the pytest extra, needed by this command only

    quiet = [f"-W{line}" for line in noise.CONTRACT_COMMAND_FILTERS]  # first: a user's own -W win
    return int(pytest.main(["--pyargs", "contract_tests", *quiet, *args]))

