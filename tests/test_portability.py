"""Whole-partnership portability: export a partnership with all its history, import it into
another instance, and get the same archive back out."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from audit_tool import PROJECT_ROOT, clock, migrate
from audit_tool.audit_trail import AuditEventType, record_event
from audit_tool.db import db
from audit_tool.demo import load_demo
from audit_tool.frameworks.library import find_framework
from audit_tool.models import (
    Action,
    ActionSource,
    ActionStatus,
    ActionUpdate,
    Agency,
    AuditCycle,
    AuditEvent,
    Base,
    CaseAnswer,
    CaseJudgement,
    CaseReturnStatus,
    Criterion,
    EvidenceItem,
    LearningPoint,
    LearningTheme,
    Membership,
    Partnership,
    QuestionKind,
    RoundStatus,
    SafeguardingConcern,
    SectionReturn,
    User,
    utcnow,
)
from audit_tool.portability import schema
from audit_tool.portability.archive_format import ArchiveError, dump_json, validate_records
from audit_tool.portability.container import sha256_of
from audit_tool.services import assessments as returns_service
from audit_tool.services import evidence_items
from audit_tool.services.evidence_files import store_upload, stored_path

from .conftest import make_app
from .databases import fresh_database_url
from .factories import Factory

PDF = b"%PDF-1.4\n% an evidence file\n" + bytes(range(256)) * 40
POLICY = b"Escalation policy, version 3.\nReviewed by the board.\n"


# Instances --------------------------------------------------------------------------------


def _instance(url: str, uploads: Path):
    app = make_app(url, UPLOAD_FOLDER=str(uploads))
    migrate.upgrade(app.extensions["database"].engine)
    return app


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A separate database holding the demo plus everything the demo does not have yet:
    case-file audits of every kind of record, evidence files, an own framework."""
    with fresh_database_url() as url:
        app = _instance(url, tmp_path_factory.mktemp("source-uploads"))
        with app.app_context(), db.transaction() as session:
            load_demo(session, password="demo-password-1")
            _add_everything_else(session, Path(app.config["UPLOAD_FOLDER"]))
        yield app
        app.extensions["database"].engine.dispose()


