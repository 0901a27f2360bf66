"""PQA: the case-audit template library, read-only (templates arrive by import, see
`case_templates/cli.py`)."""

from __future__ import annotations

from flask import abort, render_template

from ... import clock
from ...case_grading import Grade, YesPartlyNo
from ...case_templates import library
from ...case_templates.format import REFLECTION_PROMPTS
from ...db import db
from ...services import NotFound
from .views import bp, pqa_only


@bp.route("/case-templates")
@pqa_only
def case_templates(partnership):
    rows = library.LIBRARY.listing(db.session, partnership)
    return render_template("case_templates/index.html", partnership=partnership, rows=rows)


@bp.route("/case-templates/versions/<int:case_version_id>")
@pqa_only
def case_template_version(partnership, case_version_id):
    try:
        version = library.get_version(db.session, partnership, case_version_id)
    except NotFound:
        abort(404)
    return render_template(
        "case_templates/version.html",
        partnership=partnership,
        version=version,
        template=version.template,
        is_latest=version is library.latest_published(version.template),
        grades=list(Grade),
        answers=list(YesPartlyNo),
        reflection_prompts=[label for _, label in REFLECTION_PROMPTS],
        example_year=clock.today().year,
    )
