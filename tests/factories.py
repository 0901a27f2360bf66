"""Test data made through the same services the app uses, so audit rules hold."""

from __future__ import annotations

import io
import itertools
from datetime import date, timedelta

from audit_tool import clock
from audit_tool.frameworks.library import draft_new_version, find_framework, load_builtin
from audit_tool.models import (
    Action,
    ActionSource,
    AgeBand,
    ApiToken,
    Assessment,
    AuditCase,
    AuditCycle,
    CaseAuditRound,
    CaseQuestion,
    CaseReturn,
    CaseReturnStatus,
    CaseSection,
    CaseTemplate,
    CaseTemplateVersion,
    Challenge,
    Criterion,
    EvidenceItem,
    FrameworkStatus,
    FrameworkVersion,
    LearningPoint,
    LearningTheme,
    Panel,
    PanelAgency,
    Partnership,
    PlanType,
    QuestionKind,
    Role,
    RoundStatus,
    SafeguardingConcern,
    Sector,
    User,
    utcnow,
)
from audit_tool.services import (
    actions,
    agencies,
    api_tokens,
    case_moderation,
    cycles,
    evidence_files,
    evidence_items,
    panels,
    partnerships,
    users,
)

PASSWORD = "correct-horse-battery-staple"

_counter = itertools.count(1)


