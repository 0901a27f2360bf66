"""PQA: setting up case-audit rounds and their cases, opening and closing rounds, and
reopening an agency's submitted audit of a case. The pages PQA shares with the panel
(the rounds, a round's tracker, moderation) are registered here from `case_meeting`."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ...db import commits, db
from ...forms import (
    GovDateField,
    PseudonymousForm,
    long_text_field,
    radio_field,
    select_field,
    submit,
    text_field,
)
from ...models import AgeBand, CaseReturnStatus, PlanType, RoundStatus
from ...services import DomainError, NotFound
from ...services import case_rounds as rounds
from .. import case_meeting
from .forms import ConfirmForm
from .views import bp, pqa_only

AGE_BAND_CHOICES = [SelectChoice(band.value, band.label) for band in AgeBand]
PLAN_CHOICES = [SelectChoice(plan.value, plan.label) for plan in PlanType]
DATE_HINT = "For example, 31 3 2026"


class CaseRoundForm(PseudonymousForm):
    name = text_field(
        "Name",
        required="Enter a name for the round",
        hint="For example, Domestic abuse audit, spring 2026",
    )
    template_version = select_field("Audit template", required="Select an audit template")
    lookback_from = GovDateField(
        "Look-back period from", required="Enter the start of the look-back period", hint=DATE_HINT
    )
    lookback_to = GovDateField(
        "Look-back period to", required="Enter the end of the look-back period", hint=DATE_HINT
    )
    due_on = GovDateField(
        "Deadline for agencies' returns",
        required="Enter the deadline for agencies' returns",
        hint=DATE_HINT,
    )
    moderation_on = GovDateField(
        "Moderation meeting (optional)",
        hint="On or after the deadline. You can add it later.",
    )
    submit = submit("Save round")

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.template_version.choices = [SelectChoice("", "Select a template")] + [
            SelectChoice(str(version.id), version.label) for version in versions
        ]


class CaseForm(PseudonymousForm):
    age_band = radio_field(
        "Age band", choices=AGE_BAND_CHOICES, required="Select the child's age band"
    )
    plan_type = radio_field(
        "Plan when the case was selected",
        choices=PLAN_CHOICES,
        required="Select the plan the child was on when the case was selected",
    )
    selection_reason = long_text_field(
        "Why the case was selected (optional)",
        required=None,
        max_length=2000,
        hint="No names, dates of birth, addresses or NHS numbers: refer to the child's "
        "circumstances only",
    )
    agencies = SelectMultipleField(
        "Agencies involved",
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message="Select at least one agency involved")],
        description="Each agency audits its own work on the case",
    )
    submit = submit("Save case")

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._agencies = list(agencies)
        self.agencies.choices = [SelectChoice(str(agency.id), agency.name) for agency in agencies]

    def details(self) -> dict:
        """What the services' `add_case` and `update_case` take from the form."""
        return {
            "age_band": AgeBand(self.age_band.data),
            "plan_type": PlanType(self.plan_type.data),
            "selection_reason": self.selection_reason.data or "",
            "agencies": [a for a in self._agencies if str(a.id) in self.agencies.data],
        }


class ReasonForm(PseudonymousForm):
    reason = long_text_field(
        "Why are you reopening it?", required="Enter why you are reopening it", max_length=2000
    )
    submit = submit("Reopen")


# Loading ----------------------------------------------------------------------------


def _round_or_404(partnership, round_id):
    return case_meeting.round_or_404(partnership, round_id, area="pqa")


def _case_or_404(partnership, audit_round, case_id):
    case = case_meeting.case_or_404(partnership, case_id, area="pqa")
    if case.round_id != audit_round.id:
        abort(404)
    return case


def _to_round(partnership, audit_round):
    return redirect(
        url_for(".case_round", partnership_slug=partnership.slug, round_id=audit_round.id)
    )


