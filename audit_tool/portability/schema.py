"""The record types of the "audit-tool-partnership/1" archive, field by field.

Pure declarations: no database, no Flask. The validator (`archive_format`), the exporter,
the importer and the documentation test all read these tables, so a field cannot be
carried without being checked, nor checked without being documented.

Every record has a `key`, its archive key: a string starting with the type's prefix
("assessment/3", "criterion/builtin/s11-nine-standards/1/S1/1.1"). References between
records are always archive keys, never database ids. Record types are listed in the order
they are imported; a reference may point to a record of an earlier type, or to an earlier
record of the same type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..models import (
    ActionSource,
    ActionStatus,
    AgeBand,
    AssessmentStatus,
    CaseReturnStatus,
    CycleStatus,
    FrameworkStatus,
    LearningTheme,
    Outcome,
    PanelStatus,
    PlanType,
    QuestionKind,
    Role,
    RoundStatus,
    Sector,
)

FORMAT = "audit-tool-partnership"
VERSION = 1
FORMAT_ID = f"{FORMAT}/{VERSION}"
MANIFEST = "manifest.json"
README = "README.txt"
FILES_DIR = "files/"
ANY = "*"  # the target of a reference that may point to a record of any type


class Kind(StrEnum):
    STRING = "string"  # one line of text, at most `max_length` characters
    TEXT = "text"  # text of any length; may hold line breaks
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"  # "2026-03-31"
    DATETIME = "datetime"  # "2026-03-31T09:30:00.000000Z", always UTC
    DECIMAL = "decimal"  # "2.5": a string, so a score is never rounded on the way
    CHOICE = "choice"  # one of `choices`
    CHOICES = "choices"  # a list of `choices`, each at most once
    JSON = "json"  # a JSON object
    REFERENCE = "reference"  # the archive key of a record of type `target`
    SHA256 = "sha256"  # 64 lower-case hex digits: the member files/<sha256>
    RECORDS = "records"  # nested records of type `target`


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    nullable: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    target: str | None = None
    # False: no database column of this name; the exporter and importer handle it.
    stored: bool = True
    column_name: str | None = None

    @property
    def column(self) -> str:
        if self.column_name:
            return self.column_name
        return f"{self.name}_id" if self.kind is Kind.REFERENCE else self.name


@dataclass(frozen=True)
class Unique:
    """No two records of a type may share these fields (where `only_if` holds)."""

    fields: tuple[str, ...]
    only_if: tuple[str, str] | None = None


@dataclass(frozen=True)
class RecordType:
    name: str
    prefix: str
    model: str  # the model class, as named in an audit event's `subject_type`
    table: str
    fields: tuple[Field, ...]
    member: str | None = None  # the archive member holding it; None when nested
    # Flat types belong to the partnership directly (a column) or through a parent.
    partnership_column: str | None = None
    parent: str | None = None
    # Nested types: the column naming the parent row, how siblings are ordered, and the
    # field whose value extends the parent's key.
    parent_column: str | None = None
    order_column: str | None = None
    path_field: str | None = None
    unique: tuple[Unique, ...] = ()

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def positioned(self) -> bool:
        return self.order_column == "position"

    @property
    def children(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind is Kind.RECORDS)


def _text(name: str, *, nullable: bool = False) -> Field:
    return Field(name, Kind.TEXT, nullable=nullable)


def _string(name: str, length: int, *, nullable: bool = False, column: str | None = None):
    return Field(name, Kind.STRING, nullable=nullable, max_length=length, column_name=column)


def _ref(name: str, target: str, *, nullable: bool = False) -> Field:
    return Field(name, Kind.REFERENCE, nullable=nullable, target=target)


def _choice(name: str, enum: type[StrEnum], *, nullable: bool = False) -> Field:
    return Field(name, Kind.CHOICE, nullable=nullable, choices=tuple(e.value for e in enum))


def _flag(name: str, *, nullable: bool = False) -> Field:
    return Field(name, Kind.BOOLEAN, nullable=nullable)


def _day(name: str, *, nullable: bool = False) -> Field:
    return Field(name, Kind.DATE, nullable=nullable)


def _moment(name: str, *, nullable: bool = True) -> Field:
    return Field(name, Kind.DATETIME, nullable=nullable)


def _number(name: str, *, nullable: bool = False) -> Field:
    return Field(name, Kind.INTEGER, nullable=nullable)


def _nested(name: str, target: str) -> Field:
    return Field(name, Kind.RECORDS, target=target, stored=False)


STAMPS = (_moment("created_at", nullable=False), _moment("updated_at", nullable=False))
_BUILTIN = Field("builtin", Kind.BOOLEAN, stored=False)

# Partnership, agencies, people ----------------------------------------------------------

PARTNERSHIP = RecordType(
    "partnership", "partnership", "Partnership", "partnership",
    (_string("name", 200), _string("slug", 64), _string("contact_email", 254, nullable=True),
     *STAMPS),
    member="partnership.json",
)  # fmt: skip
AGENCIES = RecordType(
    "agencies", "agency", "Agency", "agency",
    (_string("name", 200), _choice("sector", Sector), *STAMPS),
    member="agencies.json",
)  # fmt: skip
AGENCY_LINKS = RecordType(
    "agency_links", "agency-link", "PartnershipAgency", "partnership_agency",
    (_ref("agency", "agencies"), _moment("archived_at"), *STAMPS),
    member="agency_links.json", partnership_column="partnership_id",
    unique=(Unique(("agency",)),),
)  # fmt: skip
USERS = RecordType(
    "users", "user", "User", "user_account",
    (_string("email", 254), _string("name", 200), _flag("active")),
    member="users.json", unique=(Unique(("email",)),),
)  # fmt: skip
MEMBERSHIPS = RecordType(
    "memberships", "membership", "Membership", "membership",
    (_ref("user", "users"), _choice("role", Role), _ref("agency", "agencies", nullable=True),
     *STAMPS),
    member="memberships.json", partnership_column="partnership_id",
    unique=(Unique(("user", "role", "agency")),),
)  # fmt: skip

# Frameworks (nested) --------------------------------------------------------------------

SCALE_LEVELS = RecordType(
    "scale_levels", "scale-level", "ScaleLevel", "scale_level",
    (_string("level_key", 32, column="key"), _string("label", 100), _text("description"),
     _string("colour", 7), Field("score", Kind.DECIMAL), _flag("needs_action"),
     _flag("needs_evidence")),
    parent_column="version_id", order_column="position", path_field="level_key",
)  # fmt: skip
CRITERIA = RecordType(
    "criteria", "criterion", "Criterion", "criterion",
    (_string("criterion_key", 64, column="key"), _string("code", 16), _string("title", 200),
     _text("wording"), _text("guidance"), _flag("essential"),
     Field("sectors", Kind.CHOICES, choices=tuple(s.value for s in Sector)), _flag("allow_na")),
    parent_column="standard_id", order_column="position", path_field="criterion_key",
)  # fmt: skip
STANDARDS = RecordType(
    "standards", "standard", "Standard", "standard",
    (_string("standard_key", 64, column="key"), _string("code", 16), _string("title", 200),
     _text("summary"), _nested("criteria", "criteria")),
    parent_column="version_id", order_column="position", path_field="standard_key",
)  # fmt: skip
FRAMEWORK_VERSIONS = RecordType(
    "framework_versions", "framework-version", "FrameworkVersion", "framework_version",
    (_number("number"), _choice("status", FrameworkStatus), _string("name", 200),
     _text("description"), _string("scale_key", 64), _string("scale_name", 200),
     _text("scale_description"), _moment("published_at"), _nested("levels", "scale_levels"),
     _nested("standards", "standards")),
    parent_column="framework_id", order_column="number", path_field="number",
)  # fmt: skip
FRAMEWORKS = RecordType(
    "frameworks", "framework", "Framework", "framework",
    (_BUILTIN, _string("framework_key", 64, column="key"), _string("name", 200),
     _nested("versions", "framework_versions")),
    member="frameworks.json", path_field="framework_key",
)  # fmt: skip

# Case-audit templates (nested) ----------------------------------------------------------

CASE_QUESTIONS = RecordType(
    "case_questions", "case-question", "CaseQuestion", "case_question",
    (_string("question_key", 64, column="key"), _choice("kind", QuestionKind),
     _text("wording"), _text("guidance")),
    parent_column="section_id", order_column="position", path_field="question_key",
)  # fmt: skip
CASE_SECTIONS = RecordType(
    "case_sections", "case-section", "CaseSection", "case_section",
    (_string("section_key", 64, column="key"), _string("title", 200), _text("summary"),
     _nested("questions", "case_questions")),
    parent_column="version_id", order_column="position", path_field="section_key",
)  # fmt: skip
CASE_TEMPLATE_VERSIONS = RecordType(
    "case_template_versions", "case-template-version", "CaseTemplateVersion",
    "case_template_version",
    (_number("number"), _choice("status", FrameworkStatus), _string("name", 200),
     _text("description"), _moment("published_at"), _nested("sections", "case_sections")),
    parent_column="template_id", order_column="number", path_field="number",
)  # fmt: skip
CASE_TEMPLATES = RecordType(
    "case_templates", "case-template", "CaseTemplate", "case_template",
    (_BUILTIN, _string("template_key", 64, column="key"), _string("name", 200),
     _string("theme", 200), _string("reference_prefix", 8),
     _nested("versions", "case_template_versions")),
    member="case_templates.json", path_field="template_key",
)  # fmt: skip

# Section 11 ----------------------------------------------------------------------------

CYCLES = RecordType(
    "cycles", "cycle", "AuditCycle", "audit_cycle",
    (_ref("framework_version", "framework_versions"), _string("name", 200),
     _choice("status", CycleStatus), _day("opens_on"), _day("due_on"),
     _day("panel_from", nullable=True), _day("panel_to", nullable=True), *STAMPS),
    member="cycles.json", partnership_column="partnership_id",
)  # fmt: skip
ASSESSMENTS = RecordType(
    "assessments", "assessment", "Assessment", "assessment",
    (_ref("cycle", "cycles"), _ref("agency", "agencies"), _choice("status", AssessmentStatus),
     _ref("carried_from", "assessments", nullable=True), _moment("last_activity_at"),
     _moment("submitted_at"), _ref("submitted_by", "users", nullable=True),
     _string("declaration_name", 200, nullable=True),
     _string("declaration_role", 200, nullable=True), _text("reopened_reason", nullable=True),
     *STAMPS),
    member="assessments.json", parent="cycle", unique=(Unique(("cycle", "agency")),),
)  # fmt: skip
CRITERION_RESPONSES = RecordType(
    "criterion_responses", "response", "CriterionResponse", "criterion_response",
    (_ref("assessment", "assessments"), _ref("criterion", "criteria"),
     _ref("level", "scale_levels", nullable=True), _flag("not_applicable"), _text("evidence"),
     _text("impact"), _text("improvement"), _text("action"), _string("action_owner", 200),
     _day("action_due", nullable=True), _flag("review_needed"),
     _ref("updated_by", "users", nullable=True), _number("version"), *STAMPS),
    member="criterion_responses.json", parent="assessment",
    unique=(Unique(("assessment", "criterion")),),
)  # fmt: skip
EVIDENCE_ITEMS = RecordType(
    "evidence_items", "evidence", "EvidenceItem", "evidence_item",
    (_ref("response", "criterion_responses"), _string("title", 200),
     _string("reference", 500), Field("file_sha256", Kind.SHA256, nullable=True, stored=False),
     _string("original_filename", 255, nullable=True),
     _string("content_type", 100, nullable=True), _number("size_bytes", nullable=True),
     _day("effective_on", nullable=True), _day("review_on", nullable=True),
     _moment("removed_at"), *STAMPS),
    member="evidence_items.json", parent="response",
)  # fmt: skip

# Challenge panels -----------------------------------------------------------------------

PANELS = RecordType(
    "panels", "panel", "Panel", "panel",
    (_ref("cycle", "cycles"), _day("held_on"), _string("starts_at", 5), _string("place", 500),
     _ref("chair", "users"), _choice("status", PanelStatus), _moment("signed_off_at"),
     _text("reopened_reason", nullable=True), *STAMPS),
    member="panels.json", parent="cycle",
)  # fmt: skip
PANEL_MEMBERS = RecordType(
    "panel_members", "panel-member", "PanelMember", "panel_member",
    (_ref("panel", "panels"), _ref("user", "users"), *STAMPS),
    member="panel_members.json", parent="panel", unique=(Unique(("panel", "user")),),
)  # fmt: skip
PANEL_AGENCIES = RecordType(
    "panel_agencies", "panel-agency", "PanelAgency", "panel_agency",
    (_ref("panel", "panels"), _ref("assessment", "assessments"), _string("slot", 5),
     _choice("outcome", Outcome, nullable=True), _text("outcome_summary"),
     _text("private_notes"), *STAMPS),
    member="panel_agencies.json", parent="panel", unique=(Unique(("panel", "assessment")),),
)  # fmt: skip
CHALLENGES = RecordType(
    "challenges", "challenge", "Challenge", "challenge",
    (_ref("panel_agency", "panel_agencies"), _ref("criterion", "criteria", nullable=True),
     _ref("standard", "standards", nullable=True), _text("question"),
     _ref("raised_by", "users"), _text("response"), _ref("responded_by", "users", nullable=True),
     _moment("responded_at"), _flag("satisfied", nullable=True), *STAMPS),
    member="challenges.json", parent="panel_agency",
)  # fmt: skip
MODERATED_RATINGS = RecordType(
    "moderated_ratings", "moderated-rating", "ModeratedRating", "moderated_rating",
    (_ref("panel_agency", "panel_agencies"), _ref("criterion", "criteria"),
     _ref("level", "scale_levels"), _text("rationale"), _ref("set_by", "users"), *STAMPS),
    member="moderated_ratings.json", parent="panel_agency",
    unique=(Unique(("panel_agency", "criterion")),),
)  # fmt: skip

# Case-file audits -----------------------------------------------------------------------

CASE_AUDIT_ROUNDS = RecordType(
    "case_audit_rounds", "case-round", "CaseAuditRound", "case_audit_round",
    (_ref("template_version", "case_template_versions"), _string("name", 200),
     _string("theme", 200), _day("lookback_from"), _day("lookback_to"), _day("due_on"),
     _day("moderation_on", nullable=True), _choice("status", RoundStatus),
     _moment("closed_at"), _text("reopened_reason", nullable=True), *STAMPS),
    member="case_audit_rounds.json", partnership_column="partnership_id",
)  # fmt: skip
AUDIT_CASES = RecordType(
    "audit_cases", "case", "AuditCase", "audit_case",
    (_ref("round", "case_audit_rounds"), _number("sequence"), _string("reference", 32),
     _choice("age_band", AgeBand), _choice("plan_type", PlanType), _text("selection_reason"),
     _string("overall_grade", 32, nullable=True), _text("overall_rationale"),
     _moment("moderated_at"), _ref("moderated_by", "users", nullable=True), *STAMPS),
    member="audit_cases.json", partnership_column="partnership_id",
    unique=(Unique(("round", "sequence")), Unique(("reference",))),
)  # fmt: skip
CASE_RETURNS = RecordType(
    "case_returns", "case-return", "CaseReturn", "case_return",
    (_ref("case", "audit_cases"), _ref("agency", "agencies"),
     _choice("status", CaseReturnStatus), _moment("last_activity_at"), _moment("submitted_at"),
     _ref("submitted_by", "users", nullable=True), _text("reopened_reason", nullable=True),
     *STAMPS),
    member="case_returns.json", parent="case", unique=(Unique(("case", "agency")),),
)  # fmt: skip
SECTION_RETURNS = RecordType(
    "section_returns", "section-return", "SectionReturn", "case_section_return",
    (_ref("case_return", "case_returns"), _ref("section", "case_sections"),
     _text("good_practice"), _text("development"), _text("recommendations"),
     _ref("updated_by", "users", nullable=True), _number("version"), *STAMPS),
    member="section_returns.json", parent="case_return",
    unique=(Unique(("case_return", "section")),),
)  # fmt: skip
CASE_ANSWERS = RecordType(
    "case_answers", "case-answer", "CaseAnswer", "case_answer",
    (_ref("section_return", "section_returns"), _ref("question", "case_questions"),
     _string("answer", 32, nullable=True), _text("comment"), *STAMPS),
    member="case_answers.json", parent="section_return",
    unique=(Unique(("section_return", "question")),),
)  # fmt: skip
CASE_JUDGEMENTS = RecordType(
    "case_judgements", "case-judgement", "CaseJudgement", "case_judgement",
    (_ref("case", "audit_cases"), _ref("section", "case_sections"), _string("grade", 32),
     _text("rationale"), _ref("set_by", "users"), *STAMPS),
    member="case_judgements.json", parent="case", unique=(Unique(("case", "section")),),
)  # fmt: skip
LEARNING_POINTS = RecordType(
    "learning_points", "learning", "LearningPoint", "case_learning",
    (_ref("case", "audit_cases"), _choice("theme", LearningTheme), _text("text"),
     _ref("by", "users"), *STAMPS),
    member="learning_points.json", parent="case",
)  # fmt: skip
SAFEGUARDING_CONCERNS = RecordType(
    "safeguarding_concerns", "concern", "SafeguardingConcern", "safeguarding_concern",
    (_ref("case", "audit_cases"), _text("description"), _string("follow_up_by", 200),
     _ref("follow_up_agency", "agencies", nullable=True), _day("due_on"),
     _ref("raised_by", "users"), _moment("closed_at"), _ref("closed_by", "users", nullable=True),
     _text("closing_note"), *STAMPS),
    member="safeguarding_concerns.json", partnership_column="partnership_id",
)  # fmt: skip

# Actions and the audit trail ------------------------------------------------------------

ACTIONS = RecordType(
    "actions", "action", "Action", "action",
    (_ref("agency", "agencies"), _choice("source", ActionSource),
     _ref("assessment", "assessments", nullable=True), _ref("criterion", "criteria", nullable=True),
     _ref("panel_agency", "panel_agencies", nullable=True),
     _ref("challenge", "challenges", nullable=True), _ref("case", "audit_cases", nullable=True),
     _text("description"), _string("owner", 200), _day("due_on"), _choice("status", ActionStatus),
     _moment("closed_at"), _ref("closed_by", "users", nullable=True), *STAMPS),
    member="actions.json", partnership_column="partnership_id",
    unique=(Unique(("assessment", "criterion"), only_if=("source", ActionSource.RETURN.value)),),
)  # fmt: skip
ACTION_UPDATES = RecordType(
    "action_updates", "action-update", "ActionUpdate", "action_update",
    (_ref("action", "actions"), _text("note"), _string("evidence_reference", 500),
     _ref("by", "users"), *STAMPS),
    member="action_updates.json", parent="action",
)  # fmt: skip
AUDIT_EVENTS = RecordType(
    "audit_events", "event", "AuditEvent", "audit_event",
    (_string("event", 64), _ref("actor", "users", nullable=True),
     _string("subject_type", 64, nullable=True),
     Field("subject", Kind.REFERENCE, nullable=True, target=ANY, stored=False),
     Field("data", Kind.JSON), *STAMPS),
    member="audit_events.json", partnership_column="partnership_id",
)  # fmt: skip

# Top-level types in import order; each is one JSON member of the archive.
TOP_LEVEL: tuple[RecordType, ...] = (
    PARTNERSHIP,
    AGENCIES,
    AGENCY_LINKS,
    USERS,
    MEMBERSHIPS,
    FRAMEWORKS,
    CASE_TEMPLATES,
    CYCLES,
    ASSESSMENTS,
    CRITERION_RESPONSES,
    EVIDENCE_ITEMS,
    PANELS,
    PANEL_MEMBERS,
    PANEL_AGENCIES,
    CHALLENGES,
    MODERATED_RATINGS,
    CASE_AUDIT_ROUNDS,
    AUDIT_CASES,
    CASE_RETURNS,
    SECTION_RETURNS,
    CASE_ANSWERS,
    CASE_JUDGEMENTS,
    LEARNING_POINTS,
    SAFEGUARDING_CONCERNS,
    ACTIONS,
    ACTION_UPDATES,
    AUDIT_EVENTS,
)
NESTED: tuple[RecordType, ...] = (
    FRAMEWORK_VERSIONS,
    SCALE_LEVELS,
    STANDARDS,
    CRITERIA,
    CASE_TEMPLATE_VERSIONS,
    CASE_SECTIONS,
    CASE_QUESTIONS,
)
BY_NAME: dict[str, RecordType] = {rt.name: rt for rt in (*TOP_LEVEL, *NESTED)}
BY_PREFIX: dict[str, RecordType] = {rt.prefix: rt for rt in BY_NAME.values()}
JSON_MEMBERS: tuple[str, ...] = tuple(rt.member for rt in TOP_LEVEL if rt.member)
