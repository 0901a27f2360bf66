"""The agency safeguarding lead's area: their own agency's work, never another's."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from ...access import partnership_role
from ...db import db
from ...models import Role
from ...services.agencies import list_partnership_agencies
from ...services.assessments import agency_returns
from ...services.case_returns import agency_case_returns
from ...services.users import led_agency_ids

bp = Blueprint("agency", __name__, url_prefix="/p/<partnership_slug>/agency")

lead_only = partnership_role(Role.AGENCY_LEAD)


@bp.route("/")
@lead_only
def home(partnership):
    led = led_agency_ids(g.user, partnership)
    agencies = [
        link
        for link in list_partnership_agencies(db.session, partnership, include_archived=False)
        if link.agency_id in led
    ]
    returns = agency_returns(db.session, partnership, led)
    # Only cases still to be done belong on the home page; the case-audit list has the rest.
    cases_to_do = [row for row in agency_case_returns(db.session, partnership, led) if row.editable]
    return render_template(
        "agency/home.html",
        partnership=partnership,
        agencies=agencies,
        returns=returns,
        cases_to_do=cases_to_do,
    )


from . import actions as _actions  # noqa: E402,F401  (registers the action pages on this blueprint)
from . import case_audits as _case_audits  # noqa: E402,F401  (registers the case-audit pages)
from . import exports as _exports  # noqa: E402,F401  (registers the workbook download)
from . import panels as _panels  # noqa: E402,F401  (registers the panel pages on this blueprint)
from . import return_pages  # noqa: E402,F401  (registers the return pages on this blueprint)
