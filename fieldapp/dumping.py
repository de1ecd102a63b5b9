"""Dumping a marshmallow schema through a plan made once: the schema's own fields and their own
``_serialize``, without marshmallow's per-field lookups and calls around them.

A page of 50 firms is ~1,500 field values; marshmallow spends more on finding and calling each
field (``Field.serialize``, the accessor, the ``missing`` checks, a ``Schema.dump`` per nested
object) than on formatting the values. The plan does the same steps in a flat loop. The schema
stays the one place where the answer's shape is declared (and the OpenAPI document comes from
it); a schema the plan cannot follow exactly (dump hooks, ``only``/``exclude`` on a nested
field, a dotted attribute, a custom ``get_attribute`` or ``serialize``) is dumped by
marshmallow as before.
"""

from marshmallow import Schema, fields, missing
from marshmallow.utils import get_value

_PLANS: dict[type, object] = {}


def _followable(schema: Schema) -> bool:
    return (not any(schema._hooks.values())
            and type(schema).get_attribute is Schema.get_attribute
            and type(schema).dict_class is Schema.dict_class)


def _nested_plan(field: fields.Field):
    """A function dumping one value of a (list of) nested schema(s), or None."""
    many = False
    if isinstance(field, fields.List):
        inner = field.inner
        if not isinstance(inner, fields.Nested) or inner.many or inner.schema.many:
            return None
        field, many = inner, True
    elif not isinstance(field, fields.Nested):
        return None
    if field.only is not None or field.exclude or not _followable(field.schema):
        return None
    schema_dump = plan(type(field.schema)) if not field.many and not field.schema.many else None
    if schema_dump is None:
        return None
    if many:
        return lambda value: None if value is None else [
            None if each is None else schema_dump(each) for each in value]
    return lambda value: None if value is None else schema_dump(value)


def plan(schema_class: type[Schema]):
    """``dump(obj) -> dict`` for one object, equal to ``schema_class().dump(obj)``, or None
    when the schema is not one the plan can follow."""
    if schema_class in _PLANS:
        return _PLANS[schema_class]
    schema = schema_class()
    steps = []
    followable = _followable(schema)
    for name, field in schema.dump_fields.items() if followable else ():
        attribute = field.attribute or name
        if "." in attribute or type(field).serialize is not fields.Field.serialize \
                or type(field).get_value is not fields.Field.get_value:
            followable = False
            break
        key = field.data_key if field.data_key is not None else name
        steps.append((key, name, attribute, field, field._CHECK_ATTRIBUTE,
                      _nested_plan(field), field.dump_default))
    if not followable:
        _PLANS[schema_class] = None
        return None

    def dump(obj) -> dict:
        out = {}
        for key, name, attribute, field, check, nested, default in steps:
            if check:
                value = get_value(obj, attribute, missing)
                if value is missing:
                    value = default() if callable(default) else default
                    if value is missing:
                        continue
            else:
                value = None
            out[key] = nested(value) if nested is not None else field._serialize(value, name,
                                                                                  obj)
        return out

    _PLANS[schema_class] = dump
    return dump


class PlannedSchema(Schema):
    """A schema whose ``dump`` follows its plan when it has one (see the module docstring)."""

    def dump(self, obj, *, many=None):
        """As ``Schema.dump``; through the plan for a schema without options of its own."""
        many = self.many if many is None else many
        planned = plan(type(self)) if not (self.only or self.exclude) else None
        if planned is None:
            return super().dump(obj, many=many)
        return [planned(each) for each in obj] if many else planned(obj)
