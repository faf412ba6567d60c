"""Warnings that equos-mock itself causes, filtered in the test runs our code is part of: the pytest
plugin's and the contract suite's. Each filter is as narrow as the warning it is for, so a user's own
warnings stay visible. (The server signs its tokens without the warning: tokens.py.)"""

from __future__ import annotations

from .settings import Settings

# PyJWT warns (InsecureKeyLengthWarning) about every HMAC key under 32 bytes, on each token it signs
# or verifies. The mock's default LiveKit secret is livekit-server --dev's "secret", short on purpose:
# only a key of exactly its length is meant (a regular expression, matched at the message's start).
DEV_SECRET_WARNING = rf"The HMAC key is {len(Settings().livekit_api_secret)} bytes long"

# As pytest filterwarnings lines (ini syntax).
PYTEST_FILTERS = (f"ignore:{DEV_SECRET_WARNING}",)


# `equos-mock contract` runs pytest from inside mock_server (cli.py): pytest then finds the plugin's
# package imported before it could rewrite its asserts, and says so. Nothing there needs rewriting.
CONTRACT_COMMAND_FILTERS = (
    *PYTEST_FILTERS,
    "ignore:Module already imported so cannot be rewritten; mock_server:pytest.PytestAssertRewriteWarning",
)
