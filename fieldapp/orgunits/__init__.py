"""Org units (city → county/district → park/street) over HTTP."""
