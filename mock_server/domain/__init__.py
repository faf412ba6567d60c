"""The rules of the fake API: no HTTP here."""
