"""The app's only source of time.

Real time by default; tests and the control plane can freeze, advance or set it.
Everything time-dependent (timestamps, expiry, billing, token nbf/exp, upload URL
expiry) reads ``Clock.now()`` so that a moved clock moves all of them together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any


class Instant(datetime):
    """A UTC datetime that keeps its wire form once printed.

    Records are immutable and read far more often than written: a page of 50 populated characters
    prints 400 timestamps, and formatting them was two thirds of its time (benchmarks/RESULTS.md).
    """

    __slots__ = ("_wire",)


_EPOCH = Instant(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Where clocks may be set or moved to (ms, 1970 to 9000): far enough from datetime's year 9999 that
# startedAt + maxSeconds and token expiries never overflow.
CLOCK_RANGE = (0, 221845392000000)
_LATEST = Instant(9999, 12, 30, tzinfo=UTC)


def plus_seconds(moment: datetime, seconds: float) -> datetime:
    """``moment + seconds``, held at year 9999 instead of overflowing. The control plane's ranges keep
    real values far below; this is the second line, for state that came in before they existed."""
    try:
        return moment + timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return _LATEST


# Integer arithmetic both ways: through a float timestamp the last millisecond is lost past 2255.
def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, as datetime.timestamp() reads a naive value
    return ((moment - _EPOCH) // _MICROSECOND + 500) // 1000  # the nearest millisecond


def from_ms(ms: int) -> Instant:
    # Positional whole seconds and microseconds: timedelta's keyword path costs more than the addition.
    moment: Instant = _EPOCH + timedelta(0, ms // 1000, ms % 1000 * 1000)
    moment._wire = None  # not printed yet: ``iso`` finds the slot set (an unset slot's AttributeError costs)
    return moment


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z``, as a JavaScript ``Date`` prints."""
    wire: str | None = getattr(moment, "_wire", None)
    if wire is not None:
        return wire
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    # %-formatting of the fields: several times faster than strftime.
    wire = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond // 1000)
    if isinstance(moment, Instant):
        moment._wire = wire
    return wire


class Clock:
    """Millisecond clock: real time plus an offset, or frozen at one instant."""

    def __init__(self, *, frozen_at: datetime | None = None, source: Callable[[], float] = time.time):
        self._source = source
        self._lock = threading.Lock()
        self._offset_ms = 0
        self._frozen_ms: int | None = to_ms(frozen_at) if frozen_at is not None else None

    def _real_ms(self) -> int:
        return int(self._source() * 1000)

    def now_ms(self) -> int:
        frozen = self._frozen_ms
        return frozen if frozen is not None else self._real_ms() + self._offset_ms

    def now(self) -> datetime:
        return from_ms(self.now_ms())

    @property
    def frozen(self) -> bool:
        return self._frozen_ms is not None

    def freeze(self, at: datetime | None = None) -> None:
        with self._lock:
            self._frozen_ms = to_ms(at) if at is not None else self.now_ms()

    def unfreeze(self) -> None:
        """Let time run again from where it stands now (no jump back to real time)."""
        with self._lock:
            if self._frozen_ms is not None:
                self._offset_ms = self._frozen_ms - self._real_ms()
                self._frozen_ms = None

    def advance(self, seconds: float) -> None:
        delta = round(seconds * 1000)
        with self._lock:
            if self._frozen_ms is not None:
                self._frozen_ms += delta
            else:
                self._offset_ms += delta

    def set(self, at: datetime) -> None:
        with self._lock:
            if self._frozen_ms is not None:
                self._frozen_ms = to_ms(at)
            else:
                self._offset_ms = to_ms(at) - self._real_ms()

    def copy(self) -> Clock:
        """An independent clock showing exactly the same time and state (no read-then-set drift)."""
        twin = Clock(source=self._source)
        with self._lock:
            twin._offset_ms = self._offset_ms
            twin._frozen_ms = self._frozen_ms
        return twin

    def state(self) -> dict[str, int | None]:
        """Exactly what the clock shows, to restore after a restart (``--data-dir``)."""
        return {"frozenMs": self._frozen_ms, "offsetMs": self._offset_ms}

    def restore(self, state: dict[str, Any]) -> None:
        with self._lock:
            self._frozen_ms, self._offset_ms = state["frozenMs"], state["offsetMs"]

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._offset_ms = 0
            self._frozen_ms = None

    def describe(self) -> dict[str, object]:
        return {"now": iso(self.now()), "frozen": self.frozen, "offsetMs": self._offset_ms}
