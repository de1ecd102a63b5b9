"""Firms (企业) and their sites over HTTP."""
