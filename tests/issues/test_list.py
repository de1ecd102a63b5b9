"""``GET /issues``: a page is dumped from what its query loaded."""

from tests.dump_statements import statements_in_dump
from tests.issues.scene import ISSUES


def test_dumping_a_page_of_issues_of_several_firms_runs_no_statement(scene, app, monkeypatch):
    for firm, user in ((0, "firm1"), (1, "firm2"), (2, "b_manager"), (0, "a_manager")):
        scene.raise_(user, firm=firm, **({"source": "hotline"} if user != "firm1"
                                         and user != "firm2" else {}))
    with statements_in_dump(app, monkeypatch) as seen:
        page = scene.get(ISSUES, "admin")
    assert len(page["items"]) == 4
    assert {i["firm_name"] for i in page["items"]} == {f.name for f in scene.firms}
    assert seen == []
