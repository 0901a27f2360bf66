"""An agency's Section 11 return: task list, one page per criterion, evidence, check your
answers, submit."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from ... import clock
from ...db import commits, db
from ...models import AssessmentStatus
from ...return_rules import answer_progress, group_progress, percent_complete
from ...services import DomainError, NotFound, dashboard, evidence_files, evidence_items
from ...services import assessments as returns_service
from ...services.users import led_agency_ids
from ...states import return_is_editable
from ...web.evidence import send_evidence_file
from .. import insight
from .forms import (
    ConfirmForm,
    ConflictForm,
    CriterionForm,
    DeclarationForm,
    EvidenceForm,
    StartReturnForm,
)
from .views import bp, lead_only


def _return_or_404(partnership, assessment_id):
    try:
        return returns_service.get_agency_assessment(
            db.session, partnership, assessment_id, led_agency_ids(g.user, partnership)
        )
    except NotFound:
        abort(404)


def _entry_or_404(contents, criterion_id):
    try:
        return contents.entry(criterion_id)
    except NotFound:
        abort(404)


def _url(endpoint, partnership, assessment, **kwargs):
    return url_for(
        endpoint, partnership_slug=partnership.slug, assessment_id=assessment.id, **kwargs
    )


@bp.route("/returns/<int:assessment_id>/", methods=["GET", "POST"])
@lead_only
@commits
def task_list(partnership, assessment_id):
    assessment = _return_or_404(partnership, assessment_id)
    previous = returns_service.previous_return(db.session, assessment)
    start_form = StartReturnForm()
    # CSRF is checked for every POST by CSRFProtect; the choice only matters when there
    # is a previous return to start from.
    if request.method == "POST" and (previous is None or start_form.validate_on_submit()):
        carry = previous if (previous and start_form.start.data == "carry") else None
        try:
            carried = returns_service.start_return(
                db.session,
                assessment=assessment,
                carry_from=carry,
                by=g.user,
                copy_file=_copy_file,
            )
        except DomainError as error:
            start_form.refuse(error, default_field="start")
        else:
            if carried:
                flash(
                    f"{carried} answers carried forward from {carry.cycle.name}. "
                    "Check each one and save it to confirm it is still right.",
                    "success",
                )
            return redirect(_url("agency.task_list", partnership, assessment))
    contents = returns_service.load_return(db.session, assessment)
    today = clock.today()
    standards = [
        (
            s,
            group_progress(answer_progress(e.answer, today=today) for e in s.entries),
        )
        for s in contents.standards
    ]
    answers = contents.answers
    return render_template(
        "agency/task_list.html",
        partnership=partnership,
        assessment=assessment,
        standards=standards,
        percent=percent_complete(answers, today=today),
        review_count=sum(a.review_needed for a in answers),
        editable=return_is_editable(assessment),
        previous=previous,
        entry_progress=lambda entry: answer_progress(entry.answer, today=today),
        form=start_form if assessment.status is AssessmentStatus.NOT_STARTED else None,
    )


def _copy_file(stored_name: str) -> str:
    return evidence_files.copy_stored(
        stored_name=stored_name, upload_folder=current_app.config["UPLOAD_FOLDER"]
    )


@bp.route("/returns/<int:assessment_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@lead_only
@commits
def criterion(partnership, assessment_id, criterion_id):
    assessment = _return_or_404(partnership, assessment_id)
    contents = returns_service.load_return(db.session, assessment)
    entry = _entry_or_404(contents, criterion_id)
    if not return_is_editable(assessment):
        return _criterion_page(partnership, assessment, contents, entry, form=None)
    form = _criterion_form(contents, entry)
    if request.method == "POST" and form.validate_on_submit():
        try:
            returns_service.save_answer(
                db.session,
                assessment=assessment,
                criterion=entry.criterion,
                seen_version=form.version.data or 0,
                answer=_answer_from(form),
                by=g.user,
            )
        except returns_service.EditConflict as conflict:
            db.session.rollback()
            return _conflict_page(partnership, assessment, contents, entry, form, conflict)
        except DomainError as error:
            form.refuse(error)
        else:
            return redirect(_after_save(partnership, assessment, contents, entry))
    return _criterion_page(partnership, assessment, contents, entry, form=form)


def _criterion_form(contents, entry, form_class=CriterionForm):
    response = entry.response
    data = {"version": 0}
    if response is not None:
        data = {
            "version": response.version,
            "rating": returns_service.NOT_APPLICABLE
            if response.not_applicable
            else (response.level.key if response.level else None),
            "evidence": response.evidence,
            "impact": response.impact,
            "improvement": response.improvement,
            "action": response.action,
            "action_owner": response.action_owner,
            "action_due": response.action_due,
        }
    return form_class(data=data, levels=contents.levels, allow_na=entry.criterion.allow_na)


def _answer_from(form) -> returns_service.AnswerInput:
    return returns_service.AnswerInput(
        level_key=form.level_key,
        evidence=form.evidence.data or "",
        impact=form.impact.data or "",
        improvement=form.improvement.data or "",
        action=form.action.data or "",
        action_owner=form.action_owner.data or "",
        action_due=form.action_due.data,
    )


def _after_save(partnership, assessment, contents, entry):
    flash(f"{entry.criterion.code} saved", "success")
    following = contents.following(entry.criterion.id)
    if request.form.get("then") == "continue" and following is not None:
        return _url(
            "agency.criterion", partnership, assessment, criterion_id=following.criterion.id
        )
    return _url("agency.task_list", partnership, assessment)


def _criterion_page(partnership, assessment, contents, entry, *, form):
    following = contents.following(entry.criterion.id)
    return render_template(
        "agency/criterion.html",
        partnership=partnership,
        assessment=assessment,
        entry=entry,
        levels=contents.levels,
        form=form,
        following=following,
        evidence_items=[
            item
            for item in (entry.response.evidence_items if entry.response else [])
            if item.removed_at is None
        ],
        remove_form=ConfirmForm(),
    )


def _conflict_page(partnership, assessment, contents, entry, form, conflict):
    """Show both versions side by side; keeping mine re-posts it at their version."""
    theirs = conflict.current
    form.version.data = theirs.version
    return render_template(
        "agency/conflict.html",
        partnership=partnership,
        assessment=assessment,
        entry=entry,
        form=ConflictForm(
            formdata=None,
            data={**form.data, "version": theirs.version},
            levels=contents.levels,
            allow_na=entry.criterion.allow_na,
        ),
        mine=_answer_from(form),
        my_level=next((lvl for lvl in contents.levels if lvl.key == form.level_key), None),
        theirs=returns_service.to_answer(entry.criterion, theirs),
        theirs_by=theirs.updated_by,
        theirs_at=theirs.updated_at,
    ), 409


# Evidence ----------------------------------------------------------------------------


@bp.route(
    "/returns/<int:assessment_id>/criteria/<int:criterion_id>/evidence/new",
    methods=["GET", "POST"],
)
@lead_only
@commits
def add_evidence(partnership, assessment_id, criterion_id):
    assessment = _return_or_404(partnership, assessment_id)
    contents = returns_service.load_return(db.session, assessment)
    entry = _entry_or_404(contents, criterion_id)
    if not return_is_editable(assessment):
        abort(404)
    form = EvidenceForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            stored = None
            if form.file.data:
                stored = evidence_files.store_upload(
                    stream=form.file.data.stream,
                    filename=form.file.data.filename or "",
                    upload_folder=config["UPLOAD_FOLDER"],
                    max_bytes=config["MAX_UPLOAD_BYTES"],
                )
            evidence_items.add_evidence_item(
                db.session,
                assessment=assessment,
                criterion=entry.criterion,
                title=form.title.data,
                reference=form.reference.data or "",
                stored=stored,
                effective_on=form.effective_on.data,
                review_on=form.review_on.data,
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash("Evidence added", "success")
            return redirect(
                _url("agency.criterion", partnership, assessment, criterion_id=criterion_id)
            )
    return render_template(
        "agency/evidence_form.html",
        partnership=partnership,
        assessment=assessment,
        entry=entry,
        form=form,
    )


@bp.route("/returns/<int:assessment_id>/evidence/<int:item_id>/remove", methods=["POST"])
@lead_only
@commits
def remove_evidence(partnership, assessment_id, item_id):
    assessment = _return_or_404(partnership, assessment_id)
    item = _item_or_404(assessment, item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        evidence_items.remove_evidence_item(db.session, assessment=assessment, item=item, by=g.user)
    except DomainError:
        abort(404)
    flash(f"{item.title} removed", "success")
    return redirect(
        _url("agency.criterion", partnership, assessment, criterion_id=item.response.criterion_id)
    )


@bp.route("/returns/<int:assessment_id>/evidence/<int:item_id>/download")
@lead_only
@commits
def download_evidence(partnership, assessment_id, item_id):
    assessment = _return_or_404(partnership, assessment_id)
    return send_evidence_file(assessment, _item_or_404(assessment, item_id))


def _item_or_404(assessment, item_id):
    try:
        return evidence_items.get_evidence_item(db.session, assessment, item_id)
    except NotFound:
        abort(404)


# Check and submit -------------------------------------------------------------------


@bp.route("/returns/<int:assessment_id>/check", methods=["GET", "POST"])
@lead_only
@commits
def check_answers(partnership, assessment_id):
    assessment = _return_or_404(partnership, assessment_id)
    if not return_is_editable(assessment):
        return redirect(_url("agency.task_list", partnership, assessment))
    form = DeclarationForm()
    problems = []
    if form.validate_on_submit():
        try:
            returns_service.submit_return(
                db.session,
                assessment=assessment,
                declaration_name=form.declaration_name.data,
                declaration_role=form.declaration_role.data,
                by=g.user,
                today=clock.today(),
            )
        except returns_service.ReturnIncomplete as incomplete:
            db.session.rollback()
            problems = incomplete.problems
        except DomainError as error:
            form.refuse(error)
        else:
            return redirect(_url("agency.submitted", partnership, assessment))
    contents = returns_service.load_return(db.session, assessment)
    if request.method == "GET":
        problems = []
    return render_template(
        "agency/check_answers.html",
        partnership=partnership,
        assessment=assessment,
        contents=contents,
        levels={level.id: level for level in contents.levels},
        form=form,
        problems=problems,
    )


@bp.route("/returns/<int:assessment_id>/submitted")
@lead_only
def submitted(partnership, assessment_id):
    assessment = _return_or_404(partnership, assessment_id)
    if assessment.status is not AssessmentStatus.SUBMITTED:
        return redirect(_url("agency.task_list", partnership, assessment))
    return render_template("agency/submitted.html", partnership=partnership, assessment=assessment)


@bp.route("/returns/<int:assessment_id>/scorecard")
@lead_only
def scorecard(partnership, assessment_id):
    """The agency's own scores against the partnership average; other agencies are
    never named, only averaged."""
    assessment = _return_or_404(partnership, assessment_id)
    data = dashboard.load_cycle_data(
        db.session, assessment.cycle, essential_weight=insight.essential_weight()
    )
    scores = dashboard.score_table(data)
    flags = [
        f
        for f in dashboard.cycle_flags(data, today=clock.today())
        if f.agency_id == assessment.agency_id
    ]
    return render_template(
        "agency/scorecard.html",
        partnership=partnership,
        assessment=assessment,
        data=data,
        scores=scores,
        self_scores=dashboard.self_score_table(data),
        flags=flags,
        level_for=lambda score: dashboard.nearest_level(score, data.levels),
    )
