"""Domain rules of the legacy v1 API: agents, avatars, sessions and their limits."""
