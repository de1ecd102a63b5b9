"""``/me/credential`` (the visitor's e-credential), ``/credentials/verify`` (anyone checks one)
and ``/credentials/confirm`` (the firm confirms the visit)."""

from flask import current_app, request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from fieldapp.auth.principal import authenticate, current_principal, login_required
from fieldapp.credentials import service
from fieldapp.extensions import Blueprint, limiter
from fieldapp.stats.export import plain
from models import VISIT_RATINGS

blp = Blueprint("credentials", __name__, url_prefix="/api/v1",
                description="The visitor's e-credential (电子亮证) and firms' confirmations")


class CredentialIn(Schema):
    """A credential as scanned (``token``, from the QR code's URL) or typed (``short_code``)."""

    token = fields.String(validate=validate.Length(max=80))
    short_code = fields.String(validate=validate.Length(max=24))

    @validates_schema
    def _one(self, data, **_kwargs):
        if bool(data.get("token")) == bool(data.get("short_code")):
            raise ValidationError("Send either token or short_code.", "token")


class VerifyIn(CredentialIn):
    """``POST /credentials/verify``."""

    uscc = fields.String(validate=validate.Length(max=18), metadata={
        "description": "check the assignment against this firm (ignored for a logged-in "
                       "firm user, whose own firm is used)"})


class ConfirmIn(CredentialIn):
    """``POST /credentials/confirm``."""

    rating = fields.String(validate=validate.OneOf(VISIT_RATINGS))
    comment = fields.String(validate=validate.Length(max=300))


@blp.route("/me/credential", methods=["POST"])
@login_required()
@blp.response(200)
def my_credential():
    """A fresh e-credential for the calling commissioner or butler: the signed token, the URL
    its QR code holds, the QR code (SVG data URI), the short code to type, the server's time
    (``issued_at``), the expiry (``CREDENTIAL_TTL`` seconds, to the whole minute) and what the
    firm will see of the holder.
    The phone asks again every minute while the credential is shown."""
    return plain(service.issue_credential(current_principal()))


def _refused(response) -> bool:
    body = response.get_json(silent=True) or {}
    return response.status_code != 200 or not body.get("valid")


@blp.route("/credentials/verify", methods=["POST"])
@limiter.shared_limit(lambda: current_app.config["CREDENTIAL_FAILURES_PER_ADDRESS"],
                      deduct_when=_refused, scope="credential-address")
@blp.arguments(VerifyIn)
@blp.response(200)
def verify(data):
    """Check a credential, with or without an account: ``valid`` (false with ``reason``
    ``malformed``, ``tampered``, ``expired`` or ``revoked``), the holder, ``expires_at``, and
    ``assignment`` — whether the holder is assigned today to the logged-in firm user's firm or
    to the firm of ``uscc``. Refused checks are limited per client address."""
    principal = authenticate() if request.headers.get("Authorization") else None
    return plain(service.verify(data, principal))


@blp.route("/credentials/confirm", methods=["POST"])
@login_required("firm")
@blp.arguments(ConfirmIn)
@blp.response(201)
def confirm(data):
    """A firm user confirms "this person visited us today" with the visitor's credential
    (optionally rating the visit). Refused credential: 422 (``credential-expired``, …); not
    assigned to the firm today: 409. The same visitor, firm and day again: 200 with the first
    confirmation."""
    body, created = service.confirm(current_principal(), data)
    return plain(body), 201 if created else 200
