"""PQA: the partnership's action tracker, each action's history, and closing actions."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from ... import clock
from ...db import commits, db
from ...models import ActionStatus
from ...services import DomainError, NotFound
from ...services import actions as action_service
from ...services.agencies import list_partnership_agencies
from ...web import query_params
from ...web.paging import Page, page_number
from ...web.query_params import BadParameter
from ..insight import bad_parameter
from ..panel.forms import CloseActionForm
from .views import bp, pqa_only


def _action_or_404(partnership, action_id):
    try:
        return action_service.get_action(db.session, partnership=partnership, action_id=action_id)
    except NotFound:
        abort(404)


@bp.route("/actions")
@pqa_only
def actions(partnership):
    agencies = [link.agency for link in list_partnership_agencies(db.session, partnership)]
    args = query_params.without_blanks(request.args)
    try:
        agency_id = query_params.agency(args, {agency.id for agency in agencies})
        status = query_params.choice(args, "status", ActionStatus)
        due = query_params.choice(args, "due", action_service.DueFilter)
        number = page_number(args)
    except BadParameter as error:
        return bad_parameter(error)
    today = clock.today()
    shown, total = action_service.page_of_actions(
        db.session,
        partnership=partnership,
        agency_ids={agency_id} if agency_id is not None else None,
        status=status,
        due=due,
        today=today,
        page=number,
        per_page=action_service.PER_PAGE,
    )
    page = Page(number, action_service.PER_PAGE, total)
    if not page.exists:
        abort(404)
    chosen = {"agency": agency_id, "status": status, "due": due}

    def page_url(to: int) -> str:
        return url_for(".actions", partnership_slug=partnership.slug, **chosen, page=to)

    return render_template(
        "actions/list.html",
        area="pqa",
        partnership=partnership,
        actions=shown,
        page=page,
        pagination=page.links(page_url, label="Pages of actions"),
        chosen=chosen,
        agencies=agencies,
        ActionStatus=ActionStatus,
        DueFilter=action_service.DueFilter,
        is_overdue=lambda action: action_service.is_overdue(action, today),
    )


@bp.route("/actions/<int:action_id>")
@pqa_only
def action(partnership, action_id):
    found = _action_or_404(partnership, action_id)
    return render_template(
        "actions/detail.html",
        area="pqa",
        partnership=partnership,
        action=found,
        overdue=action_service.is_overdue(found, clock.today()),
    )


@bp.route("/actions/<int:action_id>/close", methods=["GET", "POST"])
@pqa_only
@commits
def close_action(partnership, action_id):
    found = _action_or_404(partnership, action_id)
    form = CloseActionForm()
    if form.validate_on_submit():
        try:
            action_service.close_action(db.session, action=found, note=form.note.data, by=g.user)
        except DomainError as error:
            form.refuse(error, default_field="note")
        else:
            flash("Action closed", "success")
            return redirect(
                url_for(".action", partnership_slug=partnership.slug, action_id=action_id)
            )
    return render_template(
        "actions/close.html",
        partnership=partnership,
        action=found,
        form=form,
        back_url=url_for(".action", partnership_slug=partnership.slug, action_id=action_id),
    )
