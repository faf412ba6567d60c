"""Ids and other random values, from one seeded generator per app (reproducible runs)."""

from __future__ import annotations

import random
import string

# Ids of things that are not declared resources; a resource declares its own prefix.
_PREFIXES = {
    "utterance": "utt",
    "organization": "org",
}
_BASE36 = string.digits + string.ascii_lowercase
# What uuid.UUID(version=4) does to the bits: variant RFC 4122 (10xx), version 4 (0100).
_UUID4_KEEP = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET = (0x8000 << 48) | (4 << 76)


class IdGenerator:
    def __init__(self, seed: int | str | None = None):
        self._random = random.Random(seed)
        self._preset: list[str] = []

    def preset(self, value: str) -> None:
        """Make the next ``new`` return ``value`` (seed files name their own ids)."""
        self._preset.append(value)

    def uuid4(self) -> str:
        """``str(uuid.UUID(int=bits, version=4))`` (the same string for the same seed), without the UUID
        object: its constructor's checks were most of an id's cost."""
        bits = (self._random.getrandbits(128) & _UUID4_KEEP) | _UUID4_SET
        h = "%032x" % bits  # noqa: UP031
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def token(self, nbytes: int = 16) -> str:
        return self._random.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()

    def new(self, kind: str, style: str = "uuid", prefix: str | None = None) -> str:
        if self._preset:
            return self._preset.pop(0)
        if style == "uuid":
            return self.uuid4()
        if style == "cuid":
            return "c" + "".join(self._random.choice(_BASE36) for _ in range(24))
        if style == "prefixed":
            return f"{prefix or _PREFIXES.get(kind, kind[:3])}_{self.token(12)}"
        raise ValueError(f"unknown id style {style!r}")
