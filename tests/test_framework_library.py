"""The framework library services: built-ins, import, drafting, editing, publishing."""

from __future__ import annotations

import dataclasses
import json

import pytest

from audit_tool.frameworks import library
from audit_tool.frameworks.format import parse_framework, spec_to_json
from audit_tool.models import (
    Criterion,
    Framework,
    FrameworkStatus,
    FrameworkVersion,
    ScaleLevel,
    Standard,
)
from audit_tool.services import DomainError, NotFound

from .conftest import audit_events, count_rows
from .test_framework_format import valid

FRAMEWORK_TABLES = (Framework, FrameworkVersion, ScaleLevel, Standard, Criterion)


def table_counts(session) -> tuple[int, ...]:
    return tuple(count_rows(session, model) for model in FRAMEWORK_TABLES)


def a_spec(**changes):
    return dataclasses.replace(parse_framework(json.dumps(valid())), **changes)


def first_criterion(version: FrameworkVersion) -> Criterion:
    return version.standards[0].criteria[0]


def edit(session, criterion, world, **changes):
    fields = {
        "title": criterion.title,
        "wording": criterion.wording,
        "guidance": criterion.guidance,
        "essential": criterion.essential,
        "allow_na": criterion.allow_na,
        **changes,
    }
    library.update_criterion(
        session, criterion=criterion, partnership=world.partnership, by=world.pqa, **fields
    )


# Built-in frameworks ------------------------------------------------------------------


def test_load_builtin_is_idempotent(session):
    first = library.load_builtin(session)
    counts = table_counts(session)
    again = library.load_builtin(session)
    assert [v.id for v in again] == [v.id for v in first]
    assert table_counts(session) == counts
    assert [v.framework.key for v in first] == ["s11-arrangements", "s11-nine-standards"]
    for version in first:
        assert version.number == 1
        assert version.status is FrameworkStatus.PUBLISHED and version.published_at
        assert version.framework.partnership_id is None
    assert [level.key for level in first[1].levels] == ["red", "amber", "green", "blue"]
    assert len(audit_events(session, "framework_imported")) == 2


def test_builtin_content_matches_its_files(session):
    for version, spec in zip(library.load_builtin(session), library.builtin_specs(), strict=True):
        exported = library.export_spec(version)
        assert exported == spec


# Import ---------------------------------------------------------------------------------


def test_import_a_new_framework_as_a_draft(session, world):
    version = library.import_framework(
        session, spec=a_spec(), partnership=world.partnership, by=world.pqa, source="ours.json"
    )
    assert version.number == 1 and version.status is FrameworkStatus.DRAFT
    assert version.framework.partnership_id == world.partnership.id
    assert [s.key for s in version.standards] == ["ST01", "ST02"]
    assert first_criterion(version).wording == "There is a named lead.\nStaff know who it is."
    assert version.standards[1].criteria[0].sectors == ["education", "voluntary"]
    assert [str(level.score) for level in version.levels] == ["0", "33.3", "100"]
    event = audit_events(session, "framework_imported")[-1]
    assert event.partnership_id == world.partnership.id and event.actor_id == world.pqa.id
    assert event.data == {"key": "local-s11", "version": 1, "source": "ours.json"}


def test_import_of_a_known_key_adds_the_next_draft_version(session, world):
    first = library.import_framework(
        session, spec=a_spec(), partnership=world.partnership, by=world.pqa
    )
    library.publish(session, version=first, partnership=world.partnership, by=world.pqa)
    second = library.import_framework(
        session, spec=a_spec(name="Local Section 11, 2027"), partnership=world.partnership, by=None
    )
    assert second.framework is first.framework
    assert (second.number, second.status) == (2, FrameworkStatus.DRAFT)
    assert first.status is FrameworkStatus.PUBLISHED


def test_import_refuses_while_a_draft_exists(session, world):
    library.import_framework(session, spec=a_spec(), partnership=world.partnership, by=None)
    counts = table_counts(session)
    with pytest.raises(DomainError, match="already has a draft version"):
        library.import_framework(session, spec=a_spec(), partnership=world.partnership, by=None)
    assert table_counts(session) == counts


def test_import_into_another_partnership_or_the_builtins_is_separate(session, world):
    ours = library.import_framework(session, spec=a_spec(), partnership=world.partnership, by=None)
    theirs = library.import_framework(
        session, spec=a_spec(), partnership=world.other_partnership, by=None
    )
    builtin = library.import_framework(session, spec=a_spec(), by=None)
    assert len({ours.framework_id, theirs.framework_id, builtin.framework_id}) == 3
    assert builtin.framework.partnership_id is None
    assert {ours.number, theirs.number, builtin.number} == {1}


