"""Bulk firm import: CSV in UTF-8, UTF-8 with BOM and GBK, GeoJSON, modes, re-import, CLI."""

import io
import json
import random

import pytest
from sqlalchemy import func, select

from fieldapp.demo.registry import make_uscc
from fieldapp.extensions import db
from fieldapp.firms import uscc
from geo import wgs84_to_gcj02
from models import AuditEvent, Firm, Site, SiteVersion

IMPORT = "/api/v1/firms/import"


class Scene:
    def __init__(self, world):
        w = self.world = world
        rng = random.Random(5)
        self.codes = [make_uscc(rng, "610402") for _ in range(10)]
        for name, roles, unit in (("admin", ["admin"], w.city),
                                  ("a_manager", ["manager"], w.county_a),
                                  ("commissioner", ["commissioner"], w.county_a)):
            w.user(name, roles, unit)


@pytest.fixture
def scene(world):
    return Scene(world)


def csv_text(scene, rows=None, header="uscc,name,org_unit_code,lat,lon,tags,contact_name"):
    rows = rows if rows is not None else [
        f"{scene.codes[0]},秦川机械有限公司,CA,34.33,108.71,above_scale;key,王经理",
        f"{scene.codes[1]},园区电子有限公司,PA,34.35,108.73,,",
    ]
    return "\n".join([header, *rows]) + "\n"


def post_csv(client, headers, text, encoding="utf-8", **query):
    return client.post(IMPORT, data=text.encode(encoding), query_string=query,
                       headers={**headers, "Content-Type": "text/csv"})


def count(model=Firm):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_utf8_csv_creates_firms_with_sites_tags_and_contacts(client, scene, as_):
    resp = post_csv(client, as_("admin"), csv_text(scene))
    assert resp.status_code == 200, resp.get_json()
    report = resp.get_json()
    assert (report["rows"], report["created"], report["failed"]) == (2, 2, 0)
    assert report["encoding"] == "utf-8"
    assert [r["row"] for r in report["results"]] == [2, 3]
    firm = db.session.scalar(select(Firm).where(Firm.uscc == scene.codes[0]))
    assert firm.org_unit_id == scene.world.county_a.id
    assert firm.tags == ["above_scale", "key"]
    assert firm.contacts == [{"name": "王经理", "is_primary": False}]
    assert len(firm.active_sites) == 1 and firm.active_sites[0].name == "主址"
    assert count(SiteVersion) == 2
    # The bulk path writes the audit trail a flush would: one create per firm, tag and site.
    events = db.session.execute(select(AuditEvent.entity, AuditEvent.entity_id,
                                       AuditEvent.after, AuditEvent.org_unit_id)
                                .where(AuditEvent.action == "create")).all()
    by_entity = {}
    for entity, entity_id, after, unit in events:
        by_entity.setdefault(entity, {})[entity_id] = (after, unit)
    after, unit = by_entity["firms"][str(firm.id)]
    assert (after["uscc"], after["name"], unit) == (scene.codes[0], "秦川机械有限公司",
                                                    scene.world.county_a.id)
    assert set(by_entity["firm_tags"]) == {f"{firm.id},above_scale", f"{firm.id},key"}
    site_after, _ = by_entity["sites"][str(firm.active_sites[0].id)]
    assert site_after["point"] == "POINT (108.71 34.33)"


@pytest.mark.parametrize("encoding,label", [("utf-8-sig", "utf-8"), ("gbk", "gbk")])
def test_bom_and_gbk_files_with_chinese_headers_from_excel(client, scene, as_, encoding, label):
    header = "统一社会信用代码,企业名称,单位编码,纬度,经度,标签,联系电话,联系人"
    rows = [f"{scene.codes[0]},秦川机械有限公司,CA,34.33,108.71,规上、专精特新,029-1234,李四"]
    resp = post_csv(client, as_("admin"), csv_text(scene, rows, header), encoding)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["encoding"] == label
    firm = db.session.scalar(select(Firm))
    assert firm.name == "秦川机械有限公司"
    assert firm.tags == ["above_scale", "specialized"]
    assert firm.contacts == [{"name": "李四", "phone": "029-1234", "is_primary": False}]


