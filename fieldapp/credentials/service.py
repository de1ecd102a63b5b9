"""Issuing and checking e-credentials, and firms confirming visits with them.

- A credential is issued to an active commissioner or butler (``POST /me/credential``).
- Checking (``POST /credentials/verify``) needs no account: it answers whether the holder is a
  current commissioner or butler (active user, still in the role), until when the credential
  is valid, and — when the firm is known (a logged-in firm user, or a USCC typed on the page)
  — whether the holder is assigned to that firm today. Expired, tampered and revoked
  (deactivated user, role removed) credentials are refused with their reason.
- Confirming (``POST /credentials/confirm``): a firm user, with a valid credential of someone
  assigned to their firm today, says "this person visited us today" (optionally rating the
  visit). One confirmation per visitor, firm and day (a second answers the first); it is linked
  to the matching visit (same person, firm, day; the earliest unlinked one), now or when the
  visit is filed later.
"""

import hashlib
import hmac
from datetime import datetime, timedelta

import segno
from flask import current_app, request
from sqlalchemy import select

from fieldapp import clock, scope
from fieldapp.auth.principal import Principal
from fieldapp.credentials import tokens
from fieldapp.errors import Problem
from fieldapp.extensions import db
from models import Firm, FirmConfirmation, ServiceTeam, User, Visit

VISITOR_ROLES = ("commissioner", "butler")
ROLE_LABELS = {"commissioner": "企业服务专员", "butler": "项目管家"}


def key() -> bytes:
    """The credential key: ``CREDENTIAL_KEY``, or one derived from ``SECRET_KEY`` under its own
    label (never the access-token key itself)."""
    configured = current_app.config.get("CREDENTIAL_KEY") or ""
    if configured:
        return configured.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"fieldapp credential key v1",
                    hashlib.sha256).digest()


def holder_of(user: User) -> dict:
    """What the firm sees of the visitor: name, unit, service team, role (no photo is stored
    for users yet: ``photo_url`` stays null)."""
    team = db.session.get(ServiceTeam, user.service_team_id) if user.service_team_id else None
    roles = [r for r in user.roles if r in VISITOR_ROLES]
    return {"name": user.display_name, "unit": user.org_unit.name,
            "service_team": team.name if team else None,
            "roles": roles, "role_labels": [ROLE_LABELS[r] for r in roles], "photo_url": None}


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=6, border=4, dark="#000",
                                                   light="#fff")


def issue_credential(principal: Principal) -> dict:
    """``POST /me/credential``: a fresh credential for the caller. ``issued_at`` is the
    server's time, so a phone whose clock is wrong still counts the remaining time right."""
    if not principal.has(*VISITOR_ROLES):
        raise scope.forbidden("Only commissioners and butlers carry an e-credential.")
    user = db.session.get(User, principal.user_id)
    ttl = current_app.config["CREDENTIAL_TTL"]
    issued_at = clock.now()
    cred = tokens.issue(user.id, issued_at, ttl, key())
    url = request.host_url.rstrip("/") + "/verify/" + cred.token
    return {"token": cred.token, "short_code": cred.short_code, "url": url,
            "issued_at": issued_at, "expires_at": cred.expires_at, "ttl": ttl,
            "qr_svg": _qr_svg(url),
            "holder": holder_of(user)}


def _read(data: dict) -> tuple[int, datetime]:
    if data.get("token"):
        return tokens.read_token(data["token"], clock.now(), key())
    return tokens.read_short_code(data["short_code"], clock.now(),
                                  current_app.config["CREDENTIAL_TTL"], key())


def _firm_for(principal: Principal | None, uscc: str | None) -> Firm | None:
    if principal is not None and principal.has("firm") and principal.firm_id is not None:
        return db.session.get(Firm, principal.firm_id)
    if uscc:
        return db.session.scalar(select(Firm).where(Firm.uscc == uscc.strip().upper()))
    return None


