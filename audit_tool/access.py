"""Who may do what. Every view carries one access decision; anything else is refused.

- `public` views need no sign-in (an explicit allowlist, checked in `before_request`).
- `signed_in` views need any signed-in user.
- `partnership_role(...)` views live under /p/<slug>/ and need one of the given roles
  in that partnership (a system admin counts as a PQA administrator everywhere).

Object-level questions ("may this user act for this agency?") are predicates here too,
so views and templates ask the same function.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, current_app, g, redirect, request, url_for

from .db import db
from .models import Agency, Partnership, Role, User
from .services import NotFound
from .services.partnerships import get_partnership_by_slug
from .services.users import led_agency_ids, roles_in

PUBLIC = "public"
SIGNED_IN = "signed_in"
SYSTEM_ADMIN = "system_admin"

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
    if g.user is None:
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
