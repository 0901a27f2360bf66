"""The signed-in user for each request.

The cookie holds a random token and the time of the last request; the server holds the
session row. Logout or deactivation ends the row, so a replayed cookie is refused. The
idle timeout is checked against the cookie's last-request time; the absolute timeout
against when the row was created. Neither check writes to the database, so reading a
page never writes. Either timeout says so on the next page, and a form that arrives
after it is shown back to its sender rather than dropped (`unsaved_form_page`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, g, render_template, request, session, url_for

from ..db import db
from ..models import User, utcnow
from ..services.authentication import (
    load_login_session,
    session_ends_at,
    start_login_session,
)

TOKEN_KEY = "sid"  # noqa: S105 (the cookie key, not a secret)
SEEN_KEY = "seen"
KEEP_ALIVE_FREE_ENDPOINTS = frozenset({"static"})


def load_signed_in_user() -> None:
    g.user = None
    g.login_session = None
    if request.endpoint in KEEP_ALIVE_FREE_ENDPOINTS:
        return
    token = session.get(TOKEN_KEY)
    if not token:
        return
    now = utcnow()
    seen = session.get(SEEN_KEY)
    idle_limit = current_app.config["SESSION_IDLE_TIMEOUT"]
    if seen is None or now - datetime.fromtimestamp(seen, UTC) > idle_limit:
        session.clear()
        minutes = int(idle_limit.total_seconds() // 60)
        flash(
            f"You were signed out because you had not done anything for {minutes} minutes. "
            "Anything you saved has been kept."
        )
        g.timed_out = True
        return
    login = load_login_session(db.session, token=token)
    if login is None:
        session.clear()
        return
    absolute_limit = current_app.config["SESSION_ABSOLUTE_TIMEOUT"]
    ends_at = session_ends_at(login, absolute_timeout=absolute_limit)
    if now >= ends_at:
        session.clear()
        hours = int(absolute_limit.total_seconds() // 3600)
        flash(
            f"You were signed out because you signed in more than {hours} hours ago. "
            "Anything you saved has been kept."
        )
        g.timed_out = True
        return
    g.user = login.user
    g.login_session = login
    g.session_ends_in = ends_at - now
    session[SEEN_KEY] = now.timestamp()


def begin_session_for(user: User) -> None:
    """Sign the user in: a fresh cookie session (never reuse an earlier session id)."""
    token = start_login_session(db.session, user=user)
    session.clear()
    session.permanent = True
    session[TOKEN_KEY] = token
    session[SEEN_KEY] = utcnow().timestamp()


def end_browser_session() -> None:
    session.clear()


# Form fields that are not what the person typed, or that must never be shown back.
NOT_TYPED = frozenset({"csrf_token", "version", "then", "submit"})
SECRET_FIELD_WORDS = ("password", "code", "token")


def unsaved_form_page():
    """The answer to a form sent just after the idle timeout signed its sender out.

    Sending them to sign in would drop what they typed without a word. The form reached
    here only with the CSRF token of the session that timed out, so it came from that
    person's own page: show them back what they typed (escaped, never saved) to copy,
    with a way to sign in and return to the page."""
    typed = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in NOT_TYPED
        and not any(word in name.lower() for word in SECRET_FIELD_WORDS)
        and value.strip()
    ]
    page = render_template(
        "auth/unsaved_form.html",
        typed=typed,
        sign_in_url=url_for("auth.login", next=request.path),
    )
    return page, 401
