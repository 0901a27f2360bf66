"""API tokens: made by a PQA administrator, shown once, stored hashed, revocable, and
good only while their holder could still see the figures in the browser."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from audit_tool.models import ApiToken, Role
from audit_tool.services import DomainError, NotFound
from audit_tool.services import api_tokens as svc
from audit_tool.services import users as user_service

from .conftest import audit_events, count_rows


def _tokens_page(world, tail=""):
    return f"/p/{world.partnership.slug}/pqa/api-tokens{tail}"


def _create(session, user, partnership, name="Power BI"):
    token, raw = svc.create_token(session, user=user, partnership=partnership, name=name, by=user)
    session.flush()
    return token, raw


def test_pqa_creates_a_token_shown_once_and_stored_hashed(pqa_client, world, session):
    response = pqa_client.submit(_tokens_page(world, "/new"), {"name": "  Power BI board  "})
    assert response.status_code == 200  # shown in this response: no redirect
    page = response.get_data(as_text=True)
    raw = re.search(r'id="api-token">([^<]+)<', page).group(1)
    assert raw.startswith("sat_")
    assert "It will not be shown again" in page
    assert f"Authorization: Bearer {raw}" in page

    session.expire_all()
    token = session.scalars(select(ApiToken).where(ApiToken.user_id == world.pqa.id)).one()
    assert token.name == "Power BI board"
    assert token.partnership_id == world.partnership.id
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in token.token_hash
    event = audit_events(session, "api_token_created")[-1]
    assert (event.actor_id, event.partnership_id, event.subject_id) == (
        world.pqa.id,
        world.partnership.id,
        token.id,
    )
    assert event.data == {"name": "Power BI board"}

    listing = pqa_client.get(_tokens_page(world)).get_data(as_text=True)
    assert "Power BI board" in listing
    assert "Active" in listing
    assert raw not in listing


def test_each_token_is_different(session, world):
    _, first = _create(session, world.pqa, world.partnership, "One")
    _, second = _create(session, world.pqa, world.partnership, "Two")
    assert first != second


def test_a_token_needs_a_name(pqa_client, world, session):
    before = count_rows(session, ApiToken)
    page = pqa_client.submit(_tokens_page(world, "/new"), {"name": "   "}).get_data(as_text=True)
    assert "Enter a name for the token" in page
    assert "Error:" in page
    assert count_rows(session, ApiToken) == before


def test_a_name_already_in_use_is_refused(pqa_client, world, session):
    _create(session, world.pqa, world.partnership, "Power BI")
    page = pqa_client.submit(_tokens_page(world, "/new"), {"name": "Power BI"}).get_data(
        as_text=True
    )
    assert "You already have a token with this name" in page
    assert count_rows(session, ApiToken) == 1


def test_only_pqa_administrators_can_have_tokens(session, world):
    with pytest.raises(DomainError, match="Only PQA administrators"):
        svc.create_token(
            session,
            user=world.police_lead,
            partnership=world.partnership,
            name="Sneaky",
            by=world.police_lead,
        )


def test_the_list_shows_only_my_tokens_for_this_partnership(pqa_client, world, session, make):
    colleague = make.user(world.partnership, Role.PQA_ADMIN, name="Colleague")
    _create(session, world.pqa, world.partnership, "Mine")
    _create(session, colleague, world.partnership, "My colleague's")
    page = pqa_client.get(_tokens_page(world)).get_data(as_text=True)
    assert "Mine" in page
    assert "My colleague&#39;s" not in page


def test_the_navigation_links_to_the_tokens(pqa_client, world):
    soup = pqa_client.soup(f"/p/{world.partnership.slug}/pqa/")
    link = soup.select_one(f'.govuk-service-navigation a[href="{_tokens_page(world)}"]')
    assert link.get_text(strip=True) == "API tokens"


def test_revoking_a_token_stops_it_and_is_audited(pqa_client, world, session):
    token, raw = _create(session, world.pqa, world.partnership)
    assert (
        pqa_client.get("/api/v1/cycles", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 200
    )

    action = _tokens_page(world, f"/{token.id}/revoke")
    response = pqa_client.submit(_tokens_page(world), {}, action=action)
    assert response.status_code == 302
    page = pqa_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Power BI revoked" in page
    assert "Revoked" in page

    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is not None
    assert audit_events(session, "api_token_revoked")[-1].data == {"name": "Power BI"}
    assert (
        pqa_client.get("/api/v1/cycles", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 401
    )


def test_revoking_twice_records_it_once(session, world):
    token, _ = _create(session, world.pqa, world.partnership)
    svc.revoke_token(session, token=token, by=world.pqa)
    first = token.revoked_at
    svc.revoke_token(session, token=token, by=world.pqa)
    assert token.revoked_at == first
    assert len(audit_events(session, "api_token_revoked")) == 1


def test_nobody_can_revoke_someone_elses_token(pqa_client, world, session, make):
    colleague = make.user(world.partnership, Role.PQA_ADMIN, name="Colleague")
    token, _ = _create(session, colleague, world.partnership)
    token_csrf = pqa_client.csrf_token(_tokens_page(world, "/new"))
    response = pqa_client.post(
        _tokens_page(world, f"/{token.id}/revoke"), data={"csrf_token": token_csrf}
    )
    assert response.status_code == 404
    session.expire_all()
    assert session.get(ApiToken, token.id).active
    with pytest.raises(NotFound):
        svc.get_token(session, user=world.pqa, partnership=world.partnership, token_id=token.id)


def test_revoking_needs_the_csrf_token(pqa_client, world, session):
    token, _ = _create(session, world.pqa, world.partnership)
    response = pqa_client.post(_tokens_page(world, f"/{token.id}/revoke"), data={})
    assert response.status_code == 400
    session.expire_all()
    assert session.get(ApiToken, token.id).active


# Authenticating a token -----------------------------------------------------------


def test_a_good_token_authenticates(session, world):
    token, raw = _create(session, world.pqa, world.partnership)
    assert svc.authenticate_token(session, raw) is token


@pytest.mark.parametrize(
    "raw",
    ["", "sat_", "sat_not-a-real-token", "Bearer sat_x", "not-even-the-prefix"],
)
def test_an_unknown_token_does_not(session, world, raw):
    _create(session, world.pqa, world.partnership)
    assert svc.authenticate_token(session, raw) is None


def test_a_revoked_token_does_not(session, world):
    token, raw = _create(session, world.pqa, world.partnership)
    svc.revoke_token(session, token=token, by=world.pqa)
    assert svc.authenticate_token(session, raw) is None


def test_a_deactivated_holders_token_does_not(session, world):
    _, raw = _create(session, world.pqa, world.partnership)
    user_service.deactivate_user(
        session, user=world.pqa, partnership=world.partnership, by=world.other_pqa
    )
    session.flush()
    assert svc.authenticate_token(session, raw) is None


def test_a_token_stops_when_its_holder_is_no_longer_pqa(session, world, make):
    colleague = make.user(world.partnership, Role.PQA_ADMIN, name="Colleague")
    _, raw = _create(session, world.pqa, world.partnership)
    pqa_role = next(m for m in world.pqa.memberships if m.role is Role.PQA_ADMIN)
    user_service.revoke_role(
        session,
        user=world.pqa,
        partnership=world.partnership,
        membership_id=pqa_role.id,
        by=colleague,
    )
    session.flush()
    assert svc.authenticate_token(session, raw) is None


def test_a_system_administrators_token_works_in_any_partnership(session, world, make):
    admin = make.user(None, None, email="root@example.org", system_admin=True)
    token, raw = _create(session, admin, world.other_partnership)
    assert svc.authenticate_token(session, raw) is token