def test_an_invalid_import_leaves_nothing(session, world):
    spec = a_spec()
    bad_standard = dataclasses.replace(spec.standards[1], key=spec.standards[0].key)
    invalid = dataclasses.replace(spec, standards=(spec.standards[0], bad_standard))
    counts = table_counts(session)
    events = len(audit_events(session, "framework_imported"))
    with pytest.raises(DomainError, match=r'standards\[1\].key: "ST01" is already used'):
        library.import_framework(session, spec=invalid, partnership=world.partnership, by=None)
    assert table_counts(session) == counts
    assert len(audit_events(session, "framework_imported")) == events


def test_export_reproduces_the_imported_spec(session, world):
    spec = a_spec()
    version = library.import_framework(session, spec=spec, partnership=world.partnership, by=None)
    session.expire_all()  # read back from the database, not from what was added
    exported = library.export_spec(session.get(FrameworkVersion, version.id))
    assert exported == spec
    assert parse_framework(spec_to_json(exported)) == exported


# Drafting, editing and publishing -------------------------------------------------------


def test_drafting_from_a_builtin_makes_the_partnerships_own_copy(session, world):
    builtin = library.load_builtin(session)[0]
    draft = library.draft_new_version(
        session, framework=builtin.framework, partnership=world.partnership, by=world.pqa
    )
    own = draft.framework
    assert own is not builtin.framework
    assert (own.key, own.partnership_id) == (builtin.framework.key, world.partnership.id)
    assert (draft.number, draft.status) == (2, FrameworkStatus.DRAFT)
    # The built-in is untouched and still has only its published version.
    assert [v.number for v in builtin.framework.versions] == [1]
    keys = [(s.key, [c.key for c in s.criteria]) for s in draft.standards]
    assert keys == [(s.key, [c.key for c in s.criteria]) for s in builtin.standards]
    assert [level.key for level in draft.levels] == [level.key for level in builtin.levels]
    assert {c.id for s in draft.standards for c in s.criteria}.isdisjoint(
        {c.id for s in builtin.standards for c in s.criteria}
    )
    event = audit_events(session, "framework_version_drafted")[-1]
    assert event.partnership_id == world.partnership.id
    assert event.data == {"key": own.key, "version": 2, "from_version": 1}


def test_a_builtin_is_copied_once_per_partnership(session, world):
    builtin = library.load_builtin(session)[0]
    library.draft_new_version(
        session, framework=builtin.framework, partnership=world.partnership, by=world.pqa
    )
    with pytest.raises(DomainError, match="already has its own copy"):
        library.draft_new_version(
            session, framework=builtin.framework, partnership=world.partnership, by=world.pqa
        )
    # Another partnership copies it independently.
    theirs = library.draft_new_version(
        session, framework=builtin.framework, partnership=world.other_partnership, by=world.pqa
    )
    assert theirs.framework.partnership_id == world.other_partnership.id


def test_draft_copies_the_latest_published_version_and_keeps_keys(session, world):
    first = library.import_framework(session, spec=a_spec(), partnership=world.partnership, by=None)
    edit(session, first_criterion(first), world, title="Named strategic lead")
    library.publish(session, version=first, partnership=world.partnership, by=world.pqa)
    draft = library.draft_new_version(
        session, framework=first.framework, partnership=world.partnership, by=world.pqa
    )
    assert draft.number == 2 and draft.framework is first.framework
    assert first_criterion(draft).title == "Named strategic lead"
    assert first_criterion(draft).key == first_criterion(first).key == "ST01-C01"
    assert first_criterion(draft).id != first_criterion(first).id


def test_only_one_draft_at_a_time(session, world):
    first = library.import_framework(session, spec=a_spec(), partnership=world.partnership, by=None)
    with pytest.raises(DomainError, match="Version 1 of this framework is already a draft"):
        library.draft_new_version(
            session, framework=first.framework, partnership=world.partnership, by=world.pqa
        )


def test_editing_a_draft_criterion_is_audited(session, world):
    draft = library.import_framework(session, spec=a_spec(), partnership=world.partnership, by=None)
    criterion = first_criterion(draft)
    edit(session, criterion, world, title="Named strategic lead", essential=False, allow_na=True)
    assert (criterion.title, criterion.essential, criterion.allow_na) == (
        "Named strategic lead",
        False,
        True,
    )
    event = audit_events(session, "criterion_edited")[-1]
    assert event.data["key"] == "ST01-C01"
    assert event.data["before"]["title"] == "Named lead"
    assert event.data["after"]["title"] == "Named strategic lead"
    assert event.data["before"]["allow_na"] is False and event.data["after"]["allow_na"] is True
    edit(session, criterion, world)  # nothing changed: nothing recorded
    assert len(audit_events(session, "criterion_edited")) == 1


