"""Pydantic models of every request and response: validation, JSON and OpenAPI come from here."""
