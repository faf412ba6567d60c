"""The install extras (pyproject.toml) and the one line that names one when it is missing.

``pip install equos-mock`` serves the mock; the rest is optional:

- ``sdk``: the official ``equos`` SDK, plus ``python-dateutil`` (which it imports without declaring);
- ``pytest``: the pytest plugin's fixtures and ``equos-mock contract`` (``sdk`` included);
- ``test``: what a contributor needs for this repository's own suite and docs site.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

# The top-level modules each extra brings (tests/mock_server/test_extras.py checks them against
# pyproject.toml): one of them missing means the extra is not installed.
MODULES: Mapping[str, tuple[str, ...]] = {
    "sdk": ("equos", "dateutil"),
    "pytest": ("pytest", "hypothesis", "httpx", "jsonschema", "equos", "dateutil"),
}


def install_command(extra: str) -> str:
    return f"pip install 'equos-mock[{extra}]'"


def needs(what: str, extra: str, module: str | None = None) -> str:
    """``equos-mock contract needs the 'pytest' extra: pip install 'equos-mock[pytest]'``."""
    line = f"{what} needs the '{extra}' extra: {install_command(extra)}"
    return f"{line} (no module named {module!r})" if module else line


def missing(extra: str) -> str | None:
    """The first module of ``extra`` that cannot be found, or None when all are there."""
    for module in MODULES[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a finder refused it, or a half-imported module
            found = False
        if not found:
            return module
    return None


def provided_by(error: ModuleNotFoundError, extra: str) -> bool:
    """Whether the module that ``error`` could not find is one that ``extra`` installs."""
    return (error.name or "").partition(".")[0] in MODULES[extra]
