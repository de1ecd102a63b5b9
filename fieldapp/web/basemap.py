"""The maps' optional base layer (底图): a tile server the operator names in the settings.

``MAP_TILE_URL`` is a Leaflet URL template (``{z}``, ``{x}``, ``{y}``, optionally ``{s}`` for
one of ``MAP_TILE_SUBDOMAINS``), ``MAP_TILE_ATTRIBUTION`` the credit the tiles' licence asks for,
and ``MAP_TILE_CRS`` the coordinate system the tiles are drawn in: ``wgs84`` (also for CGCS2000,
e.g. 天地图, which differs from WGS-84 by centimetres) or ``gcj02`` (AMap, Tencent). With GCJ-02
tiles the pages shift every point they draw from WGS-84 to GCJ-02 for display only (see
``console/static/basemap.js``); the API keeps answering WGS-84. Without ``MAP_TILE_URL`` the
maps draw on a plain background and the CSP allows no tile host.
"""

from urllib.parse import urlsplit

from flask import Flask

CRS_NAMES = {"wgs84": "wgs84", "cgcs2000": "wgs84", "gcj02": "gcj02"}


class BaseMapSettingError(ValueError):
    """A base-map setting that cannot work; raised at start-up, naming the setting."""


def _tile_origins(url: str, subdomains: str) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise BaseMapSettingError(f"FIELDAPP_MAP_TILE_URL must be an http(s) URL, got {url!r}")
    hosts = ([parts.netloc.replace("{s}", s) for s in subdomains] if "{s}" in parts.netloc
             else [parts.netloc])
    return [f"{parts.scheme}://{host}" for host in hosts]


def base_map(config) -> dict | None:
    """What the pages need to draw the base layer, or None when there is none."""
    url = config.get("MAP_TILE_URL", "")
    if not url:
        return None
    return {"url": url, "attribution": config.get("MAP_TILE_ATTRIBUTION", ""),
            "crs": CRS_NAMES[config.get("MAP_TILE_CRS", "wgs84").lower().replace("-", "")],
            "subdomains": config.get("MAP_TILE_SUBDOMAINS", "abc")}


def tile_origins(config) -> list[str]:
    """The origins tiles load from, for the CSP's ``img-src`` (none without a base map)."""
    settings = base_map(config)
    return _tile_origins(settings["url"], settings["subdomains"]) if settings else []


def check_settings(app: Flask) -> None:
    """Refuse at start-up a base map that could not draw: a wrong system, a URL without tiles."""
    url = app.config.get("MAP_TILE_URL", "")
    crs = app.config.get("MAP_TILE_CRS", "wgs84").lower().replace("-", "")
    if crs not in CRS_NAMES:
        raise BaseMapSettingError(
            f"FIELDAPP_MAP_TILE_CRS must be wgs84, cgcs2000 or gcj02, got {crs!r}")
    if not url:
        return
    missing = [p for p in ("{z}", "{x}", "{y}") if p not in url]
    if missing:
        raise BaseMapSettingError(
            f"FIELDAPP_MAP_TILE_URL must contain {{z}}, {{x}} and {{y}}; missing {missing}")
    if "{s}" in url and not app.config.get("MAP_TILE_SUBDOMAINS"):
        raise BaseMapSettingError(
            "FIELDAPP_MAP_TILE_URL uses {s}: set FIELDAPP_MAP_TILE_SUBDOMAINS")
    _tile_origins(url, app.config.get("MAP_TILE_SUBDOMAINS", "abc"))
