"""HTTP layer: parse and validate input, call the domain, shape the reply. No business rules."""
