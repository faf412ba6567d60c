"""What an API key may look like: any non-empty string by default (documented), a pattern when the
server is started with ``--key-pattern``; and the keys that look like a header mistake, which the
journal warns about even when any key works."""

from __future__ import annotations

import re

SCHEMES = ("bearer ", "basic ", "token ")


def header_mistake(key: str) -> str | None:
    """Why ``key`` looks like a mistake in the x-api-key header (one line, never the key), or None."""
    lowered = key.lower()
    if lowered.startswith(SCHEMES):
        scheme = key.split(" ", 1)[0]
        return f"the x-api-key starts with {scheme!r}: x-api-key takes the key alone, with no scheme"
    if lowered.startswith("x-api-key:"):
        return "the x-api-key value starts with 'x-api-key:': the header's name was pasted into its value"
    if key[:1] in "\"'" or key[-1:] in "\"'":
        return "the x-api-key is in quotes: the quotes are sent as part of the key"
    if any(char.isspace() for char in key):
        return "the x-api-key has whitespace in it: no API key does"
    return None


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``--key-pattern``: a key is accepted only if the whole of it matches (ValueError if not a regex)."""
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None


def pattern_refusal(key: str, pattern: re.Pattern[str] | None) -> str | None:
    """Why ``key`` is refused by the server's ``--key-pattern`` (for the journal), or None."""
    if pattern is None or pattern.fullmatch(key) is not None:
        return None
    return f"the x-api-key does not match --key-pattern {pattern.pattern}"
