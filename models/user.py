"""Users, their roles, and the log-in sessions that refresh tokens belong to."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Audited, Base, utcnow
from models.org import OrgUnit

ROLES = ("admin", "manager", "commissioner", "butler", "handler", "firm")


def roles_of(roles_csv: str) -> frozenset[str]:
    """The role names stored in a ``roles`` column value."""
    return frozenset(r for r in roles_csv.split(",") if r)


class User(Audited, Base):
    """A person who logs in. ``roles`` is a sorted comma-separated set of names from ROLES.

    Kept in one column so a role change is one audited update of the user, not rows elsewhere;
    no role name is a substring of another, so a LIKE filter is exact.
    """

    __tablename__ = "users"
    __audit_redact__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles_csv: Mapped[str] = mapped_column("roles", String(100))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    service_team_id: Mapped[int | None] = mapped_column(ForeignKey("service_teams.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when an admin or manager chose the password (a new account, a reset): a one-time
    # password the user must replace before doing anything else.
    password_must_change: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)
    # A firm user's firm (role ``firm`` only), shown with the user: one query per page of users.
    firm: Mapped["Firm | None"] = relationship(lazy="selectin")  # noqa: F821

    @property
    def roles(self) -> frozenset[str]:
        """The user's roles as a set."""
        return roles_of(self.roles_csv)

    @roles.setter
    def roles(self, value) -> None:
        unknown = set(value) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        self.roles_csv = ",".join(sorted(set(value)))


class AuthSession(Base):
    """One log-in: the family of refresh tokens issued from it.

    Only a hash of the current refresh token is kept. Presenting an older token of the family
    (a replay after rotation) revokes the whole session, since one of the two holders is a thief.
    Access tokens name their session, so revoking it ends them at once.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    refresh_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(255))
    client_addr: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()