def test_importing_the_same_file_twice_changes_nothing(client, scene, as_):
    text = csv_text(scene)
    assert post_csv(client, as_("admin"), text).get_json()["created"] == 2
    events = count(AuditEvent)
    report = post_csv(client, as_("admin"), text).get_json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 2)
    assert count() == 2 and count(Site) == 2 and count(SiteVersion) == 2
    assert count(AuditEvent) == events


def test_a_moved_point_updates_the_firm_with_a_new_geometry_version(client, scene, as_):
    post_csv(client, as_("admin"), csv_text(scene))
    moved = csv_text(scene, [f"{scene.codes[0]},秦川机械股份有限公司,CA,34.3305,108.71,key,"])
    report = post_csv(client, as_("admin"), moved).get_json()
    assert (report["updated"], report["created"]) == (1, 0)
    firm = db.session.scalar(select(Firm).where(Firm.uscc == scene.codes[0]))
    assert firm.name == "秦川机械股份有限公司" and firm.tags == ["key"]
    [site] = firm.active_sites
    assert site.version == 2
    assert count(SiteVersion) == 3


def test_all_or_nothing_reports_every_bad_row_and_stores_nothing(client, scene, as_):
    bad_check = scene.codes[2][:17] + next(c for c in uscc.ALPHABET if c != scene.codes[2][17])
    rows = [
        f"{scene.codes[0]},好企业,CA,34.33,108.71,,",
        f"{bad_check},校验错,CA,34.33,108.71,,",
        f"{scene.codes[3]},坐标错,CA,north,108.71,,",
        f"{scene.codes[4]},标签错,CA,34.33,108.71,big,",
        f"{scene.codes[5]},单位错,XX,34.33,108.71,,",
        f"{scene.codes[0]},重复,CA,34.33,108.71,,",
        f"{scene.codes[6]},纬度越界,CA,95,108.71,,",
        f"{scene.codes[7]},少一列,CA,34.33,108.71",
    ]
    resp = post_csv(client, as_("admin"), csv_text(scene, rows))
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    got = {(e["row"], e["field"]) for e in resp.get_json()["row_errors"]}
    assert got == {(3, "uscc"), (4, "lat"), (5, "tags.0"), (6, "org_unit_code"), (7, "uscc"),
                   (8, "lat"), (9, "_row")}
    assert count() == 0 and count(Site) == 0


def test_valid_rows_stores_the_good_ones_and_lists_the_rest(client, scene, as_):
    rows = [f"{scene.codes[0]},好企业,CA,34.33,108.71,,", f"{scene.codes[1]},坏企业,CA,,108.71,,"]
    resp = post_csv(client, as_("admin"), csv_text(scene, rows), mode="valid_rows")
    assert resp.status_code == 200
    report = resp.get_json()
    assert (report["created"], report["failed"]) == (1, 1)
    assert report["row_errors"] == [{"row": 3, "field": "lat", "message": "is required"}]
    assert count() == 1


def test_an_early_code_is_kept_only_when_the_row_says_so(client, scene, as_):
    early = scene.codes[0][:17] + next(c for c in uscc.ALPHABET if c != scene.codes[0][17])
    header = "uscc,name,org_unit_code,lat,lon,uscc_checksum_exempt"
    resp = post_csv(client, as_("admin"), csv_text(scene, [f"{early},老企业,CA,34.3,108.7,是"],
                                                   header))
    assert resp.status_code == 200, resp.get_json()
    firm = db.session.scalar(select(Firm))
    assert (firm.uscc, firm.uscc_checksum_ok) == (early, False)
    # The exemption never covers a wrong length or an illegal character.
    resp = post_csv(client, as_("admin"), csv_text(scene, ["91610402MA6XIOSVZ1,x,CA,34.3,108.7,1"],
                                                   header))
    assert resp.get_json()["row_errors"][0]["field"] == "uscc"


