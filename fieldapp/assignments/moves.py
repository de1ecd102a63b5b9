"""What follows a firm or project moved to another unit: its assignments, and a firm's own
users (企业用户 belong to their firm's unit). Below the services of firms, projects and
assignments, which all move things."""

from datetime import timedelta

from sqlalchemy import select

from fieldapp import clock
from fieldapp.extensions import db
from models import Assignment, Firm, Project, User

MOVED = "对象迁出 moved to another unit"


def follow_move(target: Firm | Project, user_id: int | None) -> None:
    """Assignments follow a firm or project moved to another unit, from today; the past stays.

    One not yet begun just changes unit. One running since before today ends yesterday and is
    continued from today by the same person with the same cadence under the new unit
    (``replaced_by_id``, as a reassignment), so the slots and visits before the move stay
    reported under the old unit: a report for a past month reads the same after the move as
    before it. A continuation keeps the planned end and any successor already scheduled (a
    reassignment from a later day). Ended ones stay put. Nothing is flushed here: a firm
    import moves many firms in one flush.
    """
    today = clock.today()
    column = Assignment.firm_id if isinstance(target, Firm) else Assignment.project_id
    for old in db.session.scalars(select(Assignment).where(
            column == target.id,
            Assignment.ends_on.is_(None) | (Assignment.ends_on >= today))).all():
        if old.starts_on >= today:
            old.org_unit_id = target.org_unit_id
            continue
        new = Assignment(user_id=old.user_id, firm_id=old.firm_id, project_id=old.project_id,
                         org_unit_id=target.org_unit_id, cadence=old.cadence, starts_on=today,
                         ends_on=old.ends_on, end_reason=old.end_reason,
                         replaced_by_id=old.replaced_by_id, created_by_id=user_id)
        db.session.add(new)
        old.ends_on, old.end_reason = today - timedelta(days=1), MOVED
        old.replaced_by = new
    if isinstance(target, Firm):
        # The firm's managers are those of its unit: they, not the old unit's, manage its users.
        for user in db.session.scalars(select(User).where(User.firm_id == target.id)):
            user.org_unit_id = target.org_unit_id
