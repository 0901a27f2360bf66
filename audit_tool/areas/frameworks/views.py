"""The PQA framework library: frameworks, their versions, drafting and publishing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from ...access import partnership_role
from ...db import commits, db
from ...frameworks import library
from ...frameworks.format import MAX_TEXT_LENGTH
from ...models import Role
from ...services import DomainError, NotFound
from ..pqa.forms import ConfirmForm
from .forms import YES, CriterionForm

bp = Blueprint("frameworks", __name__, url_prefix="/p/<partnership_slug>/pqa/frameworks")

pqa_only = partnership_role(Role.PQA_ADMIN)


@bp.route("/")
@pqa_only
def index(partnership):
    rows = library.LIBRARY.listing(db.session, partnership)
    return render_template("frameworks/index.html", partnership=partnership, rows=rows)


@bp.route("/versions/<int:version_id>")
@pqa_only
def version(partnership, version_id):
    found = _version_or_404(partnership, version_id)
    framework = found.framework
    latest = library.latest_published(framework)
    # Only the latest published version offers "Create a new version"; what stands in
    # the way (a draft, or the partnership's own copy of a built-in) is linked instead.
    blocker = (
        library.blocking_version(db.session, framework=framework, partnership=partnership)
        if found is latest
        else None
    )
    return render_template(
        "frameworks/version.html",
        partnership=partnership,
        version=found,
        framework=framework,
        is_latest=found is latest,
        blocker=blocker,
        confirm=ConfirmForm(),
    )


@bp.route("/versions/<int:version_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@pqa_only
@commits
def edit_criterion(partnership, version_id, criterion_id):
    try:
        criterion = library.get_criterion(db.session, partnership, version_id, criterion_id)
    except NotFound:
        abort(404)
    owner = criterion.standard.version
    if owner.frozen:
        flash(library.FROZEN_MESSAGE)
        return _to_version(partnership, owner)
    form = CriterionForm.for_criterion(criterion)
    if form.validate_on_submit():
        try:
            library.update_criterion(
                db.session,
                criterion=criterion,
                partnership=partnership,
                title=form.title.data,
                wording=form.wording.data,
                guidance=form.guidance.data,
                essential=form.essential.data == YES,
                allow_na=form.allow_na.data == YES,
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash(f"Criterion {criterion.code} saved", "success")
            return _to_version(partnership, owner, anchor=f"criterion-{criterion.id}")
    return render_template(
        "frameworks/criterion_form.html",
        partnership=partnership,
        version=owner,
        criterion=criterion,
        form=form,
        max_text=MAX_TEXT_LENGTH,
    )


@bp.route("/versions/<int:version_id>/new-version", methods=["POST"])
@pqa_only
@commits
def new_version(partnership, version_id):
    found = _version_or_404(partnership, version_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        draft = library.draft_new_version(
            db.session, framework=found.framework, partnership=partnership, by=g.user
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message)
        return _to_version(partnership, found)
    flash(
        f"Version {draft.number} created as a draft. Make your changes, then publish it.", "success"
    )
    return _to_version(partnership, draft)


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@pqa_only
@commits
def publish(partnership, version_id):
    found = _version_or_404(partnership, version_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        library.publish(db.session, version=found, partnership=partnership, by=g.user)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message)
    else:
        flash(f"Version {found.number} published. It can no longer be changed.", "success")
    return _to_version(partnership, found)


def _version_or_404(partnership, version_id):
    try:
        return library.get_version(db.session, partnership, version_id)
    except NotFound:
        abort(404)


def _to_version(partnership, version, *, anchor=None):
    return redirect(
        url_for(
            ".version", partnership_slug=partnership.slug, version_id=version.id, _anchor=anchor
        )
    )