@pytest.fixture(scope="module")
def archive(source, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("archives") / "demo.zip"
    result = run(source, "export-partnership", "--partnership", "demo", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def imported(archive, tmp_path_factory):
    """An empty instance the archive was imported into, and that instance's own export,
    taken straight away."""
    with fresh_database_url() as url:
        app = _instance(url, tmp_path_factory.mktemp("target-uploads"))
        result = run(app, "import-partnership", str(archive))
        assert result.exit_code == 0, result.output
        again = tmp_path_factory.mktemp("again") / "demo.zip"
        exported = run(app, "export-partnership", "--partnership", "demo", "--out", str(again))
        assert exported.exit_code == 0, exported.output
        app.import_output = result.output
        app.archive_again = again
        yield app
        app.extensions["database"].engine.dispose()


@pytest.fixture
def empty(tmp_path):
    with fresh_database_url() as url:
        app = _instance(url, tmp_path / "uploads")
        yield app
        app.extensions["database"].engine.dispose()


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def _add_everything_else(session, uploads: Path) -> None:
    make = Factory(session)
    demo = session.scalar(select(Partnership).where(Partnership.slug == "demo"))
    police, health = (
        session.scalar(select(Agency).where(Agency.name == name))
        for name in ("Shire Constabulary", "Demo Hospitals NHS Foundation Trust")
    )
    pqa, panel, lead = (
        session.scalar(select(User).where(User.email == email))
        for email in ("pqa@example.org", "panel@example.org", "lead.health@example.org")
    )
    # The partnership's own copy of a built-in framework (same key, a draft version 2).
    from audit_tool.frameworks.library import draft_new_version

    builtin = find_framework(session, partnership=None, key="s11-nine-standards")
    draft_new_version(session, framework=builtin, partnership=demo, by=pqa)

    # Evidence: two files, the same file twice, one removed, and a reference only.
    assessment = next(a for a in _current_assessments(session, demo) if a.agency_id == health.id)
    contents = returns_service.load_return(session, assessment)
    entries = [e for standard in contents.standards for e in standard.entries]
    for entry, (filename, content) in zip(
        entries,
        [("policy.txt", POLICY), ("audit.pdf", PDF), ("copy of policy.txt", POLICY), (None, None)],
        strict=False,
    ):
        stored = None
        if filename:
            stream = io.BytesIO(content)
            stored = store_upload(
                stream=stream, filename=filename, upload_folder=uploads, max_bytes=10**7
            )
        evidence_items.add_evidence_item(
            session,
            assessment=assessment,
            criterion=entry.criterion,
            title=f"Evidence for {entry.criterion.code}",
            reference="Intranet, safeguarding pages" if filename is None else "",
            stored=stored,
            effective_on=date(2025, 4, 1),
            review_on=date(2027, 4, 1),
            by=lead,
        )
    removed = session.scalars(select(EvidenceItem).order_by(EvidenceItem.id)).all()[2]
    evidence_items.remove_evidence_item(session, assessment=assessment, item=removed, by=lead)

    # Case-file audits: an open round on the partnership's own template with answers,
    # judgements, learning, a concern and an action; a draft round on a built-in one.
    version = make.case_template(demo)
    audit_round = make.case_round(demo, [[police, health], [police]], version=version)
    make.case_round(demo, [], status=RoundStatus.DRAFT, version=make.case_template())
    case = audit_round.cases[0]
    case_return = next(r for r in case.returns if r.agency_id == health.id)
    for section in version.sections:
        section_return = SectionReturn(
            case_return=case_return,
            section=section,
            good_practice="Clear chronology",
            development="",
            recommendations="Share the plan with school",
            updated_by_id=lead.id,
        )
        for question in section.questions:
            answer = {QuestionKind.GRADED: "good", QuestionKind.YES_PARTLY_NO: "partly"}
            section_return.answers.append(
                CaseAnswer(question=question, answer=answer.get(question.kind), comment="Seen")
            )
        session.add(section_return)
    session.flush()
    section_return.recommendations = "Share the plan with school and the GP"
    session.flush()  # a second save: `version` 2 must survive the trip
    case_return.status = CaseReturnStatus.SUBMITTED
    case_return.submitted_at = utcnow()
    case_return.submitted_by = lead
    case.overall_grade = "requires_improvement"
    case.overall_rationale = "Agencies did not share the escalation"
    case.moderated_at = utcnow()
    case.moderated_by = panel
    session.add_all(
        [
            CaseJudgement(
                case=case, section=version.sections[0], grade="good", rationale="", set_by=panel
            ),
            learning := LearningPoint(
                case=case,
                theme=LearningTheme.INFORMATION_SHARING,
                text="Health visitor was not invited to the strategy meeting",
                by=pqa,
            ),
            concern := SafeguardingConcern(
                partnership_id=demo.id,
                case=case,
                description="Sibling not seen in the last month",
                follow_up_by="Duty manager",
                follow_up_agency=health,
                due_on=clock.today() + timedelta(days=2),
                raised_by=panel,
            ),
            action := Action(
                partnership=demo,
                agency=police,
                source=ActionSource.CASE_AUDIT,
                case=case,
                description="Invite health to every strategy meeting",
                owner="Detective inspector",
                due_on=clock.today() + timedelta(days=60),
                status=ActionStatus.IN_PROGRESS,
            ),
        ]
    )
    session.flush()
    session.add(ActionUpdate(action=action, note="Briefing sent", evidence_reference="", by=lead))
    record_event(session, AuditEventType.LEARNING_RECORDED, by=pqa, partnership=demo,
                 subject=learning, reference=case.reference, theme="information_sharing",
                 text="")  # fmt: skip
    record_event(session, AuditEventType.CONCERN_RAISED, by=panel, partnership=demo,
                 subject=concern, reference=case.reference, follow_up_by="Duty manager",
                 due_on=concern.due_on.isoformat())  # fmt: skip
    # A subject that no longer exists, and an actor who is no member: a system admin.
    gone = LearningPoint(case=case, theme=LearningTheme.OTHER, text="Typo", by=pqa)
    session.add(gone)
    session.flush()
    record_event(session, AuditEventType.LEARNING_REMOVED, by=pqa, partnership=demo,
                 subject=gone, reference=case.reference, theme="other", text="Typo")  # fmt: skip
    session.delete(gone)
    admin = make.user(email="admin@example.org", name="Ada Admin", system_admin=True)
    record_event(session, AuditEventType.PARTNERSHIP_UPDATED, by=admin, partnership=demo,
                 subject=demo, before={"name": "x"}, after={"name": demo.name})  # fmt: skip
    session.flush()


def _current_assessments(session, partnership):
    from audit_tool.models import Assessment, AuditCycle

    stmt = (
        select(Assessment)
        .join(AuditCycle)
        .where(AuditCycle.partnership_id == partnership.id)
        .order_by(AuditCycle.opens_on.desc(), Assessment.id)
    )
    cycle_id = None
    for assessment in session.scalars(stmt):
        cycle_id = cycle_id or assessment.cycle_id
        if assessment.cycle_id == cycle_id:
            yield assessment


# Reading and changing archives ------------------------------------------------------------


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(source: Path, target: Path, change: Callable[[dict], None], *, reseal=True) -> Path:
    """Copy an archive, changing its members; `reseal` updates the manifest's SHA-256s
    so that only the change itself is wrong."""
    contents = members(source)
    change(contents)
    if reseal:
        manifest = json.loads(contents[schema.MANIFEST])
        for name in manifest["members"]:
            manifest["members"][name] = sha256_of(contents[name])
        contents[schema.MANIFEST] = dump_json(manifest)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return target


def change_json(member: str, change: Callable[[list], None]) -> Callable[[dict], None]:
    def apply(contents: dict) -> None:
        document = json.loads(contents[member])
        change(document)
        contents[member] = dump_json(document)

    return apply


def snapshot(app) -> tuple[dict[str, int], list[str]]:
    """Rows in every table, and the files in the upload folder."""
    with app.extensions["database"].write() as session:
        counts = {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
    uploads = Path(app.config["UPLOAD_FOLDER"])
    return counts, sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []


def refused(app, archive: Path, *args: str) -> str:
    before = snapshot(app)
    result = run(app, "import-partnership", str(archive), *args)
    assert result.exit_code != 0
    assert "Nothing was imported" in result.output
    assert snapshot(app) == before
    return result.output


# The round trip ---------------------------------------------------------------------------


def test_round_trip_gives_the_same_archive_apart_from_the_time_and_the_import_event(
    archive, imported
):
    first, second = members(archive), members(imported.archive_again)
    assert first.keys() == second.keys()
    # Every record member is byte-identical except the audit trail, which has gained the
    # import's own event, and the manifest, which says when and counts that event.
    for name in first.keys() - {schema.MANIFEST, "audit_events.json"}:
        assert first[name] == second[name], name
    events_before = json.loads(first["audit_events.json"])
    events_after = json.loads(second["audit_events.json"])
    assert dump_json(events_after[:-1]) == first["audit_events.json"]
    imported_event = events_after[-1]
    assert imported_event["event"] == AuditEventType.PARTNERSHIP_IMPORTED.value
    assert imported_event["key"] == f"event/{len(events_before) + 1}"
    assert imported_event["subject"] == "partnership/1"
    manifests = [json.loads(first[schema.MANIFEST]), json.loads(second[schema.MANIFEST])]
    for manifest in manifests:
        del manifest["exported_at"]
        del manifest["members"]["audit_events.json"]
    manifests[1]["counts"]["audit_events"] -= 1
    assert manifests[0] == manifests[1]


def test_the_archive_holds_every_kind_of_record(archive):
    manifest = json.loads(members(archive)[schema.MANIFEST])
    empty = [name for name, count in manifest["counts"].items() if count == 0]
    assert empty == []
    assert manifest["format"] == "audit-tool-partnership"
    assert manifest["version"] == 1
    assert manifest["source"]["application"] == "audit-tool"
    contents = members(archive)
    for name, sha in manifest["members"].items():
        assert sha256_of(contents[name]) == sha
    # No database ids, password hashes or stored file names anywhere.
    names = set()
    for member in schema.JSON_MEMBERS:
        for record in json.loads(contents[member]):
            names |= _field_names(record)
    assert not [n for n in names if n == "id" or n.endswith("_id") or "password" in n]
    assert "stored_name" not in names


def _field_names(record: dict) -> set[str]:
    names = set(record)
    for name, value in record.items():
        if isinstance(value, list) and name != "sectors":
            for child in value:
                names |= _field_names(child)
    return names


def test_records_are_versioned_saves_and_history_as_they_were(archive):
    contents = members(archive)
    section_returns = json.loads(contents["section_returns.json"])
    assert max(r["version"] for r in section_returns) == 2
    frameworks = {f["key"]: f for f in json.loads(contents["frameworks.json"])}
    assert set(frameworks) == {
        "framework/builtin/s11-nine-standards",
        "framework/partnership/s11-nine-standards",
    }
    own = frameworks["framework/partnership/s11-nine-standards"]["versions"]
    assert [(v["number"], v["status"]) for v in own] == [(2, "draft")]
    events = json.loads(contents["audit_events.json"])
    removed = next(e for e in events if e["event"] == "learning_removed")
    assert removed["subject_type"] == "LearningPoint" and removed["subject"] is None
    assert not any(e["event"] == "export_created" for e in events)


def test_evidence_files_survive_byte_for_byte(archive, imported):
    with imported.extensions["database"].write() as session:
        items = session.scalars(select(EvidenceItem).order_by(EvidenceItem.id)).all()
        stored = [
            (item.original_filename, item.removed_at is not None, item.stored_name)
            for item in items
        ]
    assert [(name, removed) for name, removed, _ in stored] == [
        ("policy.txt", False),
        ("audit.pdf", False),
        ("copy of policy.txt", True),
        (None, False),
    ]
    folder = imported.config["UPLOAD_FOLDER"]
    contents = [
        stored_path(stored_name=name, upload_folder=folder).read_bytes()
        for _, _, name in stored
        if name
    ]
    assert contents == [POLICY, PDF, POLICY]
    # Each item has a file of its own, as carried-forward evidence does.
    assert len({name for _, _, name in stored if name}) == 3
    # The same bytes are stored once in the archive.
    assert len([n for n in members(archive) if n.startswith(schema.FILES_DIR)]) == 2


def test_imported_people_need_a_password_issued_and_nobody_becomes_an_admin(imported):
    assert "16 new accounts have no password yet" in imported.import_output
    with imported.extensions["database"].write() as session:
        people = session.scalars(select(User)).all()
        assert len(people) == 16
        assert all(p.password_hash is None and p.password_change_required for p in people)
        assert not any(p.is_system_admin for p in people)
        admin = session.scalar(select(User).where(User.email == "admin@example.org"))
        assert session.scalars(select(Membership).where(Membership.user_id == admin.id)).all() == []


def test_export_is_written_to_the_audit_trail(source, archive):
    with source.extensions["database"].write() as session:
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.event == AuditEventType.EXPORT_CREATED.value)
            .order_by(AuditEvent.id.desc())
        ).first()
    assert event.data["kind"] == "partnership archive"
    assert event.data["filters"] == {}
    assert event.data["rows"] == json.loads(members(archive)[schema.MANIFEST])["counts"]
    assert event.data["format"] == "audit-tool-partnership/1"


# Into an instance that already has data ---------------------------------------------------


def test_people_are_matched_by_email_and_built_ins_by_key_and_version(archive, empty):
    with empty.app_context(), db.transaction() as session:
        Factory(session).user(email="pqa@example.org", name="Priya at her new partnership")
        from audit_tool.frameworks.library import load_builtin

        load_builtin(session)
        version = find_framework(session, partnership=None, key="s11-nine-standards").versions[0]
        criterion = version.standards[0].criteria[0]
        wording = criterion.wording
        criterion.wording = "Changed here"
    output = refused(empty, archive)
    assert "framework-version/builtin/s11-nine-standards/1" in output
    assert "standards[0].criteria[0].wording" in output

    with empty.app_context(), db.transaction() as session:
        session.get(Criterion, criterion.id).wording = wording
    before = snapshot(empty)[0]
    result = run(empty, "import-partnership", str(archive), "--slug", "demo-copy")
    assert result.exit_code == 0, result.output
    assert "Existing account pqa@example.org kept its password and gains: PQA administrator" in (
        result.output
    )
    assert "Used the built-in framework-version/builtin/s11-nine-standards/1" in result.output
    after = snapshot(empty)[0]
    assert after["user_account"] == before["user_account"] + 15
    # The built-in framework already here is used; the partnership's own copy is added.
    assert after["framework"] == before["framework"] + 1
    with empty.extensions["database"].write() as session:
        pqa = session.scalar(select(User).where(User.email == "pqa@example.org"))
        assert pqa.name == "Priya at her new partnership"
        assert pqa.password_hash is not None
        assert [m.partnership.slug for m in pqa.memberships] == ["demo-copy"]
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.event == AuditEventType.PARTNERSHIP_IMPORTED.value)
        )
        assert event.data["slug"] == "demo-copy"
        assert event.data["existing_accounts"] == ["pqa@example.org"]
        assert event.data["records"]["audit_events"] > 0
        copy = session.scalar(select(Partnership).where(Partnership.slug == "demo-copy"))
        cycles = session.scalars(select(AuditCycle).where(AuditCycle.partnership_id == copy.id))
        assert {c.framework_version_id for c in cycles} == {version.id}


