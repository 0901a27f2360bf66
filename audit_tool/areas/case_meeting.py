"""Case-audit pages shared by the PQA sub-group and the challenge panel: the rounds, a
round's returns tracker, and the multi-agency moderation meeting for each case (the
returns side by side, judgements, learning, actions and safeguarding concerns).

Each area registers these on its own blueprint behind its own access guard (see
`add_case_meeting_views`); PQA's management pages for rounds and cases are in
`pqa/case_rounds.py`. The panel sees a round once it is open: drafts are PQA's alone.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from wtforms.fields.choices import SelectChoice

from .. import clock
from ..case_grading import Grade, parse_grade
from ..db import commits, db
from ..forms import (
    AppForm,
    GovDateField,
    PseudonymousForm,
    long_text_field,
    radio_field,
    select_field,
    text_field,
)
from ..forms import submit as submit_button
from ..models import Agency, AuditCase, CaseReturnStatus, LearningTheme, Partnership, RoundStatus
from ..services import DomainError, NotFound
from ..services import case_moderation as moderation
from ..services import case_rounds as rounds

GRADE_CHOICES = [SelectChoice(grade.value, grade.label) for grade in Grade]
THEME_CHOICES = [SelectChoice(theme.value, theme.label) for theme in LearningTheme]


# Forms: every one is about a child's case, so each refuses identifying text. ---------


class ConfirmForm(AppForm):
    """A bare POST with a CSRF token, for buttons."""


class JudgementForm(PseudonymousForm):
    grade = radio_field(
        "The meeting's grade for this section",
        choices=GRADE_CHOICES,
        required="Select a grade for this section",
    )
    rationale = long_text_field(
        "Why the meeting reached this judgement",
        required="Enter why the meeting reached this judgement",
        max_length=5000,
    )
    submit = submit_button("Save judgement")


class OverallForm(PseudonymousForm):
    grade = radio_field(
        "The meeting's overall grade for the case",
        choices=GRADE_CHOICES,
        required="Select an overall grade for the case",
    )
    rationale = long_text_field(
        "Why the meeting reached this judgement",
        required="Enter why the meeting reached this judgement",
        max_length=5000,
    )
    submit = submit_button("Save overall judgement")


class LearningForm(PseudonymousForm):
    theme = radio_field("Learning theme", choices=THEME_CHOICES, required="Select a learning theme")
    text = long_text_field(
        "Learning",
        required="Enter the learning",
        max_length=5000,
        hint="What agencies should do differently, or keep doing",
    )
    submit = submit_button("Add learning")


class CaseActionForm(PseudonymousForm):
    agency = select_field("Agency", required="Select the agency that will do this")
    description = long_text_field("Action", required="Enter the action", max_length=5000)
    owner = text_field("Who owns it", required="Enter who owns the action", hint="A role is enough")
    due_on = GovDateField("Due date", required="Enter the due date", hint="For example, 31 3 2027")
    submit = submit_button("Add action")

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.agency.choices = [SelectChoice("", "Select an agency")] + [
            SelectChoice(str(agency.id), agency.name) for agency in agencies
        ]


class ConcernForm(PseudonymousForm):
    description = long_text_field(
        "What is the concern?",
        required="Enter the concern",
        max_length=5000,
        hint="Describe people by their role (mother, GP), never by name",
    )
    follow_up_by = text_field(
        "Who will follow it up",
        required="Enter who will follow up the concern",
        hint="Their name or role, for example Head of Children's Services",
    )
    follow_up_agency = select_field("Their agency (optional)", required=None)
    due_on = GovDateField(
        "Follow up by",
        required="Enter the date it must be followed up by",
        hint="For example, 31 3 2027",
    )
    submit = submit_button("Raise concern")

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.follow_up_agency.choices = [SelectChoice("", "Not given")] + [
            SelectChoice(str(agency.id), agency.name) for agency in agencies
        ]


class CloseConcernForm(PseudonymousForm):
    note = long_text_field(
        "Closing note",
        required="Enter a closing note",
        max_length=2000,
        hint="What was done, and by whom",
    )
    submit = submit_button("Close concern")


# Loading ----------------------------------------------------------------------------


def _drafts_visible(area: str) -> bool:
    return area == "pqa"


def round_or_404(partnership: Partnership, round_id: int, *, area: str):
    try:
        return rounds.get_round(
            db.session, partnership, round_id, include_drafts=_drafts_visible(area)
        )
    except NotFound:
        abort(404)


def case_or_404(partnership: Partnership, case_id: int, *, area: str) -> AuditCase:
    try:
        return rounds.get_case(
            db.session, partnership, case_id, include_drafts=_drafts_visible(area)
        )
    except NotFound:
        abort(404)


def _chosen(agencies: list[Agency], value: str | None) -> Agency | None:
    return next((agency for agency in agencies if str(agency.id) == value), None)


def add_case_meeting_views(bp, guard, *, area: str) -> None:
    """Register the rounds, a round's tracker and the moderation pages on an area's
    blueprint, behind that area's access guard."""

    def case_url(partnership, case, anchor=None):
        return url_for(
            f"{area}.case_moderation",
            partnership_slug=partnership.slug,
            case_id=case.id,
            _anchor=anchor,
        )

    def refused(partnership, case):
        """Send a change to a case whose round cannot be changed back, with the reason."""
        try:
            moderation.require_changeable(case)
        except DomainError as error:
            flash(error.message)
            return redirect(case_url(partnership, case))
        return None

    def form_page(template, partnership, case, form, **context):
        return render_template(
            f"case_rounds/{template}",
            area=area,
            partnership=partnership,
            case=case,
            form=form,
            back_url=case_url(partnership, case),
            parse_grade=parse_grade,
            **context,
        )

    def case_rounds(partnership):
        found = rounds.list_rounds(db.session, partnership, include_drafts=_drafts_visible(area))
        today = clock.today()
        return render_template(
            "case_rounds/list.html",
            area=area,
            partnership=partnership,
            rounds=found,
            trackers={r.id: rounds.tracker(r, today=today) for r in found},
        )

    def case_round(partnership, round_id):
        found = round_or_404(partnership, round_id, area=area)
        return render_template(
            "case_rounds/round.html",
            area=area,
            partnership=partnership,
            audit_round=found,
            tracker=rounds.tracker(found, today=clock.today()),
            confirm=ConfirmForm(),
            RoundStatus=RoundStatus,
            CaseReturnStatus=CaseReturnStatus,
            parse_grade=parse_grade,
        )

    def case_moderation(partnership, case_id):
        case = case_or_404(partnership, case_id, area=area)
        today = clock.today()
        return render_template(
            "case_rounds/moderation.html",
            area=area,
            partnership=partnership,
            case=case,
            view=moderation.load_case_view(db.session, case),
            changeable=case.round.status is RoundStatus.OPEN,
            is_overdue=lambda concern: moderation.is_concern_overdue(concern, today),
            confirm=ConfirmForm(),
            parse_grade=parse_grade,
        )

    def case_judgement(partnership, case_id, section_id):
        case = case_or_404(partnership, case_id, area=area)
        view = moderation.load_case_view(db.session, case)
        try:
            section = view.section(section_id)
        except NotFound:
            abort(404)
        if (response := refused(partnership, case)) is not None:
            return response
        existing = section.judgement
        form = JudgementForm(
            data={"grade": existing.grade, "rationale": existing.rationale} if existing else None
        )
        if form.validate_on_submit():
            try:
                moderation.record_judgement(
                    db.session,
                    case=case,
                    section=section.section,
                    grade=Grade(form.grade.data),
                    rationale=form.rationale.data,
                    by=g.user,
                )
            except DomainError as error:
                form.refuse(error, default_field="grade")
            else:
                flash(f"Judgement for {section.section.title} saved", "success")
                return redirect(case_url(partnership, case, f"section-{section_id}"))
        return form_page(
            "judgement_form.html", partnership, case, form, view=view, section_view=section
        )

    def case_overall(partnership, case_id):
        case = case_or_404(partnership, case_id, area=area)
        if (response := refused(partnership, case)) is not None:
            return response
        view = moderation.load_case_view(db.session, case)
        form = OverallForm(
            data={"grade": case.overall_grade, "rationale": case.overall_rationale}
            if case.overall_grade
            else None
        )
        if form.validate_on_submit():
            try:
                moderation.record_overall(
                    db.session,
                    case=case,
                    grade=Grade(form.grade.data),
                    rationale=form.rationale.data,
                    by=g.user,
                )
            except DomainError as error:
                form.refuse(error, default_field="grade")
            else:
                flash(f"Overall judgement for {case.reference} saved", "success")
                return redirect(case_url(partnership, case, "overall"))
        return form_page("overall_form.html", partnership, case, form, view=view)

    def add_learning(partnership, case_id):
        case = case_or_404(partnership, case_id, area=area)
        if (response := refused(partnership, case)) is not None:
            return response
        form = LearningForm()
        if form.validate_on_submit():
            try:
                moderation.add_learning(
                    db.session,
                    case=case,
                    theme=LearningTheme(form.theme.data),
                    text=form.text.data,
                    by=g.user,
                )
            except DomainError as error:
                form.refuse(error, default_field="text")
            else:
                flash("Learning added", "success")
                return redirect(case_url(partnership, case, "learning"))
        return form_page("learning_form.html", partnership, case, form)

    def remove_learning(partnership, case_id, learning_id):
        case = case_or_404(partnership, case_id, area=area)
        try:
            point = moderation.get_learning(db.session, case, learning_id)
        except NotFound:
            abort(404)
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            moderation.remove_learning(db.session, point=point, by=g.user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message)
        else:
            flash("Learning removed", "success")
        return redirect(case_url(partnership, case, "learning"))

    def case_action(partnership, case_id):
        case = case_or_404(partnership, case_id, area=area)
        if (response := refused(partnership, case)) is not None:
            return response
        agencies = rounds.case_agencies(case)
        form = CaseActionForm(agencies=agencies)
        if form.validate_on_submit():
            try:
                moderation.add_case_action(
                    db.session,
                    case=case,
                    agency=_chosen(agencies, form.agency.data),
                    description=form.description.data,
                    owner=form.owner.data,
                    due_on=form.due_on.data,
                    today=clock.today(),
                    by=g.user,
                )
            except DomainError as error:
                form.refuse(error, default_field="description")
            else:
                flash("Action added to the partnership's action tracker", "success")
                return redirect(case_url(partnership, case, "actions"))
        return form_page("action_form.html", partnership, case, form)

    def raise_concern(partnership, case_id):
        case = case_or_404(partnership, case_id, area=area)
        if (response := refused(partnership, case)) is not None:
            return response
        agencies = rounds.active_agencies(db.session, partnership)
        form = ConcernForm(agencies=agencies)
        if form.validate_on_submit():
            try:
                moderation.raise_concern(
                    db.session,
                    case=case,
                    description=form.description.data,
                    follow_up_by=form.follow_up_by.data,
                    follow_up_agency=_chosen(agencies, form.follow_up_agency.data),
                    due_on=form.due_on.data,
                    today=clock.today(),
                    by=g.user,
                )
            except DomainError as error:
                form.refuse(error, default_field="description")
            else:
                flash(
                    "Immediate safeguarding concern recorded. It stays on the PQA overview "
                    "until it is closed.",
                    "success",
                )
                return redirect(case_url(partnership, case, "concerns"))
        return form_page("concern_form.html", partnership, case, form)

    def close_concern(partnership, concern_id):
        try:
            concern = moderation.get_concern(db.session, partnership, concern_id)
        except NotFound:
            abort(404)
        case = concern.case
        if case.round.status is RoundStatus.DRAFT and not _drafts_visible(area):
            abort(404)
        if concern.closed_at is not None:
            flash("This concern is already closed")
            return redirect(case_url(partnership, case, "concerns"))
        form = CloseConcernForm()
        if form.validate_on_submit():
            try:
                moderation.close_concern(
                    db.session, concern=concern, note=form.note.data, by=g.user
                )
            except DomainError as error:
                form.refuse(error, default_field="note")
            else:
                flash(f"Concern about {case.reference} closed", "success")
                return redirect(case_url(partnership, case, "concerns"))
        return form_page("close_concern.html", partnership, case, form, concern=concern)

    reads = (
        ("case_rounds", "/case-rounds", case_rounds),
        ("case_round", "/case-rounds/<int:round_id>", case_round),
        ("case_moderation", "/cases/<int:case_id>", case_moderation),
    )
    writes = (
        (
            "case_judgement",
            "/cases/<int:case_id>/sections/<int:section_id>/judgement",
            case_judgement,
        ),
        ("case_overall", "/cases/<int:case_id>/overall", case_overall),
        ("add_learning", "/cases/<int:case_id>/learning", add_learning),
        ("case_action", "/cases/<int:case_id>/actions/new", case_action),
        ("raise_concern", "/cases/<int:case_id>/concerns/new", raise_concern),
        ("close_concern", "/concerns/<int:concern_id>/close", close_concern),
    )
    for name, rule, view in reads:
        view.__name__ = name
        bp.add_url_rule(rule, endpoint=name, view_func=guard(view))
    for name, rule, view in writes:
        view.__name__ = name
        bp.add_url_rule(
            rule, endpoint=name, view_func=guard(commits(view)), methods=["GET", "POST"]
        )
    remove_learning.__name__ = "remove_learning"
    bp.add_url_rule(
        "/cases/<int:case_id>/learning/<int:learning_id>/remove",
        endpoint="remove_learning",
        view_func=guard(commits(remove_learning)),
        methods=["POST"],
    )
