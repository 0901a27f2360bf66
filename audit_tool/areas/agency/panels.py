"""An agency's challenge panels: when and with whom, the challenges to answer, and the
feedback once the chair has signed the panel off. Never another agency's."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for

from ...db import commits, db
from ...models import PanelStatus
from ...services import DomainError
from ...services import panels as panel_service
from ...services.users import led_agency_ids
from ..panel.forms import AnswerForm
from ..panel_reports import render_feedback, render_feedback_letter
from .views import bp, lead_only


def _attendance_or_404(partnership, attendance_id):
    for attendance in panel_service.attendances_for_agencies(
        db.session, partnership, led_agency_ids(g.user, partnership)
    ):
        if attendance.id == attendance_id:
            return attendance
    abort(404)


@bp.route("/panels")
@lead_only
def panels(partnership):
    return render_template(
        "agency/panels.html",
        partnership=partnership,
        attendances=panel_service.attendances_for_agencies(
            db.session, partnership, led_agency_ids(g.user, partnership)
        ),
        PanelStatus=PanelStatus,
    )


@bp.route("/panels/<int:attendance_id>/challenges/<int:challenge_id>", methods=["GET", "POST"])
@lead_only
@commits
def answer_challenge(partnership, attendance_id, challenge_id):
    attendance = _attendance_or_404(partnership, attendance_id)
    challenge = next((c for c in attendance.challenges if c.id == challenge_id), None)
    if challenge is None:
        abort(404)
    form = AnswerForm(data={"response": challenge.response})
    if form.validate_on_submit():
        try:
            panel_service.answer_challenge(
                db.session, challenge=challenge, response=form.response.data, by=g.user
            )
        except DomainError as error:
            form.refuse(error, default_field="response")
        else:
            flash("Answer sent to the panel", "success")
            return redirect(url_for(".panels", partnership_slug=partnership.slug))
    return render_template(
        "agency/answer_challenge.html",
        partnership=partnership,
        attendance=attendance,
        challenge=challenge,
        form=form,
    )


@bp.route("/panels/<int:attendance_id>/feedback")
@lead_only
def feedback(partnership, attendance_id):
    attendance = _attendance_or_404(partnership, attendance_id)
    if attendance.panel.status is not PanelStatus.SIGNED_OFF:
        abort(404)
    return render_feedback(partnership, attendance)


@bp.route("/panels/<int:attendance_id>/letter")
@lead_only
def feedback_letter(partnership, attendance_id):
    attendance = _attendance_or_404(partnership, attendance_id)
    if attendance.panel.status is not PanelStatus.SIGNED_OFF:
        abort(404)
    return render_feedback_letter(partnership, attendance)