# Refusals: nothing is written -------------------------------------------------------------


def test_a_slug_already_in_use_is_refused(archive, imported):
    output = refused(imported, archive)
    assert 'partnership.json: partnership/1: a partnership with the short name "demo"' in output
    assert "--slug" in output


def test_another_version_of_the_format_is_refused_naming_the_field(archive, imported, tmp_path):
    def version_two(contents):
        manifest = json.loads(contents[schema.MANIFEST])
        manifest["version"] = 2
        contents[schema.MANIFEST] = dump_json(manifest)

    output = refused(imported, rewrite(archive, tmp_path / "v2.zip", version_two), "--slug", "x")
    assert 'manifest.json: the field "version" is 2' in output
    assert "reads version 1" in output


def test_another_format_is_refused(archive, imported, tmp_path):
    def framework_file(contents):
        manifest = json.loads(contents[schema.MANIFEST])
        manifest["format"] = "audit-tool-framework"
        contents[schema.MANIFEST] = dump_json(manifest)

    output = refused(imported, rewrite(archive, tmp_path / "f.zip", framework_file))
    assert 'the field "format" is "audit-tool-framework"' in output


def test_a_broken_reference_is_refused_naming_the_record(archive, imported, tmp_path):
    missing = "criterion/builtin/s11-nine-standards/1/S1/no-such-criterion"

    def point_elsewhere(responses):
        responses[4]["criterion"] = missing

    broken = rewrite(
        archive, tmp_path / "b.zip", change_json("criterion_responses.json", point_elsewhere)
    )
    output = refused(imported, broken, "--slug", "broken")
    assert f'criterion_responses.json: response/5: the field "criterion" refers to "{missing}"' in (
        output
    )
    assert "not in the archive" in output


