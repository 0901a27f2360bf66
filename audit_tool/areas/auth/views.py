from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ...access import public, signed_in
from ...db import commits, db
from ...services import DomainError
from ...services.authentication import authenticate, end_login_session
from ...services.users import change_password as change_password_service
from ...web.sessions import begin_session_for, end_browser_session
from .forms import ChangePasswordForm, LoginForm, SignOutForm

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "Email address or password is incorrect"


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never bounce a user to another site after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
@commits
def login():
    if g.user is not None:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, email=form.email.data, password=form.password.data)
        if user is None:
            # One message for unknown email and wrong password: no hint which.
            form.email.errors = [GENERIC_LOGIN_ERROR]
            form.password.data = ""
        else:
            begin_session_for(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
@commits
def logout():
    form = SignOutForm()
    if form.validate_on_submit():
        end_login_session(db.session, login=g.login_session)
    end_browser_session()
    flash("You have signed out")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
@commits
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password_service(
                db.session,
                user=g.user,
                current=form.current_password.data,
                new=form.new_password.data,
            )
        except DomainError as error:
            form.refuse(error)
        else:
            flash("Your password has been changed", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/session/keep-alive")
@signed_in
def keep_alive():
    """Called by the timeout warning's "Stay signed in" button: the request itself
    refreshes the idle timer."""
    return "", 204