class Factory:
    def __init__(self, session) -> None:
        self.session = session

    def partnership(self, name: str | None = None) -> Partnership:
        n = next(_counter)
        return partnerships.create_partnership(
            self.session,
            name=name or f"Partnership {n}",
            slug=f"partnership-{n}",
            contact_email=f"unit{n}@example.org",
            by=None,
        )

    def agency(self, partnership: Partnership, name: str | None = None, sector=Sector.POLICE):
        link = agencies.create_agency(
            self.session,
            partnership=partnership,
            name=name or f"Agency {next(_counter)}",
            sector=sector,
            by=None,
        )
        return link.agency

    def user(
        self,
        partnership: Partnership | None = None,
        role: Role | None = None,
        agency=None,
        *,
        email: str | None = None,
        name: str = "Test Person",
        password: str = PASSWORD,
        system_admin: bool = False,
    ) -> User:
        person, _ = users.create_user(
            self.session,
            email=email or f"person{next(_counter)}@example.org",
            name=name,
            password=password,
            partnership=partnership,
            is_system_admin=system_admin,
            by=None,
        )
        if role is not None:
            users.grant_role(
                self.session,
                user=person,
                partnership=partnership,
                role=role,
                agency=agency,
                by=None,
            )
        self.session.flush()
        return person

    def cycle(
        self,
        partnership: Partnership,
        *,
        framework_key: str = "s11-nine-standards",
        opened: bool = True,
        opens_on: date | None = None,
        name: str | None = None,
    ) -> AuditCycle:
        versions = load_builtin(self.session)
        version = next(v for v in versions if v.framework.key == framework_key)
        opens_on = opens_on or clock.today() - timedelta(days=7)
        cycle = cycles.create_cycle(
            self.session,
            partnership=partnership,
            name=name or f"Section 11 cycle {next(_counter)}",
            framework_version=version,
            opens_on=opens_on,
            due_on=opens_on + timedelta(days=90),
            panel_from=None,
            panel_to=None,
            sectors=None,
            by=None,
        )
        if opened:
            cycles.open_cycle(self.session, cycle=cycle, by=None)
        self.session.flush()
        return cycle

    def case_template(self, partnership: Partnership | None = None) -> CaseTemplateVersion:
        """A small published template: two sections, every kind of question.

        Built from the models directly, so tests of rounds and returns do not depend on
        the built-in template files."""
        n = next(_counter)
        template = CaseTemplate(
            key=f"test-theme-{n}",
            name=f"Test theme {n} audit",
            theme=f"Test theme {n}",
            reference_prefix="TT",
            partnership=partnership,
        )
        version = CaseTemplateVersion(
            template=template,
            number=1,
            status=FrameworkStatus.PUBLISHED,
            name=template.name,
            published_at=utcnow(),
        )
        kinds = {
            "recognition": [QuestionKind.GRADED, QuestionKind.YES_PARTLY_NO],
            "planning": [QuestionKind.GRADED, QuestionKind.FREE_TEXT],
        }
        for position, (key, question_kinds) in enumerate(kinds.items()):
            section = CaseSection(
                version=version, key=key, title=key.capitalize(), position=position
            )
            for q, kind in enumerate(question_kinds):
                CaseQuestion(
                    section=section,
                    key=f"{key}-{q + 1}",
                    kind=kind,
                    wording=f"{key.capitalize()} question {q + 1} ({kind.label})",
                    position=q,
                )
        self.session.add(template)
        self.session.flush()
        return version

    def case_round(
        self,
        partnership: Partnership,
        agencies_per_case: list[list],
        *,
        status: RoundStatus = RoundStatus.OPEN,
        version: CaseTemplateVersion | None = None,
        due_on: date | None = None,
    ) -> CaseAuditRound:
        """A round with one case per entry of `agencies_per_case`, each assigned to those
        agencies (each case gets a not-started return per agency)."""
        version = version or self.case_template()
        today = clock.today()
        audit_round = CaseAuditRound(
            partnership=partnership,
            template_version=version,
            name=f"{version.template.theme} audit {next(_counter)}",
            theme=version.template.theme,
            lookback_from=today - timedelta(days=365),
            lookback_to=today,
            due_on=due_on or today + timedelta(days=30),
            moderation_on=today + timedelta(days=45),
            status=status,
        )
        self.session.add(audit_round)
        for case_agencies in agencies_per_case:
            self.case(audit_round, case_agencies)
        self.session.flush()
        return audit_round

    def case(self, audit_round: CaseAuditRound, agencies: list) -> AuditCase:
        """One more case in the round, with a not-started return for each agency."""
        prefix = audit_round.template_version.template.reference_prefix
        case = AuditCase(
            partnership_id=audit_round.partnership.id,
            round=audit_round,
            sequence=len(audit_round.cases) + 1,
            reference=f"{prefix}-{clock.today().year}-{next(_counter):02d}",
            age_band=AgeBand.AGE_5_9,
            plan_type=PlanType.CHILD_PROTECTION,
            selection_reason="Open to children's social care throughout the period",
        )
        self.session.add(case)
        for agency in agencies:
            self.session.add(
                CaseReturn(case=case, agency=agency, status=CaseReturnStatus.NOT_STARTED)
            )
        self.session.flush()
        return case

    def learning(self, case: AuditCase, *, by: User) -> LearningPoint:
        return case_moderation.add_learning(
            self.session, case=case, theme=LearningTheme.RECORDING, text="Record decisions", by=by
        )

    def concern(self, case: AuditCase, *, by: User) -> SafeguardingConcern:
        return case_moderation.raise_concern(
            self.session,
            case=case,
            description="Sibling not seen",
            follow_up_by="Head of service",
            follow_up_agency=None,
            due_on=clock.today() + timedelta(days=2),
            today=clock.today(),
            by=by,
        )

    # Section 11 returns, panels and what hangs off them ------------------------------

    def evidence_item(
        self,
        assessment: Assessment,
        criterion: Criterion,
        *,
        by: User,
        upload_folder: str | None = None,
    ) -> EvidenceItem:
        """An evidence item on an answer: a reference, or with `upload_folder` an uploaded
        PDF stored there the way the upload page stores one."""
        stored = None
        if upload_folder is not None:
            stored = evidence_files.store_upload(
                stream=io.BytesIO(b"%PDF-1.7\n%%EOF\n"),
                filename="policy.pdf",
                upload_folder=upload_folder,
                max_bytes=1024 * 1024,
            )
        return evidence_items.add_evidence_item(
            self.session,
            assessment=assessment,
            criterion=criterion,
            title="Safeguarding policy",
            reference="Intranet",
            stored=stored,
            effective_on=None,
            review_on=None,
            by=by,
        )

    def panel(self, cycle: AuditCycle, *, chair: User, assessments: list, by: User) -> Panel:
        """A scheduled panel next week, chaired by `chair`, with those returns attending."""
        return panels.schedule_panel(
            self.session,
            cycle=cycle,
            held_on=clock.today() + timedelta(days=7),
            starts_at="09:30",
            place="Room 1",
            chair=chair,
            members=[],
            assessments=assessments,
            by=by,
            today=clock.today(),
        )

    def challenge(self, attendance: PanelAgency, criterion: Criterion, *, by: User) -> Challenge:
        return panels.raise_challenge(
            self.session,
            attendance=attendance,
            question="How do you know staff follow it?",
            criterion=criterion,
            standard=None,
            by=by,
        )

    def action(
        self,
        assessment: Assessment,
        *,
        by: User,
        criterion: Criterion | None = None,
        attendance: PanelAgency | None = None,
    ) -> Action:
        """An action on the agency's tracker: agreed at `attendance`'s panel if given,
        otherwise from the return."""
        return actions.create_action(
            self.session,
            partnership=assessment.cycle.partnership,
            agency=assessment.agency,
            source=ActionSource.PANEL if attendance else ActionSource.RETURN,
            description="Refresh safeguarding training",
            owner="Head of training",
            due_on=clock.today() + timedelta(days=60),
            today=clock.today(),
            by=by,
            assessment=assessment,
            criterion=criterion,
            panel_agency=attendance,
        )

    def api_token(self, user: User, partnership: Partnership) -> ApiToken:
        token, _ = api_tokens.create_token(
            self.session, user=user, partnership=partnership, name="Power BI", by=user
        )
        return token

    def framework_draft(
        self, partnership: Partnership, *, by: User, framework_key: str = "s11-nine-standards"
    ) -> FrameworkVersion:
        """The partnership's own draft copy of a built-in framework."""
        load_builtin(self.session)
        builtin = find_framework(self.session, partnership=None, key=framework_key)
        return draft_new_version(self.session, framework=builtin, partnership=partnership, by=by)