def _round_fields(form, versions):
    return {
        "name": form.name.data,
        "template_version": next(v for v in versions if str(v.id) == form.template_version.data),
        "lookback_from": form.lookback_from.data,
        "lookback_to": form.lookback_to.data,
        "due_on": form.due_on.data,
        "moderation_on": form.moderation_on.data,
    }


# Rounds -----------------------------------------------------------------------------


@bp.route("/case-rounds/new", methods=["GET", "POST"])
@pqa_only
@commits
def new_case_round(partnership):
    versions = rounds.usable_template_versions(db.session, partnership)
    form = CaseRoundForm(versions=versions)
    if form.validate_on_submit():
        try:
            created = rounds.create_round(
                db.session, partnership=partnership, by=g.user, **_round_fields(form, versions)
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash(f"{created.name} created. Add its cases, then open it.", "success")
            return _to_round(partnership, created)
    return render_template(
        "case_rounds/round_form.html", partnership=partnership, form=form, audit_round=None
    )


@bp.route("/case-rounds/<int:round_id>/edit", methods=["GET", "POST"])
@pqa_only
@commits
def edit_case_round(partnership, round_id):
    found = _round_or_404(partnership, round_id)
    if found.status is RoundStatus.CLOSED:
        flash("This round is closed. Reopen it to change its details.")
        return _to_round(partnership, found)
    versions = rounds.usable_template_versions(db.session, partnership)
    if found.template_version not in versions:
        versions.append(found.template_version)
    form = CaseRoundForm(
        versions=versions,
        data={
            "name": found.name,
            "template_version": str(found.template_version_id),
            "lookback_from": found.lookback_from,
            "lookback_to": found.lookback_to,
            "due_on": found.due_on,
            "moderation_on": found.moderation_on,
        },
    )
    if form.validate_on_submit():
        try:
            rounds.update_round(
                db.session, audit_round=found, by=g.user, **_round_fields(form, versions)
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash(f"{found.name} saved", "success")
            return _to_round(partnership, found)
    return render_template(
        "case_rounds/round_form.html", partnership=partnership, form=form, audit_round=found
    )


@bp.route("/case-rounds/<int:round_id>/open", methods=["POST"])
@pqa_only
@commits
def open_case_round(partnership, round_id):
    return _move(partnership, round_id, rounds.open_round, "is open to the agencies involved")


@bp.route("/case-rounds/<int:round_id>/close", methods=["POST"])
@pqa_only
@commits
def close_case_round(partnership, round_id):
    return _move(partnership, round_id, rounds.close_round, "is closed")


def _move(partnership, round_id, action, done):
    found = _round_or_404(partnership, round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(db.session, audit_round=found, by=g.user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message)
    else:
        flash(f"{found.name} {done}", "success")
    return _to_round(partnership, found)


@bp.route("/case-rounds/<int:round_id>/reopen", methods=["GET", "POST"])
@pqa_only
@commits
def reopen_case_round(partnership, round_id):
    found = _round_or_404(partnership, round_id)
    if found.status is not RoundStatus.CLOSED:
        flash("Only a closed round can be reopened")
        return _to_round(partnership, found)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            rounds.reopen_round(db.session, audit_round=found, reason=form.reason.data, by=g.user)
        except DomainError as error:
            form.refuse(error, default_field="reason")
        else:
            flash(f"{found.name} reopened", "success")
            return _to_round(partnership, found)
    return render_template(
        "case_rounds/reopen.html",
        partnership=partnership,
        form=form,
        audit_round=found,
        page_title=f"Reopen {found.name}",
        explanation="The meeting's judgements, learning and actions can then be changed. "
        "Agencies' returns stay as they are.",
    )


# Cases ------------------------------------------------------------------------------


@bp.route("/case-rounds/<int:round_id>/cases/new", methods=["GET", "POST"])
@pqa_only
@commits
def add_case(partnership, round_id):
    found = _round_or_404(partnership, round_id)
    if found.status is RoundStatus.CLOSED:
        flash("This round is closed. Reopen it to add cases.")
        return _to_round(partnership, found)
    agencies = rounds.active_agencies(db.session, partnership)
    form = CaseForm(agencies=agencies)
    if form.validate_on_submit():
        try:
            case = rounds.add_case(
                db.session,
                audit_round=found,
                **form.details(),
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash(f"Case {case.reference} added", "success")
            return _to_round(partnership, found)
    return render_template(
        "case_rounds/case_form.html",
        partnership=partnership,
        form=form,
        audit_round=found,
        case=None,
        reference=rounds.next_reference(
            db.session,
            partnership=partnership,
            prefix=found.template_version.template.reference_prefix,
            year=found.lookback_to.year,
        ),
    )


@bp.route("/case-rounds/<int:round_id>/cases/<int:case_id>/edit", methods=["GET", "POST"])
@pqa_only
@commits
def edit_case(partnership, round_id, case_id):
    found = _round_or_404(partnership, round_id)
    case = _case_or_404(partnership, found, case_id)
    if found.status is RoundStatus.CLOSED:
        flash("This round is closed. Reopen it to change its cases.")
        return _to_round(partnership, found)
    agencies = rounds.active_agencies(db.session, partnership)
    # An archived agency already on the case stays a choice, so saving keeps it.
    agencies += [a for a in rounds.case_agencies(case) if a not in agencies]
    form = CaseForm(
        agencies=agencies,
        data={
            "age_band": case.age_band.value,
            "plan_type": case.plan_type.value,
            "selection_reason": case.selection_reason,
            "agencies": [str(r.agency_id) for r in case.returns],
        },
    )
    if form.validate_on_submit():
        try:
            rounds.update_case(
                db.session,
                case=case,
                **form.details(),
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash(f"Case {case.reference} saved", "success")
            return _to_round(partnership, found)
    return render_template(
        "case_rounds/case_form.html",
        partnership=partnership,
        form=form,
        audit_round=found,
        case=case,
        reference=case.reference,
        confirm=ConfirmForm(),
    )


@bp.route("/case-rounds/<int:round_id>/cases/<int:case_id>/remove", methods=["POST"])
@pqa_only
@commits
def remove_case(partnership, round_id, case_id):
    found = _round_or_404(partnership, round_id)
    case = _case_or_404(partnership, found, case_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reference = case.reference
    try:
        rounds.remove_case(db.session, case=case, by=g.user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message)
    else:
        flash(f"Case {reference} removed", "success")
    return _to_round(partnership, found)


@bp.route(
    "/case-rounds/<int:round_id>/cases/<int:case_id>/returns/<int:agency_id>/reopen",
    methods=["GET", "POST"],
)
@pqa_only
@commits
def reopen_case_return(partnership, round_id, case_id, agency_id):
    found = _round_or_404(partnership, round_id)
    case = _case_or_404(partnership, found, case_id)
    try:
        case_return = rounds.get_case_return(case, agency_id)
    except NotFound:
        abort(404)
    if case_return.status is not CaseReturnStatus.SUBMITTED:
        flash(
            f"{case_return.agency.name} has not submitted its audit of {case.reference}, "
            "so there is nothing to reopen"
        )
        return _to_round(partnership, found)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            rounds.reopen_case_return(
                db.session, case_return=case_return, reason=form.reason.data, by=g.user
            )
        except DomainError as error:
            form.refuse(error, default_field="reason")
        else:
            flash(f"{case_return.agency.name}'s audit of {case.reference} reopened", "success")
            return _to_round(partnership, found)
    return render_template(
        "case_rounds/reopen.html",
        partnership=partnership,
        form=form,
        audit_round=found,
        page_title=f"Reopen {case_return.agency.name}'s audit of {case.reference}",
        explanation="The agency will be able to change its answers and must submit again. "
        "It will see your reason.",
    )


case_meeting.add_case_meeting_views(bp, pqa_only, area="pqa")
