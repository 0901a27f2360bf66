"""The Section 11 workbooks' tables, built from plain data: no database, no Flask, no
XlsxWriter. The service (`services/exports.py`) loads the data and works out the scores
and flags with `dashboard`, exactly as the web pages do; these functions only lay them out.

Every sheet and column is described in docs/exports.md: change both together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from ..flags import Flag
from ..scoring import Distribution, Scored, Summary, effective_score
from .rows import Band, Cell, Column, Kind, Table, percent, yes_no

# ---------------------------------------------------------------------------------------
# Plain inputs


@dataclass(frozen=True)
class LevelInfo:
    key: str
    label: str
    score: float
    colour: str
    position: int
    description: str = ""
    needs_action: bool = False
    needs_evidence: bool = False


@dataclass(frozen=True)
class StandardInfo:
    key: str
    code: str
    title: str


@dataclass(frozen=True)
class CriterionInfo:
    id: int
    key: str
    code: str
    title: str
    standard_key: str
    standard_code: str
    essential: bool = False


@dataclass(frozen=True)
class AgencyInfo:
    """An agency's return in the cycle."""

    agency_id: int
    assessment_id: int
    name: str
    sector: str
    status: str
    submitted_at: datetime | None = None
    declaration: str = ""


@dataclass(frozen=True)
class AnswerText:
    """What the agency typed for one criterion."""

    evidence: str = ""
    impact: str = ""
    improvement: str = ""
    action: str = ""
    action_owner: str = ""
    action_due: date | None = None
    review_needed: bool = False
    updated_at: datetime | None = None
    updated_by: str = ""


@dataclass(frozen=True)
class EvidenceInfo:
    title: str
    reference: str = ""
    filename: str | None = None
    effective_on: date | None = None
    review_on: date | None = None
    added_at: datetime | None = None


@dataclass(frozen=True)
class PanelRating:
    level_key: str
    rationale: str
    panel_on: date | None = None


@dataclass(frozen=True)
class ChallengeInfo:
    about: str
    question: str
    raised_at: datetime | None = None
    response: str = ""
    responded_at: datetime | None = None
    satisfied: bool | None = None


@dataclass(frozen=True)
class AttendanceInfo:
    """One agency's slot at a panel, as far as the reader may see it."""

    held_on: date
    slot: str
    place: str
    status: str
    chair: str
    agency: str
    sector: str
    outcome: str | None
    outcome_summary: str
    signed_off_on: date | None
    moderated: int
    challenges: list[ChallengeInfo] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Colours and ratings


def font_for(colour: str) -> str:
    """Black or white text, whichever reads better on the colour (WCAG contrast)."""
    background = _luminance(colour)
    black = _luminance("#0b0c0c")
    on_white = (1.05) / (background + 0.05)
    on_black = (background + 0.05) / (black + 0.05)
    return "#ffffff" if on_white >= on_black else "#0b0c0c"


def _luminance(colour: str) -> float:
    value = colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def bands(levels: Sequence[LevelInfo]) -> list[Band]:
    """Score ranges coloured like the web heat map: each score takes the colour of the
    nearest level, and a score exactly between two levels takes the lower one
    (`dashboard.nearest_level`), so a cell never looks better than it is."""
    ordered = sorted(levels, key=lambda level: (level.score, level.position))
    found = []
    for index, level in enumerate(ordered):
        low = 0.0 if index == 0 else (ordered[index - 1].score + level.score) / 2
        high = 100.0 if index == len(ordered) - 1 else (level.score + ordered[index + 1].score) / 2
        found.append(
            Band(
                low=low,
                high=high,
                colour=level.colour,
                font_colour=font_for(level.colour),
                inclusive_low=index == 0,
            )
        )
    return found


def _label(levels: Mapping[str, LevelInfo], key: str | None) -> str | None:
    if key is None:
        return None
    level = levels.get(key)
    return level.label if level else key


# ---------------------------------------------------------------------------------------
# About


