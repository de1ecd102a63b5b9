"""Adding, changing and retiring sites of firms and projects, keeping every geometry version.

A site's columns hold its current geometry; ``site_versions`` holds every geometry it ever had,
numbered from 1, with the time it took effect. A change of point, boundary or radius makes a
new version (a rename does not); visits record the version they were verified against, so old
verdicts stay explainable. Sites are never deleted: retiring one sets ``is_active`` false, and a
firm or project keeps at least one active site.
"""

from flask import current_app
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import select

from fieldapp import scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from geo import GeoError, check_point_near_boundary, keep_unchanged_parts
from models import Firm, OrgUnit, Project, Site, SiteVersion, utcnow

OWNERS = {"firm": Firm, "project": Project}


def _geom(shape):
    return None if shape is None else from_shape(shape, srid=4326)


def new_site(owner, data: dict, user_id: int | None) -> Site:
    """A site for ``owner`` (a Firm or Project, maybe not flushed yet) with its version 1."""
    site = Site(name=data["name"], point=_geom(data["point"]), boundary=_geom(data["boundary"]),
                radius_m=data["radius_m"], version=1, is_active=True)
    if isinstance(owner, Firm):
        site.firm = owner
    else:
        site.project = owner
    db.session.add(site)
    site.versions.append(_version(site, data["point"], data["boundary"], user_id))
    return site


def _version(site: Site, point, boundary, user_id: int | None) -> SiteVersion:
    return SiteVersion(version=site.version, point=_geom(point), boundary=_geom(boundary),
                       radius_m=site.radius_m, valid_from=utcnow(), created_by_id=user_id)


def owner_for_change(principal: Principal, kind: str, owner_id: int):
    """The firm or project, after checking the caller may change its registry entries."""
    model = OWNERS[kind]
    scope.require_registry_role(principal)
    owner = scope.get_visible(model, owner_id, principal)
    scope.require_registry_admin(principal, db.session.get(OrgUnit, owner.org_unit_id))
    if kind == "firm" and owner.status != "active":
        raise Problem(409, "This firm is closed; reopen it before changing its sites.",
                      slug="firm-closed")
    return owner


def owned_site(principal: Principal, kind: str, owner_id: int, site_id: int) -> Site:
    """A site of a visible firm/project, else 404 (a site id under another owner is 404 too)."""
    owner = scope.get_visible(OWNERS[kind], owner_id, principal)
    column = Site.firm_id if kind == "firm" else Site.project_id
    site = db.session.scalar(select(Site).where(Site.id == site_id, column == owner.id))
    if site is None:
        raise scope.not_found(Site, site_id)
    return site


def list_sites(principal: Principal, kind: str, owner_id: int, include_inactive: bool):
    """The owner's sites, oldest first."""
    owner = scope.get_visible(OWNERS[kind], owner_id, principal)
    return [s for s in owner.sites if include_inactive or s.is_active]


def add_site(principal: Principal, kind: str, owner_id: int, data: dict) -> Site:
    """Add a site (version 1) to a firm or project."""
    owner = owner_for_change(principal, kind, owner_id)
    site = new_site(owner, data, principal.user_id)
    db.session.commit()
    return site


def update_site(principal: Principal, kind: str, owner_id: int, site_id: int,
                data: dict) -> Site:
    """Rename a site or change its geometry (a new version, the old kept)."""
    owner_for_change(principal, kind, owner_id)
    site = owned_site(principal, kind, owner_id, site_id)
    if not site.is_active:
        raise Problem(409, "This site is retired; add a new one instead.", slug="site-retired")
    if "name" in data:
        site.name = data["name"]
    point = data.get("point") or to_shape(site.point)
    if "boundary" in data:
        boundary = data["boundary"]
    else:
        boundary = None if site.boundary is None else to_shape(site.boundary)
    try:
        change_geometry(site, point, boundary, data.get("radius_m", site.radius_m),
                        principal.user_id)
    except GeoError as exc:
        raise Problem.invalid(exc.field, exc.message) from None
    db.session.commit()
    return site


def change_geometry(site: Site, point, boundary, radius_m: float, user_id: int | None) -> bool:
    """Give ``site`` this WGS-84 geometry as a new version; False when it is the same already.

    Raises ``GeoError`` when the point lies too far outside the boundary. Parts of the boundary
    sent back as the API showed them (rounded to about 1 cm) keep their stored coordinates.
    """
    stored = None if site.boundary is None else to_shape(site.boundary)
    boundary = keep_unchanged_parts(boundary, stored)
    if not (_differs(point, site.point) or _differs(boundary, site.boundary)
            or radius_m != site.radius_m):
        return False
    check_point_near_boundary(point, boundary,
                              max_outside_m=current_app.config["SITE_POINT_MAX_OUTSIDE_M"])
    site.point, site.boundary, site.radius_m = _geom(point), _geom(boundary), radius_m
    site.version += 1
    site.versions.append(_version(site, point, boundary, user_id))
    return True


def _differs(new, stored) -> bool:
    if new is None or stored is None:
        return (new is None) != (stored is None)
    return not new.equals_exact(to_shape(stored), 0)


def retire_site(principal: Principal, kind: str, owner_id: int, site_id: int) -> Site:
    """Retire a site (never deleted: visits refer to it); the last active one stays."""
    owner = owner_for_change(principal, kind, owner_id)
    site = owned_site(principal, kind, owner_id, site_id)
    if site.is_active:
        if len(owner.active_sites) <= 1:
            raise Problem(409, f"A {kind} keeps at least one active site; add another first.",
                          slug="last-site")
        site.is_active = False
        db.session.commit()
    return site


def site_versions(principal: Principal, kind: str, owner_id: int, site_id: int):
    """Every geometry the site had, oldest first."""
    site = owned_site(principal, kind, owner_id, site_id)
    return db.session.scalars(select(SiteVersion).where(SiteVersion.site_id == site.id)
                              .order_by(SiteVersion.version)).all()
