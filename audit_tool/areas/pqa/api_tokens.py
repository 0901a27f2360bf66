"""PQA: personal API tokens for BI tools (see docs/api.md)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for

from ...db import commits, db
from ...forms import AppForm, submit, text_field
from ...services import DomainError, NotFound
from ...services import api_tokens as token_service
from .forms import ConfirmForm
from .views import bp, pqa_only


class ApiTokenForm(AppForm):
    name = text_field(
        "Token name",
        required="Enter a name for the token",
        max_length=token_service.MAX_NAME_LENGTH,
        hint="So you can tell your tokens apart, for example Power BI board report",
    )
    submit = submit("Create token")


@bp.route("/api-tokens")
@pqa_only
def api_tokens(partnership):
    return render_template(
        "pqa/api_tokens.html",
        partnership=partnership,
        tokens=token_service.list_tokens(db.session, user=g.user, partnership=partnership),
        confirm=ConfirmForm(),
    )


@bp.route("/api-tokens/new", methods=["GET", "POST"])
@pqa_only
@commits
def new_api_token(partnership):
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            token, raw = token_service.create_token(
                db.session, user=g.user, partnership=partnership, name=form.name.data, by=g.user
            )
        except DomainError as error:
            form.refuse(error)
        else:
            # Shown once, in this response, and never stored in clear: no redirect, so
            # the token does not travel in a cookie or a URL.
            return render_template(
                "pqa/api_token_created.html", partnership=partnership, token=token, raw=raw
            )
    return render_template("pqa/api_token_new.html", partnership=partnership, form=form)


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
@pqa_only
@commits
def revoke_api_token(partnership, token_id):
    try:
        token = token_service.get_token(
            db.session, user=g.user, partnership=partnership, token_id=token_id
        )
    except NotFound:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token_service.revoke_token(db.session, token=token, by=g.user)
    flash(f"{token.name} revoked. Anything using this token can no longer read data.", "success")
    return redirect(url_for(".api_tokens", partnership_slug=partnership.slug))
