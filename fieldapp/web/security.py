"""Security headers: a strict Content-Security-Policy on every HTML page, and the usual rest.

The policy allows scripts, styles, fonts and workers from this origin only: no inline script,
no ``eval`` (Alpine.js is used in its CSP build), no plugin, no framing. Images may also be
``data:`` and ``blob:`` (photo previews), and the base map's tile hosts when ``MAP_TILE_URL`` is
set (``basemap.py``); ``WEB_CSP_IMG_SRC`` (space-separated origins) adds any others.
"""

from flask import Flask, current_app

from fieldapp.web.basemap import tile_origins

BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy() -> str:
    policy = dict(BASE_POLICY)
    extra = " ".join([*tile_origins(current_app.config),
                      current_app.config.get("WEB_CSP_IMG_SRC", "")]).strip()
    if extra:
        policy["img-src"] += " " + extra
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            headers["Content-Security-Policy"] = content_security_policy()
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault("Permissions-Policy",
                               "geolocation=(self), camera=(self), microphone=()")
            headers.setdefault("Cache-Control", "no-cache")
        return response
