"""The due slots behind a row of a visit-rate report (all rows without ``group``), in the
caller's scope: who owes which visit, met or not."""

from sqlalchemy import select

from fieldapp import clock, scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.pagination import paginate
from fieldapp.stats.service import MET, PENDING, report_root, slots_in
from fieldapp.stats.visit_rate import Period
from models import Firm, FirmTag, OrgUnit, Project, User, VisitSlot

SLOT_STATES = ("met", "unmet", "pending", "open")


def _group_condition(group_by: str, group: str, root: OrgUnit):
    """The slots of one report row (``group`` as the row's ``group`` value)."""
    if group_by == "firm_tag":
        if group == "project":
            return VisitSlot.firm_id.is_(None)
        tagged = select(FirmTag.firm_id).where(FirmTag.firm_id == VisitSlot.firm_id)
        if group == "untagged":
            return VisitSlot.firm_id.is_not(None) & ~tagged.exists()
        return tagged.where(FirmTag.tag == group).exists()
    if group_by == "team" and group in ("", "none", "null"):
        return VisitSlot.user_id.in_(select(User.id).where(User.service_team_id.is_(None)))
    try:
        key = int(group)
    except ValueError:
        raise Problem.invalid("group", "Must be the group value of a report row.") from None
    if group_by == "user":
        return VisitSlot.user_id == key
    if group_by == "team":
        return VisitSlot.user_id.in_(select(User.id).where(User.service_team_id == key))
    if key == root.id:
        return VisitSlot.org_unit_id == root.id
    unit = db.session.get(OrgUnit, key)
    if unit is None or unit.parent_id != root.id:
        raise Problem.invalid("group", "Not a unit directly below the report's root.")
    return VisitSlot.org_unit_id.in_(scope.unit_ids_under(unit.path))


def slot_list(principal: Principal, period: Period, group_by: str, group: str | None,
              state: str | None, org_unit_id: int | None, page_args: dict) -> dict:
    """The due slots behind a report row (all rows without ``group``), unmet first."""
    root = report_root(principal, org_unit_id)
    where = list(slots_in(principal, root, period.start, period.end))
    if group is not None:
        where.append(_group_condition(group_by, group, root))
    if state is not None:
        where.append({"met": MET, "unmet": ~MET, "pending": PENDING,
                      "open": VisitSlot.last_day.is_(None) | (VisitSlot.last_day > clock.today())
                      }[state])
    result = paginate(select(VisitSlot).where(*where), page_args, order_by=(
        VisitSlot.countable > 0, VisitSlot.due_on, VisitSlot.id))
    items = result["items"]
    users = {u.id: u.display_name for u in db.session.scalars(select(User).where(
        User.id.in_({s.user_id for s in items})))} if items else {}
    names = {}
    for model, kind in ((Firm, "firm"), (Project, "project")):
        ids = {getattr(s, f"{kind}_id") for s in items} - {None}
        if ids:
            names.update({(kind, i): n for i, n in db.session.execute(
                select(model.id, model.name).where(model.id.in_(ids)))})
    result["items"] = [{
        "assignment_id": s.assignment_id, "user_id": s.user_id,
        "user_name": users.get(s.user_id), "org_unit_id": s.org_unit_id,
        "target_kind": "firm" if s.firm_id else "project",
        "target_id": s.firm_id or s.project_id,
        "target_name": names.get(("firm", s.firm_id) if s.firm_id else ("project", s.project_id)),
        "cadence": s.cadence, "slot_start": s.first_day, "slot_end": s.last_day,
        "met": s.countable > 0, "pending": s.countable == 0 and s.pending > 0,
        "countable_visits": s.countable, "visits_pending_review": s.pending,
        "last_visit_at": s.last_visit_at} for s in items]
    return result
