"""Every list endpoint's page is dumped from what its query loaded, through the plan
(``fieldapp.dumping``), into the very bytes marshmallow's own dump gives."""

import marshmallow
import pytest

from fieldapp.auth.passwords import DEMO_ACCOUNTS
from fieldapp.demo import load_demo
from fieldapp.dumping import PlannedSchema, plan
from fieldapp.firms.schemas import FirmOut
from fieldapp.pagination import page_of
from tests.dump_statements import statements_in_dump

LISTS = ["/api/v1/firms", "/api/v1/projects", "/api/v1/assignments", "/api/v1/visits",
         "/api/v1/issues", "/api/v1/users", "/api/v1/org-units", "/api/v1/audit-events"]


@pytest.fixture
def demo_admin(app, client, login):
    with app.app_context():
        load_demo()
    return login("admin", DEMO_ACCOUNTS["admin"])


@pytest.mark.parametrize("path", LISTS)
def test_a_page_dumped_through_the_plan_is_the_same_bytes_and_runs_no_statement(
        app, client, demo_admin, monkeypatch, path):
    query = {"page_size": 50, "status": "all"} if path == "/api/v1/firms" else {"page_size": 50}
    with statements_in_dump(app, monkeypatch) as seen:
        planned = client.get(path, query_string=query, headers=demo_admin)
    assert planned.status_code == 200
    assert planned.get_json()["items"], "the demo has rows for every list"
    assert seen == []
    monkeypatch.setattr(PlannedSchema, "dump", marshmallow.Schema.dump)
    assert client.get(path, query_string=query, headers=demo_admin).data == planned.data


def test_the_plan_follows_nested_lists_and_keeps_marshmallow_for_hooks_it_cannot_follow():
    class WithHook(marshmallow.Schema):
        id = marshmallow.fields.Integer()

        @marshmallow.post_dump
        def _upper(self, data, **_kwargs):
            return data

    assert plan(page_of(FirmOut)) is not None
    assert plan(WithHook) is None
