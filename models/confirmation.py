"""A firm's confirmation of a visit (企业确认): the second, independent piece of evidence next
to GPS. It names who visited (the credential's holder), which firm, which day (Asia/Shanghai),
and which firm user confirmed it; ``visit_id`` links the visit it matches (same person, same
firm, same day), set when the visit is already filed or as soon as it is."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, utcnow

VISIT_RATINGS = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied",
                 "very_dissatisfied")


class FirmConfirmation(Audited, Base):
    """"This person visited us today", said by a user of the firm after checking the visitor's
    e-credential. One per visitor, firm and day; it never changes the visit's GPS verdict."""

    __tablename__ = "firm_confirmations"
    __table_args__ = (
        UniqueConstraint("visitor_id", "firm_id", "day",
                         name="uq_firm_confirmations_visitor_id_firm_id_day"),
        CheckConstraint("rating IS NULL OR rating IN ('" + "','".join(VISIT_RATINGS) + "')",
                        "rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), unique=True)
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    rating: Mapped[str | None] = mapped_column(String(24))
    comment: Mapped[str | None] = mapped_column(String(300))

    visit = relationship("Visit", foreign_keys=[visit_id])

