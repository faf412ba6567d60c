"""Where state lives. ``memory`` is the embedded default."""

from .memory import Collection, MemoryStore, Organization

__all__ = ["Collection", "MemoryStore", "Organization"]