def test_a_corrupted_file_member_is_refused(archive, imported, tmp_path):
    name = next(n for n in members(archive) if n.startswith(schema.FILES_DIR))

    def flip_a_byte(contents):
        data = bytearray(contents[name])
        data[-1] ^= 0xFF
        contents[name] = bytes(data)

    corrupt = rewrite(archive, tmp_path / "c.zip", flip_a_byte, reseal=False)
    output = refused(imported, corrupt, "--slug", "corrupt")
    assert f'the member "{name}" is corrupt: its SHA-256 does not match manifest.json' in output


def test_a_missing_member_is_refused(archive, imported, tmp_path):
    def drop(contents):
        del contents["panels.json"]

    output = refused(imported, rewrite(archive, tmp_path / "m.zip", drop, reseal=False))
    assert 'the member "panels.json" listed in manifest.json is missing' in output


def test_a_file_that_is_not_an_archive_is_refused(imported, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    assert "junk.zip is not a zip archive" in refused(imported, junk)


def test_a_failure_while_writing_leaves_nothing_behind(archive, imported, monkeypatch):
    """Evidence files are written before the audit trail goes in; a failure there must
    take them away again, and the database must be as it was."""
    from audit_tool.portability import import_

    def fail(*_args, **_kwargs):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(import_, "record_event", fail)
    before = snapshot(imported)
    result = run(imported, "import-partnership", str(archive), "--slug", "half")
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert snapshot(imported) == before


# The records are checked one by one -------------------------------------------------------


def _documents(archive: Path) -> tuple[dict, set[str]]:
    contents = members(archive)
    documents = {name: json.loads(contents[name]) for name in schema.JSON_MEMBERS}
    files = {n.removeprefix(schema.FILES_DIR) for n in contents if n.startswith(schema.FILES_DIR)}
    return documents, files


@pytest.mark.parametrize(
    ("member", "change", "message"),
    [
        (
            "users.json",
            lambda r: r[0].update(password="x"),
            'users.json: user/1: the field "password" is not part',
        ),
        (
            "cycles.json",
            lambda r: r[0].pop("due_on"),
            'cycles.json: cycle/1: the field "due_on" is missing',
        ),
        (
            "cycles.json",
            lambda r: r[0].update(due_on="31/03/2026"),
            'the field "due_on" must be a date',
        ),
        (
            "assessments.json",
            lambda r: r[0].update(status="done"),
            'the field "status" must be one of',
        ),
        (
            "agencies.json",
            lambda r: r[1].update(key="agency/1"),
            'the key "agency/1" is used twice',
        ),
        (
            "assessments.json",
            lambda r: r[0].update(carried_from=r[-1]["key"]),
            "must come before it",
        ),
        (
            "assessments.json",
            lambda r: r[1].update(cycle=r[0]["cycle"], agency=r[0]["agency"]),
            "the same",
        ),
        (
            "memberships.json",
            lambda r: r[0].update(role="agency_lead", agency=None),
            "an agency lead must",
        ),
        ("case_answers.json", lambda r: r[0].update(answer="excellent"), '"answer" must be one of'),
        ("case_judgements.json", lambda r: r[0].update(grade="fine"), '"grade" must be one of'),
        (
            "case_answers.json",
            lambda r: r[0].update(comment="Seen by GP, NHS number 943 476 5919"),
            'the field "comment" looks like it includes an NHS number',
        ),
        (
            "audit_cases.json",
            lambda r: r[0].update(selection_reason="Born on 14/02/2015, on a CP plan"),
            'the field "selection_reason" looks like it includes',
        ),
        (
            "safeguarding_concerns.json",
            lambda r: r[0].update(follow_up_by="Team at 12 Acacia Road, AB1 2CD"),
            'the field "follow_up_by" looks like it includes',
        ),
        (
            "actions.json",
            lambda r: next(a for a in r if a["case"]).update(description="Jo (DOB 3.4.2016)"),
            'the field "description" looks like it includes',
        ),
        (
            "audit_events.json",
            lambda r: r[0].update(subject="agency/1"),
            'is "Partnership" but "subject" is a Agency',
        ),
        ("frameworks.json", lambda r: r[0].update(framework_key="other"), "the key must be"),
        (
            "evidence_items.json",
            lambda r: r[0].update(file_sha256="0" * 64),
            "which is not in the archive",
        ),
    ],
)
def test_each_record_is_checked(archive, member, change, message):
    documents, files = _documents(archive)
    change(documents[member])
    with pytest.raises(ArchiveError) as error:
        validate_records(documents, files=files)
    assert message in error.value.message


def test_only_case_audit_text_is_held_to_the_identifier_rule(archive):
    """A Section 11 action may give a full date ("by 31/03/2027"); the same text on an
    action raised from a case could be a child's date of birth and is refused."""
    documents, files = _documents(archive)
    actions = documents["actions.json"]
    own = next(a for a in actions if a["case"] is None)
    own["description"] = "Refresh the training matrix by 31/03/2027"
    validate_records(documents, files=files)
    from_case = next(a for a in actions if a["case"] is not None)
    from_case["description"] = own["description"]
    with pytest.raises(ArchiveError, match=r'actions\.json: .*"description" looks like'):
        validate_records(documents, files=files)


def test_a_response_to_another_frameworks_criterion_is_refused(archive):
    documents, files = _documents(archive)
    own = next(f for f in documents["frameworks.json"] if not f["builtin"])
    other = own["versions"][0]["standards"][0]["criteria"][0]["key"]
    documents["criterion_responses.json"][0]["criterion"] = other
    with pytest.raises(ArchiveError, match="which is not part of the cycle's framework"):
        validate_records(documents, files=files)


# Command-line errors ---------------------------------------------------------------------


def test_exporting_an_unknown_partnership_fails_and_writes_nothing(source, tmp_path):
    out = tmp_path / "nobody.zip"
    result = run(source, "export-partnership", "--partnership", "nobody", "--out", str(out))
    assert result.exit_code != 0
    assert "No partnership has the short name 'nobody'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_write_error_mid_export_leaves_no_half_written_file(source, tmp_path, monkeypatch):
    from audit_tool.portability import export

    def disk_full(handle, **_kwargs):
        handle.write(b"PK\x03\x04 half an archive")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "write_archive", disk_full)
    out = tmp_path / "demo.zip"
    out.write_bytes(b"yesterday's archive")
    with source.extensions["database"].write() as session:
        exports_before = session.scalar(
            select(func.count()).where(AuditEvent.event == AuditEventType.EXPORT_CREATED.value)
        )
    result = run(source, "export-partnership", "--partnership", "demo", "--out", str(out))
    assert result.exit_code != 0
    assert "No space left on device" in result.output
    assert out.read_bytes() == b"yesterday's archive"
    assert [p.name for p in tmp_path.iterdir()] == ["demo.zip"]
    with source.extensions["database"].write() as session:
        assert exports_before == session.scalar(
            select(func.count()).where(AuditEvent.event == AuditEventType.EXPORT_CREATED.value)
        )


