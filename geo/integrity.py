"""Integrity signals: patterns in one person's visits that suggest a position was not honest.

Each signal is a pure function over a ``VisitPoint`` and the same person's other visits
(``neighbours``, in any order: offline uploads arrive late, so arrival order means nothing).
Signals are evidence for a human reviewer, not verdicts; thresholds err towards not flagging
honest staff.  Times must be timezone-aware.  A visit's moment is its ``fix_time``, or its
``captured_at`` when the client sent no fix time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from geo.distance import geodesic_distance_m
from geo.inputs import check_aware, check_lat_lon, finite_number

MOCK_LOCATION = "mock_location"
ACCURACY_IMPLAUSIBLE = "accuracy_implausible"
IMPOSSIBLE_TRAVEL = "impossible_travel"
SAME_SPOT_OTHER_FIRMS = "same_spot_other_firms"
REPEATED_FIX = "repeated_fix"
CLOCK_SKEW = "clock_skew"
STALE_FIX = "stale_fix"

# China has one time zone and no DST since 1991, so a fixed +08:00 is exactly Asia/Shanghai
# for every date fieldapp will see, without depending on the host's tz database.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class VisitPoint:
    """One visit's position and clocks, WGS-84, as stored.

    ``fix_time`` is when the position was measured, ``captured_at`` when the client recorded
    the visit (device clock), ``received_at`` when the server received it (server clock).
    """

    visit_id: str | int
    firm_id: str | int
    lat: float
    lon: float
    accuracy_m: float | None = None
    fix_time: datetime | None = None
    captured_at: datetime | None = None
    received_at: datetime | None = None

    def __post_init__(self) -> None:
        lat, lon = check_lat_lon(self.lat, self.lon)
        object.__setattr__(self, "lat", lat)
        object.__setattr__(self, "lon", lon)
        if self.accuracy_m is not None:
            object.__setattr__(self, "accuracy_m", finite_number("accuracy_m", self.accuracy_m))
        for name in ("fix_time", "captured_at", "received_at"):
            check_aware(name, getattr(self, name))

    @property
    def moment(self) -> datetime | None:
        """When the position was taken: ``fix_time``, else ``captured_at``."""
        return self.fix_time if self.fix_time is not None else self.captured_at


@dataclass(frozen=True)
class IntegrityPolicy:
    """Thresholds of the integrity signals, with their defaults and why.

    * ``max_speed_kmh`` (120): China's expressway limit; faster than that between two
      visits, after giving both fixes the benefit of their accuracy radii, is suspicious.
      (Staff do take high-speed trains, so a reviewer must read this, not auto-reject.)
    * ``min_plausible_accuracy_m`` (1 m): no phone measures better than a metre; 0 or less is
      what mock-location apps report.
    * ``same_spot_radius_m`` (10 m) and ``same_spot_window`` (4 h): visits to different firms
      filed from one spot within a morning or afternoon suggest visits filed from a desk.
    * ``repeat_tolerance_deg`` (1e-7°, ~1 cm): identical coordinates to the last digits on
      different days cannot be two measurements; real fixes jitter by metres.
    * ``future_tolerance`` (2 min): device clocks may run a little fast.
    * ``online_delay_tolerance`` (10 min): an online submission is received almost at once.
    * ``stale_fix_age`` (10 min): a fix older than this at capture is a cached position.
    """

    max_speed_kmh: float = 120.0
    min_plausible_accuracy_m: float = 1.0
    same_spot_radius_m: float = 10.0
    same_spot_window: timedelta = timedelta(hours=4)
    repeat_tolerance_deg: float = 1e-7
    future_tolerance: timedelta = timedelta(minutes=2)
    online_delay_tolerance: timedelta = timedelta(minutes=10)
    stale_fix_age: timedelta = timedelta(minutes=10)


DEFAULT_INTEGRITY_POLICY = IntegrityPolicy()


def mock_location(mock: bool | None) -> bool:
    """True when the client itself reported a mock (simulated) location provider."""
    return mock is True


def accuracy_implausible(
    accuracy_m: float | None, policy: IntegrityPolicy = DEFAULT_INTEGRITY_POLICY
) -> bool:
    """True when a reported accuracy is better than any phone can measure (e.g. 0 m)."""
    return accuracy_m is not None and accuracy_m < policy.min_plausible_accuracy_m


def _others(point: VisitPoint, neighbours: Iterable[VisitPoint]) -> list[VisitPoint]:
    return [n for n in neighbours if n.visit_id != point.visit_id]


def _too_fast(a: VisitPoint, b: VisitPoint, policy: IntegrityPolicy) -> bool:
    # Both fixes could be off by their accuracy towards each other, so only the distance
    # that remains after subtracting both radii had to be travelled.
    slack = (a.accuracy_m or 0.0) + (b.accuracy_m or 0.0)
    distance = max(0.0, geodesic_distance_m(a.lat, a.lon, b.lat, b.lon) - slack)
    if distance == 0.0:
        return False
    seconds = abs((b.moment - a.moment).total_seconds())  # type: ignore[operator]
    if seconds == 0.0:
        return True
    return distance / seconds * 3.6 > policy.max_speed_kmh


def impossible_travel(
    point: VisitPoint,
    neighbours: Iterable[VisitPoint],
    policy: IntegrityPolicy = DEFAULT_INTEGRITY_POLICY,
) -> bool:
    """True when reaching ``point`` from the previous visit, or the next visit from it,
    needs more than ``max_speed_kmh``; neighbours are ordered by fix time, not arrival."""
    if point.moment is None:
        return False
    timed = sorted((n for n in _others(point, neighbours) if n.moment is not None),
                   key=lambda n: n.moment)  # type: ignore[arg-type,return-value]
    before = [n for n in timed if n.moment <= point.moment]  # type: ignore[operator]
    after = [n for n in timed if n.moment > point.moment]  # type: ignore[operator]
    adjacent = ([before[-1]] if before else []) + ([after[0]] if after else [])
    return any(_too_fast(n, point, policy) for n in adjacent)


def same_spot_other_firms(
    point: VisitPoint,
    neighbours: Iterable[VisitPoint],
    policy: IntegrityPolicy = DEFAULT_INTEGRITY_POLICY,
) -> bool:
    """True when a visit to a different firm was filed from within ``same_spot_radius_m``
    of ``point`` within ``same_spot_window`` of it."""
    if point.moment is None:
        return False
    for n in _others(point, neighbours):
        if n.firm_id == point.firm_id or n.moment is None:
            continue
        if abs(n.moment - point.moment) > policy.same_spot_window:
            continue
        if geodesic_distance_m(point.lat, point.lon, n.lat, n.lon) <= policy.same_spot_radius_m:
            return True
    return False


def china_calendar_day(moment: datetime) -> date:
    """The calendar date of an aware ``moment`` in China (Asia/Shanghai, UTC+8)."""
    return moment.astimezone(CHINA_STANDARD_TIME).date()


def repeated_fix(
    point: VisitPoint,
    neighbours: Iterable[VisitPoint],
    policy: IntegrityPolicy = DEFAULT_INTEGRITY_POLICY,
) -> bool:
    """True when another visit on a different China calendar day has the same coordinates
    to within ``repeat_tolerance_deg``: a replayed position, not a new measurement.

    Same-day repeats are not flagged: a phone legitimately reuses its cached fix for visits
    seconds apart."""
    if point.moment is None:
        return False
    day = china_calendar_day(point.moment)
    tol = policy.repeat_tolerance_deg
    return any(
        n.moment is not None
        and abs(n.lat - point.lat) <= tol
        and abs(n.lon - point.lon) <= tol
        and china_calendar_day(n.moment) != day
        for n in _others(point, neighbours)
    )


def clock_skew(
    point: VisitPoint, policy: IntegrityPolicy = DEFAULT_INTEGRITY_POLICY, *, online: bool
) -> bool:
    """True when the device clock disagrees with the server's.

    Capture or fix time later than server receipt (beyond ``future_tolerance``) is always
    skew.  For an ``online`` submission, receipt more than ``online_delay_tolerance`` after
    capture is too; offline uploads legitimately arrive hours or days late."""
    if point.received_at is None:
        return False
    for moment in (point.captured_at, point.fix_time):
        if moment is not None and moment - point.received_at > policy.future_tolerance:
            return True
    return (
        online
        and point.captured_at is not None
        and point.received_at - point.captured_at > policy.online_delay_tolerance
    )


def stale_fix(point: VisitPoint, policy: IntegrityPolicy = DEFAULT_INTEGRITY_POLICY) -> bool:
    """True when the position was measured more than ``stale_fix_age`` before capture."""
    if point.fix_time is None or point.captured_at is None:
        return False
    return point.captured_at - point.fix_time > policy.stale_fix_age


def integrity_flags(
    point: VisitPoint,
    neighbours: Sequence[VisitPoint] = (),
    policy: IntegrityPolicy = DEFAULT_INTEGRITY_POLICY,
    *,
    mock: bool | None = None,
    online: bool = True,
) -> tuple[str, ...]:
    """Every integrity signal raised for ``point``, as flag names in a stable order."""
    checks = (
        (MOCK_LOCATION, mock_location(mock)),
        (ACCURACY_IMPLAUSIBLE, accuracy_implausible(point.accuracy_m, policy)),
        (IMPOSSIBLE_TRAVEL, impossible_travel(point, neighbours, policy)),
        (SAME_SPOT_OTHER_FIRMS, same_spot_other_firms(point, neighbours, policy)),
        (REPEATED_FIX, repeated_fix(point, neighbours, policy)),
        (CLOCK_SKEW, clock_skew(point, policy, online=online)),
        (STALE_FIX, stale_fix(point, policy)),
    )
    return tuple(name for name, raised in checks if raised)
