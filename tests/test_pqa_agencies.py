from __future__ import annotations

from audit_tool.models import Agency, PartnershipAgency, Sector

from .conftest import audit_events, count_rows


def _url(world, tail=""):
    return f"/p/{world.partnership.slug}/pqa/agencies{tail}"


def test_pqa_adds_an_agency_and_it_is_audited(pqa_client, world, session):
    response = pqa_client.submit(
        _url(world, "/new"), {"name": "  Demo Ambulance Service  ", "sector": "health"}
    )
    assert response.status_code == 302
    page = pqa_client.get(_url(world)).get_data(as_text=True)
    assert "Demo Ambulance Service added" in page
    session.expire_all()
    agency = session.query(Agency).filter_by(name="Demo Ambulance Service").one()
    assert agency.sector is Sector.HEALTH
    event = audit_events(session, "agency_created")[-1]
    assert event.actor_id == world.pqa.id
    assert event.data == {"name": "Demo Ambulance Service", "sector": "health"}


def test_missing_fields_get_gov_uk_errors_and_nothing_is_saved(pqa_client, world, session):
    before = count_rows(session, Agency)
    page = pqa_client.submit(_url(world, "/new"), {"name": ""}).get_data(as_text=True)
    assert "<title>Error: Add an agency" in page
    assert "Enter the agency name" in page
    assert "Select the agency&#39;s sector" in page
    assert count_rows(session, Agency) == before


def test_over_long_and_control_character_names_are_refused(pqa_client, world, session):
    before = count_rows(session, Agency)
    page = pqa_client.submit(_url(world, "/new"), {"name": "x" * 201, "sector": "police"}).get_data(
        as_text=True
    )
    assert "Agency name must be 200 characters or fewer" in page
    page = pqa_client.submit(
        _url(world, "/new"), {"name": "Bad\x00name\x1b", "sector": "police"}
    ).get_data(as_text=True)
    assert "Agency name must not include hidden control characters" in page
    assert count_rows(session, Agency) == before


def test_unknown_sector_is_refused(pqa_client, world, session):
    before = count_rows(session, Agency)
    page = pqa_client.submit(
        _url(world, "/new"), {"name": "Valid name", "sector": "aliens"}
    ).get_data(as_text=True)
    assert "Error:" in page
    assert count_rows(session, Agency) == before


def test_duplicate_name_in_the_partnership_is_refused(pqa_client, world):
    page = pqa_client.submit(
        _url(world, "/new"), {"name": "test police", "sector": "police"}
    ).get_data(as_text=True)
    assert "An agency with this name is already in the partnership" in page


def test_html_in_names_is_escaped_on_output(pqa_client, world):
    pqa_client.submit(_url(world, "/new"), {"name": "<script>alert(1)</script>", "sector": "other"})
    page = pqa_client.get(_url(world)).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_edit_records_before_and_after(pqa_client, world, session):
    response = pqa_client.submit(
        _url(world, f"/{world.police.id}"), {"name": "Test Constabulary", "sector": "police"}
    )
    assert response.status_code == 302
    event = audit_events(session, "agency_updated")[-1]
    assert event.data["before"]["name"] == "Test Police"
    assert event.data["after"]["name"] == "Test Constabulary"


def test_archive_keeps_the_agency_and_restore_brings_it_back(pqa_client, world, session):
    url = _url(world, f"/{world.police.id}")
    pqa_client.submit(url, {}, action=f"{url}/archive")
    session.expire_all()
    link = session.query(PartnershipAgency).filter_by(agency_id=world.police.id).one()
    assert link.archived_at is not None
    assert session.get(Agency, world.police.id) is not None
    assert "Archived" in pqa_client.get(_url(world)).get_data(as_text=True)
    pqa_client.submit(url, {}, action=f"{url}/restore")
    session.expire_all()
    assert session.get(PartnershipAgency, link.id).archived_at is None
    assert [e.event for e in audit_events(session, "agency_archived")] == ["agency_archived"]
    assert len(audit_events(session, "agency_restored")) == 1


def test_archive_without_csrf_changes_nothing(pqa_client, world, session):
    response = pqa_client.post(_url(world, f"/{world.police.id}/archive"))
    assert response.status_code == 400
    assert "Nothing was changed" in response.get_data(as_text=True)
    session.expire_all()
    link = session.query(PartnershipAgency).filter_by(agency_id=world.police.id).one()
    assert link.archived_at is None


def test_a_name_of_only_spaces_is_not_a_name(pqa_client, world, session):
    before = count_rows(session, Agency)
    page = pqa_client.submit(_url(world, "/new"), {"name": "   ", "sector": "police"})
    assert "Enter the agency name" in page.get_data(as_text=True)
    assert count_rows(session, Agency) == before
