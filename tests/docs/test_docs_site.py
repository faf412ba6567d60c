"""The docs site builds with ``mkdocs build --strict``, its configuration page is generated from the CLI's
parser, a broken link or anchor fails the build, and the built pages load nothing from another host."""

from __future__ import annotations

import functools
import html
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docs_blocks import ROOT, page_includes, pages

pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[test]')")
pytest.importorskip("material", reason="mkdocs-material is not installed (pip install -e '.[test]')")

NAV_PAGES = ["index", "getting-started", "configuration", "keys-and-seeds", "conversations-and-tokens", "livekit",
             "control-plane", "pytest-plugin", "contract-kit", "legacy-api", "reliability-and-security",
             "performance", "architecture", "contributing", "ci", "other-languages", "inspector"]


def _hooks():
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "scripts" / "mkdocs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules[spec.name]


def build(source: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner about its successor
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(source / "mkdocs.yml"),
                           "-d", str(site)], cwd=source, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = build(ROOT, out)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


# -- the option table, without a build: fast ---------------------------------------------------------

def test_the_generated_table_has_every_serve_option_with_its_variable_and_help() -> None:
    hooks = _hooks()
    parser = hooks.serve_parser({})
    expected = {flag for action in parser._actions for flag in action.option_strings} - {"-h", "--help"}
    options = hooks.serve_options()
    assert {flag for option in options for flag in option.flags} == expected
    table = hooks.serve_options_table()
    for option in options:
        assert option.variable and option.variable.startswith("EQUOS_MOCK_"), option  # every flag has a variable
        assert option.help, f"{option.flags[0]} has no help in mock_server/cli.py"
        assert f"[{option.variable}" not in option.help  # the variable is in its own column
        for flag in option.flags:
            assert f"`{flag}" in table
        assert option.variable_form in table
    # the stale facts of the old hand-written table
    for flag in ("--data-dir", "--legacy-v3", "--no-legacy-v3", "--log-level"):
        assert f"`{flag}" in table


def test_each_variable_really_sets_its_option() -> None:
    """The probe's findings agree with the parser: the variable's value becomes the option's default."""
    hooks = _hooks()
    for option in hooks.serve_options():
        value = {"EQUOS_MOCK_LEGACY_V3": "0", "EQUOS_MOCK_NO_CONTROL": "1"}.get(option.variable, "9")
        parser = hooks.serve_parser({option.variable: value})
        action = next(a for a in parser._actions if option.flags[0] in a.option_strings)
        base = next(a for a in hooks.serve_parser({})._actions if option.flags[0] in a.option_strings)
        assert action.default != base.default, option


