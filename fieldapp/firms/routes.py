"""``/firms``: the registry of firms, their sites, nearby search and a GeoJSON view for maps."""

from flask import current_app, jsonify, request
from flask.views import MethodView
from marshmallow import fields, validate

from fieldapp import scope
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.errors import Problem
from fieldapp.extensions import Blueprint
from fieldapp.firms.geojson import GEOJSON_MIMETYPE, feature_collection
from fieldapp.firms.schemas import FirmCreate, FirmOut, FirmQuery, FirmUpdate
from fieldapp.firms.service import close_firm, create_firm, firm_query, page, update_firm
from fieldapp.pagination import PageArgs, page_of
from fieldapp.sites.routes import register_site_routes
from models import Firm

blp = Blueprint("firms", __name__, url_prefix="/api/v1", description="Firms and their sites")


class FirmListQuery(FirmQuery, PageArgs):
    """Filters and paging."""


class FirmGeoQuery(FirmQuery):
    """Filters and paging for maps: pages up to FIELDAPP_GEOJSON_MAX_FEATURES features."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=100_000))


def _geojson(body: dict):
    resp = jsonify(feature_collection(body))
    resp.mimetype = GEOJSON_MIMETYPE
    return resp


def _wants_geojson() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", GEOJSON_MIMETYPE])
    return best == GEOJSON_MIMETYPE


@blp.route("/firms")
class Firms(MethodView):
    """The firms the caller may see."""

    decorators = [login_required()]

    @blp.arguments(FirmListQuery, location="query")
    @blp.response(200, page_of(FirmOut))
    def get(self, args):
        """List firms in scope (managers: their subtree; commissioners: assigned today).

        Filters: ``org_unit_id`` (subtree), ``tag``, ``q`` (part of the name or start of the
        USCC), ``status`` (``active`` by default, ``closed``, ``all``), ``bbox``, and
        **nearby**: ``near=LAT,LON&radius_m=R`` (default 1000, at most 50000) keeps firms with
        an active site point within R metres, nearest first, each with ``distance_m``. ``crs``
        declares the system of ``near`` and ``bbox`` (wgs84 default, gcj02, bd09). With
        ``Accept: application/geo+json`` the same page comes as a GeoJSON FeatureCollection.
        """
        stmt, distance = firm_query(current_principal(), args)
        body = page(stmt, distance, args, current_app.config["PAGE_SIZE_MAX"])
        return _geojson(body) if _wants_geojson() else body

    @blp.arguments(FirmCreate, example=FirmCreate.EXAMPLE)
    @blp.response(201, FirmOut)
    def post(self, data):
        """Register a firm with one or more sites (admins; managers inside their unit).

        The USCC is checked (length, alphabet, check character: 422 naming the reason) and
        must be new (409). Each site: see ``/firms/{id}/sites``. A GeoJSON Feature is
        accepted too: its properties are the firm's fields, its geometry the one site.
        """
        return create_firm(current_principal(), data)


@blp.route("/firms.geojson")
class FirmsGeoJSON(MethodView):
    """Firms for maps."""

    decorators = [login_required()]

    @blp.arguments(FirmGeoQuery, location="query")
    @blp.response(200, content_type=GEOJSON_MIMETYPE)
    def get(self, args):
        """The firms matching the ``GET /firms`` filters as an RFC 7946 FeatureCollection.

        One Point feature per firm at its first active site (WGS-84, ``[lon, lat]``), with
        ``id, uscc, name, tags, status, org_unit_id, site_count`` (and ``distance_m`` with
        ``near``) as properties. ``page_size`` defaults to 1000 and may not exceed
        ``FIELDAPP_GEOJSON_MAX_FEATURES``; ``page``, ``page_size`` and ``total`` are members
        of the collection.
        """
        limit = current_app.config["GEOJSON_MAX_FEATURES"]
        if args["page_size"] > limit:
            raise Problem.invalid("page_size", f"At most {limit} features per response.")
        stmt, distance = firm_query(current_principal(), args)
        return _geojson(page(stmt, distance, args, limit))


@blp.route("/firms/<int:firm_id>")
class FirmItem(MethodView):
    """One firm."""

    decorators = [login_required()]

    @blp.response(200, FirmOut)
    def get(self, firm_id):
        """A firm in scope with its active sites, else 404."""
        return scope.get_visible(Firm, firm_id, current_principal())

    @blp.arguments(FirmUpdate)
    @blp.response(200, FirmOut)
    def patch(self, data, firm_id):
        """Change a firm (admins; managers in scope). Sites change through their own endpoints.

        A new USCC is checked like on creation; ``status`` closes or reopens the firm; moving
        it to another ``org_unit_id`` moves its current and future assignments along.
        """
        return update_firm(current_principal(), firm_id, data)

    @blp.response(200, FirmOut)
    def delete(self, firm_id):
        """Close the firm. Nothing is deleted: visits, issues, sites and history stay, and it
        is listed again with ``status=closed``. ``PATCH {"status": "active"}`` reopens it.
        """
        return close_firm(current_principal(), firm_id)


register_site_routes(blp, "firm")
