"""Sending stored evidence files to the people allowed to see them."""

from __future__ import annotations

from flask import abort, current_app, g, send_file

from ..db import db
from ..services import NotFound, evidence_files, evidence_items


def send_evidence_file(assessment, item):
    """Send a stored evidence file as an attachment, and record who downloaded it.

    The download is recorded in the audit trail: the one write a GET may make, so the
    view must be wrapped in `commits`."""
    if not item.stored_name:
        abort(404)
    try:
        path = evidence_files.stored_path(
            stored_name=item.stored_name, upload_folder=current_app.config["UPLOAD_FOLDER"]
        )
    except NotFound:
        abort(404)
    evidence_items.record_download(db.session, assessment=assessment, item=item, by=g.user)
    response = send_file(
        path,
        mimetype=item.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=item.original_filename or "evidence",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
