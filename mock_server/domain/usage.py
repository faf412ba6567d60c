"""Billed time: from startedAt to endedAt, or to now while still live, summed in milliseconds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..clock import to_ms


def billed_ms(records: Iterable[Any], observe: Callable[[Any], Any], now_ms: int, client: str | None = None) -> int:
    total = 0
    for record in records:
        if client is not None and record.client != client:
            continue
        total += duration_ms(observe(record), now_ms)  # observe brings expiry up to date first
    return total


def duration_ms(record: Any, now_ms: int) -> int:
    """What one conversation or session bills: startedAt to endedAt, or to now while it runs."""
    end_ms = to_ms(record.endedAt) if record.endedAt is not None else now_ms
    return max(end_ms - to_ms(record.startedAt), 0)
