"""Visit photos: JPEG, PNG or HEIC, stored on disk by SHA-256, checked against the visit.

Rules (the API docs repeat them):

- Only the visit's filer uploads (others who can see the visit: 403; cannot: 404). The type is
  read from the bytes, never the file name or declared type: anything but JPEG, PNG or HEIC is
  415; bytes that claim to be an image but do not open are 422. Larger than
  ``FIELDAPP_PHOTO_MAX_BYTES``: 413. More than ``FIELDAPP_VISIT_MAX_PHOTOS`` per visit: 422.
- The same image uploaded again to the same visit is a replay (200 with the stored photo).
- EXIF: capture time (DateTimeOriginal with OffsetTimeOriginal; without an offset the phone's
  local time is taken as Asia/Shanghai) and GPS (WGS-84, as phones write it). Flags on the photo,
  and on the visit (an accepted visit then goes to review):
  ``photo_time_mismatch`` (EXIF time more than ``FIELDAPP_PHOTO_MAX_TIME_DIFF_S`` from the
  visit's capture time), ``photo_location_mismatch`` (EXIF position more than
  ``FIELDAPP_PHOTO_MAX_DISTANCE_M`` from the visit's position), ``photo_reused`` (the same image
  is attached to another visit). A photo without EXIF raises neither time nor location flag:
  messaging apps strip EXIF, and its absence proves nothing.
"""

import hashlib
import io
import os
from datetime import datetime

from flask import current_app, request
from geoalchemy2.shape import to_shape
from PIL import Image, UnidentifiedImageError
from pillow_heif import register_heif_opener
from sqlalchemy import select

from fieldapp import clock, scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from geo import geodesic_distance_m
from models import Visit, VisitPhoto

register_heif_opener()

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 36867, 36881


def sniff(data: bytes) -> str | None:
    """The image type the bytes are, by their magic numbers; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return "image/heic"
    return None


def _degrees(value, ref) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    return -degrees if ref in ("S", "W", b"S", b"W") else degrees


def read_exif(data: bytes) -> tuple[datetime | None, float | None, float | None]:
    """``(taken_at, lat, lon)`` from the image's EXIF; None for whatever is missing or garbled.

    Raises ``UnidentifiedImageError``/``OSError`` when the bytes are not a readable image.
    """
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # decodes it: a truncated or forged file fails here
        exif = image.getexif()
    taken_at = None
    sub = exif.get_ifd(EXIF_IFD)
    stamp, offset = sub.get(DATETIME_ORIGINAL), sub.get(OFFSET_TIME_ORIGINAL)
    if isinstance(stamp, str):
        try:
            taken_at = datetime.strptime(stamp.strip(), "%Y:%m:%d %H:%M:%S")
            if isinstance(offset, str) and offset.strip():
                taken_at = datetime.fromisoformat(taken_at.isoformat() + offset.strip())
            else:
                taken_at = taken_at.replace(tzinfo=clock.LOCAL_TZ)
        except ValueError:
            taken_at = None
    gps = exif.get_ifd(GPS_IFD)
    lat = _degrees(gps.get(2), gps.get(1)) if gps else None
    lon = _degrees(gps.get(4), gps.get(3)) if gps else None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        lat = lon = None
    return taken_at, lat, lon


def path_of(sha256: str, content_type: str) -> str:
    """Where the image lives under FIELDAPP_PHOTO_DIR: ``ab/cd/abcd….jpg``."""
    root = current_app.config["PHOTO_DIR"] or os.path.join(current_app.instance_path, "photos")
    return os.path.join(root, sha256[:2], sha256[2:4], f"{sha256}.{EXTENSIONS[content_type]}")


def _store(data: bytes, path: str) -> None:
    if os.path.exists(path):
        return  # content-addressed: the same bytes are already there
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.{os.getpid()}.part"
    with open(partial, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


def _upload() -> bytes:
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise Problem(413, f"The photo is larger than the limit of {limit} bytes.",
                      slug="too-large")
    request.max_content_length = limit + 64 * 1024  # room for the multipart envelope
    if request.mimetype != "multipart/form-data":
        raise Problem(415, "Send the photo as multipart/form-data in the field 'file'.",
                      slug="unsupported-media-type")
    upload = request.files.get("file")
    if upload is None:
        raise Problem(422, "The request has invalid fields.", slug="validation",
                      errors={"file": ["Missing data for required field."]})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise Problem(413, f"The photo is larger than the limit of {limit} bytes.",
                      slug="too-large")
    return data


def add_photo(principal: Principal, visit_id: int) -> tuple[VisitPhoto, bool]:
    """Attach the uploaded image to the visit; ``(photo, created)``."""
    visit = db.session.scalar(scope.scoped(Visit, principal).where(Visit.id == visit_id)
                              .with_for_update())
    if visit is None:
        raise scope.not_found(Visit, visit_id)
    if visit.user_id != principal.user_id:
        raise scope.forbidden("Only the person who filed the visit adds its photos.")
    data = _upload()
    content_type = sniff(data)
    if content_type is None:
        raise Problem(415, "Only JPEG, PNG and HEIC images are accepted.",
                      slug="unsupported-media-type")
    digest = hashlib.sha256(data).hexdigest()
    for photo in visit.photos:
        if photo.sha256 == digest:
            return photo, False
    config = current_app.config
    if len(visit.photos) >= config["VISIT_MAX_PHOTOS"]:
        raise Problem(422, "The request has invalid fields.", slug="validation", errors={
            "file": [f"At most {config['VISIT_MAX_PHOTOS']} photos per visit."]})
    try:
        taken_at, lat, lon = read_exif(data)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise Problem(422, "The request has invalid fields.", slug="validation", errors={
            "file": ["This file claims to be an image but cannot be read."]}) from None
    flags = []
    if taken_at is not None and abs((taken_at - visit.captured_at).total_seconds()) > \
            config["PHOTO_MAX_TIME_DIFF_S"]:
        flags.append("photo_time_mismatch")
    if lat is not None:
        here = to_shape(visit.point)
        if geodesic_distance_m(lat, lon, here.y, here.x) > config["PHOTO_MAX_DISTANCE_M"]:
            flags.append("photo_location_mismatch")
    if db.session.scalar(select(VisitPhoto.id).where(
            VisitPhoto.sha256 == digest, VisitPhoto.visit_id != visit.id).limit(1)):
        flags.append("photo_reused")
    _store(data, path_of(digest, content_type))
    photo = VisitPhoto(sha256=digest, content_type=content_type, size_bytes=len(data),
                       exif_taken_at=taken_at, exif_lat=lat, exif_lon=lon, flags=flags,
                       uploaded_by_id=principal.user_id)
    visit.photos.append(photo)
    if flags:
        visit.flags = list(dict.fromkeys([*visit.flags, *flags]))
        if visit.status == "accepted":
            visit.status = "needs_review"
    db.session.commit()
    return photo, True


def photo_of(principal: Principal, visit_id: int, photo_id: int) -> VisitPhoto:
    """A photo of a visible visit, else 404."""
    visit = scope.get_visible(Visit, visit_id, principal)
    photo = next((p for p in visit.photos if p.id == photo_id), None)
    if photo is None:
        raise scope.not_found(VisitPhoto, photo_id)
    return photo
