"""marshmallow fields every resource shares."""

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

# Ids are INTEGER primary keys: 32-bit on PostgreSQL (SERIAL), so a larger number names no row
# and must be refused at the boundary, not reach the database (which answers DataError there).
ID_MAX = 2**31 - 1


def Id(**kwargs) -> fields.Integer:
    """A row id in a body or query: a strict integer from 1 to ID_MAX."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=ID_MAX), **kwargs)


def QueryId(**kwargs) -> fields.Integer:
    """An id in a query string: digits are text there, so not strict, but the same range."""
    return fields.Integer(validate=validate.Range(min=1, max=ID_MAX), **kwargs)


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number beyond ID_MAX names no row, so it matches no route
    (404) instead of reaching the database."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=ID_MAX, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
