"""docs/ci.md and docs/other-languages.md show only tested files: every code block is a snippet
include (``--8<-- "path[:section]"``, pymdownx.snippets from the repository root) that resolves, or
```text output; and they include every tested recipe and example they are about."""

from __future__ import annotations

import re

import fresh_venv
import pytest

REPO = fresh_venv.REPO
PAGES = ("docs/ci.md", "docs/other-languages.md")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
INCLUDE = re.compile(r'^--8<-- "([^":]+)(?::([\w-]+))?"$')


def includes(page: str) -> list[tuple[str, str | None]]:
    found = []
    for language, body in FENCE.findall((REPO / page).read_text()):
        if language == "text":
            continue
        match = INCLUDE.match(body.strip())
        assert match and "\n" not in body.strip(), f"{page}: a code block that is not a tested file:\n{body}"
        found.append((match.group(1), match.group(2)))
    return found


def sections(path: str) -> list[str]:
    """The file's snippet sections in order, each opened and closed once, not nested."""
    names, open_name = [], None
    for line in (REPO / path).read_text().splitlines():
        marker = re.search(r"--8<-- \[(start|end):([\w-]+)\]", line)
        if not marker:
            continue
        kind, name = marker.groups()
        if kind == "start":
            assert open_name is None and name not in names, f"{path}: section {name} opened twice or nested"
            open_name = name
            names.append(name)
        else:
            assert open_name == name, f"{path}: section {name} closed but not open"
            open_name = None
    assert open_name is None, f"{path}: section {open_name} never closed"
    return names


@pytest.mark.parametrize("page", PAGES)
def test_every_code_block_includes_a_file_that_exists(page):
    for path, section in includes(page):
        assert (REPO / path).is_file(), f"{page} includes a missing file {path}"
        if section:
            assert section in sections(path), f"{page} includes a missing section {path}:{section}"


def test_the_ci_page_shows_both_recipes_and_the_container_not_built_by_our_ci():
    shown = {path for path, _ in includes("docs/ci.md")}
    assert {"docs/recipes/github-actions.yml", "docs/recipes/gitlab-ci.yml", "Dockerfile",
            "docs/recipes/compose.yaml"} <= shown
    container = (REPO / "docs/ci.md").read_text().split("## Container", 1)[1]
    assert "**Not built by our CI.**" in container


def test_the_other_languages_page_walks_the_whole_curl_script_in_order():
    script = "examples/curl/walkthrough.sh"
    shown = [section for path, section in includes("docs/other-languages.md") if path == script]
    assert shown == sections(script)
    # Outside the sections there is only the shebang, comments, `set` and blank lines: the page shows it all.
    outside, inside = [], False
    for line in (REPO / script).read_text().splitlines():
        if "--8<-- [" in line:
            inside = "[start:" in line
        elif not inside:
            outside.append(line)
    assert all(not line or line.startswith("#") or line == "set -euo pipefail" for line in outside), outside
    shown_files = {path for path, _ in includes("docs/other-languages.md")}
    assert {"examples/node/package.json", "examples/node/test/conversation.test.js"} <= shown_files
