from __future__ import annotations

import re

from audit_tool.models import LoginSession, Membership, Role, User

from .conftest import audit_events, count_rows


def _users(world, tail=""):
    return f"/p/{world.partnership.slug}/pqa/users{tail}"


def test_pqa_creates_an_agency_lead_with_a_password_shown_once(pqa_client, world, session, app):
    response = pqa_client.submit(
        _users(world, "/new"),
        {
            "name": "Sam Schools",
            "email": "Sam.Schools@Example.org",
            "role": "agency_lead",
            "agency": str(world.health.id),
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    password = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    assert "It will not be shown again" in page
    session.expire_all()
    person = session.query(User).filter_by(email="sam.schools@example.org").one()
    assert person.password_change_required
    assert password not in (person.password_hash or "")
    membership = session.query(Membership).filter_by(user_id=person.id).one()
    assert (membership.role, membership.agency_id) == (Role.AGENCY_LEAD, world.health.id)
    assert audit_events(session, "user_created")[-1].data["email"] == "sam.schools@example.org"
    # The new person can sign in with it, and must choose their own password.
    newcomer = app.test_client()
    newcomer.sign_in("sam.schools@example.org", password)
    assert newcomer.get("/").headers["Location"] == "/account/password"


def test_agency_lead_needs_an_agency(pqa_client, world, session):
    before = count_rows(session, User)
    page = pqa_client.submit(
        _users(world, "/new"),
        {"name": "No Agency", "email": "na@example.org", "role": "agency_lead", "agency": ""},
    ).get_data(as_text=True)
    assert "Select the agency this person leads for" in page
    assert count_rows(session, User) == before


def test_an_agency_of_another_partnership_cannot_be_chosen(pqa_client, world, session):
    before = count_rows(session, User)
    response = pqa_client.submit(
        _users(world, "/new"),
        {
            "name": "Sneaky",
            "email": "sneaky@example.org",
            "role": "agency_lead",
            "agency": str(world.other_agency.id),
        },
    )
    assert "Error:" in response.get_data(as_text=True)
    assert count_rows(session, User) == before


def test_existing_email_is_refused_and_nothing_half_saved(pqa_client, world, session):
    before = (count_rows(session, User), count_rows(session, Membership))
    page = pqa_client.submit(
        _users(world, "/new"),
        {"name": "Dup", "email": world.panel.email.upper(), "role": "panel_member", "agency": ""},
    ).get_data(as_text=True)
    assert "An account with this email address already exists" in page
    assert (count_rows(session, User), count_rows(session, Membership)) == before


def test_bad_email_gets_the_design_system_message(pqa_client, world):
    page = pqa_client.submit(
        _users(world, "/new"),
        {"name": "X", "email": "not-an-email", "role": "panel_member", "agency": ""},
    ).get_data(as_text=True)
    assert "Enter an email address in the correct format, like name@example.org" in page


def test_add_and_remove_a_role(pqa_client, world, session):
    detail = _users(world, f"/{world.panel.id}")
    response = pqa_client.submit(
        f"{detail}/roles/new", {"role": "agency_lead", "agency": str(world.police.id)}
    )
    assert response.status_code == 302
    session.expire_all()
    added = session.query(Membership).filter_by(user_id=world.panel.id, role=Role.AGENCY_LEAD)
    added_id = added.one().id
    response = pqa_client.submit(detail, {}, action=f"{detail}/roles/{added_id}/remove")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Membership, added_id) is None
    assert audit_events(session, "role_revoked")[-1].data["role"] == "agency_lead"


def test_pqa_cannot_remove_their_own_pqa_role(pqa_client, world, session):
    membership = session.query(Membership).filter_by(user_id=world.pqa.id).one()
    detail = _users(world, f"/{world.pqa.id}")
    page = pqa_client.submit(detail, {}, action=f"{detail}/roles/{membership.id}/remove").get_data(
        as_text=True
    )
    assert "You cannot remove your own PQA administrator role" in page
    session.expire_all()
    assert session.get(Membership, membership.id) is not None


def test_pqa_cannot_deactivate_themselves(pqa_client, world, session):
    detail = _users(world, f"/{world.pqa.id}")
    page = pqa_client.submit(detail, {}, action=f"{detail}/deactivate").get_data(as_text=True)
    assert "You cannot deactivate your own account" in page
    session.expire_all()
    assert session.get(User, world.pqa.id).active


def test_deactivate_and_reactivate(pqa_client, world, session):
    detail = _users(world, f"/{world.panel.id}")
    pqa_client.submit(detail, {}, action=f"{detail}/deactivate")
    session.expire_all()
    assert not session.get(User, world.panel.id).active
    assert audit_events(session, "user_deactivated")[-1].data["email"] == world.panel.email
    pqa_client.submit(detail, {}, action=f"{detail}/reactivate")
    session.expire_all()
    assert session.get(User, world.panel.id).active


def test_people_in_two_partnerships_are_not_deactivated_by_one(pqa_client, world, session, make):
    from audit_tool.services.users import grant_role

    grant_role(
        session,
        user=world.panel,
        partnership=world.other_partnership,
        role=Role.PANEL_MEMBER,
        agency=None,
        by=None,
    )
    session.flush()
    detail = _users(world, f"/{world.panel.id}")
    page = pqa_client.submit(detail, {}, action=f"{detail}/deactivate").get_data(as_text=True)
    assert "also works in another partnership" in page
    session.expire_all()
    assert session.get(User, world.panel.id).active


def test_reset_password_ends_sessions_and_shows_a_new_password(
    pqa_client, panel_client, world, session
):
    detail = _users(world, f"/{world.panel.id}")
    page = pqa_client.submit(detail, {}, action=f"{detail}/reset-password").get_data(as_text=True)
    assert "Password reset" in page and 'id="temporary-password"' in page
    session.expire_all()
    live = session.query(LoginSession).filter_by(user_id=world.panel.id, ended_at=None).count()
    assert live == 0
    assert panel_client.get(f"/p/{world.partnership.slug}/panel/").status_code == 302


def test_change_details_is_audited(pqa_client, world, session):
    url = _users(world, f"/{world.panel.id}/details")
    response = pqa_client.submit(url, {"name": "Pam Renamed", "email": world.panel.email})
    assert response.status_code == 302
    event = audit_events(session, "user_updated")[-1]
    assert event.data["after"]["name"] == "Pam Renamed"


def test_settings_are_saved_and_audited(pqa_client, world, session):
    url = f"/p/{world.partnership.slug}/pqa/settings"
    response = pqa_client.submit(
        url, {"name": "Renamed Partnership", "contact_email": "unit@example.org"}
    )
    assert response.status_code == 302
    assert "Renamed Partnership" in pqa_client.get(url).get_data(as_text=True)
    assert audit_events(session, "partnership_updated")[-1].data["after"]["name"] == (
        "Renamed Partnership"
    )


def test_audit_trail_page_lists_changes_newest_first(pqa_client, world):
    pqa_client.submit(
        f"/p/{world.partnership.slug}/pqa/agencies/new", {"name": "Newest", "sector": "other"}
    )
    page = pqa_client.get(f"/p/{world.partnership.slug}/pqa/audit-trail").get_data(as_text=True)
    assert page.index("Agency created") < page.index("Role granted")
    assert "Pat Pqa" in page
