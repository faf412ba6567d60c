"""The README's quick start, as a newcomer runs it: a fresh virtual environment, the documented
``pip install ".[sdk]"`` in a copy of the checkout, ``equos-mock serve``, then the example."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import fresh_venv
import pytest
from docs_blocks import ROOT, blocks_of, is_pip_install, pointing_at, raw_commands


@pytest.mark.slow
def test_quick_start_in_a_fresh_venv(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the copy of a fresh clone is made with git ls-files")
    readme = blocks_of(ROOT / "README.md")
    quick_start = next(b for b in readme if b.lang == "python" and "EquosClient" in b.text)
    # the documented line, as written (quotes and all), from the README's quick start
    install = next(raw for b in readme if b.lang == "bash" for raw in raw_commands(b)
                   if " ".join(shlex.split(raw, comments=True)) == "pip install .[sdk]")
    assert is_pip_install(install.strip())

    checkout = fresh_venv.checkout_copy(tmp_path / "checkout")
    bin_dir = fresh_venv.create(tmp_path / "venv")
    env_dir = bin_dir.parent
    environ = fresh_venv.environ(bin_dir)
    installed = subprocess.run(["bash", "-c", install.replace("pip install", "pip install -q", 1)], cwd=checkout,
                               env=environ, capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]

    # `equos-mock serve`, on a free port (the documented 8787 may be someone else's here)
    server = subprocess.Popen([str(bin_dir / "equos-mock"), "serve", "--port", "0"], cwd=tmp_path, env=environ,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = server.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", banner)
        assert match, banner + (server.stdout.read() if server.poll() is not None else "")
        source = pointing_at(quick_start.text, match[1])
        for attempt in ("first", "second"):  # re-runnable on one key, as the README says
            result = subprocess.run([str(bin_dir / "python"), "-c", source], cwd=tmp_path, env=environ,
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, f"{attempt} run:\n{result.stdout}\n{result.stderr}"
            # serverUrl: the embedded room that `serve` starts beside the API
            assert re.match(r"ws://127\.0\.0\.1:\d+ ey", result.stdout), result.stdout
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    # the plain venv has no pytest: the sdk extra did not pull in the test tools
    probe = subprocess.run([str(bin_dir / "python"), "-c", "import pytest"], capture_output=True, env=environ)
    assert probe.returncode != 0
    assert sys.prefix != str(env_dir)
