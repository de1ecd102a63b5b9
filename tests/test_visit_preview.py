"""``POST /visits/preview``: the verdict filing would give, computed alike, nothing stored."""

import pytest
from conftest import GATE, PARK, offset
from sqlalchemy import func, select

from fieldapp.extensions import db
from models import Issue, Visit
from tests.test_visits import VISITS, body, now

PREVIEW = f"{VISITS}/preview"


def counts():
    return (db.session.scalar(select(func.count()).select_from(Visit)),
            db.session.scalar(select(func.count()).select_from(Issue)))


@pytest.mark.parametrize(("where", "extra"), [
    (offset(*GATE, 90, 40), {}),  # verified
    (offset(*GATE, 0, 400), {}),  # out of range
    (offset(*GATE, 0, 160), {"accuracy": 80}),  # coarse at the edge: inconclusive
    (GATE, {"source": "manual"}),
])
def test_the_preview_equals_the_verification_then_stored(client, scene, as_, where, extra):
    sent = body(scene.firm, where, **extra)
    preview = client.post(PREVIEW, json=sent, headers=as_("commissioner"))
    assert preview.status_code == 200, preview.get_json()
    assert counts() == (0, 0)
    stored = client.post(VISITS, json=sent, headers=as_("commissioner")).get_json()
    got, expected = preview.get_json(), stored["verification"]
    for key in ("verdict", "distance_m", "radius_m", "accuracy_m", "raw_accuracy_m", "flags",
                "status", "measured_to", "site_id", "site_version", "rule_version",
                "position_wgs84"):
        assert got[key] == expected[key], key


def test_a_preview_of_a_park_boundary_and_mock_location(client, scene, as_):
    sent = body(scene.park_firm, PARK, position_mock=True)
    sent["position"]["mock"] = True
    sent.pop("position_mock")
    got = client.post(PREVIEW, json=sent, headers=as_("commissioner")).get_json()
    assert (got["verdict"], got["distance_m"], got["measured_to"]) == ("verified", 0, "polygon")
    assert "mock_location" in got["flags"] and got["status"] == "needs_review"


def test_client_id_and_capture_time_are_optional_and_issues_are_not_raised(client, scene, as_):
    sent = body(scene.firm, GATE, issues=[{"category": "power", "title": "停电"}])
    del sent["client_id"], sent["captured_at"]
    resp = client.post(PREVIEW, json=sent, headers=as_("commissioner"))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["verdict"] == "verified"
    assert counts() == (0, 0)


def test_the_preview_sees_the_callers_earlier_visits(client, scene, as_):
    # A visit filed a minute ago at the gate, then a preview 40 km away: impossible travel.
    first = body(scene.firm, GATE)
    assert client.post(VISITS, json=first, headers=as_("commissioner")).status_code == 201
    far = body(scene.park_firm, offset(*PARK, 0, 40_000))
    got = client.post(PREVIEW, json=far, headers=as_("commissioner")).get_json()
    stored = client.post(VISITS, json=far, headers=as_("commissioner")).get_json()
    assert got["flags"] == stored["verification"]["flags"] and got["flags"]


def test_the_preview_refuses_what_filing_refuses(client, scene, as_):
    assert client.post(PREVIEW, json=body(scene.b_firm),
                       headers=as_("commissioner")).status_code == 404
    assert client.post(PREVIEW, json=body(scene.unassigned),
                       headers=as_("a_manager")).status_code == 403
    scene.firm.status, scene.firm.closed_at = "closed", now()
    db.session.commit()
    resp = client.post(PREVIEW, json=body(scene.firm), headers=as_("commissioner"))
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"firm_id"}
    bad = body(scene.park_firm)
    bad["position"]["lat"] = 91
    resp = client.post(PREVIEW, json=bad, headers=as_("commissioner"))
    assert resp.status_code == 422 and "position.lat" in resp.get_json()["errors"]
    assert resp.mimetype == "application/problem+json"
    assert client.post(PREVIEW, json=body(scene.park_firm)).status_code == 401
    assert counts() == (0, 0)
