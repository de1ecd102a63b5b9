"""The firm pages (企业端): follow an issue without an account, a firm user's own issues, and
the visitor's e-credential (电子亮证) — shown on the commissioner's phone, checked and confirmed
by the firm.

Every page is a shell: its script calls ``/api/v1`` and the API holds every rule. Pages:

- ``/track``: tracking number + check code → the parcel-style timeline (no account);
- ``/firm/``: my firm's issues; ``/firm/issues/new``: raise one; ``/firm/issues/<id>``: its
  timeline with rate / confirm / reopen;
- ``/verify/<token>`` (the QR code's URL) and ``/verify`` (type the short code): is this a
  current commissioner, assigned to us, valid until when; a logged-in firm user confirms the
  visit there;
- ``/app/credential``: the commissioner's own credential screen (QR + short code, refreshed
  while shown), for the phone app's menu.
"""

from flask import Blueprint, render_template

from fieldapp.web.vendor import static_path

blp = Blueprint("firm", __name__, template_folder="templates", static_folder="static",
                static_url_path="/web/firm/static")


@blp.route("/track")
def track():
    """Follow an issue by tracking number and check code."""
    return render_template("firm/track.html")


@blp.route("/verify")
@blp.route("/verify/<string(maxlength=80):token>")
def verify(token=None):
    """Check a visitor's e-credential: from its QR code (the token in the URL) or typed."""
    return render_template("firm/verify.html", token=token)


@blp.route("/app/credential")
def credential():
    """The commissioner's or butler's own e-credential screen (linked from the phone app; its
    service worker keeps this page too, so it opens offline)."""
    return render_template("firm/credential.html", idb=static_path("idb"))


@blp.route("/firm/")
def my_issues():
    """A firm user's issues, newest first."""
    return render_template("firm/issues.html")


@blp.route("/firm/issues/new")
def raise_issue():
    """Raise an issue, with photos or documents; the tracking number and check code at once."""
    return render_template("firm/raise.html")


@blp.route("/firm/issues/<int:issue_id>")
def issue(issue_id):
    """One issue's timeline with what the firm may do now (rate, confirm, reopen)."""
    return render_template("firm/issue.html", issue_id=issue_id)
