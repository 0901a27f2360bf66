"""Every endpoint has an access decision, and the app enforces it for every role.

Adding a route without listing it here fails `test_every_endpoint_is_listed`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from audit_tool.models import ActionSource, AuditEvent, Membership, Role
from audit_tool.services import api_tokens
from audit_tool.services.actions import create_action

from .factories import PASSWORD

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
}


# Actors, in the order they make their requests (system admin last: its allowed POSTs
# change the target user).
ACTORS = ["anonymous", "police_lead", "panel", "other_pqa", "pqa", "system_admin"]
ACTOR_ROLES = {
    "anonymous": None,
    "police_lead": {Role.AGENCY_LEAD},
    "panel": {Role.PANEL_MEMBER},
    "other_pqa": set(),  # PQA, but of the other partnership
    "pqa": {Role.PQA_ADMIN},
    "system_admin": {Role.PQA_ADMIN},  # a system admin acts as PQA everywhere
}


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


def _writes(session) -> tuple[int, int]:
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(AuditEvent)),
        session.scalar(select(func.count()).select_from(Membership)),
    )


@pytest.fixture
def target(make, world):
    """The user and agency that POSTs act on, so actors never change each other."""
    return make.user(world.partnership, Role.AGENCY_LEAD, world.health, name="Target Person")


@pytest.fixture
def police_return(make, world, session):
    """The police lead's own return, with an answer, an evidence item and an action, so
    agency pages are reached as their rightful user (other agencies get 404: see the
    journey tests and test_actions)."""
    from audit_tool.services import assessments as svc
    from audit_tool.services import evidence_items

    cycle = make.cycle(world.partnership)
    assessment = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    criterion = svc.load_return(session, assessment).standards[0].entries[0].criterion
    item = evidence_items.add_evidence_item(
        session,
        assessment=assessment,
        criterion=criterion,
        title="Policy",
        reference="Intranet",
        effective_on=None,
        review_on=None,
        by=world.police_lead,
    )
    action = create_action(
        session,
        partnership=world.partnership,
        agency=world.police,
        source=ActionSource.RETURN,
        description="Refresh safeguarding training",
        owner="Head of training",
        due_on=date.today() + timedelta(days=60),
        today=date.today(),
        by=world.pqa,
        assessment=assessment,
        criterion=criterion,
    )
    session.flush()
    return assessment, criterion, item, action


@pytest.fixture
def police_panel(world, session, police_return):
    """A panel with the police return on it, chaired by the panel member, with one
    challenge: panel pages are reached by a member of that panel."""
    from audit_tool.services import panels

    assessment, criterion, _, _ = police_return
    panel = panels.schedule_panel(
        session,
        cycle=assessment.cycle,
        held_on=date.today() + timedelta(days=7),
        starts_at="09:30",
        place="Room 1",
        chair=world.panel,
        members=[],
        assessments=[assessment],
        by=world.pqa,
        today=date.today(),
    )
    attendance = panel.attendances[0]
    challenge = panels.raise_challenge(
        session,
        attendance=attendance,
        question="Why?",
        criterion=criterion,
        standard=None,
        by=world.panel,
    )
    session.flush()
    return panel, attendance, challenge


@pytest.fixture
def api_token(world, session):
    """One of world.pqa's API tokens, for the revoke page."""
    token, _ = api_tokens.create_token(
        session, user=world.pqa, partnership=world.partnership, name="Power BI", by=world.pqa
    )
    return token


@pytest.fixture
def case_audit(make, world, session):
    """An open case-audit round with one case assigned to the police and health, a
    learning point and an open safeguarding concern: case pages are reached by the
    police lead, whose agency is on the case."""
    from audit_tool.models import LearningPoint, LearningTheme, SafeguardingConcern

    audit_round = make.case_round(world.partnership, [[world.police, world.health]])
    case = audit_round.cases[0]
    learning = LearningPoint(
        case=case, theme=LearningTheme.RECORDING, text="Record decisions", by_id=world.pqa.id
    )
    concern = SafeguardingConcern(
        partnership_id=world.partnership.id,
        case=case,
        description="Sibling not seen",
        follow_up_by="Head of service",
        due_on=date.today() + timedelta(days=2),
        raised_by_id=world.pqa.id,
    )
    session.add_all([learning, concern])
    session.flush()
    return audit_round, learning, concern


def _url_args(world, target, police_return, api_token, police_panel, case_audit):
    membership = target.memberships[0]
    assessment, criterion, item, action = police_return
    panel, attendance, challenge = police_panel
    audit_round, learning, concern = case_audit
    case = audit_round.cases[0]
    case_version = audit_round.template_version
    return {
        "partnership_slug": world.partnership.slug,
        "agency_id": world.health.id,
        "user_id": target.id,
        "membership_id": membership.id,
        "cycle_id": assessment.cycle_id,
        "version_id": assessment.cycle.framework_version_id,
        "assessment_id": assessment.id,
        "criterion_id": criterion.id,
        "item_id": item.id,
        "token_id": api_token.id,
        "action_id": action.id,
        "panel_id": panel.id,
        "attendance_id": attendance.id,
        "challenge_id": challenge.id,
        "round_id": audit_round.id,
        "case_id": case.id,
        "section_id": case_version.sections[0].id,
        "learning_id": learning.id,
        "concern_id": concern.id,
        "case_template_id": case_version.template_id,
        "case_version_id": case_version.id,
    }


def test_route_access_matrix(
    app,
    world,
    target,
    police_return,
    api_token,
    police_panel,
    case_audit,
    make,
    client_for,
    session,
):
    admin = make.user(None, None, email="sysadmin@example.org", system_admin=True)
    people = {
        "police_lead": world.police_lead,
        "panel": world.panel,
        "other_pqa": world.other_pqa,
        "pqa": world.pqa,
        "system_admin": admin,
    }
    clients = {actor: client_for(people.get(actor)) for actor in ACTORS}
    tokens = {}
    for actor, client in clients.items():
        page = "/login" if actor == "anonymous" else "/account/password"
        tokens[actor] = client.csrf_token(page)

    args = _url_args(world, target, police_return, api_token, police_panel, case_audit)
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = rule.build({k: v for k, v in args.items() if k in rule.arguments})[1]
        decision = ACCESS[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for actor in ACTORS:
                if rule.endpoint == "auth.logout" and actor != "anonymous":
                    continue  # signing out is covered in test_sessions; it ends the client
                expected = _expected(decision, actor, rule.endpoint)
                before = _writes(session)
                if method == "GET":
                    response = clients[actor].get(url)
                else:
                    response = clients[actor].post(url, data={"csrf_token": tokens[actor]})
                got = _outcome(response)
                if got != expected:
                    failures.append(f"{method} {url} as {actor}: {got}, expected {expected}")
                if expected != "allowed" and _writes(session) != before:
                    failures.append(f"{method} {url} as {actor}: refused but data changed")
    assert failures == []


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
