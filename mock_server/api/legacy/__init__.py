"""The legacy v1 API (and its deprecated /v3 aliases), apart from v3: see docs/architecture.md."""
