"""Ids and other random values, from one seeded generator per app (reproducible runs)."""

from __future__ import annotations

import random
import string
import uuid

# Ids of things that are not declared resources; a resource declares its own prefix.
_PREFIXES = {
    "utterance": "utt",
    "organization": "org",
}
_BASE36 = string.digits + string.ascii_lowercase


class IdGenerator:
    def __init__(self, seed: int | str | None = None):
        self._random = random.Random(seed)
        self._preset: list[str] = []

    def preset(self, value: str) -> None:
        """Make the next ``new`` return ``value`` (seed files name their own ids)."""
        self._preset.append(value)

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

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
