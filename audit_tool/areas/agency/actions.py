"""An agency lead's actions: their own agencies' only, each with its history, and the
progress they record against them."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from ... import clock
from ...db import commits, db
from ...forms import AppForm, long_text_field, submit, text_field
from ...services import DomainError, NotFound
from ...services import actions as action_service
from ...services.users import led_agency_ids
from ...web.paging import Page, page_number
from ...web.query_params import BadParameter
from ..insight import bad_parameter
from .views import bp, lead_only


class ProgressForm(AppForm):
    # Kept beside its only view: the tracker's forms are few and belong to these pages.
    note = long_text_field(
        "Progress note",
        required="Enter a progress note",
        max_length=2000,
        hint="What has been done since the last update, and what is left",
    )
    evidence_reference = text_field(
        "Evidence reference (optional)",
        required=None,
        max_length=500,
        hint="For example, a document number or where the evidence is kept",
    )
    submit = submit("Save progress")


def _action_or_404(partnership, action_id):
    # Another agency's action is a 404, the same as no action at all.
    try:
        return action_service.get_action(
            db.session,
            partnership=partnership,
            action_id=action_id,
            agency_ids=led_agency_ids(g.user, partnership),
        )
    except NotFound:
        abort(404)


@bp.route("/actions")
@lead_only
def actions(partnership):
    try:
        number = page_number(request.args)
    except BadParameter as error:
        return bad_parameter(error)
    today = clock.today()
    shown, total = action_service.page_of_actions(
        db.session,
        partnership=partnership,
        agency_ids=led_agency_ids(g.user, partnership),
        today=today,
        page=number,
        per_page=action_service.PER_PAGE,
    )
    page = Page(number, action_service.PER_PAGE, total)
    if not page.exists:
        abort(404)

    def page_url(to: int) -> str:
        return url_for(".actions", partnership_slug=partnership.slug, page=to)

    return render_template(
        "actions/list.html",
        area="agency",
        partnership=partnership,
        actions=shown,
        page=page,
        pagination=page.links(page_url, label="Pages of actions"),
        is_overdue=lambda action: action_service.is_overdue(action, today),
    )


@bp.route("/actions/<int:action_id>")
@lead_only
def action(partnership, action_id):
    found = _action_or_404(partnership, action_id)
    return render_template(
        "actions/detail.html",
        area="agency",
        partnership=partnership,
        action=found,
        overdue=action_service.is_overdue(found, clock.today()),
    )


@bp.route("/actions/<int:action_id>/progress", methods=["GET", "POST"])
@lead_only
@commits
def update_action(partnership, action_id):
    found = _action_or_404(partnership, action_id)
    form = ProgressForm()
    if form.validate_on_submit():
        try:
            action_service.add_update(
                db.session,
                action=found,
                note=form.note.data,
                evidence_reference=form.evidence_reference.data or "",
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error, default_field="note")
        else:
            flash("Progress saved", "success")
            return redirect(
                url_for(".action", partnership_slug=partnership.slug, action_id=action_id)
            )
    return render_template(
        "actions/progress.html", partnership=partnership, action=found, form=form
    )
