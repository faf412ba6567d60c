"""The pytest plugin's ``equos_seed`` marker: which seed files a test names, where they are found, and
loading them into the test's organization (on the session's server, or in process).

A name is looked for in the test file's folder, the project's seed folders (the ``equos_mock_seed_dir``
ini), the rootdir, then the bundled ``fixtures/``. The file is read here with ``serve --seed``'s loader
(``seed.py``) and sent whole, so a server reached by ``--equos-mock-url`` reads no path, and a bad file
gives the test the one line ``serve --seed`` would print.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

MARKER = "equos_seed"
INI = "equos_mock_seed_dir"
# The fixtures a seed is loaded into: a test with the marker and neither of them would silently get nothing.
SEEDED_FIXTURES = ("equos_api_key", "equos_asgi_app")


def check_folders(config: pytest.Config) -> None:
    for folder in config.getini(INI):
        if not folder.is_dir():
            raise pytest.UsageError(f"{INI}: no folder {folder}")


def check_item(item: pytest.Item) -> None:
    """The marker on a test that uses no organization of the plugin: an error, not a silent nothing."""
    if item.get_closest_marker(MARKER) is None:
        return
    if not any(name in getattr(item, "fixturenames", ()) for name in SEEDED_FIXTURES):
        pytest.fail(f"{MARKER}: this test uses no equos-mock organization to load the seed into; ask for a "
                    "fixture of the plugin (equos_client, equos_httpx, equos_api_key, equos_org, "
                    "equos_asgi_client, ...) or remove the marker", pytrace=False)


def places(request: pytest.FixtureRequest) -> list[Path]:
    """Where a seed is looked for before the bundled ``fixtures/``, in order."""
    found = [Path(request.node.path).parent, *request.config.getini(INI), Path(request.config.rootpath)]
    return list(dict.fromkeys(found))


def seeds_of(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each seed the test's markers name: (its file, its content, checked as ``serve --seed`` checks it)."""
    from .seed import SeedError, find_fixture, read_seed  # noqa: PLC0415 - the loader (models, domain): only when used

    where = places(request)
    for marker in request.node.iter_markers(MARKER):
        for name in marker.args:
            if not isinstance(name, str):
                pytest.fail(f"{MARKER}: a seed is a name or a path, not {name!r}", pytrace=False)
            try:
                path = find_fixture(name, where)
                yield str(path), read_seed(str(path))
            except SeedError as exc:
                problem = f"{MARKER}: {exc}"
            else:
                continue
            pytest.fail(problem, pytrace=False)  # outside the except block: one line, no chained traceback


def load_on_server(request: pytest.FixtureRequest, control: Any, key: str) -> str | None:
    """Load the test's seeds into the organization of ``key``; the one-line problem, if the server refused."""
    from .control_client import ControlError  # noqa: PLC0415 - lazy, as in the plugin

    for path, content in seeds_of(request):
        try:
            control.load_seed_content(content, key=key)
        except ControlError as exc:
            if exc.status != 400:
                raise
            message = exc.body.get("message") if isinstance(exc.body, dict) else exc.body
            return f"{MARKER}: {path}: {'; '.join(message) if isinstance(message, list) else message}"
    return None


def load_in_process(request: pytest.FixtureRequest, app: Any, key: str) -> None:
    """The test's seeds, into the organization of ``key`` in ``app``, as the server would load them."""
    from . import auth, seed  # noqa: PLC0415 - the loader: only when used

    runtime = app.state.runtime
    for path, content in seeds_of(request):
        try:
            seed.load_into(runtime, auth.organization_for_key(runtime, key), content)
        except seed.SeedError as exc:
            problem = f"{MARKER}: {path}: {exc}"
        else:
            continue
        pytest.fail(problem, pytrace=False)
