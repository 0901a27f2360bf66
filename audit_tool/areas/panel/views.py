"""The challenge panel's area."""

from __future__ import annotations

from flask import Blueprint, render_template

from ...access import partnership_role
from ...models import Role

bp = Blueprint("panel", __name__, url_prefix="/p/<partnership_slug>/panel")


@bp.route("/")
@partnership_role(Role.PANEL_MEMBER)
def home(partnership):
    return render_template("panel/home.html", partnership=partnership)
