"""Visit photos: type by bytes, size and count limits, EXIF time and GPS checks, reuse, scope."""

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import GATE, offset
from PIL import Image

from tests.test_visits import VISITS, body, now


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path):
    app.config["PHOTO_DIR"] = str(tmp_path / "photos")
    return tmp_path / "photos"


def _dms(value: float):
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (d, m, s)


def jpeg(taken=None, where=None, colour=(200, 30, 30), offset_text="+08:00") -> bytes:
    """A small JPEG with EXIF DateTimeOriginal (local time + offset) and GPS when given."""
    image = Image.new("RGB", (32, 24), colour)
    exif = Image.Exif()
    if taken is not None:
        local = taken.astimezone(ZoneInfo("Asia/Shanghai"))  # the phone's wall clock
        exif.get_ifd(0x8769)[36867] = local.strftime("%Y:%m:%d %H:%M:%S")
        if offset_text:
            exif.get_ifd(0x8769)[36881] = offset_text
    if where is not None:
        lat, lon = where
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(lat)
        gps[3], gps[4] = ("E" if lon >= 0 else "W"), _dms(lon)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(colour=(10, 120, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(out, "PNG")
    return out.getvalue()


def upload(client, headers, visit_id, data, name="photo.jpg"):
    return client.post(f"{VISITS}/{visit_id}/photos", headers=headers,
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.fixture
def visit(client, scene, as_):
    resp = client.post(VISITS, json=body(scene.firm), headers=as_("commissioner"))
    assert resp.get_json()["status"] == "accepted"
    return resp.get_json()


def test_a_matching_photo_is_stored_by_hash_and_raises_nothing(client, scene, as_, visit,
                                                              photo_dir):
    data = jpeg(taken=now(), where=offset(*GATE, 0, 30))
    resp = upload(client, as_("commissioner"), visit["id"], data)
    assert resp.status_code == 201, resp.get_json()
    photo = resp.get_json()
    assert photo["content_type"] == "image/jpeg" and photo["flags"] == []
    assert photo["exif_lat"] == pytest.approx(offset(*GATE, 0, 30)[0], abs=1e-5)
    assert photo["exif_taken_at"] is not None
    stored = list(photo_dir.rglob(f"{photo['sha256']}.jpg"))
    assert len(stored) == 1 and stored[0].read_bytes() == data
    again = upload(client, as_("commissioner"), visit["id"], data)
    assert again.status_code == 200 and again.get_json()["id"] == photo["id"]
    got = client.get(f"{VISITS}/{visit['id']}", headers=as_("commissioner")).get_json()
    assert got["status"] == "accepted" and len(got["photos"]) == 1
    file = client.get(photo["url"], headers=as_("a_manager"))
    assert file.status_code == 200 and file.mimetype == "image/jpeg"
    assert file.get_data() == data


def test_a_photo_taken_hours_away_from_the_visit_is_flagged(client, scene, as_, visit):
    resp = upload(client, as_("commissioner"), visit["id"], jpeg(taken=now() - timedelta(hours=5)))
    assert resp.get_json()["flags"] == ["photo_time_mismatch"]
    got = client.get(f"{VISITS}/{visit['id']}", headers=as_("commissioner")).get_json()
    assert "photo_time_mismatch" in got["verification"]["flags"]
    assert got["status"] == "needs_review"


def test_a_photo_without_an_offset_is_read_as_china_time(client, scene, as_, visit):
    resp = upload(client, as_("commissioner"), visit["id"], jpeg(taken=now(), offset_text=""))
    assert resp.get_json()["flags"] == []


def test_a_photo_taken_elsewhere_is_flagged(client, scene, as_, visit):
    far = jpeg(taken=now(), where=offset(*GATE, 90, 3000))
    assert upload(client, as_("commissioner"), visit["id"], far).get_json()["flags"] == [
        "photo_location_mismatch"]


def test_the_same_image_on_another_visit_is_reused(client, scene, as_, visit):
    data = jpeg(taken=now(), where=GATE, colour=(1, 2, 3))
    assert upload(client, as_("commissioner"), visit["id"], data).get_json()["flags"] == []
    other = client.post(VISITS, json=body(scene.park_firm, (34.35, 108.75)),
                        headers=as_("commissioner")).get_json()
    resp = upload(client, as_("commissioner"), other["id"], data)
    assert "photo_reused" in resp.get_json()["flags"]
    fresh = upload(client, as_("commissioner"), other["id"], png())
    assert fresh.get_json()["flags"] == [] and fresh.get_json()["content_type"] == "image/png"


def test_not_an_image_is_415_and_a_broken_one_422(client, scene, as_, visit):
    resp = upload(client, as_("commissioner"), visit["id"], b"just some text", "photo.jpg")
    assert resp.status_code == 415 and resp.mimetype == "application/problem+json"
    broken = jpeg(taken=now())[:40]
    resp = upload(client, as_("commissioner"), visit["id"], broken)
    assert resp.status_code == 422 and "file" in resp.get_json()["errors"]
    resp = client.post(f"{VISITS}/{visit['id']}/photos", headers=as_("commissioner"),
                       data=png(), content_type="image/png")
    assert resp.status_code == 415
    assert client.get(f"{VISITS}/{visit['id']}/photos",
                      headers=as_("commissioner")).get_json() == []


def test_size_and_count_limits(app, client, scene, as_, visit):
    app.config["PHOTO_MAX_BYTES"] = 500
    big = jpeg(taken=now(), colour=(9, 9, 9)) + b"\0" * 600
    assert upload(client, as_("commissioner"), visit["id"], big).status_code == 413
    app.config["PHOTO_MAX_BYTES"] = 10 * 1_048_576
    app.config["VISIT_MAX_PHOTOS"] = 2
    for i in range(2):
        assert upload(client, as_("commissioner"), visit["id"],
                      png((i, i, i))).status_code == 201
    resp = upload(client, as_("commissioner"), visit["id"], png((7, 7, 7)))
    assert resp.status_code == 422 and "file" in resp.get_json()["errors"]


def test_who_may_add_and_see_photos(client, scene, as_, visit):
    data = png()
    assert upload(client, as_("a_manager"), visit["id"], data).status_code == 403
    assert upload(client, as_("other"), visit["id"], data).status_code == 404
    assert upload(client, as_("b_manager"), visit["id"], data).status_code == 404
    photo = upload(client, as_("commissioner"), visit["id"], data).get_json()
    assert client.get(photo["url"], headers=as_("b_manager")).status_code == 404
    assert client.get(f"{VISITS}/{visit['id']}/photos/999999/file",
                      headers=as_("commissioner")).status_code == 404


def test_heic_from_an_iphone_is_accepted(client, scene, as_, visit):
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (5, 5, 5)).save(out, "HEIF")
    resp = upload(client, as_("commissioner"), visit["id"], out.getvalue(), "IMG_0001.HEIC")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["content_type"] == "image/heic"
    file = client.get(resp.get_json()["url"], headers=as_("commissioner"))
    assert file.mimetype == "image/heic" and file.get_data() == out.getvalue()
