"""Firms as an RFC 7946 FeatureCollection for maps: one Point feature per firm."""

from geoalchemy2.shape import to_shape

from geo import to_geojson

GEOJSON_MIMETYPE = "application/geo+json"


def firm_feature(firm) -> dict:
    """A firm as a Feature at its first active site (geometry null when it has none)."""
    sites = firm.active_sites
    properties = {
        "id": firm.id, "uscc": firm.uscc, "name": firm.name, "address": firm.address,
        "industry": firm.industry, "tags": firm.tags, "org_unit_id": firm.org_unit_id,
        "status": firm.status, "site_count": len(sites),
    }
    if hasattr(firm, "distance_m"):
        properties["distance_m"] = firm.distance_m
    geometry = to_geojson(to_shape(sites[0].point)) if sites else None
    return {"type": "Feature", "id": firm.id, "geometry": geometry, "properties": properties}


def feature_collection(page: dict) -> dict:
    """A page of firms (``{items, page, page_size, total}``) as a FeatureCollection.

    The paging figures travel as foreign members, which RFC 7946 allows.
    """
    return {"type": "FeatureCollection",
            "features": [firm_feature(f) for f in page["items"]],
            "page": page["page"], "page_size": page["page_size"], "total": page["total"]}
