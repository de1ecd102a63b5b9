"""Bulk firm import from CSV (UTF-8 with or without BOM, or GBK from Chinese Excel) or GeoJSON.

Rules (the API docs repeat them):

- Every row is checked like ``POST /firms`` (USCC, fields, site geometry, org unit in the
  importer's scope) and gets its own result; errors carry the row number as a spreadsheet shows
  it (the header is row 1, so the first firm is row 2) or, for GeoJSON, the feature's position
  counted from 1.
- A firm is identified by its USCC: a USCC already registered **updates** that firm (fields
  present in the row; its site of the same name gets a new geometry version when the geometry
  differs, or is added), so importing the same file twice changes nothing the second time. A
  USCC twice in one file is an error on the later row.
- ``mode=all_or_nothing`` (default): any error → 422 listing every row error, nothing stored.
  ``mode=valid_rows``: good rows are stored, bad rows reported; one transaction either way.
- A code failing its check character is kept only when the row says
  ``uscc_checksum_exempt=true``; the firm is then marked ``uscc_checksum_ok=false``.
"""


from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select

from fieldapp import scope
from fieldapp.assignments.moves import follow_move
from fieldapp.audit.recorder import record_bulk_creates
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem, flatten_messages
from fieldapp.extensions import CONTROL_CHARACTER_MESSAGE, control_character_paths, db
from fieldapp.firms.import_file import CSV_FIELDS, Row, bad_file, csv_rows, decode, geojson_rows
from fieldapp.firms.schemas import FirmImportRow
from fieldapp.firms.service import apply
from fieldapp.sites.service import change_geometry, new_site
from models import Firm, FirmTag, OrgUnit, Site, SiteVersion, utcnow
from models.bulk import insert_rows, refresh_statistics

CHUNK = 2000
ANALYZE_AFTER = 5000  # new firms in one import that make planner statistics stale
MODES = ("all_or_nothing", "valid_rows")

class Importer:
    """Checks and applies rows for one principal."""

    def __init__(self, principal: Principal, default_org_unit_id: int | None = None):
        self.principal = principal
        self.units = {u.id: u for u in db.session.scalars(scope.scoped(OrgUnit, principal))}
        self.codes = {u.code: u for u in self.units.values()}
        self.default_unit = default_org_unit_id
        if default_org_unit_id is not None and default_org_unit_id not in self.units:
            raise bad_file("org_unit_id", "No such org unit in your scope.")

    def _unit(self, row: Row, body: dict) -> None:
        props = body.get("properties") if body.get("type") == "Feature" else body
        code = props.pop("org_unit_code", None)
        if code is not None:
            unit = self.codes.get(str(code))
            if unit is None:
                row.fail("org_unit_code", f"No org unit {code!r} in your scope.")
                return
            props["org_unit_id"] = unit.id
        elif "org_unit_id" not in props and self.default_unit is not None:
            props["org_unit_id"] = self.default_unit
        unit_id = props.get("org_unit_id")
        if isinstance(unit_id, int) and not isinstance(unit_id, bool) \
                and unit_id not in self.units:
            row.fail("org_unit_id", "No such org unit in your scope.")

    def check(self, rows: list[Row], csv_format: bool) -> None:
        """Load every row through the schema and refuse USCCs repeated in the file."""
        schema = FirmImportRow()
        seen: dict[str, int] = {}
        for row in rows:
            if row.body is None or row.errors:
                continue
            self._unit(row, row.body)
            if row.errors:
                continue
            try:
                row.data = schema.load(row.body)
                # As in every JSON body (fieldapp.extensions): SQLite stored a NUL that
                # PostgreSQL's COPY refused with a 500.
                bad = control_character_paths(row.data)
                if bad:
                    row.data = None
                    raise ValidationError({path: [CONTROL_CHARACTER_MESSAGE] for path in bad})
            except ValidationError as exc:
                for name, messages in flatten_messages(exc.messages).items():
                    name = CSV_FIELDS.get(name, name) if csv_format else name
                    for message in messages:
                        row.fail(name, message)
                continue
            code = row.data["uscc"]
            if code in seen:
                row.fail("uscc", f"USCC {code} already appears in row {seen[code]}")
                row.data = None
            else:
                seen[code] = row.number

    def existing(self, rows: list[Row]) -> dict[str, Firm]:
        """Firms already registered under the rows' USCCs; a firm out of scope fails its row."""
        found: dict[str, Firm] = {}
        good = [r for r in rows if r.data is not None]
        for i in range(0, len(good), CHUNK):
            codes = [r.data["uscc"] for r in good[i:i + CHUNK]]
            for firm in db.session.scalars(select(Firm).where(Firm.uscc.in_(codes))):
                found[firm.uscc] = firm
        for row in good:
            firm = found.get(row.data["uscc"])
            if firm is not None and firm.org_unit_id not in self.units:
                row.fail("uscc", "This USCC belongs to a firm outside your scope.")
                row.data = None
        return found

    def write(self, row: Row, firm: Firm) -> tuple[Firm, str]:
        """Update the row's registered firm; returns it and ``updated|unchanged``."""
        data, user = row.data, self.principal.user_id
        site_data = data["sites"][0]
        before = ({k: getattr(firm, k) for k in ("name", "address", "industry", "org_unit_id",
                                                  "uscc_checksum_ok")}, firm.tags)
        contacts = _merged_contacts(firm.contacts or [], data.get("contacts", []))
        apply(firm, {**data, "contacts": contacts})
        if before[0]["org_unit_id"] != firm.org_unit_id:
            follow_move(firm, user)
        changed = before != ({k: getattr(firm, k) for k in before[0]}, firm.tags) \
            or contacts != (firm.contacts or [])
        site = next((s for s in firm.active_sites if s.name == site_data["name"]), None)
        if site is None:
            new_site(firm, site_data, user)
            changed = True
        elif change_geometry(site, site_data["point"], site_data["boundary"],
                             site_data["radius_m"], user):
            changed = True
        return firm, "updated" if changed else "unchanged"


