"""Deployment-wide administration: the partnerships this installation holds."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for

from ...access import system_admin_only
from ...db import commits, db
from ...forms import AppForm, email_field, submit, text_field
from ...services import DomainError
from ...services import partnerships as partnership_service

bp = Blueprint("admin", __name__, url_prefix="/admin")


class PartnershipForm(AppForm):
    name = text_field("Partnership name", required="Enter the partnership name")
    slug = text_field(
        "Short name",
        required="Enter a short name",
        max_length=64,
        hint="Used in web addresses. Lower-case letters, numbers and hyphens, like north-shire",
    )
    contact_email = email_field("Business unit email address")
    submit = submit("Create partnership")


@bp.route("/partnerships", methods=["GET", "POST"])
@system_admin_only
@commits
def partnerships():
    form = PartnershipForm()
    if form.validate_on_submit():
        try:
            created = partnership_service.create_partnership(
                db.session,
                name=form.name.data,
                slug=form.slug.data,
                contact_email=form.contact_email.data,
                by=g.user,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash(f"{created.name} created", "success")
            return redirect(url_for(".partnerships"))
    return render_template(
        "admin/partnerships.html",
        partnerships=partnership_service.list_partnerships(db.session),
        form=form,
    )