def test_the_hook_fills_the_marker_and_refuses_a_page_without_it() -> None:
    hooks = _hooks()

    class Page:
        class file:
            src_uri = "configuration.md"

    filled = hooks.on_page_markdown(f"# C\n\n{hooks.MARKER}\n", Page, None, None)
    assert hooks.MARKER not in filled and "`--port PORT`" in filled
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match="marker"):
        hooks.on_page_markdown("# C\n\nno table here\n", Page, None, None)
    assert (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8").count(hooks.MARKER) == 1


def test_the_nav_names_every_page_and_every_page_exists() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for name in NAV_PAGES:
        assert (ROOT / "docs" / f"{name}.md").is_file(), name
        assert f": {name}.md" in config, f"{name}.md is not in the nav"
    assert "check_paths: true" in config and "font: false" in config


def test_the_readme_links_to_pages_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((?!https?://)([^)#]+)(?:#[^)]*)?\)", readme)
    assert len(links) >= 15, links
    for link in links:
        assert (ROOT / link).is_file(), f"README links to {link}, which does not exist"
    assert set(NAV_PAGES) - {"index"} <= {Path(link).stem for link in links if link.startswith("docs/")}


# -- the site, built: slow ----------------------------------------------------------------------------

@pytest.mark.slow
def test_the_site_builds_strict_with_every_option(site: Path) -> None:
    for name in NAV_PAGES:
        assert (site / f"{name}.html").is_file(), name
    page = text_of(site / "configuration.html")
    hooks = _hooks()
    for option in hooks.serve_options():
        for flag in option.flags:
            assert flag in page, flag
        assert option.variable in page, option.variable
    assert "<!-- serve-options -->" not in (site / "configuration.html").read_text(encoding="utf-8")
    # includes were expanded: the demo seed's ids, the README's quick start and commands
    assert "char_demo_guide" in text_of(site / "keys-and-seeds.html")
    assert "livekit_identity=f\"guide-{uuid.uuid4().hex[:8]}\"" in text_of(site / "getting-started.html")
    assert '.venv/bin/python -m pytest -n 2' in text_of(site / "index.html")
    built = "".join(text_of(site / f"{name}.html") for name in NAV_PAGES)
    targets = {target for page in pages() for target in page_includes(page)}
    assert targets and not [t for t in targets if f'--8<-- "{t}"' in built]  # every include was expanded


@pytest.mark.slow
def test_the_built_pages_load_nothing_from_another_host(site: Path) -> None:
    for page in site.glob("*.html"):
        source = page.read_text(encoding="utf-8")
        remote = re.findall(r"<(?:script|img|iframe)[^>]*\ssrc=\"(?:https?:)?//[^\"]+\"", source)
        remote += [tag for tag in re.findall(r"<link[^>]*>", source) if re.search(r"href=\"(?:https?:)?//", tag)]
        assert not remote, f"{page.name}: {remote}"


def _copy_for_breaking(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in ("mkdocs.yml", "README.md"):
        shutil.copy2(ROOT / name, copy / name)
    for name in ("docs", "fixtures"):
        shutil.copytree(ROOT / name, copy / name)
    (copy / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "mkdocs_hooks.py", copy / "scripts" / "mkdocs_hooks.py")
    for page in pages():  # the tested files the pages include (examples/, Dockerfile, ...)
        for target in page_includes(page):
            source = target.split(":", 1)[0]
            (copy / source).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / source, copy / source)
    return copy


@pytest.mark.slow
@pytest.mark.parametrize(("broken", "error"), [
    ("[a page that is not there](no-such-page.md)", "no-such-page.md"),
    ("[an anchor that is not there](control-plane.md#no-such-anchor)", "no-such-anchor"),
    ('--8<-- "fixtures/no-such-seed.json"', "no-such-seed.json"),
])
def test_a_broken_link_anchor_or_include_fails_the_build(tmp_path: Path, broken: str, error: str) -> None:
    copy = _copy_for_breaking(tmp_path)
    assert build(copy, tmp_path / "ok").returncode == 0  # the copy builds as it is...
    page = copy / "docs" / "performance.md"
    page.write_text(page.read_text(encoding="utf-8") + f"\n{broken}\n", encoding="utf-8")
    result = build(copy, tmp_path / "broken")  # ...and fails once broken
    assert result.returncode != 0
    assert error in result.stdout + result.stderr


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served_site(site: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_the_site_works_offline_in_chromium(chromium, served_site: str, site: Path) -> None:
    chromium.get(served_site + "/configuration.html")
    body = chromium.driver.find_element("tag name", "body").text
    assert "EQUOS_MOCK_DATA_DIR" in body and "Assumptions" in body
    chromium.get(served_site + "/index.html")
    assert "equos-mock" in chromium.driver.title
    assert chromium.foreign_requests() == []
    search_from_disk(chromium, site)  # the same browser: one start fewer


def search_from_disk(chromium: Any, site: Path) -> None:
    """mkdocs.yml says the site works from disk: its search too, with no server and no other host."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    chromium.get((site / "index.html").as_uri())
    log: list[str] = []

    def meta(driver: Any) -> str | None:
        log.extend(entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE")
        box = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
        if not box.is_displayed() or not box.is_enabled():
            return None  # the search never came up
        if not box.get_attribute("value"):
            box.click()
            box.send_keys("equos_mock_seed_dir")
        text = driver.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text.strip()
        return text if text not in ("", "Initializing search", "Type to start searching") else None

    try:
        found = WebDriverWait(chromium.driver, 15, poll_frequency=0.2).until(meta)
    except TimeoutException:
        pytest.fail(f"no search result from disk; the browser said: {log}")
    assert re.fullmatch(r"\d+ matching documents?", found), found
    titles = [e.text.split("\n")[0] for e in chromium.driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item")]
    assert {"Keys and seeds", "Pytest plugin"} & set(titles), titles
    log.extend(entry["message"] for entry in chromium.driver.get_log("browser") if entry["level"] == "SEVERE")
    assert not log, log
    assert [url for url in chromium.foreign_requests() if not url.startswith("file:")] == []


def test_the_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first, second = re.findall(r"```bash\n(.*?)\n```", readme, re.S)[:2]
    assert readme.index(first) < readme.index("## ")  # both before any section
    assert first == "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/equos-mock serve"
    assert second in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
