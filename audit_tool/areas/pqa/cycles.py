"""PQA: Section 11 cycles, the returns tracker, and reopening returns."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for

from ... import clock
from ...db import commits, db
from ...frameworks.library import frameworks_for
from ...models import FrameworkStatus, Sector
from ...services import DomainError, NotFound, evidence_items
from ...services import assessments as returns_service
from ...services import cycles as cycle_service
from ...web.evidence import send_evidence_file
from .. import case_reports, insight
from .forms import ConfirmForm, CycleForm, ReopenForm
from .views import bp, pqa_only


def _cycle_or_404(partnership, cycle_id):
    try:
        return cycle_service.get_cycle(db.session, partnership, cycle_id)
    except NotFound:
        abort(404)


def _return_or_404(partnership, cycle, assessment_id):
    try:
        assessment = returns_service.get_assessment(db.session, partnership, assessment_id)
    except NotFound:
        abort(404)
    if assessment.cycle_id != cycle.id:
        abort(404)
    return assessment


def _published_versions(partnership):
    return [
        version
        for framework in frameworks_for(db.session, partnership)
        for version in framework.versions
        if version.status is FrameworkStatus.PUBLISHED
    ]


@bp.route("/cycles")
@pqa_only
def cycles(partnership):
    return render_template(
        "pqa/cycles.html",
        partnership=partnership,
        cycles=cycle_service.list_cycles(db.session, partnership),
    )


@bp.route("/cycles/new", methods=["GET", "POST"])
@pqa_only
@commits
def new_cycle(partnership):
    versions = _published_versions(partnership)
    form = CycleForm(versions=versions)
    if form.validate_on_submit():
        version = next(v for v in versions if str(v.id) == form.framework_version.data)
        sectors = (
            {Sector(value) for value in form.sectors.data}
            if form.participation.data == "sectors"
            else None
        )
        try:
            cycle = cycle_service.create_cycle(
                db.session,
                partnership=partnership,
                name=form.name.data,
                framework_version=version,
                opens_on=form.opens_on.data,
                due_on=form.due_on.data,
                panel_from=form.panel_from.data,
                panel_to=form.panel_to.data,
                sectors=sectors,
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash(f"{cycle.name} created. Open it when agencies should start.", "success")
            return redirect(url_for(".cycle", partnership_slug=partnership.slug, cycle_id=cycle.id))
    return render_template("pqa/cycle_form.html", partnership=partnership, form=form)


@bp.route("/cycles/<int:cycle_id>")
@pqa_only
def cycle(partnership, cycle_id):
    found = _cycle_or_404(partnership, cycle_id)
    return render_template(
        "pqa/cycle.html",
        partnership=partnership,
        cycle=found,
        rows=cycle_service.tracker(db.session, found, today=clock.today()),
        confirm=ConfirmForm(),
    )


@bp.route("/cycles/<int:cycle_id>/open", methods=["POST"])
@pqa_only
@commits
def open_cycle(partnership, cycle_id):
    return _move(partnership, cycle_id, cycle_service.open_cycle, "is open to agencies")


@bp.route("/cycles/<int:cycle_id>/close", methods=["POST"])
@pqa_only
@commits
def close_cycle(partnership, cycle_id):
    return _move(partnership, cycle_id, cycle_service.close_cycle, "is closed")


def _move(partnership, cycle_id, action, done):
    found = _cycle_or_404(partnership, cycle_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(db.session, cycle=found, by=g.user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message)
    else:
        flash(f"{found.name} {done}", "success")
    return redirect(url_for(".cycle", partnership_slug=partnership.slug, cycle_id=cycle_id))


@bp.route("/cycles/<int:cycle_id>/returns/<int:assessment_id>")
@pqa_only
def view_return(partnership, cycle_id, assessment_id):
    found = _cycle_or_404(partnership, cycle_id)
    assessment = _return_or_404(partnership, found, assessment_id)
    return render_template(
        "insight/return.html",
        area="pqa",
        partnership=partnership,
        cycle=found,
        assessment=assessment,
        contents=returns_service.load_return(db.session, assessment),
    )


@bp.route("/cycles/<int:cycle_id>/returns/<int:assessment_id>/reopen", methods=["GET", "POST"])
@pqa_only
@commits
def reopen_return(partnership, cycle_id, assessment_id):
    found = _cycle_or_404(partnership, cycle_id)
    assessment = _return_or_404(partnership, found, assessment_id)
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            returns_service.reopen_return(
                db.session, assessment=assessment, reason=form.reason.data, by=g.user
            )
        except DomainError as error:
            form.refuse(error, default_field="reason")
        else:
            flash(f"{assessment.agency.name}'s return reopened", "success")
            return redirect(url_for(".cycle", partnership_slug=partnership.slug, cycle_id=cycle_id))
    return render_template(
        "pqa/reopen.html",
        partnership=partnership,
        cycle=found,
        assessment=assessment,
        form=form,
    )


@bp.route("/cycles/<int:cycle_id>/returns/<int:assessment_id>/evidence/<int:item_id>")
@pqa_only
@commits
def download_evidence(partnership, cycle_id, assessment_id, item_id):
    found = _cycle_or_404(partnership, cycle_id)
    assessment = _return_or_404(partnership, found, assessment_id)
    try:
        item = evidence_items.get_evidence_item(db.session, assessment, item_id)
    except NotFound:
        abort(404)
    return send_evidence_file(assessment, item)


insight.add_cycle_views(bp, pqa_only, area="pqa")
case_reports.add_case_report_views(bp, pqa_only, area="pqa")
