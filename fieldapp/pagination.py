"""Page/page_size arguments and the list envelope every collection endpoint returns."""

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from fieldapp.dumping import PlannedSchema
from fieldapp.extensions import db

_PAGE_SCHEMAS: dict[str, type[Schema]] = {}


class PageArgs(Schema):
    """``?page=1&page_size=50``; page_size is capped by FIELDAPP_PAGE_SIZE_MAX (default 200)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The envelope schema ``{items, page, page_size, total}`` for ``item_schema``."""
    name = item_schema.__name__.removesuffix("Out") + "Page"
    if name not in _PAGE_SCHEMAS:
        # Dumped through a plan made once (``fieldapp.dumping``): the same fields, less work
        # per value than marshmallow's own loop on a page of nested objects.
        _PAGE_SCHEMAS[name] = PlannedSchema.from_dict({
            "items": fields.List(fields.Nested(item_schema), required=True),
            "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
            "total": fields.Integer(required=True, metadata={"description": "rows matching"}),
        }, name=name)
    return _PAGE_SCHEMAS[name]


def paginate(stmt, args: dict, *, order_by) -> dict:
    """Run ``stmt`` for one page; ``total`` counts every row the filters match."""
    size = min(args["page_size"], current_app.config["PAGE_SIZE_MAX"])
    page = args["page"]
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(
        stmt.order_by(*order_by).limit(size).offset((page - 1) * size)
    ).all()
    return {"items": rows, "page": page, "page_size": size, "total": total}
