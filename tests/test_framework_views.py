"""The PQA framework pages: the library, a version, drafting, changing and publishing."""

from __future__ import annotations

import json

import pytest

from audit_tool.frameworks import library
from audit_tool.frameworks.format import parse_framework
from audit_tool.models import Criterion, FrameworkStatus, FrameworkVersion

from .conftest import audit_events
from .test_framework_format import valid


@pytest.fixture
def builtins(session):
    return library.load_builtin(session)


def _index(world):
    return f"/p/{world.partnership.slug}/pqa/frameworks/"


def _version(world, version):
    return f"/p/{world.partnership.slug}/pqa/frameworks/versions/{version.id}"


def _criterion(world, version, criterion):
    return f"{_version(world, version)}/criteria/{criterion.id}"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _draft_from(client, world, version) -> str:
    """Press "Create a new version" on `version`; the URL of the new draft."""
    response = client.submit(
        _version(world, version), {}, action=f"{_version(world, version)}/new-version"
    )
    assert response.status_code == 302
    return response.headers["Location"]


def test_library_lists_frameworks_with_their_versions(pqa_client, world, builtins):
    page = pqa_client.soup(_index(world))
    assert page.h1.get_text() == "Frameworks"
    text = page.get_text()
    assert "Section 11 arrangements (Working Together)" in text
    assert "Section 11 nine standards" in text
    assert [tag.get_text() for tag in page.select("main .govuk-tag")] == ["Published", "Published"]
    link = page.find("a", href=_version(world, builtins[0]))
    assert link.get_text(strip=True).startswith("Version 1")


def test_agency_leads_and_panel_members_cannot_see_the_library(
    agency_client, panel_client, world, builtins
):
    assert agency_client.get(_index(world)).status_code == 403
    assert panel_client.get(_version(world, builtins[0])).status_code == 403


def test_version_page_shows_the_scale_and_every_criterion(pqa_client, world, builtins):
    version = builtins[1]
    page = pqa_client.soup(_version(world, version))
    text = page.get_text()
    for level in version.levels:
        assert level.label in text and level.colour in text
    tags = [tag.get_text() for tag in page.select(".app-rating-tag")]
    assert tags == [level.label for level in version.levels]
    for standard in version.standards:
        assert standard.title in text
        for criterion in standard.criteria:
            card = page.find(id=f"criterion-{criterion.id}")
            assert criterion.title in card.get_text()
            assert criterion.key in card.get_text()
    # A published built-in cannot be changed, only copied into a new version.
    assert "Change" not in [a.get_text() for a in page.select(".govuk-summary-card__action a")]
    assert page.find("button", string="Create a new version")
    assert not page.find("button", string="Publish this version")


def test_sectors_are_shown_by_name(pqa_client, world, session):
    spec = parse_framework(json.dumps(valid()))
    version = library.import_framework(
        session, spec=spec, partnership=world.partnership, by=world.pqa
    )
    page = pqa_client.soup(_version(world, version))
    school = page.find(id=f"criterion-{version.standards[1].criteria[0].id}").get_text()
    assert "Education, Voluntary and community" in school
    assert (
        "Every agency"
        in page.find(id=f"criterion-{version.standards[0].criteria[0].id}").get_text()
    )


