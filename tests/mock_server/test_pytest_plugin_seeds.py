"""The ``equos_seed`` marker in a user's project (pytester): a project's own seed file by path or from its
seed folder, the same errors as ``equos-mock serve --seed``, and an error where it would load into nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Imported here so pytester's in-process runs share these modules (see test_pytest_plugin.py).
import httpcore  # noqa: F401
import pytest

import mock_server.auth
import mock_server.control_client
import mock_server.pytest_plugin
import mock_server.seed
import mock_server.server  # noqa: F401

TEAM = {"organizations": [{"brains": [{"id": "brain_team", "instructions": "Be brief.", "greetingMessage": "Hi"}],
                           "characters": [{"id": "char_team", "name": "Team tutor", "livekitIdentity": "tutor",
                                           "brainId": "brain_team"}]}]}
READS_TEAM = '''
import pytest

def _tutor(http):
    reply = http.get("/v3/characters/char_team")
    assert reply.status_code == 200, reply.text
    return reply.json()["name"], reply.json()["brainId"]
'''


def _project(pytester: pytest.Pytester, seed: dict, ini: str = "") -> Path:
    pytester.makeini(f"[pytest]\n{ini}")
    folder = pytester.path / "tests" / "seeds"
    folder.mkdir(parents=True)
    (folder / "team.json").write_text(json.dumps(seed), encoding="utf-8")
    return folder / "team.json"


def test_a_project_seed_by_path_from_the_test_file_or_the_rootdir_or_by_name_from_the_seed_folder(
        pytester: pytest.Pytester) -> None:
    _project(pytester, TEAM, ini="equos_mock_seed_dir = tests/seeds\n")
    (pytester.path / "tests" / "test_team.py").write_text(READS_TEAM + '''
@pytest.mark.equos_seed("seeds/team.json")
def test_from_the_test_file(equos_httpx):
    assert _tutor(equos_httpx) == ("Team tutor", "brain_team")

@pytest.mark.equos_seed("tests/seeds/team.json")
def test_from_the_rootdir(equos_httpx):
    assert _tutor(equos_httpx) == ("Team tutor", "brain_team")

@pytest.mark.equos_seed("team")
def test_by_name_from_the_seed_folder(equos_httpx):
    assert _tutor(equos_httpx) == ("Team tutor", "brain_team")

@pytest.mark.equos_seed("team")
def test_in_process_too(equos_asgi_httpx):
    assert _tutor(equos_asgi_httpx) == ("Team tutor", "brain_team")

@pytest.mark.equos_seed("demo")
def test_a_bundled_one_by_name(equos_httpx):
    assert equos_httpx.get("/v3/characters/char_demo_guide").json()["name"] == "Museum guide"
''', encoding="utf-8")
    pytester.runpytest().assert_outcomes(passed=5)


def _serve_error(path: Path) -> str:
    """What ``equos-mock serve --seed path`` says of the file (its one line, without the prefix)."""
    done = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--port", "0", "--seed", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    return done.stderr.removeprefix("equos-mock: ").rstrip("\n")


@pytest.mark.slow  # a server process
def test_a_typo_in_a_project_seed_errors_the_test_in_one_line_as_serve_says_it(pytester: pytest.Pytester) -> None:
    typo = json.loads(json.dumps(TEAM))
    typo["organizations"][0]["characters"][0]["brianId"] = typo["organizations"][0]["characters"][0].pop("brainId")
    path = _project(pytester, typo)
    (pytester.path / "tests" / "test_team.py").write_text(READS_TEAM + '''
@pytest.mark.equos_seed("seeds/team.json")
def test_team(equos_httpx):
    _tutor(equos_httpx)

@pytest.mark.equos_seed("seeds/team.json")
def test_team_in_process(equos_asgi_httpx):
    _tutor(equos_asgi_httpx)
''', encoding="utf-8")
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    said = _serve_error(path)
    assert said == f"{path}: organizations[0].characters[0].brianId: unknown key; did you mean `brainId`?"
    assert [line for line in result.outlines if line.startswith("equos_seed")] == [f"equos_seed: {said}"] * 2
    assert "Traceback" not in result.stdout.str()


def test_a_seed_found_nowhere_names_where_it_looked(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_user='''
import pytest

@pytest.mark.equos_seed("no-such-seed")
def test_user(equos_httpx):
    pass
''')
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    [line] = [line for line in result.outlines if line.startswith("equos_seed")]
    assert line.startswith(f"equos_seed: no seed file 'no-such-seed' (looked in {pytester.path}, ")
    assert "fixtures" in line


@pytest.mark.slow  # the session's server starts
def test_the_marker_on_a_test_without_an_equos_fixture_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user='''
import pytest

@pytest.mark.equos_seed("demo")
def test_forgot_the_fixture():
    assert True

@pytest.mark.equos_seed("demo")
def test_with_it(equos_client):
    assert equos_client.characters.get("char_demo_guide").name == "Museum guide"
''')
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    assert [line for line in result.outlines if line.startswith("equos_seed")] == [
        "equos_seed: this test uses no equos-mock organization to load the seed into; ask for a fixture of the "
        "plugin (equos_client, equos_httpx, equos_api_key, equos_org, equos_asgi_client, ...) or remove the marker"]


def test_a_seed_folder_that_does_not_exist_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nequos_mock_seed_dir = tests/seed\n")
    pytester.makepyfile(test_user="def test_user():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: equos_mock_seed_dir: no folder {pytester.path / 'tests' / 'seed'}"])
