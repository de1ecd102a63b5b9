"""The one error type of the geo package.

Bad input (a latitude of 91, a NaN accuracy, an invalid polygon) is a programming or
client error, never a verdict: callers turn a ``GeoError`` into a 400 response naming
``field`` so the client can fix what it sent.
"""

from __future__ import annotations


class GeoError(ValueError):
    """Invalid geographic input; ``field`` names the offending input field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
