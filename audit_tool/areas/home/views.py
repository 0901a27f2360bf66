from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from ...access import partnership_role, signed_in
from ...db import db
from ...models import Role
from ...services.partnerships import partnerships_for_user
from ...services.users import roles_in

bp = Blueprint("home", __name__)

# Where each role starts, most far-reaching first: someone who is both PQA and a
# panel member lands on the partnership overview.
_START_PAGES = [
    (Role.PQA_ADMIN, "pqa.home"),
    (Role.PANEL_MEMBER, "panel.home"),
    (Role.AGENCY_LEAD, "agency.home"),
]


@bp.route("/")
@signed_in
def index():
    partnerships = partnerships_for_user(db.session, g.user)
    if len(partnerships) == 1:
        return redirect(url_for("home.partnership", partnership_slug=partnerships[0].slug))
    return render_template("home/choose_partnership.html", partnerships=partnerships)


@bp.route("/p/<partnership_slug>/")
@partnership_role(*Role)
def partnership(partnership):
    roles = roles_in(g.user, partnership)
    endpoint = next(endpoint for role, endpoint in _START_PAGES if role in roles)
    return redirect(url_for(endpoint, partnership_slug=partnership.slug))
