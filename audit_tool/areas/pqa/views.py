"""The PQA sub-group's area: the partnership at a glance and its administration."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ... import clock
from ...access import partnership_role
from ...audit_trail import list_events
from ...db import commits, db
from ...models import Role, Sector
from ...services import DomainError, NotFound, case_moderation, case_rounds
from ...services import agencies as agency_service
from ...services import cycles as cycle_service
from ...services import partnerships as partnership_service
from ...services import users as user_service
from .forms import AgencyForm, ConfirmForm, NewUserForm, RoleForm, SettingsForm, UserDetailsForm

bp = Blueprint("pqa", __name__, url_prefix="/p/<partnership_slug>/pqa")

pqa_only = partnership_role(Role.PQA_ADMIN)


@bp.route("/")
@pqa_only
def home(partnership):
    by_sector = agency_service.count_agencies_by_sector(db.session, partnership)
    users = user_service.list_partnership_users(db.session, partnership)
    recent, _ = list_events(db.session, partnership=partnership, page=1, per_page=5)
    today = clock.today()
    return render_template(
        "pqa/home.html",
        partnership=partnership,
        concerns=case_moderation.open_concerns(db.session, partnership),
        concern_overdue=lambda concern: case_moderation.is_concern_overdue(concern, today),
        cycles=cycle_service.list_cycles(db.session, partnership),
        case_rounds=case_rounds.list_rounds(db.session, partnership),
        by_sector=by_sector,
        agency_count=sum(by_sector.values()),
        user_count=len(users),
        recent=recent,
    )


# Agencies ---------------------------------------------------------------------------


@bp.route("/agencies")
@pqa_only
def agencies(partnership):
    links = agency_service.list_partnership_agencies(db.session, partnership)
    return render_template("pqa/agencies.html", partnership=partnership, links=links)


@bp.route("/agencies/new", methods=["GET", "POST"])
@pqa_only
@commits
def new_agency(partnership):
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            link = agency_service.create_agency(
                db.session,
                partnership=partnership,
                name=form.name.data,
                sector=Sector(form.sector.data),
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash(f"{link.agency.name} added", "success")
            return redirect(url_for(".agencies", partnership_slug=partnership.slug))
    return render_template("pqa/agency_form.html", partnership=partnership, form=form)


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@pqa_only
@commits
def edit_agency(partnership, agency_id):
    link = _agency_or_404(partnership, agency_id)
    form = AgencyForm(data={"name": link.agency.name, "sector": link.agency.sector.value})
    if form.validate_on_submit():
        try:
            agency_service.update_agency(
                db.session,
                partnership=partnership,
                link=link,
                name=form.name.data,
                sector=Sector(form.sector.data),
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash(f"{link.agency.name} saved", "success")
            return redirect(url_for(".agencies", partnership_slug=partnership.slug))
    return render_template(
        "pqa/agency_form.html",
        partnership=partnership,
        form=form,
        link=link,
        confirm=ConfirmForm(),
    )


@bp.route("/agencies/<int:agency_id>/archive", methods=["POST"])
@pqa_only
@commits
def archive_agency(partnership, agency_id):
    link = _agency_or_404(partnership, agency_id)
    if ConfirmForm().validate_on_submit():
        agency_service.archive_agency(db.session, partnership=partnership, link=link, by=g.user)
        flash(f"{link.agency.name} archived. Its past work is kept.", "success")
    return redirect(url_for(".agencies", partnership_slug=partnership.slug))


@bp.route("/agencies/<int:agency_id>/restore", methods=["POST"])
@pqa_only
@commits
def restore_agency(partnership, agency_id):
    link = _agency_or_404(partnership, agency_id)
    if ConfirmForm().validate_on_submit():
        agency_service.restore_agency(db.session, partnership=partnership, link=link, by=g.user)
        flash(f"{link.agency.name} restored", "success")
    return redirect(url_for(".agencies", partnership_slug=partnership.slug))


def _agency_or_404(partnership, agency_id):
    try:
        return agency_service.get_partnership_agency(db.session, partnership, agency_id)
    except DomainError:
        abort(404)


# Users ------------------------------------------------------------------------------


@bp.route("/users")
@pqa_only
def users(partnership):
    people = user_service.list_partnership_users(db.session, partnership)
    return render_template("pqa/users.html", partnership=partnership, people=people)


@bp.route("/users/new", methods=["GET", "POST"])
@pqa_only
@commits
def new_user(partnership):
    agencies = agency_service.list_partnership_agencies(
        db.session, partnership, include_archived=False
    )
    form = NewUserForm(agencies=agencies)
    if form.validate_on_submit():
        try:
            person, password = user_service.create_user(
                db.session,
                email=form.email.data,
                name=form.name.data,
                partnership=partnership,
                by=g.user,
            )
            user_service.grant_role(
                db.session,
                user=person,
                partnership=partnership,
                role=Role(form.role.data),
                agency=_chosen_agency(partnership, form.agency_id),
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            # Shown once, in this response, and never stored in clear: no redirect, so
            # the password does not travel in a cookie or a URL.
            return render_template(
                "pqa/password_shown_once.html",
                partnership=partnership,
                person=person,
                password=password,
                created=True,
            )
    return render_template("pqa/user_new.html", partnership=partnership, form=form)


@bp.route("/users/<int:user_id>")
@pqa_only
def user_detail(partnership, user_id):
    return _user_page(partnership, _user_or_404(partnership, user_id))


@bp.route("/users/<int:user_id>/details", methods=["GET", "POST"])
@pqa_only
@commits
def edit_user_details(partnership, user_id):
    person = _user_or_404(partnership, user_id)
    form = UserDetailsForm(data={"name": person.name, "email": person.email})
    if form.validate_on_submit():
        try:
            user_service.update_user_details(
                db.session,
                user=person,
                partnership=partnership,
                name=form.name.data,
                email=form.email.data,
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash("Details saved", "success")
            return _to_user(partnership, person)
    return render_template(
        "pqa/user_details_form.html", partnership=partnership, person=person, form=form
    )


@bp.route("/users/<int:user_id>/roles/new", methods=["GET", "POST"])
@pqa_only
@commits
def add_role(partnership, user_id):
    person = _user_or_404(partnership, user_id)
    agencies = agency_service.list_partnership_agencies(
        db.session, partnership, include_archived=False
    )
    form = RoleForm(agencies=agencies)
    if form.validate_on_submit():
        try:
            user_service.grant_role(
                db.session,
                user=person,
                partnership=partnership,
                role=Role(form.role.data),
                agency=_chosen_agency(partnership, form.agency_id),
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash("Role added", "success")
            return _to_user(partnership, person)
    return render_template("pqa/role_form.html", partnership=partnership, person=person, form=form)


@bp.route("/users/<int:user_id>/roles/<int:membership_id>/remove", methods=["POST"])
@pqa_only
@commits
def remove_role(partnership, user_id, membership_id):
    person = _user_or_404(partnership, user_id)
    return _account_action(
        partnership,
        person,
        lambda: user_service.revoke_role(
            db.session, user=person, partnership=partnership, membership_id=membership_id, by=g.user
        ),
        "Role removed",
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@pqa_only
@commits
def deactivate_user(partnership, user_id):
    person = _user_or_404(partnership, user_id)
    return _account_action(
        partnership,
        person,
        lambda: user_service.deactivate_user(
            db.session, user=person, partnership=partnership, by=g.user
        ),
        f"{person.name} can no longer sign in. Any open sessions have been ended.",
    )


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@pqa_only
@commits
def reactivate_user(partnership, user_id):
    person = _user_or_404(partnership, user_id)
    return _account_action(
        partnership,
        person,
        lambda: user_service.reactivate_user(
            db.session, user=person, partnership=partnership, by=g.user
        ),
        f"{person.name} can sign in again",
    )


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@pqa_only
@commits
def reset_password(partnership, user_id):
    person = _user_or_404(partnership, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        password = user_service.reset_password(
            db.session, user=person, partnership=partnership, by=g.user
        )
    except DomainError as error:
        db.session.rollback()
        return _user_page(partnership, person, account_error=error.message)
    return render_template(
        "pqa/password_shown_once.html",
        partnership=partnership,
        person=person,
        password=password,
        created=False,
    )


def _account_action(partnership, person, action, success_message):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action()
    except NotFound:
        # A role id that is not this person's here (another partnership's, say) names
        # nothing this administrator may see.
        abort(404)
    except DomainError as error:
        db.session.rollback()
        return _user_page(partnership, person, account_error=error.message)
    flash(success_message, "success")
    return _to_user(partnership, person)


def _to_user(partnership, person):
    return redirect(url_for(".user_detail", partnership_slug=partnership.slug, user_id=person.id))


def _user_page(partnership, person, *, account_error=None):
    return render_template(
        "pqa/user_detail.html",
        partnership=partnership,
        person=person,
        memberships=user_service.memberships_in(person, partnership),
        confirm=ConfirmForm(),
        account_error=account_error,
    )


def _user_or_404(partnership, user_id):
    try:
        return user_service.get_partnership_user(db.session, partnership, user_id)
    except DomainError:
        abort(404)


def _chosen_agency(partnership, agency_id):
    if agency_id is None:
        return None
    return _agency_or_404(partnership, agency_id).agency


# Audit trail and settings -----------------------------------------------------------


@bp.route("/audit-trail")
@pqa_only
def audit_trail(partnership):
    page = request.args.get("page", default=1, type=int)
    if page < 1:
        abort(404)
    events, has_more = list_events(db.session, partnership=partnership, page=page)
    return render_template(
        "pqa/audit_trail.html",
        partnership=partnership,
        events=events,
        page=page,
        has_more=has_more,
    )


@bp.route("/settings", methods=["GET", "POST"])
@pqa_only
@commits
def settings(partnership):
    form = SettingsForm(data={"name": partnership.name, "contact_email": partnership.contact_email})
    if form.validate_on_submit():
        partnership_service.update_partnership_settings(
            db.session,
            partnership=partnership,
            name=form.name.data,
            contact_email=form.contact_email.data,
            by=g.user,
        )
        flash("Settings saved", "success")
        return redirect(url_for(".settings", partnership_slug=partnership.slug))
    return render_template("pqa/settings.html", partnership=partnership, form=form)


from . import actions as _actions  # noqa: E402,F401  (registers the action tracker pages)
from . import api_tokens as _api_tokens  # noqa: E402,F401  (registers the API token pages)
from . import case_rounds as _case_rounds  # noqa: E402,F401  (registers the case-audit pages)
from . import case_templates as _case_templates  # noqa: E402,F401  (the case-audit templates)
from . import cycles as _cycles  # noqa: E402,F401  (registers the cycle pages on this blueprint)
from . import exports as _exports  # noqa: E402,F401  (registers the workbook download)
from . import panels as _panels  # noqa: E402,F401  (registers the panel pages on this blueprint)
