"""A fresh virtual environment with equos-mock installed from this checkout, as a user would get it.

The checkout is copied first (the files git knows: tracked, plus new ones it does not ignore): pip
builds a local project in its own tree, and two tests building the repository at once would share
its build/ directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INSTALL_TIMEOUT = 600  # seconds: a cold pip cache downloads the SDK, pytest, hypothesis, ...


def checkout_copy(dest: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the work tree is not copied
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def create(path: Path) -> Path:
    """A new venv made with the interpreter running the tests; its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=120)
    return path / "bin"


def environ(bin_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment with the venv first on PATH, as `source .venv/bin/activate` does,
    without anything of ours that would leak in (EQUOS_*, PYTHONPATH, pytest's own variables)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("EQUOS_", "PYTEST_", "PYTHON")) and k != "COV_CORE_SOURCE"}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(bin_dir.parent),
               PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def pip_install(bin_dir: Path, *requirements: str) -> None:
    done = subprocess.run([str(bin_dir / "pip"), "install", "-q", *requirements], env=environ(bin_dir),
                          capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    assert done.returncode == 0, f"pip install {' '.join(requirements)} failed:\n{done.stdout}\n{done.stderr}"


def free_port() -> int:
    """A loopback port nobody listens on now (the caller's server binds it next)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
