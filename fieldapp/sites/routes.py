"""Site sub-resources, the same under ``/firms/{id}/sites`` and ``/projects/{id}/sites``."""

from flask.views import MethodView

from fieldapp.auth.principal import current_principal, login_required
from fieldapp.sites.schemas import SiteCreate, SiteOut, SiteQuery, SiteUpdate, SiteVersionOut
from fieldapp.sites.service import (
    add_site,
    list_sites,
    owned_site,
    retire_site,
    site_versions,
    update_site,
)


def register_site_routes(blp, kind: str) -> None:
    """Add the site endpoints of ``kind`` (``firm`` or ``project``) to ``blp``."""
    base = f"/{kind}s/<int:owner_id>/sites"

    class Sites(MethodView):
        decorators = [login_required()]

        @blp.arguments(SiteQuery, location="query")
        @blp.response(200, SiteOut(many=True))
        def get(self, args, owner_id):
            """The sites, oldest first; retired ones only with ``include_inactive=true``."""
            return list_sites(current_principal(), kind, owner_id, args["include_inactive"])

        @blp.arguments(SiteCreate)
        @blp.response(201, SiteOut)
        def post(self, data, owner_id):
            """Add a site (admins; managers in scope). Geometry rules: see the site schema.

            ``crs`` declares the coordinate system of ``point`` and ``boundary``; they are
            stored in WGS-84. Rings must be closed, valid (no self-intersection) and within the
            vertex limit; the point must lie inside its boundary or near it. A GeoJSON Feature
            is accepted too.
            """
            return add_site(current_principal(), kind, owner_id, data)

    class SiteItem(MethodView):
        decorators = [login_required()]

        @blp.response(200, SiteOut)
        def get(self, owner_id, site_id):
            """One site (404 unless it belongs to this visible owner)."""
            return owned_site(current_principal(), kind, owner_id, site_id)

        @blp.arguments(SiteUpdate)
        @blp.response(200, SiteOut)
        def patch(self, data, owner_id, site_id):
            """Rename, or change the geometry: a new ``version``; older ones stay readable."""
            return update_site(current_principal(), kind, owner_id, site_id, data)

        @blp.response(200, SiteOut)
        def delete(self, owner_id, site_id):
            """Retire the site (kept for the visits that used it); the last one stays (409)."""
            return retire_site(current_principal(), kind, owner_id, site_id)

    class SiteVersions(MethodView):
        decorators = [login_required()]

        @blp.response(200, SiteVersionOut(many=True))
        def get(self, owner_id, site_id):
            """Every geometry the site had, with the time it took effect, oldest first."""
            return site_versions(current_principal(), kind, owner_id, site_id)

    for view, rule in ((Sites, base), (SiteItem, f"{base}/<int:site_id>"),
                       (SiteVersions, f"{base}/<int:site_id>/versions")):
        view.__name__ = f"{kind.title()}{view.__name__}"
        view.__qualname__ = view.__name__
        blp.route(rule)(view)
