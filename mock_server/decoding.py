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
from typing import Any

MAX_JSON_DEPTH = 64


class DecodeError(ValueError):
    """Input the mock refuses to decode; the message names where it is."""


def depth_ok(raw: bytes) -> bool:
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
        if not depth_ok(raw):  # json.loads would recurse until RecursionError
            raise DecodeError(f"JSON {where} is nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            text = raw.decode("utf-8")  # strict: surrogates' bytes and other invalid UTF-8 are refused
        except UnicodeDecodeError as exc:
            raise DecodeError(f"{where} is not valid UTF-8 (byte {exc.start})") from None
    else:
        text = raw
        if not depth_ok(text.encode("utf-8", "surrogatepass")):
            raise DecodeError(f"JSON {where} is nested deeper than {MAX_JSON_DEPTH} levels")
    data = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    if "\\u" in text or (isinstance(raw, str) and not text.isascii()):  # else no surrogate can be in it
        check_text(data, where)
    return data