def test_published_versions_cannot_be_edited(session, world):
    # Not even by their owner: for a built-in, the command line (no partnership).
    builtin = library.load_builtin(session)[0]
    with pytest.raises(DomainError, match="Published versions cannot be changed"):
        library.update_criterion(
            session,
            criterion=first_criterion(builtin),
            partnership=None,
            title="Changed",
            wording="Changed",
            guidance="",
            essential=False,
            allow_na=False,
            by=world.pqa,
        )
    assert first_criterion(builtin).title != "Changed"


def test_publish_freezes_the_version(session, world):
    draft = library.import_framework(session, spec=a_spec(), partnership=world.partnership, by=None)
    library.publish(session, version=draft, partnership=world.partnership, by=world.pqa)
    assert draft.status is FrameworkStatus.PUBLISHED and draft.published_at is not None
    assert draft.frozen
    with pytest.raises(DomainError, match="Published versions cannot be changed"):
        edit(session, first_criterion(draft), world, title="Too late")
    with pytest.raises(DomainError, match="already been published"):
        library.publish(session, version=draft, partnership=world.partnership, by=world.pqa)
    event = audit_events(session, "framework_version_published")[-1]
    assert event.data == {"key": "local-s11", "version": 1}
    assert library.latest_published(draft.framework) is draft


def test_publishing_renames_the_framework(session, world):
    first = library.import_framework(session, spec=a_spec(), partnership=world.partnership, by=None)
    library.publish(session, version=first, partnership=world.partnership, by=None)
    second = library.import_framework(
        session, spec=a_spec(name="Renamed"), partnership=world.partnership, by=None
    )
    assert first.framework.name == "Local Section 11"
    library.publish(session, version=second, partnership=world.partnership, by=None)
    assert first.framework.name == "Renamed"


# Who sees what -------------------------------------------------------------------------


def test_a_partnership_cannot_see_another_partnerships_framework(session, world):
    builtin = library.load_builtin(session)[0]
    theirs = library.import_framework(
        session, spec=a_spec(), partnership=world.other_partnership, by=None
    )
    ours = library.import_framework(session, spec=a_spec(), partnership=world.partnership, by=None)
    seen = library.frameworks_for(session, world.partnership)
    assert theirs.framework not in seen
    assert {builtin.framework, ours.framework} <= set(seen)
    assert library.get_version(session, world.partnership, ours.id) is ours
    assert library.get_version(session, world.partnership, builtin.id) is builtin
    with pytest.raises(NotFound):
        library.get_version(session, world.partnership, theirs.id)
    with pytest.raises(NotFound):
        library.get_criterion(session, world.partnership, theirs.id, first_criterion(theirs).id)
    # A criterion must belong to the version named alongside it.
    with pytest.raises(NotFound):
        library.get_criterion(session, world.partnership, ours.id, first_criterion(theirs).id)


def test_a_partnership_cannot_change_another_partnerships_framework(session, world):
    theirs = library.import_framework(
        session, spec=a_spec(), partnership=world.other_partnership, by=None
    )
    with pytest.raises(NotFound):
        edit(session, first_criterion(theirs), world, title="Ours now")
    with pytest.raises(NotFound):
        library.publish(session, version=theirs, partnership=world.partnership, by=world.pqa)
    with pytest.raises(NotFound):
        library.draft_new_version(
            session, framework=theirs.framework, partnership=world.partnership, by=world.pqa
        )
    assert theirs.status is FrameworkStatus.DRAFT


def test_unpublished_builtin_versions_are_hidden_from_partnerships(session, world):
    builtin_draft = library.import_framework(session, spec=a_spec(), by=None)
    assert builtin_draft.framework not in library.frameworks_for(session, world.partnership)
    with pytest.raises(NotFound):
        library.get_version(session, world.partnership, builtin_draft.id)
    library.publish(session, version=builtin_draft, partnership=None, by=None)
    assert builtin_draft.framework in library.frameworks_for(session, world.partnership)


def test_frameworks_list_builtin_before_the_partnerships_copy(session, world):
    builtin = library.load_builtin(session)[0]
    draft = library.draft_new_version(
        session, framework=builtin.framework, partnership=world.partnership, by=world.pqa
    )
    seen = library.frameworks_for(session, world.partnership)
    assert seen.index(builtin.framework) + 1 == seen.index(draft.framework)
    assert (
        library.blocking_version(
            session, framework=builtin.framework, partnership=world.partnership
        )
        is draft
    )