def verify(data: dict, principal: Principal | None) -> dict:
    """``POST /credentials/verify``: ``{valid, reason, holder, expires_at, assignment}``."""
    try:
        user_id, expires_at = _read(data)
    except tokens.CredentialRefused as refused:
        return {"valid": False, "reason": refused.reason}
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not set(user.roles) & set(VISITOR_ROLES):
        return {"valid": False, "reason": "revoked"}
    firm = _firm_for(principal, data.get("uscc"))
    assignment = {"checked": False, "firm_name": None, "assigned": None}
    if firm is not None:
        assignment = {"checked": True, "firm_name": firm.name,
                      "assigned": scope.holds_firm(user.id, firm.id, clock.today())}
    elif data.get("uscc"):
        assignment = {"checked": True, "firm_name": None, "assigned": False}
    return {"valid": True, "reason": None, "holder": holder_of(user),
            "expires_at": expires_at, "assignment": assignment,
            "may_confirm": bool(principal and principal.has("firm") and assignment["assigned"])}


def _local_day_bounds(day):
    start = clock.local_midnight(day)
    return start, start + timedelta(days=1)


def match_visit(confirmation: FirmConfirmation) -> None:
    """Link the confirmation to the visitor's earliest unlinked visit to the firm that day."""
    start, end = _local_day_bounds(confirmation.day)
    linked = select(FirmConfirmation.visit_id).where(FirmConfirmation.visit_id.is_not(None))
    visit_id = db.session.scalar(select(Visit.id).where(
        Visit.user_id == confirmation.visitor_id, Visit.firm_id == confirmation.firm_id,
        Visit.captured_at >= start, Visit.captured_at < end, Visit.id.not_in(linked))
        .order_by(Visit.captured_at, Visit.id).limit(1))
    confirmation.visit_id = visit_id


def confirmation_view(c: FirmConfirmation) -> dict:
    return {"id": c.id, "day": c.day, "confirmed_at": c.confirmed_at, "visit_id": c.visit_id,
            "rating": c.rating, "comment": c.comment}


def confirm(principal: Principal, data: dict) -> tuple[dict, bool]:
    """``POST /credentials/confirm``: (the confirmation, created?)."""
    if not principal.has("firm") or principal.firm_id is None:
        raise scope.forbidden("Only a firm's own users confirm visits to it.")
    try:
        user_id, _ = _read(data)
    except tokens.CredentialRefused as refused:
        raise Problem(422, f"The credential is refused ({refused.reason}).",
                      slug=f"credential-{refused.reason}", reason=refused.reason) from None
    visitor = db.session.get(User, user_id)
    if visitor is None or not visitor.is_active or not set(visitor.roles) & set(VISITOR_ROLES):
        raise Problem(422, "The credential is refused (revoked).", slug="credential-revoked",
                      reason="revoked")
    day = clock.today()
    if not scope.holds_firm(visitor.id, principal.firm_id, day):
        raise Problem(409, "This person is not assigned to your firm today.",
                      slug="not-assigned")
    existing = db.session.scalar(select(FirmConfirmation).where(
        FirmConfirmation.visitor_id == visitor.id, FirmConfirmation.firm_id == principal.firm_id,
        FirmConfirmation.day == day))
    if existing is not None:
        return confirmation_view(existing), False
    confirmation = FirmConfirmation(visitor_id=visitor.id, firm_id=principal.firm_id, day=day,
                                    confirmed_by_id=principal.user_id, confirmed_at=clock.now(),
                                    rating=data.get("rating"), comment=data.get("comment"))
    match_visit(confirmation)
    db.session.add(confirmation)
    db.session.commit()
    return confirmation_view(confirmation), True


def link_new_visit(visit: Visit) -> FirmConfirmation | None:
    """A visit just filed takes the firm's confirmation of that day, if one waits for it;
    that confirmation, or None."""
    if visit.firm_id is None:
        return None
    day = visit.captured_at.astimezone(clock.LOCAL_TZ).date()
    # No flush here: the visit is inserted by the caller's commit, which also settles a race
    # between two uploads of the same visit.
    with db.session.no_autoflush:
        waiting = db.session.scalar(select(FirmConfirmation).where(
            FirmConfirmation.visitor_id == visit.user_id,
            FirmConfirmation.firm_id == visit.firm_id,
            FirmConfirmation.day == day, FirmConfirmation.visit_id.is_(None)))
    if waiting is not None:
        waiting.visit = visit
    return waiting

