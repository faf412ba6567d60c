"""Start-up errors of ``equos-mock serve``, run as a process: one line on stderr, no traceback, exit 1 or 2."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mock_server.assumptions import REGISTRY


def _command() -> list[str]:
    script = Path(sys.executable).with_name("equos-mock")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]


def _run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EQUOS_MOCK_")} | env
    return subprocess.run([*_command(), *args], capture_output=True, text=True, timeout=120, env=environ, cwd=cwd)


def _one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    assert result.stdout == ""  # no banner: nothing was served
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("equos-mock: ")
    return result.stderr.removeprefix("equos-mock: ").rstrip("\n")


@pytest.mark.slow
@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_a_port_in_use_is_named_with_the_way_out(host):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        holder = socket.socket(family, socket.SOCK_STREAM)
        holder.bind((host, 0))
    except OSError:
        pytest.skip(f"no {host} on this machine")
    with holder:
        holder.listen()
        port = holder.getsockname()[1]
        line = _one_line(_run("serve", "--host", host, "--port", str(port)), code=1)
    shown = f"[{host}]" if ":" in host else host
    assert line == (f"cannot listen on {shown}:{port}: the port is already in use; "
                    "choose another --port, or --port 0 for a free one")


@pytest.mark.parametrize(("flag", "expected"), [
    ("null_result=maybe", "--set: null_result cannot be 'maybe'; allowed values: empty, json-null, 404"),
    ("auth-failure=500", "--set: auth_failure cannot be '500'; allowed values: 401, 403"),
    ("colour=red", "--set: unknown assumption 'colour'; known: " + ", ".join(a.name for a in REGISTRY)),
    ("null_result", "--set: expected NAME=VALUE, got 'null_result'"),
])
def test_a_bad_set_names_the_assumption_and_its_values(flag, expected):
    assert _one_line(_run("serve", "--port", "0", "--set", flag), code=2) == expected


def test_a_bad_set_from_the_environment_too():
    line = _one_line(_run("--port", "0", EQUOS_MOCK_SET="list_order=random"), code=2)
    assert line == ("--set: list_order cannot be 'random'; allowed values: newest-first, oldest-first "
                    "(from EQUOS_MOCK_SET)")


# --- every flag and every variable: one parser, one line, exit 2 ---------------------------------------
def test_a_port_out_of_range_or_not_a_number_is_one_line():
    assert _one_line(_run("serve", "--port", "99999"), code=2) == (
        "--port: 99999 is not a port number (0 to 65535; 0 picks a free one)")
    assert _one_line(_run("serve", EQUOS_MOCK_PORT="x"), code=2) == (
        "--port: 'x' is not a port number (0 to 65535; 0 picks a free one) (from EQUOS_MOCK_PORT)")


# A value each kind of option refuses, by the name of its value type (cli_values). An option of a new
# kind fails the sweep below until its bad value is added here.
BAD_VALUES = {
    "port": "99999", "integer": "seven", "positive int": "0", "positive float": "nan", "text": " ",
    "host": "not a host!", "livekit url": "localhost:7880", "assumption": "null_result=maybe",
    "log level": "loud", "regex": "sk_(", "seed": "no-such-seed", "directory": str(Path(__file__)), "switch": "maybe",
}


def _serve_options() -> list:
    from mock_server.cli import build_parser

    parser = build_parser({})
    serve = next(a for a in parser._actions if a.dest == "command").choices["serve"]
    return [a for a in serve._actions if a.option_strings and a.dest != "help"]


def _main(monkeypatch, capsys, argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    """``equos-mock ARGV`` in process; a value that got past every check reaches serve, which fails."""
    from mock_server import cli

    def accepted(settings, log_level):
        from mock_server.app import create_app

        create_app(settings)  # the checks made at start (the seed file, the data directory)
        raise AssertionError(f"accepted: {argv} {environ}")

    monkeypatch.setattr(cli, "serve", accepted)
    try:
        code = cli.main(argv, environ)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_every_option_and_every_variable_refuses_a_bad_value_in_one_line(monkeypatch, capsys):
    options = _serve_options()
    assert len(options) >= 20  # derived from the parser, not listed here
    for action in options:
        kind = action.type.__name__
        assert kind in BAD_VALUES, f"{action.option_strings[0]}: no bad value known for a {kind!r} value"
        variable = action.env_variable
        assert variable.startswith("EQUOS_MOCK_"), action
        bad = BAD_VALUES[kind]
        flag = action.option_strings[0]
        given = [f"{flag}={bad}"] if action.nargs == 0 else [flag, bad]  # a switch takes no value
        for argv, environ, named in ((["serve", *given], {}, flag), (["serve"], {variable: bad}, variable)):
            code, out, err = _main(monkeypatch, capsys, argv, environ)
            assert (code, out) == (2, ""), (argv, environ, err)
            assert err.count("\n") == 1 and err.startswith("equos-mock: "), err
            assert "Traceback" not in err, err
            # A seed is read at start by the seed loader, which names the file it could not find.
            assert named in err or (kind == "seed" and "no seed file 'no-such-seed'" in err), (named, err)


def test_a_good_value_from_a_variable_is_the_flags_value(monkeypatch):
    from mock_server.cli import build_parser, settings_from

    env = {"EQUOS_MOCK_PORT": "9000", "EQUOS_MOCK_NO_CONTROL": "yes", "EQUOS_MOCK_LEGACY_V3": "off",
           "EQUOS_MOCK_API_KEYS": "sk_a, sk_b", "EQUOS_MOCK_SET": "list_order=oldest-first",
           "EQUOS_MOCK_CONTROL_TOKEN": ""}  # empty: not given
    settings = settings_from(build_parser(env).parse_args(["serve", "--api-key", "sk_c"]))
    assert (settings.port, settings.control_plane, settings.legacy_v3_routes) == (9000, False, False)
    assert settings.api_keys == ("sk_a", "sk_b", "sk_c") and settings.control_token is None
    assert settings.assumptions == {"list_order": "oldest-first"}
    assert settings_from(build_parser(env).parse_args(["serve", "--port", "1"])).port == 1  # the flag wins


def _org(**resources: object) -> dict[str, object]:
    return {"organizations": [{"id": "org_x", "keys": ["sk_x"], **resources}]}


BRAIN = {"id": "brain_ok", "instructions": "Be brief.", "greetingMessage": "Hi"}
BAD_SEEDS = [
    pytest.param(_org(characters=[{"name": "A", "livekitIdentity": "a", "brainId": 5}]),
                 "organizations[0].characters[0].brainId: Input should be a valid string", id="wrong type"),
    pytest.param(_org(brains=[BRAIN], characters=[{"name": "A", "livekitIdentity": "a", "brainId": "brain_ok"},
                                                   {"name": "B", "livekitIdentity": "b", "brainId": "brain_nope"}]),
                 "organizations[0].characters[1].brainId: brain brain_nope not found in this organization",
                 id="reference to nothing"),
    pytest.param(_org(brains=[BRAIN, {"instructions": "x"}]),
                 "organizations[0].brains[1].greetingMessage: Field required", id="missing field"),
    pytest.param(_org(knowledgeBases=[{"name": "kb", "description": "d", "client": "c",
                                       "documents": [{"name": "a.md", "description": "d", "mimeType": "text/plain"},
                                                     {"name": 7, "description": "d", "mimeType": "text/plain"}]}]),
                 "organizations[0].knowledgeBases[0].documents[1].name: Input should be a valid string",
                 id="nested resource"),
    pytest.param(_org(settings={"durationLimit": "long"}),
                 "organizations[0].settings.durationLimit: Input should be a valid integer", id="settings"),
    pytest.param(_org(characters=["A"]), "organizations[0].characters[0] must be an object", id="not an object"),
    pytest.param(_org(faces={"identity": "tommy"}), "organizations[0].faces must be a list", id="not a list"),
    pytest.param(_org(brains=[BRAIN, BRAIN]),
                 "organizations[0].brains[1].id: brain brain_ok already exists in this organization",
                 id="duplicate id"),
    # A typo is an error at every level, with the closest name the models know.
    pytest.param(_org(brains=[BRAIN], characters=[{"name": "A", "livekitIdentity": "a", "brianId": "brain_ok"}]),
                 "organizations[0].characters[0].brianId: unknown key; did you mean `brainId`?", id="unknown field"),
    pytest.param(_org(charcters=[{"name": "A", "livekitIdentity": "a"}]),
                 "organizations[0].charcters: unknown key; did you mean `characters`?", id="unknown collection"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "expected"), BAD_SEEDS)
def test_a_bad_seed_file_names_the_file_the_place_and_the_rule(tmp_path, seed, expected):
    path = tmp_path / "my-seed.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    assert _one_line(_run("serve", "--port", "0", "--seed", str(path)), code=2) == f"{path}: {expected}"


@pytest.mark.slow
def test_a_seed_that_is_not_json_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"organizations": [\n  {"id": "org_x",}\n]}', encoding="utf-8")
    line = _one_line(_run("serve", "--port", "0", "--seed", "broken.json", cwd=tmp_path), code=2)
    assert line.startswith("broken.json: not valid JSON: ") and "line 2" in line


@pytest.mark.slow
def test_a_seed_file_that_does_not_exist(tmp_path):
    line = _one_line(_run("serve", "--port", "0", "--seed", "no-such-seed", cwd=tmp_path), code=2)
    assert line.startswith("no seed file 'no-such-seed' (looked in ")
