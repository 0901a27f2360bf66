"""The panel meeting: an agenda per panel and, per agency, challenges, moderated ratings,
the outcome and agreed actions. Only the panel's own members (and PQA, through its own
pages) reach a panel: anyone else gets 404."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from ... import clock
from ...db import commits, db
from ...models import ActionSource, Outcome
from ...services import DomainError, NotFound, actions
from ...services import assessments as returns_service
from ...services import panels as panel_service
from ..panel_reports import render_pack
from .forms import (
    ActionForm,
    ChallengeForm,
    CloseActionForm,
    ConfirmForm,
    ModerateForm,
    OutcomeForm,
)
from .views import bp, panel_only


def panel_or_404(partnership, panel_id, *, member_only=True):
    try:
        panel = panel_service.get_panel(db.session, partnership, panel_id)
    except NotFound:
        abort(404)
    if member_only and not panel_service.sits_on(g.user, panel):
        abort(404)
    return panel


def attendance_or_404(panel, attendance_id):
    try:
        return panel_service.get_attendance(db.session, panel, attendance_id)
    except NotFound:
        abort(404)


def _meeting_url(partnership, panel, attendance):
    return url_for(
        "panel.attendance",
        partnership_slug=partnership.slug,
        panel_id=panel.id,
        attendance_id=attendance.id,
    )


@bp.route("/panels/<int:panel_id>")
@panel_only
def panel(partnership, panel_id):
    found = panel_or_404(partnership, panel_id)
    return render_template(
        "panel/panel.html",
        partnership=partnership,
        panel=found,
        area="panel",
        confirm=ConfirmForm(),
    )


@bp.route("/panels/<int:panel_id>/start", methods=["POST"])
@panel_only
@commits
def start_panel(partnership, panel_id):
    return _panel_move(partnership, panel_id, panel_service.start_panel, "Panel started")


@bp.route("/panels/<int:panel_id>/sign-off", methods=["POST"])
@panel_only
@commits
def sign_off(partnership, panel_id):
    return _panel_move(
        partnership,
        panel_id,
        panel_service.sign_off,
        "Panel signed off. The agencies can now see their feedback.",
    )


def _panel_move(partnership, panel_id, action, done):
    found = panel_or_404(partnership, panel_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(db.session, panel=found, by=g.user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message)
    else:
        flash(done, "success")
    return redirect(url_for("panel.panel", partnership_slug=partnership.slug, panel_id=panel_id))


@bp.route("/panels/<int:panel_id>/agencies/<int:attendance_id>")
@panel_only
def attendance(partnership, panel_id, attendance_id):
    found = panel_or_404(partnership, panel_id)
    seen = attendance_or_404(found, attendance_id)
    return render_meeting(partnership, found, seen, area="panel")


def render_meeting(partnership, panel, attendance, *, area):
    contents = returns_service.load_return(db.session, attendance.assessment)
    return render_template(
        "panel/attendance.html",
        partnership=partnership,
        panel=panel,
        attendance=attendance,
        contents=contents,
        moderated={m.criterion_id: m for m in attendance.moderated_ratings},
        agreed=actions.list_actions(
            db.session,
            partnership=partnership,
            agency_ids={attendance.assessment.agency_id},
            today=clock.today(),
        ),
        area=area,
        confirm=ConfirmForm(),
    )


@bp.route("/panels/<int:panel_id>/agencies/<int:attendance_id>/pack")
@panel_only
def pack(partnership, panel_id, attendance_id):
    found = panel_or_404(partnership, panel_id)
    return render_pack(partnership, attendance_or_404(found, attendance_id), area="panel")


@bp.route(
    "/panels/<int:panel_id>/agencies/<int:attendance_id>/challenges/new", methods=["GET", "POST"]
)
@panel_only
@commits
def raise_challenge(partnership, panel_id, attendance_id):
    found = panel_or_404(partnership, panel_id)
    seen = attendance_or_404(found, attendance_id)
    contents = returns_service.load_return(db.session, seen.assessment)
    form = ChallengeForm(standards=contents.standards)
    if form.validate_on_submit():
        about = form.about.data or ""
        standard = next(
            (s.standard for s in contents.standards if about == f"s{s.standard.id}"), None
        )
        criterion = next(
            (
                e.criterion
                for s in contents.standards
                for e in s.entries
                if about == f"c{e.criterion.id}"
            ),
            None,
        )
        try:
            panel_service.raise_challenge(
                db.session,
                attendance=seen,
                question=form.question.data,
                criterion=criterion,
                standard=standard,
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error, default_field="question")
        else:
            flash("Challenge recorded", "success")
            return redirect(_meeting_url(partnership, found, seen))
    return render_template(
        "panel/challenge_form.html",
        partnership=partnership,
        panel=found,
        attendance=seen,
        form=form,
    )


@bp.route(
    "/panels/<int:panel_id>/agencies/<int:attendance_id>/challenges/<int:challenge_id>/resolve",
    methods=["POST"],
)
@panel_only
@commits
def resolve_challenge(partnership, panel_id, attendance_id, challenge_id):
    found = panel_or_404(partnership, panel_id)
    seen = attendance_or_404(found, attendance_id)
    challenge = next((c for c in seen.challenges if c.id == challenge_id), None)
    if challenge is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        panel_service.resolve_challenge(
            db.session,
            challenge=challenge,
            satisfied=request.form.get("satisfied") == "yes",
            by=g.user,
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message)
    return redirect(_meeting_url(partnership, found, seen))


@bp.route(
    "/panels/<int:panel_id>/agencies/<int:attendance_id>/criteria/<int:criterion_id>/moderate",
    methods=["GET", "POST"],
)
@panel_only
@commits
def moderate(partnership, panel_id, attendance_id, criterion_id):
    found = panel_or_404(partnership, panel_id)
    seen = attendance_or_404(found, attendance_id)
    contents = returns_service.load_return(db.session, seen.assessment)
    try:
        entry = contents.entry(criterion_id)
    except NotFound:
        abort(404)
    existing = next((m for m in seen.moderated_ratings if m.criterion_id == criterion_id), None)
    form = ModerateForm(
        data={"rating": existing.level.key, "rationale": existing.rationale} if existing else None,
        levels=contents.levels,
    )
    if form.validate_on_submit():
        try:
            panel_service.moderate(
                db.session,
                attendance=seen,
                criterion=entry.criterion,
                level_key=form.rating.data,
                rationale=form.rationale.data,
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error, default_field="rating")
        else:
            flash(f"Moderated rating saved for {entry.criterion.code}", "success")
            return redirect(_meeting_url(partnership, found, seen) + f"#criterion-{criterion_id}")
    return render_template(
        "panel/moderate_form.html",
        partnership=partnership,
        panel=found,
        attendance=seen,
        entry=entry,
        form=form,
    )


@bp.route("/panels/<int:panel_id>/agencies/<int:attendance_id>/outcome", methods=["GET", "POST"])
@panel_only
@commits
def record_outcome(partnership, panel_id, attendance_id):
    found = panel_or_404(partnership, panel_id)
    seen = attendance_or_404(found, attendance_id)
    form = OutcomeForm(
        data={
            "outcome": seen.outcome.value if seen.outcome else None,
            "summary": seen.outcome_summary,
            "private_notes": seen.private_notes,
        }
    )
    if form.validate_on_submit():
        try:
            panel_service.record_outcome(
                db.session,
                attendance=seen,
                outcome=Outcome(form.outcome.data),
                summary=form.summary.data,
                private_notes=form.private_notes.data or "",
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error, default_field="outcome")
        else:
            flash("Outcome saved", "success")
            return redirect(_meeting_url(partnership, found, seen))
    return render_template(
        "panel/outcome_form.html", partnership=partnership, panel=found, attendance=seen, form=form
    )


@bp.route(
    "/panels/<int:panel_id>/agencies/<int:attendance_id>/actions/new", methods=["GET", "POST"]
)
@panel_only
@commits
def agree_action(partnership, panel_id, attendance_id):
    found = panel_or_404(partnership, panel_id)
    seen = attendance_or_404(found, attendance_id)
    contents = returns_service.load_return(db.session, seen.assessment)
    criteria = [e.criterion for s in contents.standards for e in s.entries]
    form = ActionForm(criteria=criteria, challenges=seen.challenges)
    if form.validate_on_submit():
        link = form.link.data or ""
        try:
            panel_service.require_open(found)
            actions.create_action(
                db.session,
                partnership=partnership,
                agency=seen.assessment.agency,
                source=ActionSource.PANEL,
                description=form.description.data,
                owner=form.owner.data,
                due_on=form.due_on.data,
                today=clock.today(),
                by=g.user,
                assessment=seen.assessment,
                criterion=next((c for c in criteria if link == f"c{c.id}"), None),
                panel_agency=seen,
                challenge=next((q for q in seen.challenges if link == f"q{q.id}"), None),
            )
        except DomainError as error:
            form.refuse(error, default_field="description")
        else:
            flash("Action agreed", "success")
            return redirect(_meeting_url(partnership, found, seen))
    return render_template(
        "panel/action_form.html", partnership=partnership, panel=found, attendance=seen, form=form
    )


@bp.route(
    "/panels/<int:panel_id>/agencies/<int:attendance_id>/actions/<int:action_id>/close",
    methods=["GET", "POST"],
)
@panel_only
@commits
def close_action(partnership, panel_id, attendance_id, action_id):
    """The chair closes an action the panel agreed (PQA closes any, from the tracker)."""
    found = panel_or_404(partnership, panel_id)
    seen = attendance_or_404(found, attendance_id)
    if found.chair_id != g.user.id:
        abort(403)
    try:
        action = actions.get_action(db.session, partnership=partnership, action_id=action_id)
    except NotFound:
        abort(404)
    if action.panel_agency_id != seen.id:
        abort(404)
    form = CloseActionForm()
    if form.validate_on_submit():
        try:
            actions.close_action(db.session, action=action, note=form.note.data, by=g.user)
        except DomainError as error:
            form.refuse(error, default_field="note")
        else:
            flash("Action closed", "success")
            return redirect(_meeting_url(partnership, found, seen))
    return render_template(
        "actions/close.html",
        partnership=partnership,
        action=action,
        form=form,
        back_url=_meeting_url(partnership, found, seen),
    )