def scale_rows(levels: Sequence[LevelInfo]) -> list[list[Cell]]:
    """The rating scale, highest first (as the return pages list it)."""
    return [
        [
            level.label,
            level.score,
            level.colour,
            yes_no(level.needs_action),
            yes_no(level.needs_evidence),
            level.description,
        ]
        for level in sorted(levels, key=lambda level: level.position, reverse=True)
    ]


SCALE_COLUMNS = [
    Column("Rating", Kind.TEXT, 26),
    Column("Score", Kind.SCORE, 8),
    Column("Colour", Kind.TEXT, 10),
    Column("Needs an action", Kind.TEXT, 10),
    Column("Needs evidence", Kind.TEXT, 10),
    Column("What it means", Kind.TEXT, 80),
]


# ---------------------------------------------------------------------------------------
# Summary


def summary_table(
    *,
    standards: Sequence[StandardInfo],
    scores: Summary,
    self_scores: Summary | None,
    agency_ids: Sequence[int],
    nearest: callable,
) -> Table:
    """Partnership compliance per standard: the mean of the agencies' standard scores
    (`scoring.partnership_standard_scores`), as on the heat map's footer."""
    columns = [
        Column("Standard", Kind.TEXT, 10),
        Column("Title", Kind.TEXT, 50),
        Column("Partnership score", Kind.SCORE, 12),
    ]
    if self_scores is not None:
        columns.append(Column("Partnership score on agencies' own ratings", Kind.SCORE, 16))
    columns += [
        Column("Nearest rating", Kind.TEXT, 22),
        Column("Agencies scored", Kind.INTEGER, 10),
        Column("Agencies with no score", Kind.INTEGER, 12),
    ]
    rows = []
    for standard in standards:
        value = scores.partnership_standard.get(standard.key)
        scored = sum(
            1 for a in agency_ids if scores.agency_standard.get((a, standard.key)) is not None
        )
        row: list[Cell] = [standard.code, standard.title, value]
        if self_scores is not None:
            row.append(self_scores.partnership_standard.get(standard.key))
        row += [nearest(value), scored, len(agency_ids) - scored]
        rows.append(row)
    overall: list[Cell] = ["Overall", "Partnership score (mean of agencies)", scores.partnership]
    if self_scores is not None:
        overall.append(self_scores.partnership)
    scored = sum(1 for a in agency_ids if scores.agency.get(a) is not None)
    overall += [nearest(scores.partnership), scored, len(agency_ids) - scored]
    return Table("Summary", columns, rows, key_columns=1, footer=[overall])


STATUS_ORDER = ("Submitted", "In progress", "Reopened", "Not started")


def status_rows(agencies: Iterable[AgencyInfo]) -> list[list[Cell]]:
    counts: dict[str, int] = dict.fromkeys(STATUS_ORDER, 0)
    for agency in agencies:
        counts[agency.status] = counts.get(agency.status, 0) + 1
    total = sum(counts.values())
    rows: list[list[Cell]] = [
        [status, count, percent(100 * count / total) if total else 0.0]
        for status, count in counts.items()
    ]
    rows.append(["All returns", total, 1.0 if total else 0.0])
    return rows


STATUS_COLUMNS = [
    Column("Return status", Kind.TEXT, 10),
    Column("Returns", Kind.INTEGER, 50),
    Column("Share of returns", Kind.PERCENT, 12),
]


# ---------------------------------------------------------------------------------------
# Heat map


