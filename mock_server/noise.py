"""Warnings that equos-mock itself causes, filtered where our code owns the run: the ``serve``
process, the pytest plugin's test runs and the contract suite. A user's own warnings stay visible."""

from __future__ import annotations

import warnings

from .settings import Settings

# PyJWT warns (InsecureKeyLengthWarning) about every HMAC key under 32 bytes, on each token it signs
# or verifies. The mock's default LiveKit secret is livekit-server --dev's "secret", short on purpose:
# only a key of exactly its length is meant (a regular expression, matched at the message's start).
DEV_SECRET_WARNING = rf"The HMAC key is {len(Settings().livekit_api_secret)} bytes long"

# As pytest filterwarnings lines (ini syntax).
PYTEST_FILTERS = (f"ignore:{DEV_SECRET_WARNING}",)


def silence_in_process() -> None:
    """For a process of our own (``equos-mock serve``): drop the warnings above for its lifetime."""
    warnings.filterwarnings("ignore", message=DEV_SECRET_WARNING)
