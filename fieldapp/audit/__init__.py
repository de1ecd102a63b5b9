"""The audit log: recording every change, and reading it."""
