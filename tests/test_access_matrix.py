"""Every endpoint has an access decision, and the app enforces it for every role.

Adding a route without listing it here fails `test_every_endpoint_is_listed`.

Every route is then requested (GET and POST) as every role with the police's own
objects, with the health trust's and with another partnership's. A refused request must
leave every table and the upload folder exactly as they were, and no response may be
cached.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from audit_tool.models import Role, User

from .factories import PASSWORD
from .fingerprint import Fingerprinter, changed_tables, folder_listing

PUBLIC = "public"
SIGNED_IN = "signed in"
SYSTEM_ADMIN = "system admin"
API = "api"  # a token or a signed-in PQA administrator; 401 (not a redirect) when signed out
PQA = frozenset({Role.PQA_ADMIN})
LEAD = frozenset({Role.AGENCY_LEAD})
PANEL = frozenset({Role.PANEL_MEMBER})
ANY_ROLE = frozenset(Role)

ACCESS = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "auth.keep_alive": SIGNED_IN,
    # Sign-in protection.
    "auth.two_factor_code": PUBLIC,  # the second sign-in step: before anyone is signed in
    "auth.two_factor": SIGNED_IN,  # offered to PQA and system admins; others see why not
    "auth.disable_two_factor": SIGNED_IN,
    "auth.reset_two_factor": PQA,
    "home.index": SIGNED_IN,
    "home.partnership": ANY_ROLE,
    "agency.home": LEAD,
    "panel.home": PANEL,
    "pqa.home": PQA,
    "pqa.agencies": PQA,
    "pqa.new_agency": PQA,
    "pqa.edit_agency": PQA,
    "pqa.archive_agency": PQA,
    "pqa.restore_agency": PQA,
    "pqa.users": PQA,
    "pqa.new_user": PQA,
    "pqa.user_detail": PQA,
    "pqa.edit_user_details": PQA,
    "pqa.add_role": PQA,
    "pqa.remove_role": PQA,
    "pqa.deactivate_user": PQA,
    "pqa.reactivate_user": PQA,
    "pqa.reset_password": PQA,
    "pqa.audit_trail": PQA,
    "pqa.settings": PQA,
    "admin.partnerships": SYSTEM_ADMIN,
    # Section 11 returns: the agency's pages, and PQA's cycles and tracker.
    "agency.task_list": LEAD,
    "agency.criterion": LEAD,
    "agency.add_evidence": LEAD,
    "agency.remove_evidence": LEAD,
    "agency.download_evidence": LEAD,
    "agency.check_answers": LEAD,
    "agency.submitted": LEAD,
    "pqa.cycles": PQA,
    "pqa.new_cycle": PQA,
    "pqa.cycle": PQA,
    "pqa.open_cycle": PQA,
    "pqa.close_cycle": PQA,
    "pqa.view_return": PQA,
    "pqa.reopen_return": PQA,
    "pqa.download_evidence": PQA,
    # Scores, flags and the heat map.
    "agency.scorecard": LEAD,
    "pqa.dashboard": PQA,
    "pqa.flags": PQA,
    "pqa.criteria": PQA,
    "panel.dashboard": PANEL,
    "panel.flags": PANEL,
    "panel.criteria": PANEL,
    "panel.view_return": PANEL,
    "panel.download_evidence": PANEL,
    # Challenge panels.
    "pqa.panels": PQA,
    "pqa.schedule_panel": PQA,
    "pqa.panel": PQA,
    "pqa.panel_attendance": PQA,
    "pqa.pack": PQA,
    "pqa.reopen_panel": PQA,
    "pqa.moderation": PQA,
    "panel.panel": PANEL,
    "panel.start_panel": PANEL,
    "panel.sign_off": PANEL,
    "panel.attendance": PANEL,
    "panel.pack": PANEL,
    "panel.raise_challenge": PANEL,
    "panel.resolve_challenge": PANEL,
    "panel.moderate": PANEL,
    "panel.record_outcome": PANEL,
    "panel.agree_action": PANEL,
    "panel.close_action": PANEL,
    "agency.panels": LEAD,
    "agency.answer_challenge": LEAD,
    "agency.feedback": LEAD,
    "agency.feedback_letter": LEAD,
    # The framework library.
    "frameworks.index": PQA,
    "frameworks.version": PQA,
    "frameworks.edit_criterion": PQA,
    "frameworks.new_version": PQA,
    "frameworks.publish": PQA,
    # API tokens, and the read-only JSON API they open.
    "pqa.api_tokens": PQA,
    "pqa.new_api_token": PQA,
    "pqa.revoke_api_token": PQA,
    "api.openapi": PUBLIC,
    "api.cycles": API,
    "api.scores": API,
    "api.flags": API,
    # The action tracker.
    "pqa.actions": PQA,
    "pqa.action": PQA,
    "pqa.close_action": PQA,
    "agency.actions": LEAD,
    "agency.action": LEAD,
    "agency.update_action": LEAD,
    # Case-audit templates.
    "pqa.case_templates": PQA,
    "pqa.case_template_version": PQA,
    # Case audits: agency returns.
    "agency.case_audits": LEAD,
    "agency.case_audit": LEAD,
    "agency.case_section": LEAD,
    "agency.case_check_answers": LEAD,
    "agency.case_submitted": LEAD,
    # Case audits: rounds, cases and moderation.
    "pqa.new_case_round": PQA,
    "pqa.edit_case_round": PQA,
    "pqa.open_case_round": PQA,
    "pqa.close_case_round": PQA,
    "pqa.reopen_case_round": PQA,
    "pqa.add_case": PQA,
    "pqa.edit_case": PQA,
    "pqa.remove_case": PQA,
    "pqa.reopen_case_return": PQA,
    "pqa.case_rounds": PQA,
    "pqa.case_round": PQA,
    "pqa.case_moderation": PQA,
    "pqa.case_judgement": PQA,
    "pqa.case_overall": PQA,
    "pqa.add_learning": PQA,
    "pqa.remove_learning": PQA,
    "pqa.case_action": PQA,
    "pqa.raise_concern": PQA,
    "pqa.close_concern": PQA,
    "panel.case_rounds": PANEL,
    "panel.case_round": PANEL,
    "panel.case_moderation": PANEL,
    "panel.case_judgement": PANEL,
    "panel.case_overall": PANEL,
    "panel.add_learning": PANEL,
    "panel.remove_learning": PANEL,
    "panel.case_action": PANEL,
    "panel.raise_concern": PANEL,
    "panel.close_concern": PANEL,
    # Case audits: analysis and reports.
    "pqa.case_round_analysis": PQA,
    "pqa.case_round_report": PQA,
    "panel.case_round_analysis": PANEL,
    "panel.case_round_report": PANEL,
    # Workbooks and exports.
    "pqa.cycle_workbook": PQA,
    "agency.return_workbook": LEAD,
    "pqa.actions_csv": PQA,
    "pqa.cycle_returns_csv": PQA,
    "pqa.dashboard_csv": PQA,
    "pqa.flags_csv": PQA,
    "pqa.case_round_workbook": PQA,
    "pqa.case_round_analysis_csv": PQA,
    "panel.dashboard_csv": PANEL,
    "panel.flags_csv": PANEL,
    "panel.case_round_workbook": PANEL,
    "panel.case_round_analysis_csv": PANEL,
}


# Actors, in the order they make their requests.
ACTORS = ["anonymous", "police_lead", "panel", "other_pqa", "pqa", "system_admin"]
ACTOR_ROLES = {
    "anonymous": None,
    "police_lead": {Role.AGENCY_LEAD},
    "panel": {Role.PANEL_MEMBER},
    "other_pqa": set(),  # PQA, but of the other partnership
    "pqa": {Role.PQA_ADMIN},
    "system_admin": {Role.PQA_ADMIN},  # a system admin acts as PQA everywhere
}
# The passes with someone else's objects leave out the signed-out visitor and the other
# partnership's PQA: the role check refuses them before any object is loaded, which
# the pass with the police's own objects already proves.
OBJECT_ACTORS = ["police_lead", "panel", "pqa", "system_admin"]


def test_every_endpoint_is_listed(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - ACCESS.keys() == set(), "endpoints with no access decision listed"
    assert ACCESS.keys() - endpoints == set(), "listed endpoints that no longer exist"


def test_every_view_carries_an_access_decision(app):
    undecided = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "access_decision")
    ]
    assert undecided == []


def _expected(decision, actor: str, endpoint: str) -> str:
    """'allowed', 'login' (sent to sign in) or 'forbidden'."""
    if decision == PUBLIC:
        return "allowed"
    if actor == "anonymous":
        return "login"
    if decision == SIGNED_IN:
        return "allowed"
    if decision == SYSTEM_ADMIN:
        return "allowed" if actor == "system_admin" else "forbidden"
    if decision == API:
        # Any PQA administrator gets through; another partnership's cycles are then a
        # 404 (tested in test_api), which this matrix counts as past the access check.
        return "allowed" if actor in ("pqa", "other_pqa", "system_admin") else "forbidden"
    roles = ACTOR_ROLES[actor]
    if actor == "system_admin" and endpoint.startswith(("agency.", "panel.")):
        roles = set()
    return "allowed" if roles & decision else "forbidden"


def _outcome(response) -> str:
    if response.status_code == 302 and "/login" in response.headers["Location"]:
        return "login"
    if response.status_code == 401:  # the API's answer to a caller who is not signed in
        return "login"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code >= 500:
        return "server error"  # never an acceptable answer, allowed or not
    return "allowed"


def _refused(response) -> bool:
    """Turned away: not signed in, forbidden, or no such object (never a redirect to a
    page that shows or saves something)."""
    return response.status_code in (401, 403, 404) or _outcome(response) == "login"


# Someone else's objects --------------------------------------------------------------
#
# Each pass builds a full set of objects (one for every URL argument) with the factories:
# the police's own, the health trust's in the same partnership, and another
# partnership's. The other sets are then put into the URLs, all together and (where a
# URL names several objects) one at a time, so a child object is also tried under a
# parent it does not belong to.

# A panel the panel member does not sit on, and what belongs to it.
OTHER_PANELS_OBJECTS = frozenset({"panel_id", "attendance_id", "challenge_id", "action_id"})
# Pairs where the health trust's object does not belong to the police's: swapping one
# without the other names a child under the wrong parent, which nobody may reach.
PARENT_CHILD = frozenset(
    {
        ("assessment_id", "item_id"),
        ("panel_id", "attendance_id"),
        ("attendance_id", "challenge_id"),
        ("attendance_id", "action_id"),
        ("case_id", "learning_id"),
    }
)


@dataclass
class MatrixWorld:
    own: dict[str, object]  # URL arguments naming the police's own objects
    other_agency: dict[str, object]  # the same names, pointing at the health trust's
    other_partnership: dict[str, object]  # and at another partnership's
    people: dict[str, User | None]


def _section11_objects(make, *, cycle, agency, lead, chair, pqa, upload_folder) -> dict:
    """An agency's return with an uploaded evidence item, a panel it attends (chaired by
    `chair`) with a challenge and an agreed action."""
    from audit_tool.services import assessments as returns

    assessment = next(a for a in cycle.assessments if a.agency_id == agency.id)
    criterion = returns.load_return(make.session, assessment).standards[0].entries[0].criterion
    item = make.evidence_item(assessment, criterion, by=lead, upload_folder=upload_folder)
    panel = make.panel(cycle, chair=chair, assessments=[assessment], by=pqa)
    attendance = panel.attendances[0]
    challenge = make.challenge(attendance, criterion, by=chair)
    action = make.action(assessment, by=chair, criterion=criterion, attendance=attendance)
    return {
        "cycle_id": cycle.id,
        "version_id": cycle.framework_version_id,
        "assessment_id": assessment.id,
        "criterion_id": criterion.id,
        "item_id": item.id,
        "panel_id": panel.id,
        "attendance_id": attendance.id,
        "challenge_id": challenge.id,
        "action_id": action.id,
    }


def _case_objects(make, case, *, pqa) -> dict:
    audit_round = case.round
    version = audit_round.template_version
    return {
        "round_id": audit_round.id,
        "case_id": case.id,
        "section_id": version.sections[0].id,
        "learning_id": make.learning(case, by=pqa).id,
        "concern_id": make.concern(case, by=pqa).id,
        "case_template_id": version.template_id,
        "case_version_id": version.id,
    }


@pytest.fixture
def matrix_world(app, make, world) -> MatrixWorld:
    uploads = app.config["UPLOAD_FOLDER"]
    partnership, other = world.partnership, world.other_partnership

    # The police's own objects. POSTs about people act on a target user and agency, so
    # actors never change each other.
    target = make.user(partnership, Role.AGENCY_LEAD, world.health, name="Target Person")
    cycle = make.cycle(partnership)
    audit_round = make.case_round(
        partnership, [[world.police, world.health]], version=make.case_template(partnership)
    )
    own = {
        "partnership_slug": partnership.slug,
        "agency_id": world.health.id,
        "user_id": target.id,
        "membership_id": target.memberships[0].id,
        "token_id": make.api_token(world.pqa, partnership).id,
        **_section11_objects(
            make,
            cycle=cycle,
            agency=world.police,
            lead=world.police_lead,
            chair=world.panel,
            pqa=world.pqa,
            upload_folder=uploads,
        ),
        **_case_objects(make, audit_round.cases[0], pqa=world.pqa),
    }

    # The health trust's, in the same cycle and round: a panel the panel member is not
    # on, a case the police are not involved in, and another administrator's API token.
    colleague_pqa = make.user(partnership, Role.PQA_ADMIN, name="Colleague Pqa")
    health = _section11_objects(
        make,
        cycle=cycle,
        agency=world.health,
        lead=world.health_lead,
        chair=make.user(partnership, Role.PANEL_MEMBER, name="Other Chair"),
        pqa=world.pqa,
        upload_folder=uploads,
    )
    health_case = make.case(audit_round, [world.health])
    other_agency = {
        **own,
        **{key: health[key] for key in OTHER_PANELS_OBJECTS | {"assessment_id", "item_id"}},
        **{
            key: value
            for key, value in _case_objects(make, health_case, pqa=world.pqa).items()
            if key in ("case_id", "learning_id", "concern_id")
        },
        "token_id": make.api_token(colleague_pqa, partnership).id,
    }

    # Another partnership's, of every kind, including its own framework draft and its
    # own case template.
    draft = make.framework_draft(other, by=world.other_pqa)
    other_round = make.case_round(other, [[world.other_agency]], version=make.case_template(other))
    other_partnership = {
        "partnership_slug": partnership.slug,
        "agency_id": world.other_agency.id,
        "user_id": world.other_lead.id,
        "membership_id": world.other_lead.memberships[0].id,
        "token_id": make.api_token(world.other_pqa, other).id,
        **_section11_objects(
            make,
            cycle=make.cycle(other),
            agency=world.other_agency,
            lead=world.other_lead,
            chair=make.user(other, Role.PANEL_MEMBER, name="Other Partnership Chair"),
            pqa=world.other_pqa,
            upload_folder=uploads,
        ),
        **_case_objects(make, other_round.cases[0], pqa=world.other_pqa),
        "version_id": draft.id,
        "criterion_id": draft.standards[0].criteria[0].id,
    }
    make.session.flush()

    admin = make.user(None, None, email="sysadmin@example.org", system_admin=True)
    people = {
        "anonymous": None,
        "police_lead": world.police_lead,
        "panel": world.panel,
        "other_pqa": world.other_pqa,
        "pqa": world.pqa,
        "system_admin": admin,
    }
    assert own.keys() == other_agency.keys() == other_partnership.keys()
    return MatrixWorld(own, other_agency, other_partnership, people)


class Requester:
    """Makes each request as one actor inside a savepoint that is rolled back afterwards,
    so every request meets the same data, and says what a request changed."""

    def __init__(self, app, session, client_for, people) -> None:
        self.clients = {actor: client_for(person) for actor, person in people.items()}
        self.tokens = {
            actor: client.csrf_token("/login" if people[actor] is None else "/account/password")
            for actor, client in self.clients.items()
        }
        self.connection = session.connection()
        self.upload_folder = app.config["UPLOAD_FOLDER"]
        self.fingerprint = Fingerprinter(self.connection)
        self.baseline = self.fingerprint()

    def __call__(self, actor: str, method: str, url: str, *, check_unchanged) -> tuple:
        """The response, and the tables (and upload folder) it changed if
        `check_unchanged(response)` says it must have changed nothing."""
        files_before = folder_listing(self.upload_folder)
        savepoint = self.connection.begin_nested()
        try:
            client = self.clients[actor]
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": self.tokens[actor]})
            response.close()
            changed = []
            if check_unchanged(response):
                changed = changed_tables(self.baseline, self.fingerprint())
                if folder_listing(self.upload_folder) != files_before:
                    changed.append("(upload folder)")
        finally:
            savepoint.rollback()
        return response, changed


def _routes(app):
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def test_route_access_matrix(app, session, client_for, matrix_world):
    """Every route, as every role, with the police's own objects."""
    request = Requester(app, session, client_for, matrix_world.people)
    failures = []
    for rule, method in _routes(app):
        url = rule.build({k: v for k, v in matrix_world.own.items() if k in rule.arguments})[1]
        decision = ACCESS[rule.endpoint]
        for actor in ACTORS:
            if rule.endpoint == "auth.logout" and actor != "anonymous":
                continue  # signing out is covered in test_authentication; it ends the client
            expected = _expected(decision, actor, rule.endpoint)
            response, changed = request(
                actor,
                method,
                url,
                check_unchanged=lambda r, expected=expected: (
                    expected != "allowed" or r.status_code >= 400
                ),
            )
            got = _outcome(response)
            where = f"{method} {url} as {actor}"
            if got != expected:
                failures.append(f"{where}: {got}, expected {expected}")
            if changed:
                failures.append(f"{where}: refused but changed {changed}")
            if response.headers.get("Cache-Control") != "no-store":
                failures.append(f"{where}: may be cached ({response.headers.get('Cache-Control')})")
    assert failures == [], "\n".join(failures)


