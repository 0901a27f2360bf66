"""The PQA case-audit template pages: the library and one version, read-only."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import func, select

from audit_tool.case_templates import library
from audit_tool.case_templates.format import parse_template
from audit_tool.models import AuditEvent

from .test_case_templates import valid


@pytest.fixture
def builtins(session):
    return library.load_builtin(session)


def _index(world):
    return f"/p/{world.partnership.slug}/pqa/case-templates"


def _version(world, version):
    return f"/p/{world.partnership.slug}/pqa/case-templates/versions/{version.id}"


def _import(session, partnership, *, publish=False, **changes):
    spec = dataclasses.replace(parse_template(json.dumps(valid())), **changes)
    return library.import_template(
        session, spec, partnership=partnership, publish=publish, by=None, source="test.json"
    )


def test_library_lists_builtin_and_own_templates_with_their_versions(
    pqa_client, world, builtins, session
):
    own = _import(session, world.partnership)
    page = pqa_client.soup(_index(world))
    assert page.h1.get_text() == "Case-audit templates"
    assert page.title.get_text().startswith("Case-audit templates")
    headings = [h.get_text() for h in page.select("main h2.govuk-heading-m")]
    assert headings == sorted(v.name for v in [*builtins, own])
    text = page.get_text()
    assert "Your partnership’s template" in text and "Built-in template" in text
    for version in builtins:
        link = page.find("a", href=_version(world, version))
        assert link.get_text(strip=True).startswith("Version 1")
    tags = [tag.get_text() for tag in page.select("main .govuk-tag")]
    assert sorted(tags) == ["Draft"] + ["Published"] * len(builtins)
    assert page.find("a", href=_version(world, own))


def test_version_page_shows_every_section_question_and_kind(pqa_client, world, builtins):
    version = next(v for v in builtins if v.template.key == "domestic-abuse")
    page = pqa_client.soup(_version(world, version))
    assert page.h1.get_text() == version.name
    text = page.get_text()
    assert "Domestic abuse" in text and "DA-" in text
    for grade in ("Outstanding", "Good", "Requires improvement", "Inadequate"):
        assert grade in text
    prompts = [li.get_text() for li in page.select("main .govuk-list--bullet li")]
    assert prompts == ["Good practice", "Areas for development", "Recommendations"]
    for section in version.sections:
        assert section.title in text
        for question in section.questions:
            row = page.find(id=f"question-{question.id}")
            assert question.wording in row.get_text()
            assert row.find_all("td")[-1].get_text(strip=True) == question.kind.label
    kinds = {row.find_all("td")[-1].get_text(strip=True) for row in page.select("tr[id]")}
    assert kinds == {"Graded", "Yes, partly or no", "Free text"}
    assert not page.select("main form")  # read-only


def test_a_draft_says_it_cannot_be_used_yet(pqa_client, world, session):
    draft = _import(session, world.partnership)
    text = pqa_client.soup(_version(world, draft)).get_text()
    assert "This version is a draft" in text


def test_an_older_published_version_says_so(pqa_client, world, session):
    first = _import(session, world.partnership, publish=True)
    _import(session, world.partnership, publish=True, name="Local neglect audit, revised")
    text = pqa_client.soup(_version(world, first)).get_text()
    assert "not the latest published version" in text


def test_another_partnerships_version_is_not_found(pqa_client, world, session):
    theirs = _import(session, world.other_partnership, publish=True, key="their-neglect")
    assert pqa_client.get(_version(world, theirs)).status_code == 404
    assert theirs.name not in pqa_client.get(_index(world)).get_data(as_text=True)
    # Nor through their own partnership's address, which this PQA cannot use.
    other_url = f"/p/{world.other_partnership.slug}/pqa/case-templates/versions/{theirs.id}"
    assert pqa_client.get(other_url).status_code == 403


def test_an_unpublished_builtin_version_is_not_found(pqa_client, world, session):
    hidden = _import(session, None, key="coming-soon")
    assert pqa_client.get(_version(world, hidden)).status_code == 404


def test_only_pqa_sees_the_library(agency_client, panel_client, world, builtins):
    assert agency_client.get(_index(world)).status_code == 403
    assert panel_client.get(_version(world, builtins[0])).status_code == 403


def test_the_pages_write_nothing(pqa_client, world, builtins, session):
    def events():
        session.expire_all()
        return session.scalar(select(func.count()).select_from(AuditEvent))

    before = events()
    pqa_client.get(_index(world))
    pqa_client.get(_version(world, builtins[0]))
    assert events() == before


def test_pqa_reaches_the_templates_from_the_case_audit_rounds(pqa_client, world):
    slug = world.partnership.slug
    soup = pqa_client.soup(f"/p/{slug}/pqa/case-rounds")
    assert soup.select_one(f'a[href="/p/{slug}/pqa/case-templates"]') is not None
