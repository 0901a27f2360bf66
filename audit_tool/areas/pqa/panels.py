"""PQA: scheduling challenge panels, following them, reopening a signed-off one, and how
far agencies' self-ratings sit from the panels'."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for

from ... import clock
from ...db import commits, db
from ...models import Role
from ...services import DomainError, dashboard
from ...services import panels as panel_service
from ...services import users as user_service
from .. import insight
from ..panel.forms import ConfirmForm, ReasonForm, ScheduleForm
from ..panel.meeting import attendance_or_404, panel_or_404, render_meeting
from ..panel_reports import render_moderation, render_pack
from .views import bp, pqa_only


@bp.route("/panels")
@pqa_only
def panels(partnership):
    return render_template(
        "pqa/panels.html",
        partnership=partnership,
        panels=panel_service.list_panels(db.session, partnership),
        cycles=dashboard.visible_cycles(db.session, partnership),
    )


@bp.route("/cycles/<int:cycle_id>/panels/new", methods=["GET", "POST"])
@pqa_only
@commits
def schedule_panel(partnership, cycle_id):
    cycle = insight.cycle_or_404(partnership, cycle_id)
    members = [
        person
        for person in user_service.list_partnership_users(db.session, partnership)
        if person.active and Role.PANEL_MEMBER in user_service.roles_in(person, partnership)
    ]
    assessments = sorted(cycle.assessments, key=lambda a: a.agency.name)
    form = ScheduleForm(panel_members=members, assessments=assessments)
    if form.validate_on_submit():
        chosen = {int(value) for value in form.members.data}
        try:
            panel = panel_service.schedule_panel(
                db.session,
                cycle=cycle,
                held_on=form.held_on.data,
                starts_at=form.starts_at.data,
                place=form.place.data,
                chair=next(p for p in members if str(p.id) == form.chair.data),
                members=[p for p in members if p.id in chosen],
                assessments=[a for a in assessments if str(a.id) in form.agencies.data],
                by=g.user,
                today=clock.today(),
            )
        except DomainError as error:
            form.refuse(error, default_field="held_on")
        else:
            flash("Panel scheduled. The agencies can now see when they are due.", "success")
            return redirect(url_for(".panel", partnership_slug=partnership.slug, panel_id=panel.id))
    return render_template(
        "pqa/schedule_panel.html", partnership=partnership, cycle=cycle, form=form
    )


@bp.route("/panels/<int:panel_id>")
@pqa_only
def panel(partnership, panel_id):
    found = panel_or_404(partnership, panel_id, member_only=False)
    return render_template(
        "panel/panel.html", partnership=partnership, panel=found, area="pqa", confirm=ConfirmForm()
    )


@bp.route("/panels/<int:panel_id>/agencies/<int:attendance_id>")
@pqa_only
def panel_attendance(partnership, panel_id, attendance_id):
    found = panel_or_404(partnership, panel_id, member_only=False)
    return render_meeting(partnership, found, attendance_or_404(found, attendance_id), area="pqa")


@bp.route("/panels/<int:panel_id>/agencies/<int:attendance_id>/pack")
@pqa_only
def pack(partnership, panel_id, attendance_id):
    found = panel_or_404(partnership, panel_id, member_only=False)
    return render_pack(partnership, attendance_or_404(found, attendance_id), area="pqa")


@bp.route("/panels/<int:panel_id>/reopen", methods=["GET", "POST"])
@pqa_only
@commits
def reopen_panel(partnership, panel_id):
    found = panel_or_404(partnership, panel_id, member_only=False)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            panel_service.reopen_panel(db.session, panel=found, reason=form.reason.data, by=g.user)
        except DomainError as error:
            form.refuse(error, default_field="reason")
        else:
            flash("Panel reopened", "success")
            return redirect(url_for(".panel", partnership_slug=partnership.slug, panel_id=panel_id))
    return render_template("pqa/reopen_panel.html", partnership=partnership, panel=found, form=form)


@bp.route("/cycles/<int:cycle_id>/moderation")
@pqa_only
def moderation(partnership, cycle_id):
    return render_moderation(partnership, insight.cycle_or_404(partnership, cycle_id))
