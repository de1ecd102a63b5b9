"""Assignments over HTTP."""