def test_exporting_into_a_missing_folder_fails(source, tmp_path):
    out = tmp_path / "no-such-folder" / "demo.zip"
    result = run(source, "export-partnership", "--partnership", "demo", "--out", str(out))
    assert result.exit_code != 0
    assert "Could not write" in result.output


def test_importing_a_missing_file_fails(imported, tmp_path):
    result = run(imported, "import-partnership", str(tmp_path / "nothing.zip"))
    assert result.exit_code != 0


# The format's definition ------------------------------------------------------------------

# Columns an archive deliberately leaves out, and why (see docs/portability.md).
NOT_CARRIED = {
    "user_account": {"password_hash", "is_system_admin", "password_change_required",
                     "last_login_at", "failed_login_count", "created_at", "updated_at",
                     "totp_secret", "totp_enabled_at", "totp_last_step"},
    "evidence_item": {"stored_name"},  # replaced by file_sha256
    "audit_event": {"subject_id"},  # replaced by subject
    "framework": {"created_at", "updated_at", "partnership_id"},  # partnership_id: builtin
    "case_template": {"created_at", "updated_at", "partnership_id"},
}  # fmt: skip


def test_every_column_is_carried_or_deliberately_left_out():
    for record_type in schema.BY_NAME.values():
        table = Base.metadata.tables[record_type.table]
        columns = {c.name for c in table.columns}
        carried = {f.column for f in record_type.fields if f.stored and f.kind != "records"}
        assert carried <= columns, record_type.name
        implicit = {"id"}
        if record_type.partnership_column:
            implicit.add(record_type.partnership_column)
        if record_type.parent_column:
            implicit |= {record_type.parent_column, "created_at", "updated_at"}
        if record_type.positioned:
            implicit.add("position")
        left_out = columns - carried - implicit
        assert left_out == NOT_CARRIED.get(record_type.table, set()), record_type.name


