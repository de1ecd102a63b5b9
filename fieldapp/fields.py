"""marshmallow fields every resource shares."""

from marshmallow import fields, validate

# Ids are 64-bit signed integers on both databases; a larger number names no row and must be
# refused at the boundary rather than overflow in the driver.
ID_MAX = 2**63 - 1


def Id(**kwargs) -> fields.Integer:
    """A row id in a body or query: a strict integer from 1 to 2**63 - 1."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=ID_MAX), **kwargs)
