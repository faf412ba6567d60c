"""A collection's order index appends a record that sorts last and inserts any other where it belongs."""

from __future__ import annotations

import bisect

from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.store.memory import _insort


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 50)), max_size=60))
def test_the_index_is_what_bisect_insort_makes(entries: list[tuple[int, int]]) -> None:
    ours: list[tuple[int, int]] = []
    theirs: list[tuple[int, int]] = []
    for entry in entries:
        _insort(ours, entry)
        bisect.insort(theirs, entry)
    assert ours == theirs