def heat_map_table(
    *,
    agencies: Sequence[AgencyInfo],
    standards: Sequence[StandardInfo],
    scores: Summary,
    self_scores: Summary | None,
    flag_counts: Mapping[int, int],
) -> Table:
    """Agencies by standard: the score each cell of the web heat map shows (panel's
    rating where it moderated), then, where panels moderated, the same on the agencies'
    own ratings."""
    columns = [
        Column("Agency", Kind.TEXT, 36),
        Column("Sector", Kind.TEXT, 16),
        Column("Return status", Kind.TEXT, 12),
        Column("Overall", Kind.SCORE, 9),
        *(Column(f"{s.code}. {s.title}", Kind.SCORE, 12) for s in standards),
        Column("Flags", Kind.INTEGER, 7),
    ]
    if self_scores is not None:
        columns.append(Column("Own ratings: overall", Kind.SCORE, 10))
        columns += [Column(f"Own ratings: {s.code}", Kind.SCORE, 10) for s in standards]
    rows = []
    for agency in agencies:
        a = agency.agency_id
        row: list[Cell] = [
            agency.name,
            agency.sector,
            agency.status,
            scores.agency.get(a),
            *(scores.agency_standard.get((a, s.key)) for s in standards),
            flag_counts.get(a, 0),
        ]
        if self_scores is not None:
            row.append(self_scores.agency.get(a))
            row += [self_scores.agency_standard.get((a, s.key)) for s in standards]
        rows.append(row)
    footer: list[Cell] = [
        "Partnership (mean of agencies)",
        None,
        None,
        scores.partnership,
        *(scores.partnership_standard.get(s.key) for s in standards),
        None,
    ]
    if self_scores is not None:
        footer.append(self_scores.partnership)
        footer += [self_scores.partnership_standard.get(s.key) for s in standards]
    return Table("Heat map", columns, rows, key_columns=1, freeze_columns=1, footer=[footer])


def heat_map_score_columns(standards: Sequence[StandardInfo], self_scores: Summary | None):
    """Column ranges (first, last) on the heat map that hold scores, for colouring."""
    ranges = [(3, 3 + len(standards))]
    if self_scores is not None:
        first = 3 + len(standards) + 2
        ranges.append((first, first + len(standards)))
    return ranges


# ---------------------------------------------------------------------------------------
# Criteria


def criteria_table(
    *,
    standards: Sequence[StandardInfo],
    criteria: Sequence[CriterionInfo],
    levels: Sequence[LevelInfo],
    distributions: Mapping[str, Distribution],
    self_distributions: Mapping[str, Distribution] | None,
) -> Table:
    """Per criterion, how many agencies are at each rating and what share of the
    agencies that rated it that is (`scoring.criterion_distributions`)."""
    high_first = sorted(levels, key=lambda level: level.position, reverse=True)
    titles = {s.key: s.title for s in standards}

    def level_columns(prefix: str) -> list[Column]:
        found = []
        for level in high_first:
            found.append(Column(f"{prefix}{level.label}: agencies", Kind.INTEGER, 11))
            found.append(Column(f"{prefix}{level.label}: %", Kind.PERCENT, 9))
        return [
            *found,
            Column(f"{prefix}Not applicable", Kind.INTEGER, 10),
            Column(f"{prefix}Not rated", Kind.INTEGER, 9),
            Column(f"{prefix}Agencies that rated it", Kind.INTEGER, 10),
        ]

    def level_cells(distribution: Distribution | None) -> list[Cell]:
        cells: list[Cell] = []
        for level in high_first:
            count = distribution.counts.get(level.key, 0) if distribution else 0
            share = distribution.percent(level.key) if distribution else 0.0
            cells += [count, percent(share)]
        if distribution is None:
            return [*cells, 0, 0, 0]
        rated = sum(distribution.counts.values())
        return [*cells, distribution.not_applicable, distribution.unrated, rated]

    columns = [
        Column("Standard", Kind.TEXT, 9),
        Column("Standard title", Kind.TEXT, 30),
        Column("Criterion", Kind.TEXT, 9),
        Column("Criterion title", Kind.TEXT, 40),
        Column("Essential", Kind.TEXT, 9),
        *level_columns(""),
    ]
    if self_distributions is not None:
        columns += level_columns("Own ratings, ")
    rows = []
    for criterion in criteria:
        row: list[Cell] = [
            criterion.standard_code,
            titles.get(criterion.standard_key, ""),
            criterion.code,
            criterion.title,
            yes_no(criterion.essential),
            *level_cells(distributions.get(criterion.key)),
        ]
        if self_distributions is not None:
            row += level_cells(self_distributions.get(criterion.key))
        rows.append(row)
    return Table("Criteria", columns, rows, key_columns=3, freeze_columns=3)


