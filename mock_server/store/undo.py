"""All or nothing per request: while one runs, the store keeps the inverse of each change it makes.

A request answered 4xx or 5xx, or whose changes cannot be persisted, is undone (newest change first),
so it changes nothing in memory and, through the usual listeners, nothing on disk. The log lives in
a context variable of the store, so requests interleaved on one event loop (an upload awaiting its
body) each undo only their own changes. With no request running, nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

Step = Callable[[], None]


# A request's log: its inverses, oldest first, and the organizations it used, by id, with their attributes
# as they were (a tuple, no closure: every request has one). A plain pair: no constructor to call.
_Log = tuple[list[Step], dict[int, tuple[Any, ...]]]


class UndoLog:
    def __init__(self) -> None:
        # One variable per store (not per module), so two apps in one process never share a log.
        self._current: ContextVar[_Log | None] = ContextVar(f"equos-mock-undo-{id(self)}", default=None)

    @property
    def active(self) -> bool:
        return self._current.get() is not None

    def record(self, step: Step) -> None:
        log = self._current.get()
        if log is not None:
            log[0].append(step)

    def keep_attributes(self, org: Any) -> None:
        """Once per request: the organization's name, settings, pin and clock, to put back on undo
        (they are replaced, or its clock moved, without going through a collection)."""
        log = self._current.get()
        if log is None:
            return
        kept, key = log[1], id(org)
        if key not in kept:
            clock = org.clock
            kept[key] = (org, org.name, org.settings, org.pinned, clock, clock.state() if clock is not None else None)

    def begin(self) -> Token[_Log | None]:
        return self._current.set(([], {}))

    def end(self, token: Token[_Log | None], *, undo: bool) -> None:
        """Close the request's log; with ``undo``, apply its inverses, newest first (recording nothing)."""
        log = self._current.get()
        self._current.reset(token)
        if undo and log is not None:
            for step in reversed(log[0]):
                step()
            for org, name, settings, pinned, clock, clock_state in log[1].values():
                org.name, org.settings, org.pinned, org.clock = name, settings, pinned, clock
                if clock is not None:
                    clock.restore(clock_state)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Housekeeping that is not the request's doing (idle eviction) is not undone with it."""
        token = self._current.set(None)
        try:
            yield
        finally:
            self._current.reset(token)