def test_scope_rows_in_other_units_and_firms_outside_scope_fail(client, scene, as_):
    assert post_csv(client, as_("admin"), csv_text(scene, [
        f"{scene.codes[0]},乙县企业,CB,34.3,108.7,,"])).status_code == 200
    rows = [f"{scene.codes[0]},抢注,CA,34.3,108.7,,", f"{scene.codes[1]},外县,CB,34.3,108.7,,",
            f"{scene.codes[2]},本县,CA,34.3,108.7,,"]
    report = post_csv(client, as_("a_manager"), csv_text(scene, rows),
                      mode="valid_rows").get_json()
    assert {(e["row"], e["field"]) for e in report["row_errors"]} == {
        (2, "uscc"), (3, "org_unit_code")}
    assert report["created"] == 1
    assert db.session.scalar(select(Firm.name).where(Firm.uscc == scene.codes[0])) == "乙县企业"
    assert post_csv(client, as_("commissioner"), csv_text(scene)).status_code == 403


def test_default_unit_and_crs_come_from_the_query(client, scene, as_):
    lat, lon = wgs84_to_gcj02(34.33, 108.71)
    text = csv_text(scene, [f"{scene.codes[0]},企业,{lat:.8f},{lon:.8f}"],
                    header="uscc,name,lat,lon")
    resp = post_csv(client, as_("admin"), text, crs="gcj02",
                    org_unit_id=scene.world.park_a.id)
    assert resp.status_code == 200, resp.get_json()
    firm = db.session.scalar(select(Firm))
    assert firm.org_unit_id == scene.world.park_a.id
    point = db.session.scalar(select(func.ST_Y(Site.point)))
    assert point == pytest.approx(34.33, abs=1e-6)


def test_control_characters_and_a_deep_boundary_are_row_errors_alike_on_both_databases(
        client, scene, as_):
    # Issue 14, item 4, through the import: SQLite stored a NUL in a firm's name that
    # PostgreSQL's COPY refused with a 500; a boundary cell nested too deeply was a 500 on both.
    header = "uscc,name,org_unit_code,lat,lon,site_name,boundary"
    rows = [f"{scene.codes[0]},秦川\x00机械,CA,34.33,108.71,,",
            f"{scene.codes[1]},园区电子,CA,34.35,108.73,厂\x1b区,",
            f'{scene.codes[2]},深层,CA,34.35,108.73,,"{"[" * 5000}{"]" * 5000}"',
            f"{scene.codes[3]},好企业 🏭,CA,34.35,108.73,,"]
    resp = post_csv(client, as_("admin"), csv_text(scene, rows, header), mode="valid_rows")
    assert resp.status_code == 200, resp.get_json()
    report = resp.get_json()
    assert {(e["row"], e["field"]) for e in report["row_errors"]} == {
        (2, "name"), (3, "site_name"), (4, "boundary")}
    assert report["created"] == 1
    assert db.session.scalar(select(Firm.name)) == "好企业 🏭"
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [108.71, 34.33]},
         "properties": {"uscc": scene.codes[4], "name": "a\u0000b", "org_unit_code": "CA"}}]}
    resp = client.post(IMPORT, data=json.dumps(collection),
                       headers={**as_("admin"), "Content-Type": "application/geo+json"})
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert [(e["row"], e["field"]) for e in resp.get_json()["row_errors"]] == [(1, "name")]
    assert count() == 1


