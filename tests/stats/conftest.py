"""Fixtures of the visit-rate and overdue tests."""

import pytest

from tests.stats.scene import RATE, Scene


@pytest.fixture
def scene(world):
    return Scene(world)


@pytest.fixture
def report(client, as_):
    def _report(period, user="admin", **query):
        resp = client.get(RATE, query_string={"period": period, **query}, headers=as_(user))
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()
    return _report
