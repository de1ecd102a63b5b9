"""``/visits``: filing from the phone (single and offline batch), reading, and review."""

from flask import jsonify, send_file
from flask.views import MethodView
from geoalchemy2.shape import to_shape

from fieldapp import scope
from fieldapp.auth.principal import current_principal, login_required
from fieldapp.extensions import Blueprint
from fieldapp.pagination import PageArgs, page_of, paginate
from fieldapp.visits.filing import file_batch, file_visit
from fieldapp.visits.photos import add_photo, path_of, photo_of
from fieldapp.visits.preview import preview_visit
from fieldapp.visits.review import review_visit, visit_query
from fieldapp.visits.schemas import (
    BatchOut,
    PhotoOut,
    PreviewOut,
    ReviewCreate,
    VisitBatch,
    VisitCreate,
    VisitOut,
    VisitPreview,
    VisitQuery,
)
from models import Visit

blp = Blueprint("visits", __name__, url_prefix="/api/v1",
                description="Visits: filing, verification and review")

class VisitListQuery(VisitQuery, PageArgs):
    """Filters and paging."""


@blp.route("/visits")
class Visits(MethodView):
    """Visits in the caller's scope."""

    decorators = [login_required()]

    @blp.arguments(VisitListQuery, location="query")
    @blp.response(200, page_of(VisitOut))
    def get(self, args):
        """List visits, newest capture first (managers: their subtree; staff: their own).

        Filters: ``user_id``, ``firm_id``, ``project_id``, ``org_unit_id`` (subtree),
        ``status`` (``needs_review`` is the review queue), ``verdict``, ``flag``, ``since`` /
        ``until`` (capture time, ISO 8601 with offset).
        """
        return paginate(visit_query(current_principal(), args), args,
                        order_by=[Visit.captured_at.desc(), Visit.id.desc()])

    @blp.arguments(VisitCreate, example=VisitCreate.EXAMPLE)
    @blp.response(201, VisitOut)
    @blp.alt_response(200, schema=VisitOut, description="a replay of a visit already stored")
    def post(self, data):
        """File a visit from the phone; see the module rules of ``fieldapp.visits.filing``.

        - ``client_id`` makes filing idempotent: the same id and content answer 200 with the
          stored visit; the same id with other content is 409. ``offline`` is not content
          (how the visit travelled): a resend differing only there is a replay.
        - The position's ``crs`` is wgs84, gcj02 or bd09; ``site_id`` defaults to the nearest
          active site. The answer's ``verification`` says ``verdict`` (verified,
          out_of_range, inconclusive), ``distance_m``, ``radius_m``, ``accuracy_m`` (at 95%),
          ``flags`` and ``status`` (``accepted``, or ``needs_review``). A visit far from its
          site is stored and reviewed, never refused.
        - ``issues`` raised during the visit are stored with it in one transaction.
        """
        visit, created = file_visit(current_principal(), data)
        return visit, 201 if created else 200


@blp.route("/visits/preview")
class VisitPreviewView(MethodView):
    """The verdict before sending."""

    decorators = [login_required()]

    @blp.arguments(VisitPreview)
    @blp.response(200, PreviewOut)
    def post(self, data):
        """The ``verification`` a ``POST /visits`` with this body would get now; nothing is
        stored.

        Same checks as filing (not assigned: 403; not visible: 404; firm closed before the
        capture time or a bad site: 422 naming the field) and the same verification and
        integrity signals against the caller's stored visits, so the phone shows the
        server's verdict instead of guessing. ``client_id`` and ``captured_at`` (default now)
        are optional. The stored verdict can still differ if something changes before filing.
        """
        return preview_visit(current_principal(), data)


@blp.route("/visits/batch")
class VisitBatchView(MethodView):
    """Offline sync."""

    decorators = [login_required()]

    @blp.arguments(VisitBatch)
    @blp.response(200, BatchOut)
    def post(self, data):
        """Upload up to ``FIELDAPP_VISIT_BATCH_MAX`` visits filed offline.

        Each item is handled like ``POST /visits`` in its own transaction and gets its own
        result in the order sent: ``created`` (with ``id`` and ``verification``), ``duplicate``
        (already stored: its ``id``), ``conflict``, ``invalid`` (``errors`` by field),
        ``not_found`` or ``forbidden``. One bad item never blocks the others, and the whole
        batch is safe to send again after a dropped connection. Items are treated as offline
        unless they say ``"offline": false``.
        """
        return file_batch(current_principal(), data["visits"])


