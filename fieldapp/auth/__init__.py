"""Authentication: passwords, tokens, sessions and the calling principal."""
