"""Who may do what. Every view carries one access decision; anything else is refused.

- `public` views need no sign-in (an explicit allowlist, checked in `before_request`).
- `signed_in` views need any signed-in user.
- `partnership_role(...)` views live under /p/<slug>/ and need one of the given roles
  in that partnership (a system admin counts as a PQA administrator everywhere).
- `api_reader` views are the JSON API's: an API token or a signed-in PQA administrator,
  refused with a 401 or 403 rather than sent to the sign-in page.

Object-level questions ("may this user act for this agency?") are predicates here too,
so views and templates ask the same function.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, current_app, g, redirect, request, url_for
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from .db import db
from .models import Agency, Partnership, Role, User
from .services import NotFound
from .services.api_tokens import authenticate_token
from .services.partnerships import get_partnership_by_slug, partnerships_for_user
from .services.users import led_agency_ids, roles_in
from .web.sessions import unsaved_form_page

PUBLIC = "public"
SIGNED_IN = "signed_in"
SYSTEM_ADMIN = "system_admin"
API = "api"

# Endpoints Flask itself registers, which cannot carry a decorator.
PUBLIC_ENDPOINTS = frozenset({"static"})


def _mark(view: Callable, decision: object) -> None:
    view.access_decision = decision  # type: ignore[attr-defined]


def public(view: Callable) -> Callable:
    _mark(view, PUBLIC)
    return view


def signed_in(view: Callable) -> Callable:
    _mark(view, SIGNED_IN)
    return view


def system_admin_only(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not g.user.is_system_admin:
            abort(403)
        return view(*args, **kwargs)

    _mark(wrapper, SYSTEM_ADMIN)
    return wrapper


def partnership_role(*roles: Role) -> Callable[[Callable], Callable]:
    """Load the partnership from the URL (404 if unknown), then authorise (403)."""
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, partnership_slug: str, **kwargs):
            try:
                partnership = get_partnership_by_slug(db.session, partnership_slug)
            except NotFound:
                abort(404)
            if not roles_in(g.user, partnership) & allowed:
                abort(403)
            g.partnership = partnership
            return view(*args, partnership=partnership, **kwargs)

        _mark(wrapper, allowed)
        return wrapper

    return decorator


def api_reader(view: Callable) -> Callable:
    """The JSON API's views. The caller is an API token (good for its own partnership) or
    a signed-in PQA administrator (good for every partnership they administer). The view
    is given those partnerships as `partnerships`, and answers 404 for anything outside
    them, so another partnership's cycles cannot even be seen to exist.

    Refusals are a 401 (no usable credentials, with a bearer challenge) or a 403 (signed
    in, but not a PQA administrator anywhere); the API answers both in JSON."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, partnerships=_api_partnerships(), **kwargs)

    _mark(wrapper, API)
    return wrapper


def _api_partnerships() -> list[Partnership]:
    header = request.headers.get("Authorization")
    if header is not None:
        # A token that does not work is refused even if a signed-in cookie came with it:
        # the caller asked to act as the token's holder, and must hear that it failed.
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            raise _unauthorised("Send the token as: Authorization: Bearer <token>")
        token = authenticate_token(db.session, raw.strip())
        if token is None:
            raise _unauthorised(
                "This API token is not valid. It may have been revoked, or its holder may "
                "no longer be a PQA administrator.",
                error="invalid_token",
            )
        return [token.partnership]
    if g.user is None:
        raise _unauthorised("Send an API token: Authorization: Bearer <token>")
    if g.user.password_change_required:
        abort(403, "Change your password before using the API")
    partnerships = [
        p for p in partnerships_for_user(db.session, g.user) if can_administer(g.user, p)
    ]
    if not partnerships:
        abort(403, "Only PQA administrators can use the API")
    return partnerships


def _unauthorised(message: str, *, error: str | None = None) -> Unauthorized:
    challenge = WWWAuthenticate("bearer", {"error": error} if error else None)
    return Unauthorized(message, www_authenticate=challenge)


def access_decision(endpoint: str | None) -> object | None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "access_decision", None)


def enforce_access():
    """before_request: deny by default. Views without a decision are refused outright."""
    decision = access_decision(request.endpoint)
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS or decision == PUBLIC:
        return None
    if decision is None:
        abort(403)
    if decision == API:
        # API views authenticate their callers themselves (see `api_reader`): a BI tool
        # cannot follow a redirect to the sign-in page, so it is answered 401 instead.
        return None
    if g.user is None:
        if request.method == "POST" and g.get("timed_out"):
            return unsaved_form_page()
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if g.user.password_change_required and request.endpoint not in (
        "auth.change_password",
        "auth.logout",
    ):
        return redirect(url_for("auth.change_password"))
    return None


# Object-level predicates -----------------------------------------------------------


def can_act_for_agency(user: User, partnership: Partnership, agency: Agency) -> bool:
    """Agency leads act only for the agencies they lead, in this partnership."""
    return agency.id in led_agency_ids(user, partnership)


def can_administer(user: User, partnership: Partnership) -> bool:
    return Role.PQA_ADMIN in roles_in(user, partnership)
