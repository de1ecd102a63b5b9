"""marshmallow fields every resource shares."""

from marshmallow import fields, validate

# Ids are INTEGER primary keys: 32-bit on PostgreSQL (SERIAL), so a larger number names no row
# and must be refused at the boundary, not reach the database (which answers DataError there).
ID_MAX = 2**31 - 1


def Id(**kwargs) -> fields.Integer:
    """A row id in a body or query: a strict integer from 1 to ID_MAX."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=ID_MAX), **kwargs)