# ---------------------------------------------------------------------------------------
# Responses


@dataclass(frozen=True)
class ResponseField:
    column: Column
    name: str


def _fields(*pairs: tuple[str, Column]) -> list[ResponseField]:
    return [ResponseField(column, name) for name, column in pairs]


# The PQA's view of every answer.
RESPONSE_FIELDS = _fields(
    ("agency", Column("Agency", Kind.TEXT, 30)),
    ("criterion", Column("Criterion", Kind.TEXT, 9)),
    ("sector", Column("Sector", Kind.TEXT, 14)),
    ("status", Column("Return status", Kind.TEXT, 12)),
    ("standard", Column("Standard", Kind.TEXT, 9)),
    ("title", Column("Criterion title", Kind.TEXT, 36)),
    ("essential", Column("Essential", Kind.TEXT, 9)),
    ("weight", Column("Weight", Kind.NUMBER, 7)),
    ("own_rating", Column("Own rating", Kind.TEXT, 18)),
    ("own_score", Column("Own score", Kind.SCORE, 8)),
    ("not_applicable", Column("Not applicable", Kind.TEXT, 10)),
    ("panel_rating", Column("Panel's rating", Kind.TEXT, 18)),
    ("panel_score", Column("Panel's score", Kind.SCORE, 8)),
    ("panel_reason", Column("Panel's reasons", Kind.TEXT, 40)),
    ("score", Column("Score used", Kind.SCORE, 8)),
    ("evidence", Column("Evidence", Kind.TEXT, 60)),
    ("impact", Column("How they know it works", Kind.TEXT, 50)),
    ("items", Column("Evidence items", Kind.TEXT, 50)),
    ("item_count", Column("Evidence items (number)", Kind.INTEGER, 9)),
    ("next_review", Column("Earliest evidence review date", Kind.DATE, 12)),
    ("improvement", Column("Area for improvement", Kind.TEXT, 40)),
    ("action", Column("Action", Kind.TEXT, 40)),
    ("owner", Column("Action owner", Kind.TEXT, 20)),
    ("due", Column("Action due", Kind.DATE, 12)),
    ("review_needed", Column("Carried forward, not checked", Kind.TEXT, 11)),
    ("updated_at", Column("Last saved (UTC)", Kind.DATETIME, 16)),
    ("updated_by", Column("Last saved by", Kind.TEXT, 18)),
    ("flags", Column("Flags", Kind.TEXT, 40)),
    ("notes", Column("Notes", Kind.TEXT, 30)),
)

RESPONSE_NAMES = [f.name for f in RESPONSE_FIELDS]
NO_TEXT = AnswerText()

# The agency's own copy: no weights or combined score (their scorecard sheet has the
# scores), and the panel's ratings only once the panel is signed off.
AGENCY_RESPONSE_FIELDS = [
    f
    for f in RESPONSE_FIELDS
    if f.name not in {"agency", "sector", "status", "weight", "panel_score", "score"}
]


def _items_text(items: Sequence[EvidenceInfo]) -> str | None:
    if not items:
        return None
    lines = []
    for item in items:
        parts = [item.title]
        if item.reference:
            parts.append(item.reference)
        if item.filename:
            parts.append(f"file {item.filename}")
        if item.effective_on:
            parts.append(f"took effect {item.effective_on.isoformat()}")
        if item.review_on:
            parts.append(f"review by {item.review_on.isoformat()}")
        lines.append("; ".join(parts))
    return "\n".join(lines)


def _flags_text(flags: Sequence[Flag]) -> str | None:
    if not flags:
        return None
    return "\n".join(f"{f.severity.value.capitalize()}: {f.kind.label}" for f in flags)


