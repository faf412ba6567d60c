"""Fixtures of the legacy-API tests: a real server, the legacy SDK equos 1.2.7 in its own folder."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mock_server.server import MockServer

LEGACY_SDK = "equos==1.2.7"


@pytest.fixture(scope="module")
def legacy_server() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def _sdk_dir() -> Path:
    # Fixed and keyed by version, so CI and xdist workers install it once per machine.
    return Path(tempfile.gettempdir()) / "equos-mock-sdk-cache" / LEGACY_SDK.replace("==", "-")


@pytest.fixture(scope="session")
def legacy_sdk_path() -> Path:
    """A folder holding equos 1.2.7 (module ``equos``, like the current SDK) and its dependencies."""
    target = _sdk_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / (target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other xdist worker waits instead of installing twice
        if not (target / "equos" / "equos.py").is_file():
            staging = Path(tempfile.mkdtemp(prefix=target.name + "-", dir=target.parent))
            result = subprocess.run(
                [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-input",
                 "--target", str(staging), LEGACY_SDK],
                capture_output=True, text=True, timeout=300, env={**os.environ, "PIP_NO_INPUT": "1"})
            if result.returncode != 0 or not (staging / "equos" / "equos.py").is_file():
                shutil.rmtree(staging, ignore_errors=True)
                pytest.skip(f"cannot install {LEGACY_SDK} with pip: {result.stderr.strip()[-500:]}")
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
    return target


@pytest.fixture
def run_legacy_sdk(legacy_sdk_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run a script under the legacy SDK: its folder first on the path, so ``import equos`` is 1.2.7."""

    def run(script: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(legacy_sdk_path), "PYTHONDONTWRITEBYTECODE": "1"}
        return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env,
                              timeout=timeout)

    return run
