"""MkDocs hooks (``hooks:`` in mkdocs.yml): the configuration reference is generated from the CLI's parser,
and the search index is also written as a script, for search on the site opened from disk (file://).

``docs/configuration.md`` holds the marker ``<!-- serve-options -->``; at build time it becomes a table
of every ``equos-mock serve`` option, its ``EQUOS_MOCK_*`` variable, default and help, read from
``mock_server.cli.build_parser`` itself, so the page cannot drift from the code.

Which variable feeds which option is asked of the parser: each option added by
``cli_values.env_option`` carries its ``env_variable``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass

from mkdocs.exceptions import PluginError

from mock_server import cli

MARKER = "<!-- serve-options -->"
PAGE = "configuration.md"


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    metavar: str | None
    repeatable: bool
    variable: str | None
    variable_form: str  # how the variable is written: "NAME", "NAME=1", "NAME (comma separated)"
    default: str
    help: str


def serve_parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = cli.build_parser(environ)
    subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return subcommands.choices["serve"]


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]


def _switch_form(action: argparse.Action, variable: str) -> str:
    """How a variable turns a switch away from its default: ``NAME=1`` for an off one, ``NAME=0`` else."""
    return f"`{variable}={'0' if action.default else '1'}`"


def _shown_default(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value in (None, [], ()):
        return "none"
    return f"`{value}`"


def serve_options() -> list[Option]:
    """Every option of ``equos-mock serve``, in the parser's order."""
    parser = serve_parser({})
    options = []
    for action in _options(parser):
        variable = getattr(action, "env_variable", None)
        form = ""
        if variable:
            if isinstance(action.default, bool):
                form = _switch_form(action, variable)
            elif isinstance(action.default, list):
                form = f"`{variable}` (comma separated)"
            else:
                form = f"`{variable}`"
        text = action.help or ""
        if text:
            text = text % {**vars(action), "prog": parser.prog}
        if variable:  # the help may end with "[EQUOS_MOCK_X, comma separated]": the table has its own column
            text = text.split(f" [{variable}")[0]
        options.append(Option(
            flags=tuple(action.option_strings),
            metavar=None if action.nargs == 0 else (action.metavar or action.dest.upper()),
            repeatable=isinstance(action, argparse._AppendAction),
            variable=variable, variable_form=form, default=_shown_default(action.default), help=text))
    return options


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def serve_options_table() -> str:
    rows = ["| option | variable | default | meaning |", "|---|---|---|---|"]
    for option in serve_options():
        flags = " / ".join(f"`{flag}{' ' + option.metavar if option.metavar else ''}`" for flag in option.flags)
        if option.repeatable:
            flags += " (repeatable)"
        rows.append(f"| {_cell(flags)} | {_cell(option.variable_form) or '-'} | {_cell(option.default)} "
                    f"| {_cell(option.help)} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise PluginError(f"{PAGE} lost its {MARKER} marker: the option table would not be generated")
    return markdown.replace(MARKER, serve_options_table())


def on_post_build(config) -> None:
    """``search/search_index.js``: what Material's bundle loads instead of the JSON index on a file://
    page (where it may not fetch); docs/javascripts/file-worker.js runs the search worker there."""
    from pathlib import Path

    folder = Path(config["site_dir"]) / "search"
    index = folder / "search_index.json"
    if index.is_file():
        (folder / "search_index.js").write_text(f"var __index = {index.read_text(encoding='utf-8')}",
                                                encoding="utf-8")