def response_rows(
    *,
    fields: Sequence[ResponseField],
    agency: AgencyInfo,
    answers: Iterable[Scored],
    criteria: Mapping[str, CriterionInfo],
    levels: Mapping[str, LevelInfo],
    texts: Mapping[int, AnswerText],
    evidence: Mapping[int, Sequence[EvidenceInfo]],
    panel: Mapping[int, PanelRating],
    flags: Mapping[str, Sequence[Flag]],
) -> Iterator[list[Cell]]:
    """One row per answer of one agency, in framework order. `texts`, `evidence` and
    `panel` are keyed by criterion id, `flags` by criterion key. The panel's rating shown
    is the one given in `panel`; the score used is the one scoring counted."""
    # Every field in RESPONSE_FIELDS order, then the chosen ones picked by position:
    # built once per answer (24,000 for 400 agencies), so no dict per row.
    positions = [RESPONSE_NAMES.index(f.name) for f in fields]
    every = positions == list(range(len(RESPONSE_NAMES)))
    for answer in answers:
        criterion = criteria[answer.criterion_key]
        text = texts.get(criterion.id) or NO_TEXT
        items = evidence.get(criterion.id, ())
        rating = panel.get(criterion.id)
        reviews = [item.review_on for item in items if item.review_on]
        row: list[Cell] = [
            agency.name,
            criterion.code,
            agency.sector,
            agency.status,
            criterion.standard_code,
            criterion.title,
            yes_no(criterion.essential),
            answer.weight,
            _label(levels, answer.self_level),
            answer.self_score,
            "Yes" if answer.not_applicable else None,
            _label(levels, rating.level_key) if rating else None,
            levels[rating.level_key].score if rating and rating.level_key in levels else None,
            rating.rationale if rating else None,
            effective_score(answer),
            text.evidence or None,
            text.impact or None,
            _items_text(items),
            len(items),
            min(reviews) if reviews else None,
            text.improvement or None,
            text.action or None,
            text.action_owner or None,
            text.action_due,
            "Yes" if text.review_needed else None,
            text.updated_at,
            text.updated_by or None,
            _flags_text(flags.get(answer.criterion_key, ())),
            None,
        ]
        yield row if every else [row[i] for i in positions]


EVIDENCE_COLUMNS = [
    Column("Agency", Kind.TEXT, 30),
    Column("Criterion", Kind.TEXT, 9),
    Column("Title", Kind.TEXT, 40),
    Column("Reference or location", Kind.TEXT, 40),
    Column("File name", Kind.TEXT, 24),
    Column("Took effect", Kind.DATE, 12),
    Column("Review or expiry date", Kind.DATE, 12),
    Column("Added (UTC)", Kind.DATETIME, 16),
    Column("Notes", Kind.TEXT, 20),
]


def evidence_rows(
    *,
    agency: AgencyInfo,
    criteria: Sequence[CriterionInfo],
    evidence: Mapping[int, Sequence[EvidenceInfo]],
) -> Iterator[list[Cell]]:
    """One row per current evidence item, in framework order."""
    for criterion in criteria:
        for item in evidence.get(criterion.id, ()):
            yield [
                agency.name,
                criterion.code,
                item.title,
                item.reference or None,
                item.filename,
                item.effective_on,
                item.review_on,
                item.added_at,
                None,
            ]


# ---------------------------------------------------------------------------------------
# Flags, actions, panels


def flag_table(
    *,
    flags: Sequence[Flag],
    agencies: Mapping[int, AgencyInfo],
    criteria: Mapping[str, CriterionInfo],
    standards: Mapping[str, StandardInfo],
) -> Table:
    """Every flag, most severe first (the flags page's order)."""
    rows = []
    for flag in flags:
        agency = agencies.get(flag.agency_id)
        criterion = criteria.get(flag.criterion_key) if flag.criterion_key else None
        standard = standards.get(flag.standard_key) if flag.standard_key else None
        if standard is None and criterion is not None:
            standard = standards.get(criterion.standard_key)
        rows.append(
            [
                flag.severity.value.capitalize(),
                flag.kind.label,
                agency.name if agency else None,
                agency.sector if agency else None,
                standard.code if standard else None,
                criterion.code if criterion else None,
                flag.reason,
            ]
        )
    columns = [
        Column("Severity", Kind.TEXT, 9),
        Column("Flag", Kind.TEXT, 30),
        Column("Agency", Kind.TEXT, 30),
        Column("Sector", Kind.TEXT, 14),
        Column("Standard", Kind.TEXT, 9),
        Column("Criterion", Kind.TEXT, 9),
        Column("Why", Kind.TEXT, 80),
    ]
    return Table("Flags", columns, rows, key_columns=3)


