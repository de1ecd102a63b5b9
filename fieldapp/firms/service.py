"""Registering, changing, closing and finding firms (nearby ones through the spatial index)."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from fieldapp import scope
from fieldapp.assignments.moves import follow_move
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.sites.service import new_site
from geo import to_wgs84
from models import Firm, FirmTag, OrgUnit, Site, utcnow
from models.spatial import bbox_filter, distance_m, within_m

FIELDS = ("uscc", "uscc_checksum_ok", "name", "address", "industry", "org_unit_id", "contacts")


def duplicate_uscc(principal: Principal, code: str, exclude_id: int | None = None) -> None:
    """409 when another firm already has this USCC (its id only if the caller may see it)."""
    stmt = select(Firm.id).where(Firm.uscc == code)
    if exclude_id is not None:
        stmt = stmt.where(Firm.id != exclude_id)
    existing = db.session.scalar(stmt)
    if existing is not None:
        extra = ({"existing_firm_id": existing}
                 if scope.is_visible(Firm, existing, principal) else {})
        raise Problem(409, f"A firm with USCC {code} is already registered.",
                      slug="duplicate-uscc", **extra)


def target_unit(principal: Principal, org_unit_id: int) -> OrgUnit:
    """The org unit a firm is put in: visible to the caller and inside what they may change."""
    if not scope.is_visible(OrgUnit, org_unit_id, principal):
        raise Problem.invalid("org_unit_id", "No such org unit in your scope.")
    unit = db.session.get(OrgUnit, org_unit_id)
    scope.require_registry_admin(principal, unit)
    return unit


def apply(firm: Firm, data: dict) -> None:
    """Copy the plain fields and tags of a loaded body onto ``firm``."""
    for field in FIELDS:
        if field in data:
            setattr(firm, field, data[field])
    if "tags" in data:
        firm.tags = data["tags"]


def create_firm(principal: Principal, data: dict) -> Firm:
    """Register a firm with its sites (version 1 each) in one transaction."""
    scope.require_registry_role(principal)
    target_unit(principal, data["org_unit_id"])
    duplicate_uscc(principal, data["uscc"])
    firm = Firm(status="active")
    apply(firm, data)
    db.session.add(firm)
    for site in data["sites"]:
        new_site(firm, site, principal.user_id)
    db.session.commit()
    return firm


def _for_change(principal: Principal, firm_id: int) -> Firm:
    scope.require_registry_role(principal)
    firm = scope.get_visible(Firm, firm_id, principal)
    scope.require_registry_admin(principal, db.session.get(OrgUnit, firm.org_unit_id))
    return firm


def set_status(firm: Firm, status: str) -> None:
    """Close (keeping everything filed about the firm) or reopen a firm."""
    if status == firm.status:
        return
    firm.status = status
    firm.closed_at = utcnow() if status == "closed" else None


def update_firm(principal: Principal, firm_id: int, data: dict) -> Firm:
    """Change a firm. Moving it to another unit moves its current and future assignments."""
    firm = _for_change(principal, firm_id)
    if "org_unit_id" in data:
        target_unit(principal, data["org_unit_id"])
    if "uscc" in data:
        duplicate_uscc(principal, data["uscc"], exclude_id=firm.id)
    moved = "org_unit_id" in data and data["org_unit_id"] != firm.org_unit_id
    apply(firm, data)
    if "status" in data:
        set_status(firm, data["status"])
    if moved:
        follow_move(firm, principal.user_id)
    db.session.commit()
    return firm


def close_firm(principal: Principal, firm_id: int) -> Firm:
    """``DELETE``: close the firm; its sites, visits, issues and assignments all stay."""
    firm = _for_change(principal, firm_id)
    set_status(firm, "closed")
    db.session.commit()
    return firm


def firm_query(principal: Principal, filters: dict):
    """``(stmt, distance column or None)``: the visible firms matching ``filters``.

    With ``near`` the statement also selects ``distance_m`` (metres to the nearest active site
    point within ``radius_m``) and keeps only firms that have one.
    """
    stmt = scope.filtered(Firm, principal, filters)
    if filters.get("status", "active") != "all":
        stmt = stmt.where(Firm.status == filters.get("status", "active"))
    if "tag" in filters:
        stmt = stmt.where(Firm.id.in_(select(FirmTag.firm_id).where(
            FirmTag.tag == filters["tag"])))
    if "q" in filters:
        text = filters["q"].strip()
        stmt = stmt.where(func.lower(Firm.name).contains(text.lower(), autoescape=True)
                          | Firm.uscc.startswith(text.upper(), autoescape=True))
    crs = filters.get("crs", "wgs84")
    if "bbox" in filters:
        min_lon, min_lat, max_lon, max_lat = filters["bbox"]
        south, west = to_wgs84(min_lat, min_lon, crs)
        north, east = to_wgs84(max_lat, max_lon, crs)
        stmt = stmt.where(Firm.id.in_(select(Site.firm_id).where(
            bbox_filter(Site.point, west, south, east, north), Site.is_active)))
    if "near" not in filters:
        return stmt, None
    lat, lon = to_wgs84(*filters["near"], crs)
    radius = filters["radius_m"]
    near = (select(Site.firm_id.label("firm_id"),
                   func.min(distance_m(Site.point, lat, lon)).label("distance_m"))
            .where(Site.firm_id.is_not(None), Site.is_active,
                   within_m(Site.point, lat, lon, radius))
            .group_by(Site.firm_id).subquery("near"))
    stmt = stmt.join(near, near.c.firm_id == Firm.id).add_columns(near.c.distance_m)
    return stmt, near.c.distance_m


def page(stmt, distance, args: dict, page_size_max: int) -> dict:
    """One page of firms, nearest first with ``near``, else by id; ``total`` counts them all.

    One query: the total rides along as ``count(*) OVER ()`` (a separate count would run the
    spatial search twice) and sites and tags are joined in (a nearby page is latency-bound:
    this halves its time against a query per relationship).
    """
    size = min(args["page_size"], page_size_max)
    order = [distance, Firm.id] if distance is not None else [Firm.id]
    counted = stmt.add_columns(func.count().over().label("total"))
    rows = db.session.execute(
        counted.order_by(*order).limit(size).offset((args["page"] - 1) * size)
        .options(joinedload(Firm.sites), joinedload(Firm.tag_rows))).unique().all()
    if rows:
        total = rows[0].total
    elif args["page"] == 1:
        total = 0
    else:
        total = db.session.scalar(select(func.count()).select_from(
            stmt.order_by(None).subquery()))
    items = []
    for row in rows:
        firm = row[0]
        if distance is not None:
            firm.distance_m = row[1]
        items.append(firm)
    return {"items": items, "page": args["page"], "page_size": size, "total": total}
