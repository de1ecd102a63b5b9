"""marshmallow fields every resource shares."""

from datetime import UTC

from marshmallow import ValidationError, fields, validate
from werkzeug.routing import IntegerConverter

from fieldapp import clock
from fieldapp.stats.visit_rate import check_reach, check_years, parse_period
from geo import GeoError, parse_crs

# Ids are INTEGER primary keys: 32-bit on PostgreSQL (SERIAL), so a larger number names no row
# and must be refused at the boundary, not reach the database (which answers DataError there).
ID_MAX = 2**31 - 1


def Id(**kwargs) -> fields.Integer:
    """A row id in a body or query: a strict integer from 1 to ID_MAX."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=ID_MAX), **kwargs)


def QueryId(**kwargs) -> fields.Integer:
    """An id in a query string: digits are text there, so not strict, but the same range."""
    return fields.Integer(validate=validate.Range(min=1, max=ID_MAX), **kwargs)


class AwareDateTime(fields.AwareDateTime):
    """An ISO 8601 time that must carry its offset (a phone's local time without one is
    ambiguous) and must exist in UTC, where it is stored and compared: 0001-01-01T00:00+14:00
    is before year 1 there, and reached the database as a 503."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("This time lies outside the years 1 to 9999 in UTC.") from None
        return moment


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number beyond ID_MAX names no row, so it matches no route
    (404) instead of reaching the database."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=ID_MAX, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _valid_crs(value: str) -> None:
    try:
        parse_crs(value)
    except GeoError as exc:
        raise ValidationError(exc.message) from None


def Crs(**kwargs) -> fields.String:
    """The coordinate system of the coordinates in the same body."""
    kwargs.setdefault("metadata", {
        "description": "wgs84 (default), gcj02 (Amap, Tencent, WeChat) or bd09 (Baidu)"})
    return fields.String(validate=_valid_crs, **kwargs)


class PeriodField(fields.String):
    """``2026-11``, ``2026-W47``, ``2026-Q4`` or ``2026-11-01..2026-11-15``, in 2000–2099 (a
    filter, e.g. of issues)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            period = parse_period(super()._deserialize(value, attr, data, **kwargs))
            self._check(period)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        return period

    def _check(self, period) -> None:
        check_years(period.start, period.end)


class ReportPeriodField(PeriodField):
    """A visit-rate report's period: from 2000 to the end of next quarter, because a report
    writes the slots it reaches (see ``visit_rate.latest_day``)."""

    def _check(self, period) -> None:
        check_reach(period.start, period.end, clock.today())