PANEL_COLUMNS = [
    Column("Panel date", Kind.DATE, 12),
    Column("Agency", Kind.TEXT, 30),
    Column("Sector", Kind.TEXT, 14),
    Column("Slot", Kind.TEXT, 7),
    Column("Place", Kind.TEXT, 24),
    Column("Chair", Kind.TEXT, 18),
    Column("Panel status", Kind.TEXT, 12),
    Column("Signed off", Kind.DATE, 12),
    Column("Outcome", Kind.TEXT, 16),
    Column("Outcome summary", Kind.TEXT, 50),
    Column("Ratings moderated", Kind.INTEGER, 10),
    Column("Challenge about", Kind.TEXT, 20),
    Column("Challenge", Kind.TEXT, 50),
    Column("Raised (UTC)", Kind.DATETIME, 16),
    Column("Agency's answer", Kind.TEXT, 50),
    Column("Answered (UTC)", Kind.DATETIME, 16),
    Column("Panel satisfied", Kind.TEXT, 10),
    Column("Notes", Kind.TEXT, 20),
]


def panel_table(attendances: Iterable[AttendanceInfo], *, sheet: str = "Panels") -> Table:
    """One row per challenge, and one for an agency the panel put no challenge to; the
    panel's outcome repeats on each of the agency's rows."""
    rows = []
    for seen in attendances:
        head: list[Cell] = [
            seen.held_on,
            seen.agency,
            seen.sector,
            seen.slot,
            seen.place,
            seen.chair,
            seen.status,
            seen.signed_off_on,
            seen.outcome,
            seen.outcome_summary or None,
            seen.moderated,
        ]
        if not seen.challenges:
            rows.append([*head, None, None, None, None, None, None, None])
        for challenge in seen.challenges:
            rows.append(
                [
                    *head,
                    challenge.about,
                    challenge.question,
                    challenge.raised_at,
                    challenge.response or None,
                    challenge.responded_at,
                    yes_no(challenge.satisfied),
                    None,
                ]
            )
    return Table(sheet, PANEL_COLUMNS, rows, key_columns=2, note_column=len(PANEL_COLUMNS) - 1)


# ---------------------------------------------------------------------------------------
# The agency's scorecard


def scorecard_table(
    *,
    agency_id: int,
    standards: Sequence[StandardInfo],
    scores: Summary,
    self_scores: Summary | None,
) -> Table:
    """The agency's scores against the partnership average, as its scorecard page shows
    them; no other agency is named."""
    columns = [
        Column("Standard", Kind.TEXT, 9),
        Column("Title", Kind.TEXT, 50),
        Column("Your agency", Kind.SCORE, 11),
        Column("Your agency on your own ratings", Kind.SCORE, 14),
        Column("Partnership average", Kind.SCORE, 12),
    ]
    own = self_scores or scores
    rows: list[list[Cell]] = [
        [
            s.code,
            s.title,
            scores.agency_standard.get((agency_id, s.key)),
            own.agency_standard.get((agency_id, s.key)),
            scores.partnership_standard.get(s.key),
        ]
        for s in standards
    ]
    footer: list[Cell] = [
        "Overall",
        None,
        scores.agency.get(agency_id),
        own.agency.get(agency_id),
        scores.partnership,
    ]
    return Table("Scorecard", columns, rows, key_columns=1, footer=[footer])


def table_with_note_column(table: Table) -> Table:
    """Tables whose last column is Notes take split-text notes there."""
    if table.columns and table.columns[-1].header == "Notes":
        table.note_column = len(table.columns) - 1
    return table
