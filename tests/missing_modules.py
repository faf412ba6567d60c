"""Run Python in a subprocess where some installed packages look absent, as without their extra.

A finder at the head of ``sys.meta_path`` refuses the named top-level packages (and their submodules)
with the ModuleNotFoundError a missing package gives, and ``importlib.util.find_spec`` sees them
missing too. The test process itself keeps them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Sequence

BLOCKER = '''
import importlib.abc, sys

class _Missing(importlib.abc.MetaPathFinder):
    def __init__(self, names):
        self.names = frozenset(names)

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

for _name in [m for m in sys.modules if m.partition(".")[0] in NAMES]:
    del sys.modules[_name]
sys.meta_path.insert(0, _Missing(NAMES))
'''


def blocker_source(modules: Iterable[str]) -> str:
    """Python source that makes ``modules`` unimportable in the process that runs it."""
    return f"NAMES = {sorted(set(modules))!r}\n{BLOCKER}"


def without(modules: Iterable[str], code: str) -> list[str]:
    """A command running ``code`` with ``modules`` unimportable."""
    return [sys.executable, "-c", blocker_source(modules) + code]


def cli_without(modules: Iterable[str], args: Sequence[str]) -> list[str]:
    """``equos-mock ARGS`` with ``modules`` unimportable."""
    return without(modules, f"from mock_server.cli import main\nraise SystemExit(main({list(args)!r}))\n")


def run(command: list[str], timeout: float = 120, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EQUOS_MOCK_")}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, **kwargs)
