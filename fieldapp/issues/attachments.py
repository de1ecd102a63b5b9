"""Files a firm attaches to its issue: photos (JPEG, PNG, HEIC) and PDF documents.

The checks are the visit photos' (``fieldapp.visits.photos``): the type is read from the bytes
(anything else: 415), an image must decode (else 422), the size is limited by
``FIELDAPP_PHOTO_MAX_BYTES`` (413), and files are stored once per SHA-256 beside the photos.
At most ``FIELDAPP_ISSUE_MAX_ATTACHMENTS`` per issue (422); the same file again is a replay
(200). Who: the firm's own users and whoever raised the issue, while it is open or awaiting
the firm's rating; everyone who sees the issue may read them.
"""

import hashlib
import os
import re

from flask import current_app
from PIL import UnidentifiedImageError

from fieldapp import clock, scope
from fieldapp.auth.principal import Principal
from fieldapp.errors import Problem
from fieldapp.extensions import db
from fieldapp.issues import lifecycle
from fieldapp.issues.service import parties_of
from fieldapp.visits.photos import _store, _upload, read_exif, sniff
from models import Issue

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic",
              "application/pdf": "pdf"}


def _type_of(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return sniff(data)


def file_path(sha256: str, content_type: str) -> str:
    root = current_app.config["PHOTO_DIR"] or os.path.join(current_app.instance_path, "photos")
    return os.path.join(root, sha256[:2], sha256[2:4], f"{sha256}.{EXTENSIONS[content_type]}")


def _name(raw: str | None, content_type: str) -> str:
    cleaned = re.sub(r"[\x00-\x1f/\\<>]", "", raw or "").strip()[:100]
    return cleaned or f"附件.{EXTENSIONS[content_type]}"


def add_attachment(principal: Principal, issue_id: int, filename: str | None = None
                   ) -> tuple[dict, bool]:
    """Attach the uploaded file to the issue; ``(attachment, created)``."""
    issue = scope.get_visible(Issue, issue_id, principal)
    if lifecycle.FIRM not in parties_of(principal, issue) and \
            issue.created_by_id != principal.user_id:
        raise scope.forbidden("Only the firm and whoever raised the issue attach files to it.")
    if issue.state not in (*lifecycle.OPEN_STATES, "resolved"):
        raise Problem(409, "This issue is finished; files can no longer be attached.",
                      slug="issue-finished")
    data = _upload()
    content_type = _type_of(data)
    if content_type is None:
        raise Problem(415, "Only JPEG, PNG, HEIC images and PDF documents are accepted.",
                      slug="unsupported-media-type")
    if content_type != "application/pdf":
        try:
            read_exif(data)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise Problem.invalid(
                "file", "This file claims to be an image but cannot be read.") from None
    digest = hashlib.sha256(data).hexdigest()
    for existing in issue.attachments:
        if existing.get("sha256") == digest:
            return existing, False
    limit = current_app.config["ISSUE_MAX_ATTACHMENTS"]
    if len(issue.attachments) >= limit:
        raise Problem.invalid("file", f"At most {limit} attachments per issue.")
    _store(data, file_path(digest, content_type))
    attachment = {"name": _name(filename, content_type),
                  "url": f"/api/v1/issues/{issue.id}/attachments/{digest}/file",
                  "sha256": digest, "content_type": content_type, "size_bytes": len(data),
                  "uploaded_at": clock.now().isoformat()}
    issue.attachments = [*issue.attachments, attachment]
    db.session.commit()
    return attachment, True


def attachment_of(principal: Principal, issue_id: int, sha256: str) -> dict:
    """An uploaded attachment of a visible issue, else 404."""
    issue = scope.get_visible(Issue, issue_id, principal)
    found = next((a for a in issue.attachments if a.get("sha256") == sha256), None)
    if found is None:
        raise Problem.not_found("No such attachment.")
    return found