def test_create_change_and_publish_a_new_version(pqa_client, world, builtins, session):
    builtin = builtins[0]
    draft_url = _draft_from(pqa_client, world, builtin)
    page = pqa_client.soup(draft_url)
    assert "Version 2 created as a draft" in page.get_text()
    assert page.find("button", string="Publish this version")
    assert page.select_one("main .govuk-tag").get_text() == "Draft"
    change_links = page.select(".govuk-summary-card__action a")
    assert len(change_links) == sum(len(s.criteria) for s in builtin.standards)

    edit_url = change_links[0]["href"]
    response = pqa_client.submit(
        edit_url,
        {
            "title": "  Written accountability for safeguarding  ",
            "wording": "Changed wording.",
            "guidance": "",
            "essential": "no",
            "allow_na": "yes",
        },
    )
    assert response.status_code == 302
    page = pqa_client.soup(response.headers["Location"])
    assert "Criterion 1.1 saved" in page.get_text()
    assert "Written accountability for safeguarding" in page.get_text()
    event = audit_events(session, "criterion_edited")[-1]
    assert event.actor_id == world.pqa.id and event.partnership_id == world.partnership.id
    assert event.data["after"]["essential"] is False

    response = pqa_client.submit(draft_url, {}, action=f"{draft_url}/publish")
    assert response.status_code == 302
    page = pqa_client.soup(draft_url)
    assert "Version 2 published" in page.get_text()
    assert not page.select(".govuk-summary-card__action a")
    assert page.find("button", string="Create a new version")

    session.expire_all()
    draft = session.get(FrameworkVersion, int(draft_url.rsplit("/", 1)[1]))
    assert draft.status is FrameworkStatus.PUBLISHED
    assert draft.framework.partnership_id == world.partnership.id
    # The built-in itself never changed.
    original = session.get(Criterion, builtin.standards[0].criteria[0].id)
    assert original.title == "Written accountability framework for safeguarding children"


def test_criterion_form_errors_use_gov_uk_wording(pqa_client, world, builtins, session):
    draft_url = _draft_from(pqa_client, world, builtins[0])
    edit_url = pqa_client.soup(draft_url).select(".govuk-summary-card__action a")[0]["href"]
    page = _text(pqa_client.submit(edit_url, {"title": "", "wording": ""}))
    assert "<title>Error: Change criterion 1.1" in page
    assert "Enter the criterion title" in page
    assert "Enter the criterion wording" in page
    assert "Select yes if this criterion is essential" in page
    page = _text(
        pqa_client.submit(
            edit_url,
            {"title": "x" * 201, "wording": "w", "essential": "yes", "allow_na": "maybe"},
        )
    )
    assert "Title must be 200 characters or fewer" in page
    assert audit_events(session, "criterion_edited") == []


def test_a_second_draft_is_refused_with_a_link_to_the_first(pqa_client, world, builtins):
    builtin = builtins[0]
    draft_url = _draft_from(pqa_client, world, builtin)
    page = pqa_client.soup(_version(world, builtin))
    assert not page.find("button", string="Create a new version")
    assert page.find("a", href=draft_url).get_text().startswith("Go to your copy")
    # Pressing it from a page loaded earlier explains why nothing happened.
    response = pqa_client.post(
        f"{_version(world, builtin)}/new-version",
        data={"csrf_token": pqa_client.csrf_token(draft_url, f"{draft_url}/publish")},
    )
    assert response.status_code == 302
    assert "already has its own copy" in pqa_client.soup(response.headers["Location"]).get_text()


def test_published_criteria_cannot_be_changed(pqa_client, world, builtins):
    builtin = builtins[0]
    criterion = builtin.standards[0].criteria[0]
    response = pqa_client.get(_criterion(world, builtin, criterion))
    assert response.status_code == 302
    assert response.headers["Location"] == _version(world, builtin)
    page = pqa_client.soup(response.headers["Location"])
    assert "Published versions cannot be changed. Create a new version to make changes." in (
        page.get_text()
    )


def test_another_partnerships_framework_is_not_found(pqa_client, world, session):
    spec = parse_framework(json.dumps(valid()))
    theirs = library.import_framework(
        session, spec=spec, partnership=world.other_partnership, by=None
    )
    criterion = theirs.standards[0].criteria[0]
    assert pqa_client.get(_version(world, theirs)).status_code == 404
    assert pqa_client.get(_criterion(world, theirs, criterion)).status_code == 404
    assert theirs.framework.name not in _text(pqa_client.get(_index(world)))
    token = pqa_client.csrf_token("/account/password")
    for action in ("publish", "new-version"):
        response = pqa_client.post(
            f"{_version(world, theirs)}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 404
    session.expire_all()
    assert session.get(FrameworkVersion, theirs.id).status is FrameworkStatus.DRAFT


def test_a_criterion_of_another_version_is_not_found(pqa_client, world, builtins):
    first, second = builtins
    criterion = second.standards[0].criteria[0]
    assert pqa_client.get(_criterion(world, first, criterion)).status_code == 404
