"""The serving process's collector (mock_server/collector.py): what is alive is frozen at each tick, and
a cycle among frozen objects is still collected, at the next sweep."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from mock_server.collector import Collector


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def thawed() -> Iterator[None]:
    """The test process's collector as it was: nothing left frozen by a tick."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_tick_freezes_what_is_alive_and_a_sweep_collects_a_frozen_cycle(thawed: None) -> None:
    collector = Collector(sweep_every=3)
    a, b = _Node(), _Node()
    a.other, b.other = b, a  # a cycle: only the cyclic collector can free it
    gone = weakref.ref(a)
    collector.tick()
    assert gc.get_freeze_count() > 0
    del a, b
    gc.collect()
    assert gone() is not None  # frozen: no collection walks it
    collector.tick()
    assert gone() is not None and collector.sweeps == 0
    collector.tick()  # the third: the sweep
    assert collector.sweeps == 1
    assert gone() is None


def test_a_frozen_object_nothing_refers_to_is_still_freed(thawed: None) -> None:
    node = _Node()
    gone = weakref.ref(node)
    Collector().tick()
    del node
    assert gone() is None  # reference counting, not the collector


def test_the_serving_loop_ticks_its_collector_until_shutdown() -> None:
    import threading
    import time

    from mock_server import create_app
    from mock_server.server import listening_socket, server_for
    from mock_server.settings import Settings

    class Counting(Collector):
        def tick(self) -> None:  # counted, not frozen: the test process's collector stays as it is
            self.ticks += 1

    settings = Settings(port=0, room=False)
    collector = Counting(tick_seconds=0.01)
    sock, _ = listening_socket("127.0.0.1", 0)
    server = server_for(create_app(settings), settings, collector=collector)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while collector.ticks < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.should_exit = True
    thread.join(10)
    assert collector.ticks >= 3 and not thread.is_alive()
    ticks = collector.ticks
    time.sleep(0.05)
    assert collector.ticks == ticks  # cancelled with the server
