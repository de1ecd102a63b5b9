"""Reading visits in scope and reviewing the doubtful ones (``GET /visits``,
``POST /visits/{id}/review``)."""

import json

from sqlalchemy import String, cast

from fieldapp import scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import Visit, VisitReview


def visit_query(principal: Principal, filters: dict):
    """The visible visits matching ``filters``."""
    stmt = scope.filtered(Visit, principal, filters,
                          ("user_id", "firm_id", "project_id", "status", "verdict"))
    if "since" in filters:
        stmt = stmt.where(Visit.captured_at >= filters["since"])
    if "until" in filters:
        stmt = stmt.where(Visit.captured_at < filters["until"])
    if "flag" in filters:
        # Flags are a short JSON list; match the quoted name in its text on both databases.
        stmt = stmt.where(cast(Visit.flags, String).contains(
            json.dumps(filters["flag"]), autoescape=True))
    return stmt


# Flags about the phone's position only, which a firm's confirmation may outweigh: it says who
# was met that day, not where the phone was. Mock locations, clock skew and photo flags are
# about the evidence being doctored, and stay for a reviewer to judge on other grounds.
GPS_FLAGS = frozenset({"accuracy_implausible", "stale_fix", "impossible_travel", "repeated_fix",
                       "same_spot_other_firms"})


def _require_firm_confirmation(visit: Visit, decision: str) -> None:
    """Reason ``firm_confirmed``: approve only, a firm confirmation matched to the visit, and
    nothing but GPS reasons (verdict, GPS flags) held against it."""
    if decision != "approve":
        raise Problem.invalid("reason_code", "firm_confirmed only approves a visit.")
    if visit.firm_confirmation is None:
        raise Problem.invalid("reason_code", "No firm confirmation matches this visit.")
    other = sorted(set(visit.flags) - GPS_FLAGS)
    if other:
        raise Problem.invalid("reason_code", "A firm confirmation outweighs GPS reasons only; this "
                       f"visit is also flagged {', '.join(other)}.")


def review_visit(principal: Principal, visit_id: int, data: dict) -> Visit:
    """Approve or reject a visit; an earlier decision is superseded only when asked to."""
    visit = db.session.scalar(scope.scoped(Visit, principal).where(Visit.id == visit_id)
                              .with_for_update())
    if visit is None:
        raise scope.not_found(Visit, visit_id)
    scope.require_visit_reviewer(principal, visit)
    current = visit.reviews[-1] if visit.reviews else None
    if data["reason_code"] == "firm_confirmed":
        _require_firm_confirmation(visit, data["decision"])
    if current is not None and not data["supersede"]:
        raise Problem(409, f"This visit was already decided ({current.decision}, "
                      f"{current.reason_code}); send supersede=true to replace that decision "
                      "(it stays on record).", slug="already-reviewed",
                      current_decision=current.decision, review_id=current.id)
    review = VisitReview(visit_id=visit.id, decision=data["decision"],
                         reason_code=data["reason_code"], note=data.get("note"),
                         reviewer_id=principal.user_id,
                         supersedes_id=current.id if current is not None else None)
    visit.reviews.append(review)
    visit.status = "approved" if data["decision"] == "approve" else "rejected"
    db.session.commit()
    return visit
