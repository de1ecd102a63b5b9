"""Configuration: defaults, then ``FIELDAPP_*`` environment variables, then a test mapping.

Every setting can be given as ``FIELDAPP_<NAME>``; the default's type decides how the string is
read (int, float, bool, str).
"""

import os
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-not-secret"

DEFAULTS: dict[str, object] = {
    # development | production. Production refuses the default secret and demo passwords.
    "ENV": "development",
    # Unset → SQLite + SpatiaLite file in instance/; or postgresql+psycopg://user@host/db.
    "DATABASE_URL": "",
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    # redis://host:6379/0 for shared rate-limit state across workers; empty → in-process memory.
    "REDIS_URL": "",
    "ACCESS_TOKEN_TTL": 900,
    "REFRESH_TOKEN_TTL": 30 * 24 * 3600,
    # Largest request body in bytes; bigger → 413 before the body is read.
    "MAX_BODY_BYTES": 1_048_576,
    # Failed log-ins allowed per window, per account and per client address.
    "LOGIN_FAILURES_PER_ACCOUNT": "5 per 15 minutes",
    "LOGIN_FAILURES_PER_ADDRESS": "30 per 15 minutes",
    "PAGE_SIZE_MAX": 200,
    # Number of proxies in front of the app whose X-Forwarded-For to trust (0 = none).
    "TRUSTED_PROXIES": 0,
    "LOG_LEVEL": "INFO",
    # Registry: a site's geofence radius when none is given, and limits on site geometry.
    "SITE_RADIUS_M": 200.0,
    "SITE_MAX_VERTICES": 5000,
    # A site's point may lie at most this far outside its own boundary.
    "SITE_POINT_MAX_OUTSIDE_M": 1000.0,
    # Most features one GeoJSON map response holds (page through more with page=).
    "GEOJSON_MAX_FEATURES": 5000,
    # Most firms one coverage map (GET /stats/coverage.geojson) draws; a scope with more due
    # is refused (422 on org_unit_id: choose a smaller unit). 10^5 points are ≈15 MB of JSON.
    "COVERAGE_MAX_FIRMS": 100_000,
    # Visits: most per batch upload, issues per visit; how far in the future (device clock
    # running fast) and how old (offline for days) a capture time may be.
    "VISIT_BATCH_MAX": 200,
    "VISIT_MAX_ISSUES": 10,
    "VISIT_MAX_FUTURE_S": 300,
    "VISIT_MAX_AGE_DAYS": 30,
    # Visit photos: where they are stored ("" = <instance>/photos), how large and how many,
    # and how far their EXIF time and position may be from the visit's before being flagged.
    "PHOTO_DIR": "",
    "PHOTO_MAX_BYTES": 10 * 1_048_576,
    "VISIT_MAX_PHOTOS": 9,
    "PHOTO_MAX_TIME_DIFF_S": 3600,
    "PHOTO_MAX_DISTANCE_M": 500.0,
    # Bulk import over HTTP: largest file accepted (the CLI has no limit).
    "IMPORT_MAX_BYTES": 20 * 1_048_576,
    # Issues: tracking-number prefix; working days a firm may reopen after resolution; working
    # days after which an unrated resolved issue closes; working days overdue before
    # supervision goes from level 1 to level 2.
    "ISSUE_TRACKING_PREFIX": "XY",
    "ISSUE_REOPEN_WINDOW_DAYS": 15,
    "ISSUE_AUTO_CLOSE_DAYS": 10,
    "ISSUE_SUPERVISE_AFTER_DAYS": 5,
    # Issue check codes (查询码): the key deriving them ("" = derived from SECRET_KEY), and failed
    # look-ups of POST /track allowed per client address.
    "ISSUE_CHECK_CODE_KEY": "",
    # Most files (photos, PDFs) attached to one issue; each at most PHOTO_MAX_BYTES.
    "ISSUE_MAX_ATTACHMENTS": 9,
    "TRACK_FAILURES_PER_ADDRESS": "20 per 10 minutes",
    # The visitor's e-credential (电子亮证): its signing key ("" = derived from SECRET_KEY under
    # its own label), lifetime in seconds, and refused checks allowed per client address.
    "CREDENTIAL_KEY": "",
    "CREDENTIAL_TTL": 300,
    "CREDENTIAL_FAILURES_PER_ADDRESS": "20 per 10 minutes",
    # Open311: may anyone read requests without an api_key (then without description,
    # address or position)?
    "OPEN311_PUBLIC_READS": False,
    # Web pages: extra origins images may load from (a map tile server), space-separated.
    "WEB_CSP_IMG_SRC": "",
    # Maps' base layer (see fieldapp/web/basemap.py): a Leaflet tile URL template ("" = plain
    # background), its attribution, the tiles' coordinate system (wgs84 | cgcs2000 | gcj02),
    # and the characters {s} in the URL stands for, one per subdomain.
    "MAP_TILE_URL": "",
    "MAP_TILE_ATTRIBUTION": "",
    "MAP_TILE_CRS": "wgs84",
    "MAP_TILE_SUBDOMAINS": "abc",
}


def _coerce(name: str, raw: str, default: object) -> object:
    if isinstance(default, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"FIELDAPP_{name} must be true or false, got {raw!r}")
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"FIELDAPP_{name} must be a number, got {raw!r}") from None
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"FIELDAPP_{name} must be an integer, got {raw!r}") from None
    return raw


def load(instance_path: str, overrides: dict | None = None) -> dict[str, object]:
    """The effective settings: defaults ← environment ← ``overrides`` (tests)."""
    settings = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = os.environ.get(f"FIELDAPP_{name}")
        if raw is not None:
            settings[name] = _coerce(name, raw, default)
    settings.update(overrides or {})
    if not settings["DATABASE_URL"]:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'fieldapp.db'}"
    return settings
