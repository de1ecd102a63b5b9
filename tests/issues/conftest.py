"""Fixtures of the issue tests."""

import pytest

from tests.issues.scene import Scene


@pytest.fixture
def scene(world, client, login, monkeypatch):
    """Two counties' departments, staff and firms, the clock at 16:00 on Fri 13 Feb 2026."""
    return Scene(world, client, login, monkeypatch)
