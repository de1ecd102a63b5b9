"""Visits (走访) with their evidence and verification, review decisions, and raised issues."""

from datetime import datetime
from typing import TYPE_CHECKING

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, utcnow

if TYPE_CHECKING:
    from models.confirmation import FirmConfirmation
    from models.issue import Issue

VISIT_STATUSES = ("accepted", "needs_review", "approved", "rejected")
COUNTABLE_STATUSES = ("accepted", "approved")
VERDICTS = ("verified", "out_of_range", "inconclusive")
PURPOSES = ("routine", "issue_followup", "policy", "project_stage", "other")
REVIEW_DECISIONS = ("approve", "reject")
REVIEW_REASONS = ("device_location_wrong", "no_signal", "met_at_other_address", "site_outdated",
                  "verified_by_photo", "not_visited", "duplicate", "wrong_firm", "other",
                  "firm_confirmed")


def _in(column: str, values) -> str:
    return f"{column} IN ('" + "','".join(values) + "')"


class Visit(Audited, Base):
    """One visit as filed, with everything the server concluded about it.

    The raw position is kept exactly as sent (``raw_position``) next to the WGS-84 point the
    verification used; ``site_version`` and ``rule_version`` say which geometry and which rules
    judged it, so the verdict stays explainable after a site moves or the rules change.
    ``client_id`` (made on the phone) with ``user_id`` is unique in the database: a retried or
    raced upload can never store a visit twice. ``content_hash`` tells a replay (same content)
    from a conflict (same ``client_id``, different content).

    ``status``: ``accepted`` (verified, no flags), ``needs_review``, then ``approved`` or
    ``rejected`` by a reviewer. Countable (DESIGN §5) = ``accepted`` or ``approved``.
    """

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("user_id", "client_id", name="uq_visits_user_id_client_id"),
        CheckConstraint("(firm_id IS NULL) <> (project_id IS NULL)", "one_target"),
        CheckConstraint(_in("status", VISIT_STATUSES), "status"),
        CheckConstraint(_in("verdict", VERDICTS), "verdict"),
        Index("ix_visits_user_id_captured_at", "user_id", "captured_at"),
        Index("ix_visits_firm_id_captured_at", "firm_id", "captured_at"),
        Index("ix_visits_project_id_captured_at", "project_id", "captured_at"),
        # Covering on PostgreSQL: the visit-rate report's visit counts for a city's month are
        # an index-only scan (measured at a million firms: 286 → 21 ms). ``id``: the count of
        # visits the firm confirmed looks each one up by it (without it, a heap fetch per visit).
        Index("ix_visits_org_unit_id_captured_at", "org_unit_id", "captured_at",
              postgresql_include=["user_id", "firm_id", "status", "received_at", "flags", "id"]),
        Index("ix_visits_status_captured_at", "status", "captured_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    site_version: Mapped[int] = mapped_column(Integer)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    captured_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    fix_time: Mapped[datetime | None]
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    raw_position: Mapped[dict] = mapped_column(JSON)
    crs: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))
    point = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    mock: Mapped[bool | None] = mapped_column(Boolean)
    distance_m: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float)
    normalised_accuracy_m: Mapped[float | None] = mapped_column(Float)
    measured_to: Mapped[str] = mapped_column(String(8))
    verdict: Mapped[str] = mapped_column(String(16))
    flags: Mapped[list] = mapped_column(JSON, default=list)
    rule_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(32), default="routine")
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    reviews: Mapped[list["VisitReview"]] = relationship(
        order_by="VisitReview.id", lazy="selectin", back_populates="visit")
    raised_issues: Mapped[list["Issue"]] = relationship(
        order_by="Issue.id", lazy="selectin", back_populates="visit")
    photos: Mapped[list["VisitPhoto"]] = relationship(
        order_by="VisitPhoto.id", lazy="selectin", back_populates="visit")
    # The firm's own confirmation (second evidence next to GPS), when one matches this visit.
    firm_confirmation: Mapped["FirmConfirmation | None"] = relationship(
        "FirmConfirmation", primaryjoin="FirmConfirmation.visit_id == Visit.id",
        foreign_keys="FirmConfirmation.visit_id", uselist=False, viewonly=True,
        lazy="selectin")

    @property
    def countable(self) -> bool:
        """Counts towards the visit rate: accepted as filed, or approved on review."""
        return self.status in COUNTABLE_STATUSES


class VisitReview(Audited, Base):
    """A reviewer's decision on a visit. A later decision supersedes, never overwrites, one."""

    __tablename__ = "visit_reviews"
    __table_args__ = (
        CheckConstraint(_in("decision", REVIEW_DECISIONS), "decision"),
        CheckConstraint(_in("reason_code", REVIEW_REASONS), "reason_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    decision: Mapped[str] = mapped_column(String(8))
    reason_code: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("visit_reviews.id"))

    visit: Mapped[Visit] = relationship(back_populates="reviews")

    def audit_org_unit_id(self) -> int | None:
        """A review's trail belongs to its visit's unit."""
        return self.visit.org_unit_id if self.visit is not None else None


class VisitPhoto(Audited, Base):
    """A photo taken on a visit, stored on disk by its SHA-256, with what its EXIF says."""

    __tablename__ = "visit_photos"
    __table_args__ = (UniqueConstraint("visit_id", "sha256", name="uq_visit_photos_visit_sha"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    exif_taken_at: Mapped[datetime | None]
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="photos")

    def audit_org_unit_id(self) -> int | None:
        """A photo's trail belongs to its visit's unit."""
        return self.visit.org_unit_id if self.visit is not None else None
