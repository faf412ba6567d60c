"""The Equos contract kit: a property-based suite that runs against the mock or the real Equos API.

Run it with ``pytest --pyargs contract_tests`` (or ``equos-mock contract``); see the README section
"Checking the mock against the real API".
"""

CONTRACT_VERSION = "v3"
