"""Ids are what uuid.UUID writes for the same random bits: a seeded app makes the ids it always made."""

from __future__ import annotations

import random
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.ids import IdGenerator


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**64))
def test_a_uuid_is_the_string_uuid_writes_for_the_same_bits(seed: int) -> None:
    made = IdGenerator(seed).uuid4()
    expected = str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4))
    assert made == expected
    assert uuid.UUID(made).version == 4 and uuid.UUID(made).variant == uuid.RFC_4122


def test_extreme_bits_keep_version_and_variant() -> None:
    for bits in (0, 2**128 - 1):
        generator = IdGenerator(0)
        generator._random.getrandbits = lambda n, bits=bits: bits  # type: ignore[method-assign]
        assert generator.uuid4() == str(uuid.UUID(int=bits, version=4))
