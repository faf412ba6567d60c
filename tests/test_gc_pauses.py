"""The CLI's collector setting: survivors are frozen out of later scans, and are still freed on delete."""

from __future__ import annotations

import gc
import weakref

from mock_server.gc_pauses import _freeze_survivors, keep_collector_pauses_short


class Holder:
    pass


def test_survivors_are_frozen_and_still_freed_by_reference_counting() -> None:
    try:
        keep_collector_pauses_short()
        keep_collector_pauses_short()
        assert gc.callbacks.count(_freeze_survivors) == 1
        kept = [Holder() for _ in range(1000)]
        before = gc.get_freeze_count()
        gc.collect(1)
        assert gc.get_freeze_count() >= before + len(kept)
        probe = weakref.ref(kept[0])
        del kept
        assert probe() is None  # frozen, yet freed as soon as nothing refers to it
    finally:
        gc.callbacks.remove(_freeze_survivors)
        gc.unfreeze()
