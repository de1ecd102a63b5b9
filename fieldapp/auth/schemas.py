"""Request and response bodies of the auth endpoints."""

from marshmallow import Schema, fields, validate


class TokenRequest(Schema):
    """Credentials for ``POST /auth/token``."""

    # A NUL in a username is a wrong username (401 like any other), not a hint (422).
    CONTROL_CHARACTERS_ALLOWED = ("username", "password")

    username = fields.String(required=True, validate=validate.Length(1, 64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(1, 256))


class RefreshRequest(Schema):
    """A refresh token, for ``/auth/refresh`` and ``/auth/revoke``."""

    # A token with a NUL in it is just not a token: 401 (refresh), 204 (revoke, RFC 7009).
    CONTROL_CHARACTERS_ALLOWED = ("refresh_token",)

    refresh_token = fields.String(required=True, validate=validate.Length(1, 200))


class TokenResponse(Schema):
    """An access/refresh token pair."""

    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    password_change_required = fields.Boolean(required=True, metadata={"description": (
        "true when an admin or manager set this password: until the user changes it with "
        "POST /api/v1/me/password, every other call but GET /me and log-out answers 403 "
        "password-change-required")})


class PasswordChange(Schema):
    """``POST /me/password``: the current password proves the caller is the account's owner."""

    CONTROL_CHARACTERS_ALLOWED = ("current_password",)

    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(1, 256))
    new_password = fields.String(required=True, load_only=True,
                                 validate=validate.Length(1, 256))


class SessionResponse(Schema):
    """A web page's access token (its refresh token is a cookie)."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    password_change_required = fields.Boolean(required=True, metadata={"description": (
        "as in the /auth/token answer: the page must ask for a new password first")})