@blp.route("/visits.geojson")
class VisitsGeoJSON(MethodView):
    """Visits for maps."""

    decorators = [login_required()]

    @blp.arguments(VisitListQuery, location="query")
    @blp.response(200, content_type="application/geo+json")
    def get(self, args):
        """The visits matching the list filters as an RFC 7946 FeatureCollection of WGS-84
        points, with ``verdict``, ``status``, ``flags``, ``distance_m`` and the target as
        properties (colour by verdict on the client)."""
        page = paginate(visit_query(current_principal(), args), args,
                        order_by=[Visit.captured_at.desc(), Visit.id.desc()])
        features = []
        for v in page["items"]:
            point = to_shape(v.point)
            features.append({"type": "Feature", "id": v.id,
                             "geometry": {"type": "Point",
                                          "coordinates": [round(point.x, 7), round(point.y, 7)]},
                             "properties": {"id": v.id, "user_id": v.user_id,
                                            "firm_id": v.firm_id, "project_id": v.project_id,
                                            "captured_at": v.captured_at.isoformat(),
                                            "verdict": v.verdict, "status": v.status,
                                            "flags": v.flags, "distance_m": v.distance_m}})
        resp = jsonify({"type": "FeatureCollection", "features": features,
                        "page": page["page"], "page_size": page["page_size"],
                        "total": page["total"]})
        resp.mimetype = "application/geo+json"
        return resp


@blp.route("/visits/<int:visit_id>")
class VisitItem(MethodView):
    """One visit."""

    decorators = [login_required()]

    @blp.response(200, VisitOut)
    def get(self, visit_id):
        """A visit in scope with its verification explained, raised issues and reviews."""
        return scope.get_visible(Visit, visit_id, current_principal())


@blp.route("/visits/<int:visit_id>/review")
class VisitReviewView(MethodView):
    """Review decisions."""

    decorators = [login_required()]

    @blp.arguments(ReviewCreate)
    @blp.response(200, VisitOut)
    def post(self, data, visit_id):
        """Approve or reject a visit (admins; managers in scope; never one's own visit).

        ``reason_code``: device_location_wrong, no_signal, met_at_other_address,
        site_outdated, verified_by_photo, not_visited, duplicate, wrong_firm, other. Every
        decision is kept and audited; a visit already decided needs ``supersede: true`` (409
        otherwise), and the new decision records the one it supersedes. Approved visits count
        towards the visit rate, rejected ones do not, whatever their verdict.
        """
        return review_visit(current_principal(), visit_id, data)


@blp.route("/visits/<int:visit_id>/photos")
class VisitPhotos(MethodView):
    """Photos of a visit."""

    decorators = [login_required()]

    @blp.response(200, PhotoOut(many=True))
    def get(self, visit_id):
        """The visit's photos (anyone who can see the visit)."""
        return scope.get_visible(Visit, visit_id, current_principal()).photos

    @blp.response(201, PhotoOut)
    @blp.alt_response(200, schema=PhotoOut, description="the same image again: the stored one")
    @blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}})
    def post(self, visit_id):
        """Attach a photo (multipart field ``file``; JPEG, PNG or HEIC, judged by its bytes).

        Only the visit's filer uploads. EXIF time and GPS are compared with the visit:
        ``photo_time_mismatch``, ``photo_location_mismatch``; an image already attached to
        another visit is ``photo_reused``. Flags go on the photo and the visit (an accepted
        visit then waits for review). Not an image: 415; unreadable image: 422; too large:
        413; too many photos: 422.
        """
        photo, created = add_photo(current_principal(), visit_id)
        return photo, 201 if created else 200


@blp.route("/visits/<int:visit_id>/photos/<int:photo_id>/file")
class VisitPhotoFile(MethodView):
    """A photo's bytes."""

    decorators = [login_required()]

    @blp.response(200, content_type="image/*")
    def get(self, visit_id, photo_id):
        """The image as uploaded, with its type (anyone who can see the visit)."""
        photo = photo_of(current_principal(), visit_id, photo_id)
        return send_file(path_of(photo.sha256, photo.content_type),
                         mimetype=photo.content_type, max_age=86400)
