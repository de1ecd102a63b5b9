"""The clock: the current moment and the local calendar (Asia/Shanghai), in one place.

Callers ask through the module (``clock.now()``, ``clock.today()``), never ``from ... import
now``, so that a test moves the clock for everything with
``monkeypatch.setattr(clock, "now", ...)``.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

# Where fieldapp's users live: assignments, slots, working days and tracking years are in it.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Asia/Shanghai."""
    return local_date(now())


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be an aware datetime")
    return moment.astimezone(LOCAL_TZ).date()


def local_midnight(day: date) -> datetime:
    """00:00 of ``day`` in Asia/Shanghai, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
