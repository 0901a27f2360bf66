"""The signed-in user for each request.

The cookie holds a random token and the time of the last request; the server holds the
session row. Logout or deactivation ends the row, so a replayed cookie is refused. The
idle timeout is checked against the cookie's last-request time; the absolute timeout
against when the row was created. Neither check writes to the database, so reading a
page never writes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, g, request, session

from ..db import db
from ..models import User, utcnow
from ..services.authentication import load_login_session, start_login_session

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
        return
    login = load_login_session(
        db.session,
        token=token,
        absolute_timeout=current_app.config["SESSION_ABSOLUTE_TIMEOUT"],
        now=now,
    )
    if login is None:
        session.clear()
        return
    g.user = login.user
    g.login_session = login
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