def insert_new(rows: list[Row], user_id: int | None) -> list[int]:
    """Insert new firms with their tags, site and site version in a few statements per chunk.

    The ORM would cost a unit-of-work pass per object (about 4 ms per firm); this writes the
    same rows, and the same audit events the flush hook would, with multi-row INSERTs.
    """
    if not rows:
        return []
    conn, now = db.session.connection(), utcnow()
    firms = [{"uscc": d["uscc"], "uscc_checksum_ok": d["uscc_checksum_ok"], "name": d["name"],
              "address": d.get("address"), "industry": d.get("industry"),
              "org_unit_id": d["org_unit_id"], "contacts": d.get("contacts", []),
              "status": "active", "closed_at": None, "created_at": now, "updated_at": now}
             for d in (r.data for r in rows)]
    ids = insert_rows(conn, Firm.__table__, firms, return_ids=True)
    tags = [{"firm_id": i, "tag": t} for i, r in zip(ids, rows, strict=True)
            for t in sorted(set(r.data.get("tags", ())))]
    insert_rows(conn, FirmTag.__table__, tags)
    sites = []
    for firm_id, row in zip(ids, rows, strict=True):
        s = row.data["sites"][0]
        sites.append({"firm_id": firm_id, "project_id": None, "name": s["name"],
                      "point": s["point"], "boundary": s["boundary"], "radius_m": s["radius_m"],
                      "version": 1, "is_active": True, "created_at": now, "updated_at": now})
    site_ids = insert_rows(conn, Site.__table__, sites, return_ids=True)
    insert_rows(conn, SiteVersion.__table__, [
        {"site_id": sid, "version": 1, "point": s["point"], "boundary": s["boundary"],
         "radius_m": s["radius_m"], "valid_from": now, "created_by_id": user_id}
        for sid, s in zip(site_ids, sites, strict=True)])
    for firm, firm_id in zip(firms, ids, strict=True):
        firm["id"] = firm_id
    record_bulk_creates(conn, "firms", [(str(f["id"]), f, f["org_unit_id"]) for f in firms])
    unit_of = {f["id"]: f["org_unit_id"] for f in firms}
    record_bulk_creates(conn, "firm_tags", [(f"{t['firm_id']},{t['tag']}", t,
                                             unit_of[t["firm_id"]]) for t in tags])
    record_bulk_creates(conn, "sites", [
        (str(sid), {"id": sid, **s, "point": _wkt(s["point"]), "boundary": _wkt(s["boundary"])},
         unit_of[s["firm_id"]])
        for sid, s in zip(site_ids, sites, strict=True)])
    return ids


def _wkt(shape) -> str | None:
    return None if shape is None else shape.wkt


def _merged_contacts(current: list, incoming: list) -> list:
    """The firm's contacts with the row's contact added or replaced (matched by name)."""
    merged = [c for c in current if c.get("name") not in {n.get("name") for n in incoming}]
    return merged + incoming


def run_import(principal: Principal, raw: bytes, kind: str, mode: str,
               default_crs: str = "wgs84", default_org_unit_id: int | None = None) -> dict:
    """Import a file (``kind`` ``csv`` or ``geojson``) and report every row."""
    scope.require_registry_role(principal)
    text, encoding = decode(raw)
    importer = Importer(principal, default_org_unit_id)
    rows = csv_rows(text, default_crs) if kind == "csv" else geojson_rows(text, default_crs)
    importer.check(rows, csv_format=kind == "csv")
    firms = importer.existing(rows)
    errors = [e for r in rows for e in r.errors]
    report = {"mode": mode, "format": kind, "encoding": encoding, "rows": len(rows),
              "created": 0, "updated": 0, "unchanged": 0, "failed": sum(1 for r in rows
                                                                          if r.errors)}
    if errors and mode == "all_or_nothing":
        raise Problem(422, f"{report['failed']} of {len(rows)} rows have errors; nothing was "
                      "imported (mode=all_or_nothing).", slug="import-rejected",
                      row_errors=errors, **{k: report[k] for k in ("rows", "failed")})
    results = []
    good = [r for r in rows if r.data is not None]
    for i in range(0, len(good), CHUNK):
        chunk = good[i:i + CHUNK]
        fresh = [r for r in chunk if r.data["uscc"] not in firms]
        for row, firm_id in zip(fresh, insert_new(fresh, principal.user_id), strict=True):
            results.append((row.number, row.data["uscc"], firm_id, "created"))
        report["created"] += len(fresh)
        with db.session.no_autoflush:  # one flush per chunk, not one per lazy load
            for row in chunk:
                firm = firms.get(row.data["uscc"])
                if firm is not None:
                    firm, action = importer.write(row, firm)
                    report[action] += 1
                    results.append((row.number, firm.uscc, firm, action))
        db.session.flush()
    results = [(n, code, f if isinstance(f, int) else f.id, a) for n, code, f, a in results]
    results.sort()
    report["results"] = [{"row": n, "uscc": code, "firm_id": firm_id, "action": a}
                         for n, code, firm_id, a in results]
    report["row_errors"] = errors
    db.session.commit()
    if report["created"] >= ANALYZE_AFTER:
        refresh_statistics(db.session.connection(), [Firm.__table__, Site.__table__])
        db.session.commit()
    current_app.logger.info("firm import by %s: %s", principal.username,
                            {k: report[k] for k in ("rows", "created", "updated", "failed")})
    return report
