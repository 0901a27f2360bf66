from __future__ import annotations

from datetime import timedelta

from audit_tool.models import LoginSession, Role, User
from audit_tool.services.users import create_user, grant_role

from .conftest import audit_events
from .factories import PASSWORD


def test_sign_in_lands_on_the_role_home_page(client, world):
    client.sign_in(world.police_lead.email, PASSWORD)
    response = client.get("/", follow_redirects=True)
    assert response.request.path == f"/p/{world.partnership.slug}/agency/"
    assert "Your agency" in response.get_data(as_text=True)


def test_each_role_has_its_home(client_for, world):
    homes = {
        world.pqa: ("pqa", "Partnership overview"),
        world.panel: ("panel", "Challenge panel"),
        world.health_lead: ("agency", world.health.name),
    }
    for person, (area, text) in homes.items():
        response = client_for(person).get("/", follow_redirects=True)
        assert response.request.path == f"/p/{world.partnership.slug}/{area}/"
        assert text in response.get_data(as_text=True)


def test_wrong_password_gives_a_generic_error_and_is_counted(client, world, session):
    response = client.submit("/login", {"email": world.pqa.email, "password": "wrong"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Email address or password is incorrect" in page
    assert "<title>Error: Sign in" in page
    session.expire_all()
    assert session.get(User, world.pqa.id).failed_login_count == 1
    assert audit_events(session, "login_failed")[-1].data["email"] == world.pqa.email


def test_unknown_email_gives_the_same_error(client, world):
    response = client.submit("/login", {"email": "nobody@example.org", "password": "x"})
    assert "Email address or password is incorrect" in response.get_data(as_text=True)


def test_empty_sign_in_form_names_both_fields(client):
    page = client.submit("/login", {"email": "", "password": ""}).get_data(as_text=True)
    assert "Enter an email address" in page
    assert "Enter your password" in page
    assert 'href="#email"' in page  # the error summary links to the field


def test_deactivated_user_cannot_sign_in(client, world, session):
    world.police_lead.active = False
    session.flush()
    response = client.submit("/login", {"email": world.police_lead.email, "password": PASSWORD})
    assert "Email address or password is incorrect" in response.get_data(as_text=True)


def test_session_id_is_new_at_each_sign_in(client, world, session):
    client.sign_in(world.pqa.email, PASSWORD)
    first = client.get_cookie("audit_tool_session").value
    client.post("/logout", data={"csrf_token": client.csrf_token("/account/password")})
    client.sign_in(world.pqa.email, PASSWORD)
    second = client.get_cookie("audit_tool_session").value
    assert first != second
    session.expire_all()
    rows = session.query(LoginSession).filter_by(user_id=world.pqa.id).all()
    assert len(rows) == 2
    assert rows[0].ended_at is not None and rows[1].ended_at is None


def test_replayed_cookie_after_logout_is_refused(app, pqa_client, world):
    cookie = pqa_client.get_cookie("audit_tool_session").value
    pqa_client.post("/logout", data={"csrf_token": pqa_client.csrf_token("/account/password")})
    attacker = app.test_client()
    attacker.set_cookie("audit_tool_session", cookie)
    response = attacker.get(f"/p/{world.partnership.slug}/pqa/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_needs_a_post_with_csrf(pqa_client, world):
    assert pqa_client.get("/logout").status_code == 405
    assert pqa_client.post("/logout").status_code == 400
    assert pqa_client.get(f"/p/{world.partnership.slug}/pqa/").status_code == 200


def test_deactivation_ends_sessions_at_once(agency_client, pqa_client, world):
    slug = world.partnership.slug
    assert agency_client.get(f"/p/{slug}/agency/").status_code == 200
    response = pqa_client.submit(
        f"/p/{slug}/pqa/users/{world.police_lead.id}",
        {},
        action=f"/p/{slug}/pqa/users/{world.police_lead.id}/deactivate",
    )
    assert response.status_code == 302
    response = agency_client.get(f"/p/{slug}/agency/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_idle_timeout_signs_out_with_a_clear_message(app, agency_client, world):
    slug = world.partnership.slug
    with agency_client.session_transaction() as cookie_session:
        idle = app.config["SESSION_IDLE_TIMEOUT"] + timedelta(seconds=5)
        cookie_session["seen"] -= idle.total_seconds()
    response = agency_client.get(f"/p/{slug}/agency/")
    assert response.status_code == 302
    page = agency_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because you had not done anything for 30 minutes" in page


def test_absolute_timeout_ends_even_an_active_session(app, agency_client, world, session):
    login = session.query(LoginSession).filter_by(user_id=world.police_lead.id).one()
    login.created_at -= app.config["SESSION_ABSOLUTE_TIMEOUT"] + timedelta(minutes=1)
    session.flush()
    response = agency_client.get(f"/p/{world.partnership.slug}/agency/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_keep_alive_refreshes_the_idle_timer(app, agency_client):
    with agency_client.session_transaction() as cookie_session:
        cookie_session["seen"] -= 60
        stale = cookie_session["seen"]
    assert agency_client.get("/session/keep-alive").status_code == 204
    with agency_client.session_transaction() as cookie_session:
        assert cookie_session["seen"] > stale


def test_next_parameter_cannot_send_users_to_another_site(client, world):
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.submit(
            f"/login?next={target}", {"email": world.pqa.email, "password": PASSWORD}
        )
        assert response.headers["Location"] == "/"
        client.post("/logout", data={"csrf_token": client.csrf_token("/account/password")})


def test_temporary_password_must_be_changed_before_anything_else(client, world, session):
    person, temporary = create_user(
        session, email="new@example.org", name="New Person", by=None, partnership=world.partnership
    )
    grant_role(
        session,
        user=person,
        partnership=world.partnership,
        role=Role.PANEL_MEMBER,
        agency=None,
        by=None,
    )
    session.flush()
    client.sign_in("new@example.org", temporary)
    response = client.get(f"/p/{world.partnership.slug}/panel/")
    assert response.headers["Location"] == "/account/password"
    response = client.submit(
        "/account/password",
        {"current_password": temporary, "new_password": "short", "confirm_password": "short"},
    )
    assert "Password must be 12 characters or more" in response.get_data(as_text=True)
    new = "a much longer passphrase"
    response = client.submit(
        "/account/password",
        {"current_password": temporary, "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 302
    assert client.get(f"/p/{world.partnership.slug}/panel/").status_code == 200


def test_someone_in_two_partnerships_chooses_between_them(client_for, world, session):
    grant_role(
        session,
        user=world.panel,
        partnership=world.other_partnership,
        role=Role.PANEL_MEMBER,
        agency=None,
        by=None,
    )
    session.flush()
    client = client_for(world.panel)
    page = client.get("/").get_data(as_text=True)
    assert "Choose a partnership" in page
    assert world.partnership.name in page and world.other_partnership.name in page
    other = f"/p/{world.other_partnership.slug}/"
    assert client.get(other).headers["Location"] == f"{other}panel/"


def test_every_page_links_to_the_users_account_page(agency_client, world):
    soup = agency_client.soup(f"/p/{world.partnership.slug}/agency/")
    link = soup.select_one(".govuk-header a.app-header__account")
    assert link is not None and link["href"] == "/account/password"
    page = agency_client.soup(link["href"])
    assert page.h1.get_text(strip=True) == "Your account"
    assert world.police_lead.email in page.get_text()