def _variants(rule, own: dict, other: dict) -> list[frozenset[str]]:
    """Which URL arguments to swap for the other objects: all of them, then each alone
    when the URL names more than one object."""
    swappable = frozenset(k for k in rule.arguments if own[k] != other[k])
    if not swappable:
        return []
    singles = [frozenset({k}) for k in sorted(swappable)] if len(swappable) > 1 else []
    return [swappable, *singles]


def _names_wrong_parent(swapped: frozenset[str], arguments) -> bool:
    return any(
        (parent in swapped) != (child in swapped)
        for parent, child in PARENT_CHILD
        if parent in arguments and child in arguments
    )


def _must_refuse_other_agency(actor: str, endpoint: str, swapped, arguments) -> bool:
    """Whether `actor` must be refused the health trust's objects (otherwise the request
    may succeed: PQA sees every agency, panel members every return and case)."""
    if actor == "police_lead" or _names_wrong_parent(swapped, arguments):
        return True
    if actor == "panel" and endpoint.startswith("panel."):
        return bool(swapped & OTHER_PANELS_OBJECTS)
    return "token_id" in swapped  # API tokens are personal, even to administrators


def _must_refuse_other_partnership(actor: str, endpoint: str, *_) -> bool:
    # The API's URLs name no partnership: a system admin administers every partnership
    # and may read any cycle there (a PQA administrator gets 404 for another's).
    return not (endpoint.startswith("api.") and actor == "system_admin")


