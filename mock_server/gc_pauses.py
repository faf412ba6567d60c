"""Short garbage-collector pauses for the CLI's own process.

The store keeps every resource alive for the life of the server, so a full collection walks all of
them: about 350 ms with 30,000 conversations, a long stall for every request waiting meanwhile.
Objects that survive a second collection are long-lived state; freezing them (``gc.freeze``) keeps
them out of later scans. They are still freed by reference counting when deleted or reset (the
store holds no reference cycles); only cyclic garbage that survived two collections would stay.
Only ``equos-mock serve`` uses this: an embedding process (pytest, MockServer) keeps its own settings.
"""

from __future__ import annotations

import gc
from typing import Any


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info["generation"] >= 1:
        gc.freeze()


def keep_collector_pauses_short() -> None:
    gc.freeze()  # what start-up built (modules, the app, a seed) is long-lived too
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)
