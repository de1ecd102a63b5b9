"""Visits over HTTP."""
