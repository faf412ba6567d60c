"""An instant made from milliseconds is the one timedelta(milliseconds=...) gives, and prints the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.clock import CLOCK_RANGE, Instant, from_ms, iso, to_ms

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(ms=st.integers(-10**12, CLOCK_RANGE[1]))
def test_from_ms_is_the_epoch_plus_those_milliseconds(ms: int) -> None:
    made = from_ms(ms)
    assert isinstance(made, Instant) and made == EPOCH + timedelta(milliseconds=ms) and to_ms(made) == ms
    expected = (EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if made.year >= 1000:  # strftime pads years below 1000 differently on some platforms
        assert iso(made) == expected and iso(made) is iso(made)  # printed once, then kept
