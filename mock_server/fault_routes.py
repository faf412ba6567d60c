"""Whether a fault rule can ever fire: its method and path glob against the routes the app serves.

A rule for ``GET /brains`` (no ``/v3``) would wait forever, so it is refused, naming the route it
probably meant. The glob (fnmatch: ``*``, ``?``, ``[...]``) and a route template (``{id}``: one or more
characters but ``/``) are both small automata; the rule can fire when some path is accepted by both,
which a walk over pairs of their states finds. A glob too intricate to decide within a budget of
steps is accepted: a rule is never refused for being hard to check, and the check never holds the
server. ``pathRegex`` rules are not checked.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .journal import CONTROL_PREFIX, near_misses

STEP_BUDGET = 50_000  # state pairs visited, over all routes, before the check gives up (and accepts)
ALPHABET = [chr(c) for c in range(32, 127)]  # the characters a predicate is tried on


@dataclass(frozen=True, eq=False)
class _Token:
    accepts: Callable[[str], bool]
    repeats: bool  # a star: zero or more such characters; else exactly one
    char: str | None = None  # a literal: this character only


def _literal(char: str) -> _Token:
    return _Token(char.__eq__, False, char)


def _any(char: str) -> bool:
    return True


def _not_slash(char: str) -> bool:
    return char != "/"


def glob_tokens(glob: str) -> list[_Token]:
    """fnmatch's syntax: ``*``, ``?``, ``[set]`` / ``[!set]``; an unclosed ``[`` is itself."""
    tokens: list[_Token] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "*":
            if not (tokens and tokens[-1].repeats and tokens[-1].accepts is _any):  # ** is *
                tokens.append(_Token(_any, True))
        elif char == "?":
            tokens.append(_Token(_any, False))
        elif char == "[":
            j = i + 1  # where the set's closing ] may be, as fnmatch reads it
            j += glob[j:j + 1] == "!"
            j += glob[j:j + 1] == "]"
            end = glob.find("]", j)
            if end < 0:
                tokens.append(_literal(char))
            else:
                tokens.append(_Token(_member_of(glob[i:end + 1]), False))
                i = end
        else:
            tokens.append(_literal(char))
        i += 1
    return tokens


def _member_of(char_set: str) -> Callable[[str], bool]:
    try:
        pattern = re.compile(fnmatch.translate(char_set))
    except re.error:  # a set fnmatch cannot compile either: never refuse a rule over it
        return _any
    return lambda char: pattern.fullmatch(char) is not None


def template_tokens(template: str) -> list[_Token]:
    """A Starlette route path: ``{name}`` is one or more characters but ``/``, ``{name:path}`` any."""
    tokens: list[_Token] = []
    for part in re.split(r"(\{[^}]*\})", template):
        if part.startswith("{") and part.endswith("}"):
            if part.endswith(":path}"):
                tokens.append(_Token(_any, True))
            else:
                tokens += [_Token(_not_slash, False), _Token(_not_slash, True)]
        else:
            tokens += [_literal(char) for char in part]
    return tokens


def _meet(a: _Token, b: _Token) -> bool:
    """Whether some character is accepted by both."""
    if a.char is not None:
        return b.accepts(a.char)
    if b.char is not None:
        return a.accepts(b.char)
    return any(a.accepts(c) and b.accepts(c) for c in ALPHABET)


def intersects(glob: list[_Token], template: list[_Token], budget: list[int]) -> bool | None:
    """Whether some path matches both; None when the budget ran out first."""
    seen = {(0, 0)}
    todo = [(0, 0)]
    while todo:
        budget[0] -= 1
        if budget[0] < 0:
            return None
        i, j = todo.pop()
        if i == len(glob) and j == len(template):
            return True
        steps = []
        if i < len(glob) and glob[i].repeats:
            steps.append((i + 1, j))
        if j < len(template) and template[j].repeats:
            steps.append((i, j + 1))
        if i < len(glob) and j < len(template) and not (glob[i].repeats and template[j].repeats) \
                and _meet(glob[i], template[j]):
            # Both stars staying put would lead back to this very state: nothing to gain.
            steps.append((i if glob[i].repeats else i + 1, j if template[j].repeats else j + 1))
        for step in steps:
            if step not in seen:
                seen.add(step)
                todo.append(step)
    return False


def _fixed_prefix(text: str, wildcards: str) -> str:
    cut = min((i for i in (text.find(c) for c in wildcards) if i >= 0), default=len(text))
    return text[:cut]


SHOWN = 120  # characters of a rule's path a refusal repeats


def refusal(method: str | None, path: str, routes: Iterable[tuple[str, str]]) -> str | None:
    """Why a rule for ``method`` (None: any) and the glob ``path`` can never fire, or None if it can."""
    routes = [(m, p) for m, p in routes if not p.startswith(CONTROL_PREFIX)]
    glob = glob_tokens(path)
    fixed = _fixed_prefix(path, "*?[")
    budget = [STEP_BUDGET]
    matching: list[tuple[str, str]] = []
    tokens: dict[str, list[_Token]] = {}
    for route_method, template in routes:
        head = _fixed_prefix(template, "{")
        if not (fixed.startswith(head) or head.startswith(fixed)):
            continue  # their fixed beginnings differ already: the cheap way out, for most routes
        if template not in tokens:
            tokens[template] = template_tokens(template)
        met = intersects(glob, tokens[template], budget)
        if met is None:
            return None  # too intricate to decide: accepted
        if met:
            matching.append((route_method, template))
            if method is None or route_method == method:
                return None
    shown = path if len(path) <= SHOWN else path[:SHOWN] + "…"
    wanted = f"{method} {shown}" if method else shown
    if path.startswith(CONTROL_PREFIX):
        return f"a fault rule for {wanted} can never fire: faults never apply to the {CONTROL_PREFIX} control plane"
    if matching:
        allowed = sorted({m for m, _ in matching})
        return (f"a fault rule for {wanted} can never fire: no route answers {method} there "
                f"(the routes it matches answer {', '.join(allowed)})")
    guess = near_misses(method or "GET", path, [r for r in routes if method is None or r[0] == method] or routes, 1)
    hint = f"; did you mean {guess[0]['method']} {guess[0]['path']}?" if guess else ""
    what = "the glob" if any(c in path for c in "*?[") else "the path"
    return f"a fault rule for {wanted} can never fire: {what} matches no route{hint}"
