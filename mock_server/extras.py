"""The install extras (pyproject.toml) and the one line that names one when it is missing.

``pip install equos-mock`` serves the mock; the rest is optional:

- ``sdk``: the official ``equos`` SDK, plus ``python-dateutil`` (which it imports without declaring);
- ``pytest``: the pytest plugin's fixtures and ``equos-mock contract`` (``sdk`` included);
- ``test``: what a contributor needs for this repository's own suite and docs site.
"""

from __future__ import annotations

import importlib.util
import json
import shlex
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

# The top-level modules each extra brings (tests/mock_server/test_extras.py checks them against
# pyproject.toml): one of them missing means the extra is not installed.
MODULES: Mapping[str, tuple[str, ...]] = {
    "sdk": ("equos", "dateutil"),
    "pytest": ("pytest", "hypothesis", "httpx", "jsonschema", "livekit.api", "equos", "dateutil"),
}


def install_command(extra: str) -> str:
    """Both ways to get ``extra``: from the checkout this install came from (equos-mock is not on a
    package index yet, so the index form alone cannot be followed), and by name."""
    by_name = f"pip install 'equos-mock[{extra}]'"
    source = install_source()
    if source is None:
        return f"pip install -e '.[{extra}]' in a checkout of equos-mock, or {by_name}"
    checkout, editable = source
    return f"pip install {'-e ' if editable else ''}{shlex.quote(f'{checkout}[{extra}]')} (the checkout " \
           f"this equos-mock was installed from), or {by_name}"


def install_source() -> tuple[Path, bool] | None:
    """The local directory equos-mock was installed from, and whether editably (pip's PEP 610
    ``direct_url.json``); None for an install from an index, a wheel file or a VCS URL."""
    # Every copy of the metadata: a checkout on sys.path has an egg-info of its own, without the file.
    recorded = next((text for dist in metadata.distributions(name="equos-mock")
                     if (text := dist.read_text("direct_url.json"))), None)
    try:
        found = json.loads(recorded) if recorded else None
    except ValueError:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("dir_info"), dict):
        return None  # an archive (a wheel, an sdist) or a VCS checkout pip made and threw away
    url = urlsplit(str(found.get("url", "")))
    if url.scheme != "file":
        return None
    return Path(unquote(url.path)), bool(found["dir_info"].get("editable"))


def needs(what: str, extra: str, module: str | None = None) -> str:
    """``equos-mock contract needs the 'pytest' extra: pip install -e '/src/equos-mock[pytest]' (...)``."""
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
    name = error.name or ""
    return any(name == module or name.startswith(f"{module}.") for module in MODULES[extra])
