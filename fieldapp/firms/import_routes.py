"""``POST /firms/import``: many firms at once from a CSV or GeoJSON file."""

from flask import current_app, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from fieldapp.auth.principal import current_principal, login_required
from fieldapp.errors import Problem
from fieldapp.extensions import Blueprint
from fieldapp.fields import ID_MAX, Crs
from fieldapp.firms.importer import MODES, run_import

blp = Blueprint("firm_import", __name__, url_prefix="/api/v1",
                description="Bulk import of firms")

CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}
GEOJSON_TYPES = {"application/geo+json", "application/json"}


class ImportQuery(Schema):
    """How to import."""

    mode = fields.String(load_default="all_or_nothing", validate=validate.OneOf(MODES),
                         metadata={"description": "all_or_nothing (default) or valid_rows"})
    crs = Crs(load_default="wgs84", metadata={
        "description": "coordinate system of rows that do not name one (wgs84, gcj02, bd09)"})
    org_unit_id = fields.Integer(validate=validate.Range(min=1, max=ID_MAX), metadata={
        "description": "unit of rows that name none (org_unit_id / org_unit_code columns)"})


def _unsupported(content_type: str) -> Problem:
    return Problem(415, f"Send the file as text/csv or application/geo+json (or as the "
                   f"multipart field 'file'), not {content_type or 'no content type'}.",
                   slug="unsupported-media-type")


def _file() -> tuple[bytes, str]:
    """The uploaded bytes and their kind, ``csv`` or ``geojson``."""
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise Problem(413, f"The file is larger than the limit of {limit} bytes; use the "
                      "command line (fieldapp firms import) for larger files.",
                      slug="too-large")
    request.max_content_length = limit
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Problem.invalid("file", "Missing data for required field.")
        name = (upload.filename or "").lower()
        kind = "geojson" if name.endswith((".geojson", ".json")) or \
            upload.mimetype in GEOJSON_TYPES else "csv"
        return upload.read(), kind
    if mimetype in CSV_TYPES:
        return request.get_data(cache=False), "csv"
    if mimetype in GEOJSON_TYPES:
        return request.get_data(cache=False), "geojson"
    raise _unsupported(mimetype)


@blp.route("/firms/import")
class FirmImport(MethodView):
    """Bulk import."""

    decorators = [login_required()]

    @blp.arguments(ImportQuery, location="query")
    @blp.response(200)
    @blp.doc(requestBody={"content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/geo+json": {"schema": {"type": "object"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}}}}})
    def post(self, args):
        """Import firms from CSV (UTF-8 with or without BOM, or GBK) or a GeoJSON
        FeatureCollection (admins; managers for units in their subtree).

        **CSV columns** (English or the Chinese headers Excel exports): ``uscc`` 统一社会信用代码,
        ``name`` 企业名称, ``lat`` 纬度, ``lon`` 经度 (required); ``address`` 地址,
        ``industry`` 行业, ``tags`` 标签 (``above_scale;key`` or 规上、重点), ``org_unit_code``
        单位编码 or ``org_unit_id`` (else the ``org_unit_id`` query parameter),
        ``contact_name`` 联系人, ``contact_phone`` 联系电话, ``contact_role`` 职务,
        ``site_name`` 站点名称 (default 主址), ``crs`` 坐标系, ``radius_m`` 半径,
        ``boundary`` 边界 (GeoJSON geometry text), ``uscc_checksum_exempt`` 校验豁免.

        **GeoJSON**: each Feature is a firm (``properties`` as in ``POST /firms``, plus
        ``org_unit_code``); its geometry is the site.

        **Rows** are numbered as a spreadsheet shows them (header = row 1) or by feature
        position from 1. Each is checked like ``POST /firms``. A registered USCC updates that
        firm (its site of the same name gets a new geometry version if changed), so the same
        file imported twice changes nothing. ``mode=all_or_nothing``: any bad row → 422 with
        ``row_errors``, nothing stored. ``mode=valid_rows``: good rows stored, bad ones listed.
        The answer counts ``created``, ``updated``, ``unchanged``, ``failed`` and lists
        ``results`` and ``row_errors`` (``{row, field, message}``). Files above
        ``FIELDAPP_IMPORT_MAX_BYTES`` are 413: use ``fieldapp firms import``.
        """
        raw, kind = _file()
        return run_import(current_principal(), raw, kind, args["mode"], args["crs"],
                          args.get("org_unit_id"))
