"""The one strict decoder of the JSON the mock accepts: bodies (API and control plane), state imports and
seed files.

Strict where Python's ``json`` is lenient: a lone surrogate (``"\\ud800"``, or its bytes) is not
Unicode, and SQLite's UTF-8 cannot store it (once, one organization name took every later request
down with it); NaN, Infinity and overflowing numbers are not JSON; nesting deeper than 64 levels would
recurse until RecursionError. Each refusal names the field (``body.name``). A NUL is valid Unicode
and SQLite stores it as is, so it is accepted. Query values cannot hold a lone surrogate: they are
percent-decoded as UTF-8 with invalid bytes replaced by U+FFFD (leniently, as Express does).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_JSON_DEPTH = 64


class DecodeError(ValueError):
    """Input the mock refuses to decode; the message names where it is."""


# A surrogate's escape (\ud800-\udfff): only then can decoded text hold a lone one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def depth_ok(raw: bytes) -> bool:
    """No deeper than MAX_JSON_DEPTH, before parsing (pydantic parses API bodies itself)."""
    if raw.count(b"{") + raw.count(b"[") <= MAX_JSON_DEPTH:
        return True  # nesting is never deeper than the number of openers; skips the byte loop below
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return False
        elif byte in (0x7D, 0x5D):
            depth -= 1
    return True


def _too_deep(value: Any) -> bool:
    """Deeper than MAX_JSON_DEPTH, on the parsed value: a walk of the containers only, far faster than a walk
    of the bytes of a large body (a 56 MiB state: 0.3 s, not 10)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to inf, and inf would be echoed back as invalid JSON
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _surrogate(text: str) -> int | None:
    """The position of the first lone surrogate in ``text``, or None."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def check_text(value: Any, where: str) -> None:
    """Refuse a lone surrogate in any string (or object key) of decoded JSON, naming its place."""
    if isinstance(value, str):
        at = _surrogate(value)
        if at is not None:
            raise DecodeError(f"{where} must not contain a lone surrogate (U+{ord(value[at]):04X} at character "
                              f"{at}): it is not valid Unicode")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, f"{where} (a key)")
            check_text(item, f"{where}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            check_text(item, f"{where}[{position}]")


def loads(raw: bytes | str, where: str = "body") -> Any:
    """Decode JSON strictly (see the module); a DecodeError names the field, a plain ValueError says why
    it is not JSON."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")  # strict: surrogates' bytes and other invalid UTF-8 are refused
        except UnicodeDecodeError as exc:
            raise DecodeError(f"{where} is not valid UTF-8 (byte {exc.start})") from None
    else:
        text = raw
    too_deep = DecodeError(f"JSON {where} is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:  # the C parser stops at the interpreter's recursion limit
        raise too_deep from None
    if isinstance(data, (dict, list)) and text.count("{") + text.count("[") > MAX_JSON_DEPTH and _too_deep(data):
        raise too_deep
    if _SURROGATE_ESCAPE.search(text) or (isinstance(raw, str) and not text.isascii()):
        check_text(data, where)  # else no lone surrogate can be in it
    return data
