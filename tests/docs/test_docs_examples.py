"""Every code example of README.md and docs/*.md is run, checked, or listed with the reason it is not.

Python examples run in a subprocess against a live mock on a free loopback port: the documented address
``http://127.0.0.1:8787`` (or ``localhost:8787``) in the example is replaced by that mock's, so nothing
ever reaches a server someone else runs on 8787. Each one runs twice on the same mock: the docs say
the examples can be run again on one key. See docs_blocks.py for the rules.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from docs_blocks import (
    NOT_RUN_BLOCKS,
    NOT_RUN_COMMANDS,
    ROOT,
    Block,
    all_blocks,
    commands,
    is_mock_curl,
    is_pip_install,
    page_includes,
    pages,
    pointing_at,
    raw_commands,
)

BLOCKS = all_blocks()
EXTRAS = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"])
TEST_REFERENCE = re.compile(r"(tests/[\w/.-]+\.py)(?:::(\w+))?")


def _listed(block: Block) -> str | None:
    return NOT_RUN_BLOCKS.get((block.page, block.first_line))


def python_examples() -> list[Block]:
    return [b for b in BLOCKS if b.lang == "python" and not b.only_includes and not b.project_file
            and not _listed(b)]


def python_projects() -> dict[str, list[Block]]:
    """Per page, its blocks that are files of one small project (first line ``# name.py``), unless listed."""
    projects: dict[str, list[Block]] = {}
    for block in BLOCKS:
        if block.project_file and block.lang == "python" and not _listed(block):
            projects.setdefault(block.page, []).append(block)
    return projects


def shell_blocks() -> list[Block]:
    return [b for b in BLOCKS if b.lang in ("bash", "sh", "shell", "console") and not _listed(b)]


def what_happens(block: Block) -> list[str]:
    """How the suite covers a block: one entry per problem-free part, or 'UNCOVERED ...'."""
    if _listed(block):
        return ["listed"]
    if block.only_includes:
        return ["included"]
    if block.lang == "python":
        return ["project" if block.project_file else "run"]
    if block.lang == "ini" and block.project_file:
        return ["project"]
    if block.lang == "json":
        return ["parsed"]
    if block.lang in ("bash", "sh", "shell", "console"):
        found = []
        for command in commands(block):
            if is_mock_curl(command):
                found.append("run")
            elif is_pip_install(command):
                found.append("checked")
            elif command in NOT_RUN_COMMANDS:
                found.append("listed")
            else:
                found.append(f"UNCOVERED command {command!r}")
        return found
    return [f"UNCOVERED {block.lang or 'plain'} block"]


# -- the inventory: fast, in the inner loop --------------------------------------------------------

def test_there_are_blocks_to_check() -> None:
    assert len(pages()) >= 17, [p.name for p in pages()]
    assert len(python_examples()) >= 3 and shell_blocks(), "the harness found no examples: is the parser broken?"


def test_every_block_is_run_checked_or_listed() -> None:
    uncovered = [f"{b.id} ({b.lang or 'plain'}): {what}" for b in BLOCKS for what in what_happens(b)
                 if what.startswith("UNCOVERED")]
    assert not uncovered, ("run these in tests/docs/test_docs_examples.py, or list them in "
                           "tests/docs/docs_blocks.py with the reason:\n" + "\n".join(uncovered))


def test_nothing_is_listed_that_the_docs_no_longer_show() -> None:
    shown_blocks = {(b.page, b.first_line) for b in BLOCKS}
    shown_commands = {c for b in BLOCKS if b.lang in ("bash", "sh", "shell", "console") for c in commands(b)}
    assert set(NOT_RUN_BLOCKS) <= shown_blocks, set(NOT_RUN_BLOCKS) - shown_blocks
    assert set(NOT_RUN_COMMANDS) <= shown_commands, set(NOT_RUN_COMMANDS) - shown_commands


def test_every_test_named_as_a_reason_exists() -> None:
    for reason in [*NOT_RUN_BLOCKS.values(), *NOT_RUN_COMMANDS.values()]:
        for path, name in TEST_REFERENCE.findall(reason):
            source = ROOT / path
            assert source.is_file(), f"{path} (named in {reason!r}) does not exist"
            if name:
                assert re.search(rf"^def {name}\(", source.read_text(encoding="utf-8"), re.M), (
                    f"{path} has no test {name} (named in {reason!r})")


def test_every_include_names_a_file_and_section_that_exist() -> None:
    """``--8<-- "path"`` or ``"path:section"``: other helpers' tested files; MkDocs fails on a missing one
    too (check_paths), this says which before a build."""
    seen = 0
    for page in pages():
        for target in page_includes(page):
            path, _, section = target.partition(":")
            source = ROOT / path
            assert source.is_file(), f"{page.name}: --8<-- {target!r}: no such file"
            if section and not section.isdigit():
                text = source.read_text(encoding="utf-8")
                for marker in (f"--8<-- [start:{section}]", f"--8<-- [end:{section}]"):
                    assert marker in text, f"{page.name}: --8<-- {target!r}: {path} has no {marker}"
            seen += 1
    assert seen >= 4


def test_json_blocks_parse() -> None:
    for block in BLOCKS:
        if block.lang == "json" and not block.only_includes and not _listed(block):
            json.loads(block.text)


def test_pip_install_lines_name_real_extras() -> None:
    """Each ``pip install`` of the docs installs this project, with extras that pyproject.toml defines."""
    lines = [c for b in shell_blocks() for c in commands(b) if is_pip_install(c)]
    assert lines
    missing: set[str] = set()
    for line in lines:
        targets = [w for w in shlex.split(line)[2:] if not w.startswith("-")]
        assert targets, line
        for target in targets:
            match = re.fullmatch(r"(?:equos-mock)?\.?(?:\[(?P<extras>[\w,]+)\])?"
                                 r"(?: @ git\+https://github\.com/your-org/equos-mock\.git)?", target.strip("'\""))
            assert match and (target.strip("'\"").startswith((".", "equos-mock"))), f"{line}: {target}"
            missing |= set((match["extras"] or "").split(",")) - EXTRAS - {""}
    assert not missing, f"the docs install extras pyproject.toml does not define: {sorted(missing)}"


# -- running them: slow (subprocesses) --------------------------------------------------------------

def _run_python(source: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", source], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("block", python_examples(), ids=lambda b: b.id)
def test_python_example_runs_and_runs_again(block: Block, validated_server, tmp_path: Path) -> None:
    server = validated_server()
    source = pointing_at(block.text, server.url)
    assert ":8787" not in source, "the example names the mock by an address the harness does not rewrite"
    for attempt in ("first", "second"):
        result = _run_python(source, tmp_path)
        assert result.returncode == 0, f"{block.id}, {attempt} run:\n{result.stdout}\n{result.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("page", sorted(python_projects()), ids=str)
def test_python_project_passes_its_tests(page: str, tmp_path: Path) -> None:
    """Blocks that are files (``# test_visit.py``) are written out and pytest runs them: the plugin
    starts its own mock, as it does for a user."""
    files = python_projects()[page]
    for block in files:
        (tmp_path / block.project_file).write_text(block.text, encoding="utf-8")
    tests = [b.project_file for b in files if Path(b.project_file).name.startswith("test_")]
    assert tests, f"{page}: a project with no test file"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f"{len(tests)} passed" in result.stdout or "passed" in result.stdout.splitlines()[-1], result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_the_plugin_port_ini_example_puts_the_server_on_that_port(tmp_path: Path) -> None:
    ini = [b for b in BLOCKS if b.lang == "ini" and b.project_file == "pytest.ini"]
    assert len(ini) == 1, [b.id for b in ini]
    if '"equos_mock_port"' not in (ROOT / "mock_server" / "pytest_plugin.py").read_text(encoding="utf-8"):
        pytest.skip("the plugin has no equos_mock_port option on this branch yet (the i14-cli branch adds it)")
    port = _free_port()  # never 8787 itself: another server may hold it
    (tmp_path / "pytest.ini").write_text(ini[0].text.replace("8787", str(port)), encoding="utf-8")
    (tmp_path / "test_port.py").write_text(
        f"def test_port(equos_mock):\n    assert equos_mock.url == 'http://127.0.0.1:{port}'\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_port.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("block", [b for b in shell_blocks() if any(is_mock_curl(c) for c in commands(b))],
                         ids=lambda b: b.id)
def test_curl_commands_answer_without_error(block: Block, validated_server, tmp_path: Path) -> None:
    """The block's curl commands, in order, against one fresh mock; ``--fail-with-body`` turns a 4xx or
    5xx into a failure (the docs show ``-s`` only, which would hide one)."""
    server = validated_server()
    ran = 0
    for command in raw_commands(block):
        if not is_mock_curl(" ".join(command.split())):
            continue
        line = pointing_at(command, server.url).replace("curl ", "curl --fail-with-body --max-time 10 ", 1)
        result = subprocess.run(["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"{block.id}: {command}\n{result.stdout}\n{result.stderr}"
        ran += 1
    assert ran
