"""The Equos contract kit: a property-based suite that runs against the mock or the real Equos API.

Run it with ``pytest --pyargs contract_tests`` (or ``equos-mock contract``); see
docs/contract-kit.md.
"""

CONTRACT_VERSION = "v3"
