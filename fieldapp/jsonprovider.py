"""JSON answers encoded by orjson: the same bytes as Flask's encoder for what fieldapp sends,
several times faster (every API answer goes through it; bench/platform.py measures it)."""

import orjson
from flask.json.provider import DefaultJSONProvider

# Datetimes and dates go to Flask's own ``default`` (RFC 822 strings), as with the standard
# encoder; answers built by marshmallow carry ISO 8601 strings already.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_APPEND_NEWLINE


class OrjsonProvider(DefaultJSONProvider):
    """Flask's provider with ``response`` (``jsonify``, flask-smorest's answers) on orjson.

    ``dumps``/``loads`` stay the standard library's, for templates and anything that passes
    keyword arguments. Keys are sorted as Flask sorts them; UTF-8 is sent as is (never
    ``\\u`` escapes). Anything orjson refuses (an integer over 64 bits, a lone surrogate) falls
    back to the standard encoder, which answers as before.
    """

    def response(self, *args, **kwargs):
        """``jsonify``: the arguments as an ``application/json`` response."""
        obj = self._prepare_response_obj(args, kwargs)
        options = _OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        if (self.compact is None and self._app.debug) or self.compact is False:
            options |= orjson.OPT_INDENT_2
        try:
            body = orjson.dumps(obj, default=self.default, option=options)
        except orjson.JSONEncodeError:
            return super().response(obj)
        return self._app.response_class(body, mimetype=self.mimetype)
