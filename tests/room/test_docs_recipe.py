"""docs/frontend.md's browser-test recipe, run as a user would: pytest on the file as the page shows it,
with the plugin's own mock (room on), against the example page served from another origin."""

from __future__ import annotations

import os
import subprocess
import sys

import chromium
import pytest
from room_harness import REPO

pytestmark = pytest.mark.slow  # a browser, a pytest run in a subprocess
RECIPE = "# test_my_page.py"


def recipe() -> str:
    sys.path.insert(0, str(REPO / "tests" / "docs"))
    from docs_blocks import blocks_of

    (block,) = [b for b in blocks_of(REPO / "docs" / "frontend.md") if b.first_line.startswith(RECIPE)]
    return block.text


def test_the_docs_browser_recipe_passes_against_the_example_page(page_backend, tmp_path):
    reason = chromium.missing_reason()
    if reason:
        pytest.skip(reason)
    (tmp_path / "test_my_page.py").write_text(recipe(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EQUOS_", "LIVEKIT_"))}
    env.update(MY_PAGE=page_backend[0], CHROME_BINARY=str(chromium.CHROMIUM), CHROMEDRIVER=str(chromium.CHROMEDRIVER),
               CHROME_FLAGS=" ".join([*chromium.QUIET_FLAGS, *chromium.OFFLINE_FLAGS]))
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_page.py"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert "1 passed" in ran.stdout, ran.stdout
