"""The judgement scales of case-file audits, and the summaries a moderation meeting sees.

Graded questions and consolidated judgements use the four-point scale inspectors use
(Outstanding, Good, Requires improvement, Inadequate). Grades are compared by `rank`,
1 (Inadequate) to 4 (Outstanding): a "spread" of two or more between agencies on the
same question is a divergence the meeting should look at.

Pure: no database, no Flask. A missing return is `None` and is never counted as a grade.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Grade(StrEnum):
    OUTSTANDING = "outstanding"
    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"

    @property
    def label(self) -> str:
        return _GRADE_LABELS[self][0]

    @property
    def rank(self) -> int:
        return _GRADE_LABELS[self][1]

    @property
    def colour(self) -> str:
        """Background colour for tables and workbooks (text on it is black)."""
        return _GRADE_LABELS[self][2]

    @classmethod
    def lowest_first(cls) -> list[Grade]:
        return sorted(cls, key=lambda grade: grade.rank)


_GRADE_LABELS = {
    Grade.OUTSTANDING: ("Outstanding", 4, "#85994b"),
    Grade.GOOD: ("Good", 3, "#b3d19f"),
    Grade.REQUIRES_IMPROVEMENT: ("Requires improvement", 2, "#ffdd00"),
    Grade.INADEQUATE: ("Inadequate", 1, "#f4a9a0"),
}

# Grades this far apart on one question mean the agencies saw the case differently.
DIVERGENCE = 2


class YesPartlyNo(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"

    @property
    def label(self) -> str:
        return self.value.capitalize()


def parse_grade(value: str | None) -> Grade | None:
    """A stored grade key as a Grade; None for a blank or a key that is not a grade."""
    try:
        return Grade(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class GradeSummary:
    """What the meeting sees beside the agencies' grades: the panel decides."""

    count: int  # grades given (missing returns and ungraded answers are not counted)
    lowest: Grade | None
    most_common: tuple[Grade, ...]  # every grade tied for most common, lowest first
    highest: Grade | None

    @property
    def spread(self) -> int:
        """Levels between the highest and lowest grade; 0 with fewer than two grades."""
        if self.lowest is None or self.highest is None:
            return 0
        return self.highest.rank - self.lowest.rank

    @property
    def divergent(self) -> bool:
        return self.spread >= DIVERGENCE


def summarise_grades(grades: Iterable[Grade | None]) -> GradeSummary:
    given = [grade for grade in grades if grade is not None]
    if not given:
        return GradeSummary(count=0, lowest=None, most_common=(), highest=None)
    counts = Counter(given)
    top = max(counts.values())
    return GradeSummary(
        count=len(given),
        lowest=min(given, key=lambda grade: grade.rank),
        most_common=tuple(sorted((g for g, n in counts.items() if n == top), key=lambda g: g.rank)),
        highest=max(given, key=lambda grade: grade.rank),
    )


def distribution(grades: Iterable[Grade | None]) -> dict[Grade, int]:
    """How many of each grade, every grade present (zero where none), lowest first."""
    counts = Counter(grade for grade in grades if grade is not None)
    return {grade: counts.get(grade, 0) for grade in Grade.lowest_first()}
