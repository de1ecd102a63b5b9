"""What the Open311 views read and write: client keys, categories and issues as requests."""

import hashlib
from datetime import datetime

from sqlalchemy import select

from fieldapp import scope
from fieldapp.auth.principal import Principal
from fieldapp.extensions import db
from fieldapp.issues.service import new_issue
from models import Firm, Issue, IssueCategory, Open311Client, OrgUnit, User

CLOSED = ("resolved", "closed", "rejected", "merged")


def client_for_key(key: str) -> Principal | None:
    """The principal an active client key acts as (its active user), or None."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    row = db.session.execute(
        select(User, OrgUnit.path).join(Open311Client, Open311Client.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(Open311Client.key_sha256 == digest, Open311Client.active.is_(True),
               User.is_active.is_(True))).first()
    if row is None:
        return None
    user, path = row
    return Principal(user_id=user.id, username=user.username, roles=user.roles,
                     org_unit_id=user.org_unit_id, org_path=path,
                     service_team_id=user.service_team_id, department_id=user.department_id,
                     session_id="open311", firm_id=user.firm_id)


def category(code: str) -> IssueCategory | None:
    """The issue category with this code, if any."""
    return db.session.get(IssueCategory, code)


def category_names() -> dict[str, str]:
    """Category code → name."""
    return {c.code: c.name for c in db.session.scalars(select(IssueCategory))}


def _issues(reader: Principal | None):
    # No reader: a public read (OPEN311_PUBLIC_READS), which the views show without texts.
    return select(Issue) if reader is None else scope.scoped(Issue, reader)


def find_requests(reader: Principal | None, *, tracking_nos: list[str] | None = None,
                  codes: list[str] | None = None, start: datetime | None = None,
                  end: datetime | None = None, status: set[str] | None = None) -> list[Issue]:
    """Issues matching the standard filters (``tracking_nos`` alone, when given), newest first,
    at most 1000."""
    stmt = _issues(reader)
    if tracking_nos:
        stmt = stmt.where(Issue.tracking_no.in_(tracking_nos))
    else:
        if codes:
            stmt = stmt.where(Issue.category.in_(codes))
        stmt = stmt.where(Issue.created_at >= start, Issue.created_at <= end)
        if status == {"open"}:
            stmt = stmt.where(Issue.state.not_in(CLOSED))
        elif status == {"closed"}:
            stmt = stmt.where(Issue.state.in_(CLOSED))
    return db.session.scalars(stmt.order_by(Issue.created_at.desc()).limit(1000)).all()


def find_request(reader: Principal | None, tracking_no: str) -> Issue | None:
    """The issue with this tracking number, if the reader may see it."""
    return db.session.scalar(_issues(reader).where(Issue.tracking_no == tracking_no))


def firm_by_uscc(client: Principal, uscc: str) -> Firm | None:
    """The firm with this USCC in the client's scope, if any."""
    return db.session.scalar(scope.scoped(Firm, client).where(Firm.uscc == uscc))


def create_request(client: Principal, firm: Firm, code: str, description: str,
                   lat: float | None, lon: float | None, address: str | None) -> Issue:
    """Raise an issue for the firm on the client's behalf (as dispatch), and commit."""
    issue = new_issue(firm_id=firm.id, org_unit_id=firm.org_unit_id, category=code,
                      title=description[:200], description=description, source="open311",
                      actor_role="dispatcher", actor_id=client.user_id, lat=lat, lon=lon,
                      address=address)
    db.session.commit()
    return issue
