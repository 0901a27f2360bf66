from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ...access import partnership_role, public, signed_in
from ...db import commits, db
from ...models import Role, utcnow
from ...services import DomainError, NotFound
from ...services import two_factor as two_factor_service
from ...services.authentication import (
    authenticate,
    check_sign_in_code,
    end_login_session,
)
from ...services.login_throttle import SignInAttempt, ThrottleLimits
from ...services.users import change_password as change_password_service
from ...services.users import get_partnership_user, normalise_email
from ...web.sessions import begin_session_for, end_browser_session
from .forms import (
    ChangePasswordForm,
    ConfirmTwoFactorForm,
    LoginForm,
    ResetTwoFactorForm,
    SignOutForm,
    StartTwoFactorForm,
    TurnOffTwoFactorForm,
    TwoFactorCodeForm,
)

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "Email address or password is incorrect"

# Someone who gave the right password and still owes a two-factor code. The cookie is
# signed, so the user id cannot be forged; it signs no one in by itself.
PENDING_USER = "two_factor_user"
PENDING_SINCE = "two_factor_since"
PENDING_NEXT = "two_factor_next"


def locked_message() -> str:
    minutes = int(current_app.config["LOGIN_LOCKOUT"].total_seconds() // 60)
    return (
        f"Too many failed attempts. Wait {minutes} minutes and try again, "
        "or ask your PQA administrator to reset your password"
    )


def _attempt(email: str) -> SignInAttempt:
    # request.remote_addr is the peer's address; behind a reverse proxy it is the
    # proxy's unless TRUSTED_PROXIES says how many proxies' forwarded headers to believe.
    return SignInAttempt(
        email=normalise_email(email),
        address=request.remote_addr or "unknown",
        now=utcnow(),
        limits=ThrottleLimits.from_config(current_app.config),
    )


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
        outcome = authenticate(
            db.session,
            email=form.email.data,
            password=form.password.data,
            attempt=_attempt(form.email.data),
        )
        target = _safe_next(request.args.get("next"))
        if outcome.user is not None and outcome.user.two_factor_enabled:
            session[PENDING_USER] = outcome.user.id
            session[PENDING_SINCE] = utcnow().timestamp()
            session[PENDING_NEXT] = target
            return redirect(url_for("auth.two_factor_code"))
        if outcome.user is not None:
            begin_session_for(outcome.user)
            return redirect(target or url_for("home.index"))
        # One message for unknown email and wrong password: no hint which. A lock is
        # announced the same way for accounts that exist and ones that do not.
        form.email.errors = [locked_message() if outcome.locked else GENERIC_LOGIN_ERROR]
        form.password.data = ""
    return render_template("auth/login.html", form=form)


def _pending_user_id() -> int | None:
    user_id, since = session.get(PENDING_USER), session.get(PENDING_SINCE)
    if user_id is None or since is None:
        return None
    timeout = current_app.config["TWO_FACTOR_CODE_TIMEOUT"].total_seconds()
    if utcnow().timestamp() - since > timeout:
        return None
    return user_id


def _forget_pending() -> None:
    for key in (PENDING_USER, PENDING_SINCE, PENDING_NEXT):
        session.pop(key, None)


@bp.route("/login/code", methods=["GET", "POST"])
@public
@commits
def two_factor_code():
    """The second sign-in step, for people with two-factor sign-in on. They are not
    signed in until the code is right."""
    if g.user is not None:
        return redirect(url_for("home.index"))
    user_id = _pending_user_id()
    if user_id is None:
        _forget_pending()
        return render_template("auth/sign_in_again.html")
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        outcome = check_sign_in_code(
            db.session, user_id=user_id, code=form.code.data, attempt=_attempt("")
        )
        if outcome.user is not None:
            target = session.get(PENDING_NEXT)
            begin_session_for(outcome.user)
            return redirect(_safe_next(target) or url_for("home.index"))
        if outcome.restart:
            _forget_pending()
            return render_template("auth/sign_in_again.html")
        if outcome.locked:
            _forget_pending()
            flash(locked_message())
            return redirect(url_for("auth.login"))
        form.code.errors = [
            "The code is not right. Enter the 6-digit code your authenticator app shows now"
        ]
        form.code.data = ""
    return render_template("auth/two_factor_code.html", form=form)


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
    return render_template(
        "auth/change_password.html",
        form=form,
        two_factor_offered=two_factor_service.can_use_two_factor(g.user),
    )


@bp.route("/account/two-factor", methods=["GET", "POST"])
@signed_in
@commits
def two_factor():
    """Set up two-factor sign-in: start (a new secret), then confirm it with a code.
    Offered to PQA and system administrators; anyone else sees why not."""
    user = g.user
    offered = two_factor_service.can_use_two_factor(user)
    if user.two_factor_enabled or (not offered and user.totp_secret is None):
        if request.method == "POST":
            return redirect(url_for("auth.two_factor"))
        return render_template("auth/two_factor.html", offered=offered, form=None)
    if user.totp_secret is None:
        form = StartTwoFactorForm()
        if form.validate_on_submit():
            two_factor_service.start_setup(db.session, user=user)
            return redirect(url_for("auth.two_factor"))
        return render_template("auth/two_factor.html", offered=offered, form=form)
    if request.method == "POST" and "code" not in request.form:
        return redirect(url_for("auth.two_factor"))  # "set up" pressed twice
    form = ConfirmTwoFactorForm()
    if form.validate_on_submit():
        try:
            two_factor_service.confirm_setup(
                db.session, user=user, code=form.code.data, now=utcnow()
            )
        except DomainError as error:
            form.refuse(error)
            form.code.data = ""
        else:
            flash("Two-factor sign-in is on. You will need a code each time you sign in", "success")
            return redirect(url_for("auth.two_factor"))
    return render_template(
        "auth/two_factor.html",
        offered=offered,
        form=form,
        secret=user.totp_secret,
        uri=two_factor_service.provisioning_uri(user, issuer=current_app.config["SERVICE_NAME"]),
    )


@bp.route("/account/two-factor/turn-off", methods=["GET", "POST"])
@signed_in
@commits
def disable_two_factor():
    if not g.user.two_factor_enabled:
        return redirect(url_for("auth.two_factor"))
    form = TurnOffTwoFactorForm()
    if form.validate_on_submit():
        try:
            two_factor_service.turn_off(db.session, user=g.user, code=form.code.data, now=utcnow())
        except DomainError as error:
            form.refuse(error)
            form.code.data = ""
        else:
            flash("Two-factor sign-in is off", "success")
            return redirect(url_for("auth.two_factor"))
    return render_template("auth/two_factor_off.html", form=form)


@bp.route("/p/<partnership_slug>/pqa/users/<int:user_id>/two-factor/reset", methods=["GET", "POST"])
@partnership_role(Role.PQA_ADMIN)
@commits
def reset_two_factor(partnership, user_id):
    """A PQA administrator turns off someone's two-factor sign-in (a lost phone)."""
    try:
        person = get_partnership_user(db.session, partnership, user_id)
    except NotFound:
        abort(404)
    form = ResetTwoFactorForm()
    problem = None
    if form.validate_on_submit():
        try:
            two_factor_service.reset_two_factor(
                db.session, user=person, partnership=partnership, by=g.user
            )
        except DomainError as error:
            db.session.rollback()
            problem = error.message
        else:
            flash(f"Two-factor sign-in has been reset for {person.name}", "success")
            return redirect(
                url_for("pqa.user_detail", partnership_slug=partnership.slug, user_id=person.id)
            )
    return render_template(
        "auth/reset_two_factor.html",
        partnership=partnership,
        person=person,
        form=form,
        problems=[problem] if problem else [],
    )


@bp.route("/session/keep-alive")
@signed_in
def keep_alive():
    """Called by the timeout warning's "Stay signed in" button: the request itself
    refreshes the idle timer."""
    return "", 204
