"""The fenced code blocks of README.md and docs/*.md, and what the suite does with each one.

Every block is one of:
- an include (``--8<-- "path"``, a file or a section of one): the path and section must exist;
- a Python example: run in a subprocess against a live mock, the documented ``http://127.0.0.1:8787``
  replaced by that mock's address;
- a Python project (blocks whose first line is ``# name.py``): written to a directory, pytest run on it;
- a shell block: each command is run (curl against the live mock), checked (``pip install`` names real
  extras), or listed in ``NOT_RUN_COMMANDS`` with the reason;
- a JSON block: parsed; an ``ini`` block for the pytest plugin: run with a test that uses it;
- anything else: listed in ``NOT_RUN_BLOCKS`` with the reason.
A block or command that fits none of these fails ``test_every_block_is_run_checked_or_listed``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "http://127.0.0.1:8787"
DEFAULT_HOSTS = ("http://127.0.0.1:8787", "http://localhost:8787", "127.0.0.1:8787", "localhost:8787")

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<lang>[\w+-]*)[^\n]*\n"
                   r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$", re.M | re.S)
INCLUDE = re.compile(r"""^[ \t]*-{1,}8<-{1,}[ \t]+["'](?P<target>[^"']+)["'][ \t]*$""", re.M)
PROJECT_FILE = re.compile(r"^# (?P<name>[\w./-]+\.(py|ini|toml|cfg))\b")

# Blocks the suite does not run, by (page, first line), and why. A reason that names a test
# (tests/...py::test_name) is checked: that test must exist.
NOT_RUN_BLOCKS: dict[tuple[str, str], str] = {
    ("docs/pytest-plugin.md", "# app.py: the code under test (yours)"):
        "tests/mock_server/api/control_plane/test_control_plugin.py::test_the_docs_example_runs runs it "
        "with test_kiosk.py",
    ("docs/pytest-plugin.md", "# test_kiosk.py"):
        "tests/mock_server/api/control_plane/test_control_plugin.py::test_the_docs_example_runs runs it",
    ("docs/contract-kit.md",
     "E   AssertionError: getKnowledgeBase: get after delete: expected a null reply or 404, got 200 b'{\"id\":...'"):
        "the output of a failing contract run (against a broken target), shown as an example",
    ("docs/contract-kit.md", "operation                           checks  passed"):
        "an excerpt of the fidelity report's format; tests/contract_tests/test_cli_and_differential.py::"
        "test_probes_report_a_switched_assumption checks a real report",
    ("docs/ci.md", '{"status":"ok","version":"1.0.0"}'):
        "the health reply, shown as output; tests/docs/test_ci_recipes.py::test_the_github_actions_workflow_runs "
        "checks the recipe's health wait reads it",
    ("docs/other-languages.md", "status: ended, ended at 2026-12-01T19:01:58.292Z"):
        "the walkthrough's last line, shown as output; tests/examples/test_curl.py::"
        "test_the_walkthrough_ends_the_conversation_it_started checks the real line",
}

# Shell commands the suite does not run, by the command as shlex reads it (comments dropped), and why.
NOT_RUN_COMMANDS: dict[str, str] = {
    "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/equos-mock serve":
        "the README's first command: serves until Ctrl-C. Its install is what tests/docs/test_docs_install.py::"
        "test_quick_start_in_a_fresh_venv does (with the sdk extra); tests/mock_server/test_cli.py::"
        "test_serve_with_no_flags_answers_health_quickly_and_stops_on_ctrl_c starts the serve",
    "python3 -m venv .venv && .venv/bin/pip install -q -e .[test] && .venv/bin/python -m pytest -n 2":
        "the README's second command: the whole suite, which .ci/run runs as it is",
    "equos-mock serve":
        "serves until Ctrl-C; tests/mock_server/test_cli.py::"
        "test_serve_with_no_flags_answers_health_quickly_and_stops_on_ctrl_c starts it as a process",
    "equos-mock serve --port 8787 &":
        "serves in the background until killed; the examples here run against a mock on a free port instead",
    "equos-mock contract":
        "the thorough profile takes minutes; tests/contract_tests/test_cli_and_differential.py::"
        "test_cli_wrapper_runs_the_whole_suite_in_the_ci_profile runs the same command in the ci profile",
    "equos-mock contract --equos-profile ci":
        "tests/contract_tests/test_cli_and_differential.py::test_cli_wrapper_runs_the_whole_suite_in_the_ci_profile "
        "runs this command",
    "equos-mock contract --equos-base-url http://127.0.0.1:8787 --equos-report fidelity.json":
        "the thorough profile against a served mock takes minutes; tests/contract_tests/test_cli_and_differential.py::"
        "test_probes_report_a_switched_assumption runs --equos-base-url with --equos-report",
    "export EQUOS_BASE_URL=https://api.equos.ai EQUOS_API_KEY=sk_...":
        "the real API: never called from the tests (network and money)",
    "equos-mock contract --equos-live --equos-report fidelity.json":
        "the real API: never called from the tests; tests/contract_tests/test_live_safety.py::"
        "test_interrupted_live_run_leaves_nothing_behind dry-runs the live mode on loopback",
    "equos-mock contract --equos-live --equos-compare-url http://127.0.0.1:8787 -k differential":
        "the real API: never called from the tests; tests/contract_tests/test_cli_and_differential.py::"
        "test_differential_mode_same_mock_agrees_and_a_switch_is_found runs differential mode on two mocks",
    "python -m contract_tests.record --write":
        "rewrites a tracked file; tests/contract_tests/test_record.py rebuilds the record and compares",
    "curl -s https://api.equos.ai/docs/v3-json > equos-v3.json":
        "the real API: tests talk to loopback only",
    "equos-mock drift equos-v3.json":
        "needs the real API's document; tests/contract_tests/test_drift.py runs the drift command (drift_cli.main) on "
        "documents it makes",
    ".venv/bin/python scripts/fuzz.py --max-examples 200":
        "the long fuzz run (minutes); tests/mock_server/reliability/ runs schemathesis in the suite",
    "livekit-server --dev":
        "a LiveKit server is not installed here; the tokens are verified with livekit-api in "
        "docs/livekit.md's example and by tests/conftest.py's check_livekit_token in the SDK tests",
    "NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict":
        "tests/docs/test_docs_site.py::test_the_site_builds_strict_with_every_option runs it (into a temporary "
        "directory)",
    ".venv/bin/python -m pytest -m 'not slow' -n 2":
        "the suite itself (the inner loop): it cannot run inside itself; .ci/run runs the full suite",
    ".venv/bin/python -m pytest -n 2":
        "the suite itself: .ci/run runs it",
    "python3 -m venv .venv && .venv/bin/pip install -q -e .[test]":
        "the contributor set-up: .ci/run runs it as the start of the README's second command",
    "sudo apt-get update && sudo apt-get install -y chromium chromium-driver nodejs npm":
        "installs system packages; .ci/run does it when Chromium is missing, and tests/chromium.py skips with "
        "this command as the reason",
}


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repository root
    line: int
    lang: str
    text: str

    @property
    def first_line(self) -> str:
        return self.text.split("\n", 1)[0].rstrip()

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def includes(self) -> list[str]:
        return INCLUDE.findall(self.text)

    @property
    def only_includes(self) -> bool:
        return bool(self.includes) and not INCLUDE.sub("", self.text).strip()

    @property
    def project_file(self) -> str | None:
        match = PROJECT_FILE.match(self.text)
        return match["name"] if match else None


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks_of(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        indent = len(match["indent"])
        body = "\n".join(line[indent:] for line in match["body"].split("\n"))
        found.append(Block(str(path.relative_to(ROOT)), text.count("\n", 0, match.start()) + 1,
                           match["lang"].lower(), body))
    return found


def all_blocks() -> list[Block]:
    return [block for page in pages() for block in blocks_of(page)]


def page_includes(path: Path) -> list[str]:
    """Every ``--8<--`` target of a page, in or out of code blocks."""
    return INCLUDE.findall(path.read_text(encoding="utf-8"))


def commands(block: Block) -> list[str]:
    """The shell commands of a block, one per logical line, as shlex reads them (comments dropped)."""
    found = []
    for line in block.text.replace("\\\n", " ").split("\n"):
        words = shlex.split(line, comments=True)
        if words:
            found.append(" ".join(shlex.quote(w) if re.search(r"[\s'\"]", w) else w for w in words))
    return found


def raw_commands(block: Block) -> list[str]:
    """The same commands as written (continuations joined), to run them exactly."""
    lines = [line for line in block.text.replace("\\\n", " ").split("\n") if shlex.split(line, comments=True)]
    return lines


def is_mock_curl(command: str) -> bool:
    return command.startswith("curl ") and any(host in command for host in DEFAULT_HOSTS)


def is_pip_install(command: str) -> bool:
    return command.startswith("pip install ")


def pointing_at(text: str, url: str) -> str:
    """``text`` with the documented default address of the mock replaced by ``url``'s."""
    host_port = url.split("://", 1)[1]
    for default in DEFAULT_HOSTS:
        text = text.replace(default, url if default.startswith("http") else host_port)
    return text
