"""Request and response bodies of the auth endpoints."""

from marshmallow import Schema, fields, validate


class TokenRequest(Schema):
    """Credentials for ``POST /auth/token``."""

    username = fields.String(required=True, validate=validate.Length(1, 64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(1, 256))


class RefreshRequest(Schema):
    """A refresh token, for ``/auth/refresh`` and ``/auth/revoke``."""

    refresh_token = fields.String(required=True, validate=validate.Length(1, 200))


class TokenResponse(Schema):
    """An access/refresh token pair."""

    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})


class SessionResponse(Schema):
    """A web page's access token (its refresh token is a cookie)."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