def test_a_geojson_feature_collection(client, scene, as_):
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [108.71, 34.33]},
         "properties": {"uscc": scene.codes[0], "name": "点企业", "org_unit_code": "CA"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
            [108.70, 34.32], [108.72, 34.32], [108.72, 34.34], [108.70, 34.34],
            [108.70, 34.32]]]},
         "properties": {"uscc": scene.codes[1], "name": "地块企业", "org_unit_code": "CA",
                        "tags": ["key"]}},
        {"type": "Feature", "geometry": None,
         "properties": {"uscc": scene.codes[2], "name": "无坐标", "org_unit_code": "CA"}},
        "not a feature",
    ]}
    resp = client.post(IMPORT, data=json.dumps(collection), query_string={"mode": "valid_rows"},
                       headers={**as_("admin"), "Content-Type": "application/geo+json"})
    assert resp.status_code == 200, resp.get_json()
    report = resp.get_json()
    assert report["created"] == 2
    assert {(e["row"], e["field"]) for e in report["row_errors"]} == {(3, "sites.0.point"),
                                                                     (4, "_row")}
    firm = db.session.scalar(select(Firm).where(Firm.uscc == scene.codes[1]))
    assert firm.active_sites[0].boundary is not None


def test_multipart_upload_of_a_csv_file(client, scene, as_):
    data = {"file": (io.BytesIO(csv_text(scene).encode("gbk")), "企业.csv")}
    resp = client.post(IMPORT, data=data, content_type="multipart/form-data",
                       headers=as_("admin"))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["created"] == 2


@pytest.mark.parametrize("text,words", [
    ("", "empty"), ("uscc,name\n1,2\n", "Missing column"),
    ("uscc,name,lat,lon,colour\n", "Unknown column"),
])
def test_unreadable_files_are_a_422_naming_the_file(client, scene, as_, text, words):
    resp = post_csv(client, as_("admin"), text)
    assert resp.status_code == 422
    assert words in resp.get_json()["errors"]["file"][0]


def test_wrong_type_and_oversized_files_are_refused(app, client, scene, as_):
    resp = client.post(IMPORT, data=b"\x89PNG", headers={**as_("admin"),
                                                         "Content-Type": "image/png"})
    assert resp.status_code == 415
    assert resp.mimetype == "application/problem+json"
    app.config["IMPORT_MAX_BYTES"] = 100
    resp = post_csv(client, as_("admin"), csv_text(scene))
    assert resp.status_code == 413
    assert count() == 0
    resp = client.post(IMPORT, data=b"\xff\xfe\x00\x00garbage\x81",
                       headers={**as_("admin"), "Content-Type": "text/csv"})
    assert resp.status_code == 422


def test_the_cli_imports_a_file(app, scene, tmp_path):
    path = tmp_path / "firms.csv"
    path.write_bytes(csv_text(scene).encode("gbk"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["firms", "import", str(path), "--user", "admin"])
    assert result.exit_code == 0, result.output
    assert "created=2" in result.output and "encoding=gbk" in result.output
    result = runner.invoke(args=["firms", "import", str(path), "--user", "admin"])
    assert "unchanged=2" in result.output
    assert count() == 2
    actor = db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.entity == "firms"))
    assert actor is not None
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text(scene, ["x,y,CA,1,2,,"]), encoding="utf-8")
    result = runner.invoke(args=["firms", "import", str(bad), "--user", "admin"])
    assert result.exit_code == 1
    result = runner.invoke(args=["firms", "import", str(path), "--user", "nobody"])
    assert result.exit_code != 0


def test_statistics_are_refreshed_after_a_bulk_load_on_postgresql(app, backend):
    from sqlalchemy import text

    from models.bulk import refresh_statistics

    with db.engine.begin() as conn:
        refresh_statistics(conn, [Firm.__table__, Site.__table__])
    if backend == "postgresql":
        with db.engine.connect() as conn:
            analysed = conn.execute(text(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL "
                "AND relname IN ('firms', 'sites')")).scalars().all()
        assert sorted(analysed) == ["firms", "sites"]
