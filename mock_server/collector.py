"""The cyclic garbage collector of a process that only serves (``equos-mock serve``).

Not for the plugin's in-thread server: that process is the user's, and so is its collector.

The store keeps what it holds for as long as the server runs, and CPython's full collections walk all
of it: with 30,000 conversations a full collection took 400 ms, and as the store grew every request
paid more (a conversation start over HTTP 460 -> 690 µs of CPU, p99 19 -> 52 ms; benchmarks/RESULTS.md,
"Issue 21, third pass"). So:

- ``settle``, once after start-up: what start-up built is frozen out of the scans; the young
  generation is collected every 5,000 allocations, not 700 (a conversation start makes ~300), and
  the older ones hardly on their own (the ticks keep them small).
- ``tick``, every second while serving: what is alive then is frozen too, so a collection walks only
  what the last second made. Frozen objects are still freed when nothing refers to them (records hold
  no cycles, and a request leaves no cyclic garbage); only a cycle among them would wait, so every
  ``SWEEP_EVERY`` ticks everything is unfrozen and collected once.
"""

from __future__ import annotations

import asyncio
import gc

# gc.set_threshold for a serving process (CPython's defaults before 3.14: 700, 10, 10).
GC_THRESHOLDS = (5_000, 50, 1_000)
TICK_SECONDS = 1.0
SWEEP_EVERY = 600  # ticks: a cycle among frozen objects is collected within ten minutes


def settle() -> None:
    """Once, after start-up (``tick`` keeps it so while serving)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class Collector:
    def __init__(self, sweep_every: int = SWEEP_EVERY, tick_seconds: float = TICK_SECONDS):
        self.sweep_every = sweep_every
        self.tick_seconds = tick_seconds
        self.ticks = 0
        self.sweeps = 0

    def tick(self) -> None:
        self.ticks += 1
        if self.ticks % self.sweep_every == 0:
            gc.unfreeze()
            gc.collect()
            self.sweeps += 1
        gc.freeze()

    async def run(self) -> None:
        """``tick`` every ``tick_seconds``, until cancelled (the server's shutdown)."""
        while True:
            await asyncio.sleep(self.tick_seconds)
            self.tick()