def _check_other_objects(app, session, client_for, matrix_world, other, must_refuse):
    request = Requester(app, session, client_for, matrix_world.people)
    failures = []
    requests = 0
    for rule, method in _routes(app):
        for swapped in _variants(rule, matrix_world.own, other):
            values = {**matrix_world.own, **{k: other[k] for k in swapped}}
            url = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
            for actor in OBJECT_ACTORS:
                refuse = must_refuse(actor, rule.endpoint, swapped, rule.arguments)
                response, changed = request(
                    actor,
                    method,
                    url,
                    check_unchanged=lambda r, refuse=refuse: refuse or r.status_code >= 400,
                )
                requests += 1
                where = f"{method} {url} ({', '.join(sorted(swapped))} swapped) as {actor}"
                if response.status_code >= 500 or (refuse and not _refused(response)):
                    failures.append(f"{where}: {response.status_code}, expected 403 or 404")
                if changed:
                    failures.append(f"{where}: refused but changed {changed}")
    return failures, requests


def test_another_agencys_objects_are_refused_to_the_agency_lead(
    app, session, client_for, matrix_world
):
    failures, requests = _check_other_objects(
        app,
        session,
        client_for,
        matrix_world,
        matrix_world.other_agency,
        _must_refuse_other_agency,
    )
    assert failures == [], "\n".join(failures)
    assert requests > 300


