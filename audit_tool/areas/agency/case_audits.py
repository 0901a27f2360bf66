"""An agency's case-file audits: the cases assigned to it, one page per template section,
check your answers, submit.

A lead reaches a case only through their own agency's return on it: any other case, in
this partnership or another, is a 404 on every page, and another agency's answers are
never loaded at all.
"""

from __future__ import annotations

from itertools import groupby

from flask import abort, flash, g, redirect, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from ... import clock
from ...case_grading import Grade, YesPartlyNo
from ...db import commits, db
from ...forms import PseudonymousForm, long_text_field
from ...models import CaseReturnStatus, QuestionKind
from ...services import DomainError, NotFound
from ...services import case_returns as service
from ...services.users import led_agency_ids
from ...states import case_return_is_editable
from .views import bp, lead_only

TEXT_LIMIT = 10_000

# Best first, as the Design System lists a scale.
GRADE_CHOICES = [
    SelectChoice(grade.value, grade.label) for grade in sorted(Grade, key=lambda g: -g.rank)
]
YES_PARTLY_NO_CHOICES = [SelectChoice(a.value, a.label) for a in YesPartlyNo]


# Forms ------------------------------------------------------------------------------


class CaseSectionForm(PseudonymousForm):
    """One section of a case audit. Everything is optional while drafting (an incomplete
    section saves); unanswered questions are caught at submission. Identifying text in
    any box blocks the whole page from saving."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()], default=0)

    def answers(self, entry: service.SectionEntry) -> dict[int, tuple[str | None, str]]:
        result = {}
        for question in entry.questions:
            answer = None
            if question.required:
                answer = self[question.answer_field].data or None
            result[question.id] = (answer, self[question.comment_field].data or "")
        return result


def section_form_class(entry: service.SectionEntry) -> type[CaseSectionForm]:
    """A form class with this section's questions, in page order, then the reflections
    (so the error summary lists problems in the order of the page)."""
    fields = {}
    for question in entry.questions:
        if question.required:
            graded = question.kind is QuestionKind.GRADED
            fields[question.answer_field] = RadioField(
                f"{question.number}. {question.wording}",
                choices=GRADE_CHOICES if graded else YES_PARTLY_NO_CHOICES,
                validators=[Optional()],
                widget=GovRadioInput(),
                description=question.guidance,
                invalid_choice_message=(
                    "Select a grade from the list" if graded else "Select yes, partly or no"
                ),
            )
        fields[question.comment_field] = long_text_field(
            question.comment_label,
            required=None,
            max_length=TEXT_LIMIT,
            hint=question.guidance if not question.required else "",
        )
    for name, label in service.REFLECTIONS.items():
        fields[name] = long_text_field(label, required=None, max_length=TEXT_LIMIT)
    return type("SectionForm", (CaseSectionForm,), fields)


class SubmitCaseReturnForm(PseudonymousForm):
    """A bare POST with a CSRF token: submitting has nothing to type."""


# Loading ----------------------------------------------------------------------------


def _case_return_or_404(partnership, case_id):
    try:
        return service.load_case_return(
            db.session,
            partnership=partnership,
            case_id=case_id,
            agency_ids=led_agency_ids(g.user, partnership),
        )
    except NotFound:
        abort(404)


def _entry_or_404(contents, section_id):
    try:
        return contents.entry(section_id)
    except NotFound:
        abort(404)


def _url(endpoint, partnership, case_return, **kwargs):
    return url_for(
        endpoint, partnership_slug=partnership.slug, case_id=case_return.case_id, **kwargs
    )


# Pages ------------------------------------------------------------------------------


@bp.route("/case-audits")
@lead_only
def case_audits(partnership):
    rows = service.agency_case_returns(db.session, partnership, led_agency_ids(g.user, partnership))
    rounds = [
        (audit_round, list(cases))
        for audit_round, cases in groupby(rows, key=lambda row: row.audit_round)
    ]
    return render_template(
        "agency/case_audits/list.html",
        partnership=partnership,
        rounds=rounds,
        several_agencies=len({row.case_return.agency_id for row in rows}) > 1,
        today=clock.today(),
    )


@bp.route("/case-audits/<int:case_id>")
@lead_only
def case_audit(partnership, case_id):
    case_return = _case_return_or_404(partnership, case_id)
    contents = service.load_contents(db.session, case_return)
    editable = case_return_is_editable(case_return)
    return render_template(
        "agency/case_audits/case.html",
        partnership=partnership,
        case_return=case_return,
        case=case_return.case,
        audit_round=case_return.case.round,
        contents=contents,
        editable=editable,
        overdue=editable and case_return.case.round.due_on < clock.today(),
    )


@bp.route("/case-audits/<int:case_id>/sections/<int:section_id>", methods=["GET", "POST"])
@lead_only
@commits
def case_section(partnership, case_id, section_id):
    case_return = _case_return_or_404(partnership, case_id)
    contents = service.load_contents(db.session, case_return)
    entry = _entry_or_404(contents, section_id)
    if not case_return_is_editable(case_return):
        return _section_page(partnership, case_return, contents, entry, form=None)
    form_class = section_form_class(entry)
    # A POST is the whole page as the user left it: nothing is filled in from the saved
    # section (a missing version must not pass as the current one).
    form = form_class() if request.method == "POST" else form_class(data=_saved_data(entry))
    if form.validate_on_submit():
        try:
            service.save_section(
                db.session,
                case_return=case_return,
                section=entry.section,
                answers=form.answers(entry),
                good_practice=form.good_practice.data or "",
                development=form.development.data or "",
                recommendations=form.recommendations.data or "",
                seen_version=form.version.data or 0,
                by=g.user,
            )
        except service.SectionEditConflict:
            db.session.rollback()
            return _conflict_page(partnership, case_return, entry, form)
        except DomainError as error:
            form.refuse(error)
        else:
            return redirect(_after_save(partnership, case_return, contents, entry))
    return _section_page(partnership, case_return, contents, entry, form=form)


def _saved_data(entry: service.SectionEntry) -> dict:
    data = {"version": entry.version}
    for question in entry.questions:
        if question.required:
            data[question.answer_field] = question.answer
        data[question.comment_field] = question.comment
    for name, _, text in entry.reflections:
        data[name] = text
    return data


def _after_save(partnership, case_return, contents, entry):
    flash(f"{entry.title} saved", "success")
    if request.form.get("then") == "continue":
        following = contents.following(entry.id)
        if following is not None:
            return _url("agency.case_section", partnership, case_return, section_id=following.id)
        return _url("agency.case_check_answers", partnership, case_return)
    return _url("agency.case_audit", partnership, case_return)


def _section_page(partnership, case_return, contents, entry, *, form):
    return render_template(
        "agency/case_audits/section.html",
        partnership=partnership,
        case_return=case_return,
        case=case_return.case,
        entry=entry,
        following=contents.following(entry.id),
        form=form,
    )


def _conflict_page(partnership, case_return, entry, form):
    """Both versions side by side; keeping mine re-posts it at their version."""
    theirs = _entry_or_404(service.load_contents(db.session, case_return), entry.id)
    mine = {field.name: field.data for field in form}
    keep_mine = section_form_class(entry)(formdata=None, data={**mine, "version": theirs.version})
    return render_template(
        "agency/case_audits/conflict.html",
        partnership=partnership,
        case_return=case_return,
        case=case_return.case,
        entry=entry,
        theirs=theirs,
        mine=mine,
        keep_mine=keep_mine,
        answer_label=service.answer_label,
    ), 409


@bp.route("/case-audits/<int:case_id>/check", methods=["GET", "POST"])
@lead_only
@commits
def case_check_answers(partnership, case_id):
    case_return = _case_return_or_404(partnership, case_id)
    editable = case_return_is_editable(case_return)
    form = SubmitCaseReturnForm() if editable else None
    problems = []
    if form is not None and form.validate_on_submit():
        try:
            service.submit_case_return(db.session, case_return=case_return, by=g.user)
        except service.CaseReturnIncomplete as incomplete:
            db.session.rollback()
            problems = incomplete.problems
        except DomainError as error:
            db.session.rollback()
            flash(error.message)
            return redirect(_url("agency.case_audit", partnership, case_return))
        else:
            return redirect(_url("agency.case_submitted", partnership, case_return))
    return render_template(
        "agency/case_audits/check_answers.html",
        partnership=partnership,
        case_return=case_return,
        case=case_return.case,
        contents=service.load_contents(db.session, case_return),
        editable=editable,
        submit_form=form,
        problems=problems,
    )


@bp.route("/case-audits/<int:case_id>/submitted")
@lead_only
def case_submitted(partnership, case_id):
    case_return = _case_return_or_404(partnership, case_id)
    if case_return.status is not CaseReturnStatus.SUBMITTED:
        return redirect(_url("agency.case_audit", partnership, case_return))
    return render_template(
        "agency/case_audits/submitted.html",
        partnership=partnership,
        case_return=case_return,
        case=case_return.case,
        audit_round=case_return.case.round,
    )
