"""The install extras: what each holds (checked against the code's own imports), and the one line a
missing one gives (the packages made unimportable in a subprocess, as without the extra)."""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import fresh_venv
import httpx
import pytest
from missing_modules import cli_without, run, without
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mock_server import extras

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The modules of mock_server that may import what only an extra installs; `serve` never loads them.
OPTIONAL_MODULES = {"pytest_plugin.py", "asgi_client.py", "sdk_usage.py", "seed_marker.py"}
# contract_command.py imports pytest for `equos-mock contract` only, which cli.py runs after
# extras.missing("pytest") found it there.
GUARDED = {"pytest": {"contract_command.py"}}


def closure(name: str, wanted_extras: tuple[str, ...] = ()) -> set[str]:
    """The installed distributions ``name[extras]`` pulls in, itself included (canonical names)."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    todo = [(name, wanted_extras)]
    while todo:
        dist, chosen = todo.pop()
        key = (canonicalize_name(dist), tuple(sorted(chosen)))
        if key in seen:
            continue
        seen.add(key)
        for line in metadata.requires(dist) or []:
            requirement = Requirement(line)
            if requirement.marker and not any(requirement.marker.evaluate({"extra": e}) for e in (*chosen, "")):
                continue
            todo.append((requirement.name, tuple(requirement.extras)))
    return {dist for dist, _ in seen}


def third_party_imports(files: list[Path]) -> dict[str, set[str]]:
    """Top-level modules imported anywhere in ``files`` (inside functions too), outside the stdlib and
    this project, with the files importing each."""
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in ("mock_server", "contract_tests"):
                    found.setdefault(top, set()).add(path.name)
    return found


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()  # a scan of every installed distribution: once


def distributions_of(module: str) -> set[str]:
    return {canonicalize_name(d) for d in _distributions().get(module, [])}


def test_serve_imports_only_what_the_plain_install_has():
    core = closure("equos-mock")
    files = [p for p in (ROOT / "mock_server").rglob("*.py") if p.name not in OPTIONAL_MODULES]
    beyond = {m: sorted(where - GUARDED.get(m, set())) for m, where in third_party_imports(files).items()
              if not distributions_of(m) <= core}
    assert {m: where for m, where in beyond.items() if where} == {}, f"imported, but not a core dependency: {beyond}"


def test_the_pytest_extra_has_what_the_plugin_and_the_contract_suite_import():
    installed = closure("equos-mock", ("pytest",))
    files = [ROOT / "mock_server" / name for name in OPTIONAL_MODULES] + sorted((ROOT / "contract_tests").glob("*.py"))
    imports = third_party_imports(files)
    assert {"pytest", "hypothesis", "httpx", "jsonschema", "equos"} <= set(imports)  # the scan sees them
    beyond = {m: sorted(where) for m, where in imports.items() if not distributions_of(m) <= installed}
    assert beyond == {}, f"imported, but not installed by equos-mock[pytest]: {beyond}"


@pytest.mark.parametrize("extra", sorted(extras.MODULES))
def test_each_extra_module_comes_with_its_extra_and_not_without(extra):
    core, with_extra = closure("equos-mock"), closure("equos-mock", (extra,))
    for module in extras.MODULES[extra]:
        dists = distributions_of(module)
        assert dists and dists <= with_extra, (module, dists)
        assert not dists & core, f"{module} is installed without the {extra!r} extra: not a sign of it"
    # Every distribution the extra names itself stands for a module the message looks for.
    named = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["optional-dependencies"][extra]}
    named.discard("equos-mock")
    looked_for = set().union(*(distributions_of(m) for m in extras.MODULES[extra]))
    assert named <= looked_for, named - looked_for


def test_extras_are_layered_and_test_has_the_contributor_tools():
    declared = PYPROJECT["project"]["optional-dependencies"]
    assert {"sdk", "pytest", "test"} <= set(declared)
    assert closure("equos-mock", ("sdk",)) < closure("equos-mock", ("pytest",)) < closure("equos-mock", ("test",))
    names = {canonicalize_name(Requirement(r).name): r for r in declared["test"]}
    assert {"selenium", "mkdocs-material", "pymdown-extensions", "pytest-xdist", "ruff"} <= set(names)
    assert Requirement(names["mkdocs-material"]).specifier.contains("9.5")
    sdk = {canonicalize_name(Requirement(r).name): Requirement(r) for r in declared["sdk"]}
    assert str(sdk["equos"].specifier) == "==3.1.5" and "python-dateutil" in sdk


CONTRACT_LINE = ("equos-mock: equos-mock contract needs the 'pytest' extra: {hint} (no module named {module!r})\n")


def hint(extra: str, checkout: Path = ROOT, editable: bool = True) -> str:
    """Both install forms: from the checkout equos-mock was installed from (this suite's venv: this
    checkout, editable), and by name."""
    form = f"-e '{checkout}[{extra}]'" if editable else f"'{checkout}[{extra}]'"
    return f"pip install {form} (the checkout this equos-mock was installed from), or pip install 'equos-mock[{extra}]'"


def test_the_hint_without_a_known_checkout_gives_the_checkout_form_too(monkeypatch):
    monkeypatch.setattr(extras.metadata, "distributions", lambda **_: iter(()))  # installed from an index
    assert extras.needs("equos_client", "sdk") == (
        "equos_client needs the 'sdk' extra: pip install -e '.[sdk]' in a checkout of equos-mock, or "
        "pip install 'equos-mock[sdk]'")


@pytest.mark.parametrize("blocked", [("pytest",), ("hypothesis",), ("dateutil",), ("jsonschema", "httpx")])
def test_contract_without_the_pytest_extra_says_so_in_one_line(blocked):
    result = run(cli_without(blocked, ["contract", "-q"]), cwd="/")
    first = next(m for m in extras.MODULES["pytest"] if m in blocked)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", CONTRACT_LINE.format(
        module=first, hint=hint("pytest")))


def test_contract_with_the_extra_gets_to_pytest():
    result = run(cli_without([], ["contract", "--version"]), cwd="/")
    assert result.returncode == 0 and "pytest" in result.stdout + result.stderr


@pytest.mark.slow
def test_serve_runs_with_every_extra_missing():
    """The plain install: `serve` answers, and never even tries to import what the extras hold."""
    every = sorted({m for modules in extras.MODULES.values() for m in modules})
    code = ("from mock_server.cli import main\n"
            "raise SystemExit(main(['serve', '--port', '0', '--seed', 'demo']))\n")
    process = subprocess.Popen(without(every, code), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd="/")
    try:
        banner = process.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner + process.stderr.read()
        reply = httpx.get(match.group(1) + "/v3/characters/char_demo_guide",
                          headers={"x-api-key": "sk_demo_equos_mock"})
        assert reply.status_code == 200 and reply.json()["name"] == "Museum guide"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "Traceback" not in process.stderr.read()


@pytest.mark.slow
def test_a_fresh_venv_with_the_plain_install(tmp_path):
    """`pip install .` alone, in a new venv: serve works, the contract command names its extra, and the
    SDK is not there (the Quick start needs the 'sdk' extra)."""
    source = fresh_venv.checkout_copy(tmp_path / "src")
    bin_dir = fresh_venv.create(tmp_path / "venv")
    fresh_venv.pip_install(bin_dir, str(source))
    python, command = str(bin_dir / "python"), str(bin_dir / "equos-mock")

    contract = run([command, "contract"], cwd=tmp_path)
    assert (contract.returncode, contract.stdout, contract.stderr) == (2, "", CONTRACT_LINE.format(
        module="pytest", hint=hint("pytest", source, editable=False)))
    probe = run([python, "-c", "import importlib.util as u; print([m for m in ('equos', 'dateutil', 'pytest', "
                               "'httpx') if u.find_spec(m)])"], cwd=tmp_path)
    assert probe.stdout.strip() == "[]", probe.stderr

    process = subprocess.Popen([command, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=tmp_path)
    try:
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", process.stdout.readline())
        assert match, process.stderr.read()
        assert httpx.get(match.group(1) + "/v3/health").json()["status"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_in_process_client_without_httpx_names_the_extra():
    result = run(without(["httpx"], "import mock_server.asgi_client\n"), cwd="/")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == ("ModuleNotFoundError: mock_server.asgi_client needs the 'pytest' extra: "
                                              f"{hint('pytest')} (no module named 'httpx')")