def test_another_partnerships_objects_are_refused_to_everyone(
    app, session, client_for, matrix_world
):
    failures, requests = _check_other_objects(
        app,
        session,
        client_for,
        matrix_world,
        matrix_world.other_partnership,
        _must_refuse_other_partnership,
    )
    assert failures == [], "\n".join(failures)
    assert requests > 900


def test_signed_out_user_is_sent_to_sign_in_then_back(client, world):
    response = client.get(f"/p/{world.partnership.slug}/pqa/agencies")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    response = client.submit(login_url, {"email": world.pqa.email, "password": PASSWORD})
    assert response.headers["Location"] == f"/p/{world.partnership.slug}/pqa/agencies"


def test_forbidden_page_is_a_403_not_a_redirect(agency_client, world):
    response = agency_client.get(f"/p/{world.partnership.slug}/pqa/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)


def test_unknown_partnership_is_404(pqa_client):
    assert pqa_client.get("/p/no-such-partnership/pqa/").status_code == 404


def test_pqa_cannot_reach_another_partnerships_agency_or_user(pqa_client, world):
    slug = world.partnership.slug
    assert pqa_client.get(f"/p/{slug}/pqa/agencies/{world.other_agency.id}").status_code == 404
    assert pqa_client.get(f"/p/{slug}/pqa/users/{world.other_lead.id}").status_code == 404
    other = world.other_partnership.slug
    assert pqa_client.get(f"/p/{other}/pqa/").status_code == 403


def test_agency_lead_sees_only_their_own_agency(agency_client, world):
    page = agency_client.get(f"/p/{world.partnership.slug}/agency/").get_data(as_text=True)
    assert world.police.name in page
    assert world.health.name not in page
