"""The values ``equos-mock serve`` accepts, and the one parser that checks them.

Each option reads its text from the command line or from its ``EQUOS_MOCK_*`` variable; either way
argparse hands it to the same value type below (a variable's text is the option's default, and
argparse converts string defaults with the option's type). A bad value is one line on stderr and
exit 2, naming the flag, and the variable when the text came from one.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from .assumptions import UnknownAssumption, parse_pairs
from .key_check import compile_pattern

PREFIX = "EQUOS_MOCK_"
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
LIVEKIT_SCHEMES = ("ws", "wss", "http", "https")


class FromEnv(str):
    """The text of an ``EQUOS_MOCK_*`` variable, remembering its name for the error message."""

    variable: str

    def __new__(cls, text: str, variable: str) -> FromEnv:
        made = super().__new__(cls, text)
        made.variable = variable
        return made


def env_text(environ: Mapping[str, str], name: str) -> FromEnv | None:
    """The variable's text; unset or empty (``VAR=`` in a compose file) means not given."""
    text = environ.get(PREFIX + name, "")
    return FromEnv(text, PREFIX + name) if text != "" else None


class OneLineParser(argparse.ArgumentParser):
    """argparse, but an error is one line, ``equos-mock: --flag: why``, and exit 2 (no usage block)."""

    def error(self, message: str) -> NoReturn:
        message = re.sub(r"^argument ([^:]+): ", r"\1: ", message)
        if message.startswith("unrecognized arguments"):
            message += f" ({self.prog} --help lists the options)"
        print(f"equos-mock: {message}", file=sys.stderr, flush=True)
        raise SystemExit(2)


# --- value types: each takes a flag's text or a FromEnv, returns the value or raises ------------------
def _origin(text: str) -> str:
    return f" (from {text.variable})" if isinstance(text, FromEnv) else ""


def value_type(name: str) -> Callable[[Callable[[str], Any]], Callable[[str], Any]]:
    """Name a value type (argparse shows it; the option sweep in tests knows each by it) and add the
    variable's name to its error."""
    def wrap(parse: Callable[[str], Any]) -> Callable[[str], Any]:
        def checked(text: str) -> Any:
            try:
                return parse(text)
            except (ValueError, argparse.ArgumentTypeError) as exc:
                raise argparse.ArgumentTypeError(f"{exc}{_origin(text)}") from None

        checked.__name__ = name
        return checked
    return wrap


@value_type("port")
def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a port number (0 to 65535; 0 picks a free one)") from None
    if not 0 <= value <= 65535:
        raise ValueError(f"{value} is not a port number (0 to 65535; 0 picks a free one)")
    return value


@value_type("integer")
def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def positive(kind: type[int] | type[float]) -> Callable[[str], Any]:
    @value_type(f"positive {kind.__name__}")
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        if not 0 < value < 1e9 or math.isnan(value):  # also refuses NaN and infinity
            raise ValueError(f"{text} is not a positive number below 1e9")
        return value
    return parse


@value_type("switch")
def switch(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError(f"{text!r} is neither on ({', '.join(TRUE)}) nor off ({', '.join(FALSE)})")


@value_type("text")
def text(value: str) -> str:
    """A key, a token, a secret: not empty, no spaces around it (no HTTP client could send those)."""
    if not value.strip():
        raise ValueError("must not be empty")
    if value != value.strip():
        raise ValueError(f"{value!r} has spaces around it")
    return str(value)


@value_type("host")
def host(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._:%-]+", value):
        raise ValueError(f"{value!r} is not a host name or an IP address")
    return str(value)


@value_type("livekit url")
def livekit_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in LIVEKIT_SCHEMES or not parts.netloc:
        raise ValueError(f"{value!r} is not a URL such as ws://localhost:7880 ({', '.join(LIVEKIT_SCHEMES)})")
    return str(value)


@value_type("assumption")
def assumption(value: str) -> tuple[str, str]:
    try:
        return next(iter(parse_pairs([value]).items()))
    except UnknownAssumption as exc:
        raise ValueError(str(exc)) from None


@value_type("regex")
def regex(value: str) -> str:
    compile_pattern(value)  # ValueError saying why
    return str(value)


@value_type("log level")
def log_level(value: str) -> str:
    if value.lower() not in LOG_LEVELS:
        raise ValueError(f"{value!r} is not a log level ({', '.join(LOG_LEVELS)})")
    return value.lower()


@value_type("seed")
def seed(value: str) -> str:
    """A seed file or a name from fixtures/: only not empty here; the seed loader reads and checks it."""
    return str(text(value))


@value_type("directory")
def directory(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if Path(value).exists() and not Path(value).is_dir():
        raise ValueError(f"{value} exists and is not a directory")
    return str(value)


def many(item: Callable[[str], Any]) -> Callable[[str], Any]:
    """A repeatable option: a flag's text is one item, a variable's text a comma separated list."""
    def parse(value: str) -> Any:
        if isinstance(value, FromEnv):
            items = [item(FromEnv(part.strip(), value.variable)) for part in value.split(",") if part.strip()]
            if not items:
                raise argparse.ArgumentTypeError(f"{value!r} lists nothing{_origin(value)}")
            return items
        return item(value)

    parse.__name__ = item.__name__
    return parse


# --- actions that take a variable's text like a flag's ------------------------------------------------
class Repeated(argparse._AppendAction):
    """``--api-key A --api-key B``; the variable's list comes first, the flags add to it."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        items = getattr(namespace, self.dest, None)
        if isinstance(items, FromEnv):  # the variable's text, not converted yet
            try:
                items = self.type(items)  # type: ignore[misc]
            except argparse.ArgumentTypeError as exc:
                raise argparse.ArgumentError(self, str(exc)) from None
        setattr(namespace, self.dest, [*(items or []), values])


class Switch(argparse.Action):
    """A flag with no value (``--no-control``) whose variable says on or off (``EQUOS_MOCK_NO_CONTROL=1``)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any):
        kwargs.setdefault("const", True)
        super().__init__(option_strings, dest, nargs=0, type=switch, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, self.const)


class OnOff(argparse.BooleanOptionalAction):
    """``--legacy-v3`` / ``--no-legacy-v3``, and its variable on or off."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any):
        super().__init__(option_strings, dest, **kwargs)
        self.type = switch  # set after: Python 3.12 deprecates passing type= to BooleanOptionalAction


def env_option(parser: argparse.ArgumentParser, environ: Mapping[str, str], *flags: str, env: str,
               default: Any = None, **kwargs: Any) -> argparse.Action:
    """An option fed by ``EQUOS_MOCK_<env>`` too: the variable's text (when set) is the default, which
    argparse converts with the option's own type, exactly as it converts the flag's text."""
    given = env_text(environ, env)
    action = parser.add_argument(*flags, default=given if given is not None else default, **kwargs)
    action.env_variable = PREFIX + env  # type: ignore[attr-defined]  # read by the docs' option table
    return action