def test_references_point_back_in_import_order():
    order = {rt.name: i for i, rt in enumerate(schema.TOP_LEVEL)}
    nested_home = {"framework_versions": "frameworks", "scale_levels": "frameworks",
                   "standards": "frameworks", "criteria": "frameworks",
                   "case_template_versions": "case_templates", "case_sections": "case_templates",
                   "case_questions": "case_templates"}  # fmt: skip
    for record_type in schema.TOP_LEVEL:
        for f in record_type.fields:
            if f.kind == "reference" and f.target != schema.ANY:
                target = nested_home.get(f.target, f.target)
                assert order[target] <= order[record_type.name], (record_type.name, f.name)


def test_the_documentation_describes_every_member_and_field():
    text = (PROJECT_ROOT / "docs" / "portability.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.MULTILINE)
    for record_type in schema.BY_NAME.values():
        heading = record_type.member or record_type.name
        section = next((s for s in sections if s.startswith(f"`{heading}`")), None)
        assert section is not None, f"no section for {heading}"
        for f in record_type.fields:
            assert f"| `{f.name}` |" in section, f"{heading}: {f.name}"
    assert "audit-tool-partnership" in text


def test_the_app_registers_the_commands(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    assert {"export-partnership", "import-partnership"} <= set(app.cli.commands)
    app.extensions["database"].engine.dispose()


def test_every_table_is_in_the_archive_or_deliberately_left_out():
    # Sessions, sign-in throttles and API tokens belong to the instance they were made in.
    instance_only = {"login_session", "login_throttle", "api_token"}
    known = {rt.table for rt in schema.BY_NAME.values()} | instance_only
    assert set(Base.metadata.tables) <= known
