"""Scores, rating distributions and changes between cycles. Plain data in, plain data out:
no Flask and no database, so every rule is tested on its own. docs/scoring.md explains the
rules for PQA officers and developers alike.

Scores are full floats throughout; nothing here rounds. Round only when displaying a score,
so that a partnership mean is worked out from the agencies' unrounded scores.

Every function reads its input once, in any order, and gives the same result for any order:
sums use `math.fsum`, which is exactly rounded and so does not depend on the order of its
terms, and the dictionaries returned are in key order rather than in order of arrival.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

# The keys results are grouped by: an agency id, a standard or criterion key, or a pair.
K = TypeVar("K", int, str, tuple[int, str])


@dataclass(frozen=True)
class Scored:
    """One agency's answer to one criterion, as scoring sees it.

    Scores may be given as int or Decimal (a ScaleLevel stores a Decimal) and are kept as
    float. A level and its score come together or not at all. `not_applicable` wins over any
    level: an answer marked N/A is never scored or counted as rated.
    """

    agency_id: int
    criterion_key: str
    standard_key: str
    self_level: str | None
    self_score: float | None
    moderated_level: str | None = None
    moderated_score: float | None = None
    not_applicable: bool = False
    weight: float = 1.0

    def __post_init__(self) -> None:
        where = f"agency {self.agency_id}, criterion {self.criterion_key!r}"
        for kind in ("self", "moderated"):
            level = getattr(self, f"{kind}_level")
            score = getattr(self, f"{kind}_score")
            if (level is None) != (score is None):
                raise ValueError(f"{where}: {kind}_level and {kind}_score must be given together")
            # The dataclass is frozen; normalising here keeps every later sum in floats.
            object.__setattr__(self, f"{kind}_score", _score(score, f"{where}: {kind}_score"))
        weight = _number(self.weight, f"{where}: weight")
        if not (math.isfinite(weight) and weight > 0):
            raise ValueError(f"{where}: weight must be a finite number above 0, not {weight}")
        object.__setattr__(self, "weight", weight)


def _number(value: object, what: str) -> float:
    # bool is an int to Python, but True is neither a score nor a weight.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"{what} must be a number, not {value!r}")
    return float(value)


def _score(value: object, what: str) -> float | None:
    if value is None:
        return None
    score = _number(value, what)
    if not 0 <= score <= 100:  # also false for NaN
        raise ValueError(f"{what} must be between 0 and 100, not {score}")
    return score


def effective_level(answer: Scored) -> str | None:
    """The level that counts: the panel's if it moderated, otherwise the agency's own."""
    if answer.not_applicable:
        return None
    return answer.self_level if answer.moderated_level is None else answer.moderated_level


def effective_score(answer: Scored) -> float | None:
    """The score that counts: the panel's if it moderated, otherwise the agency's own."""
    if answer.not_applicable:
        return None
    return answer.self_score if answer.moderated_score is None else answer.moderated_score


class _Mean:
    """A weighted mean built up one value at a time; None until a value is added."""

    __slots__ = ("_high", "_low", "_products", "_weights")

    def __init__(self) -> None:
        self._products: list[float] = []
        self._weights: list[float] = []
        self._low = math.inf
        self._high = -math.inf

    def add(self, value: float, weight: float = 1.0) -> None:
        self._products.append(value * weight)
        self._weights.append(weight)
        self._low = min(self._low, value)
        self._high = max(self._high, value)

    def value(self) -> float | None:
        totals = self.totals()
        return None if totals is None else _divide(totals)

    def totals(self) -> Totals | None:
        if not self._weights:
            return None
        return (math.fsum(self._products), math.fsum(self._weights), self._low, self._high)


# What a weighted mean is made of: Σ w·s and Σ w over the scores, and the lowest and
# highest score. Totals of groups add up to the totals of their union.
Totals = tuple[float, float, float, float]


def _divide(totals: Totals) -> float:
    weighted, weight, low, high = totals
    # A true mean lies between the lowest and highest value, but the division can land one
    # rounding step outside: two blues (100) weighted 0.1 and 0.7 give 100.00000000000001,
    # above the top of the scale, and two greens (80) weighted 0.1 and 0.2 give
    # 79.99999999999999. Clamping makes equal scores give exactly that score, and cannot
    # make a higher value give a lower mean, because the mean and both bounds only rise
    # with it.
    return min(max(weighted / weight, low), high)


def _checked(answers: Iterable[Scored]) -> Iterator[Scored]:
    """Yield the answers, refusing a second answer by one agency to one criterion, which
    would otherwise be counted twice without anyone noticing."""
    seen: set[tuple[int, str]] = set()
    for answer in answers:
        key = (answer.agency_id, answer.criterion_key)
        if key in seen:
            raise ValueError(
                f"agency {answer.agency_id} has more than one answer to criterion "
                f"{answer.criterion_key!r}"
            )
        seen.add(key)
        yield answer


def _means(means: Mapping[K, _Mean]) -> dict[K, float | None]:
    return {key: means[key].value() for key in sorted(means)}


def _grouped(answers: Iterable[Scored], group: Callable[[Scored], K]) -> dict[K, float | None]:
    # Every group answered gets an entry, even one with nothing scored (None), so a caller
    # can tell "all N/A or unrated" from "not answered at all".
    means: defaultdict[K, _Mean] = defaultdict(_Mean)
    for answer in _checked(answers):
        mean = means[group(answer)]
        score = effective_score(answer)
        if score is not None:
            mean.add(score, answer.weight)
    return _means(means)


def weighted_score(answers: Iterable[Scored]) -> float | None:
    """The weighted mean of the effective scores. N/A and unrated answers are left out of
    both sides of the division; None when nothing is scored."""
    mean = _Mean()
    for answer in _checked(answers):
        score = effective_score(answer)
        if score is not None:
            mean.add(score, answer.weight)
    return mean.value()


def agency_standard_scores(answers: Iterable[Scored]) -> dict[tuple[int, str], float | None]:
    """Each agency's weighted score on each standard it answered; None where it answered
    but scored nothing (every criterion N/A or unrated)."""
    return _grouped(answers, lambda answer: (answer.agency_id, answer.standard_key))


def agency_scores(answers: Iterable[Scored]) -> dict[int, float | None]:
    """Each agency's weighted score over all its answers, whatever their standard; None for
    an agency that scored nothing."""
    return _grouped(answers, lambda answer: answer.agency_id)


def partnership_standard_scores(answers: Iterable[Scored]) -> dict[str, float | None]:
    """Per standard, the plain mean of the agencies' standard scores, so that every agency
    counts once however many criteria applied to it. Agencies that scored nothing on the
    standard are left out; None when no agency scored anything on it."""
    return _per_standard(agency_standard_scores(answers))


def partnership_score(answers: Iterable[Scored]) -> float | None:
    """The plain mean of the agencies' overall scores, leaving out agencies with none."""
    return _plain_mean(agency_scores(answers).values())


def _per_standard(
    agency_standard: Mapping[tuple[int, str], float | None],
) -> dict[str, float | None]:
    means: defaultdict[str, _Mean] = defaultdict(_Mean)
    for (_agency_id, standard_key), score in agency_standard.items():
        mean = means[standard_key]
        if score is not None:
            mean.add(score)
    return _means(means)


def _plain_mean(scores: Iterable[float | None]) -> float | None:
    mean = _Mean()
    for score in scores:
        if score is not None:
            mean.add(score)
    return mean.value()


@dataclass(frozen=True)
class Distribution:
    """How the agencies answering one criterion were rated (effective levels)."""

    counts: dict[str, int]
    not_applicable: int
    unrated: int

    def percent(self, level_key: str) -> float:
        """The share of agencies at this level, as a percentage of the agencies that rated
        the criterion: N/A and unrated answers are not in the denominator."""
        rated = sum(self.counts.values())
        if rated == 0:
            return 0.0
        return 100 * self.counts.get(level_key, 0) / rated


@dataclass
class _Tally:
    levels: Counter[str] = field(default_factory=Counter)
    not_applicable: int = 0
    unrated: int = 0


def criterion_distributions(answers: Iterable[Scored]) -> dict[str, Distribution]:
    """For each criterion answered, how many agencies are at each effective level."""
    tallies: defaultdict[str, _Tally] = defaultdict(_Tally)
    for answer in _checked(answers):
        tally = tallies[answer.criterion_key]
        level = effective_level(answer)
        if answer.not_applicable:
            tally.not_applicable += 1
        elif level is None:
            tally.unrated += 1
        else:
            tally.levels[level] += 1
    return {
        key: Distribution(
            counts=dict(sorted(tally.levels.items())),
            not_applicable=tally.not_applicable,
            unrated=tally.unrated,
        )
        for key, tally in sorted(tallies.items())
    }


@dataclass(frozen=True)
class Change:
    previous: float | None
    current: float | None

    @property
    def delta(self) -> float | None:
        """Current minus previous; None unless both are scored."""
        if self.previous is None or self.current is None:
            return None
        return self.current - self.previous


def _changes(
    current: Mapping[K, float | None], previous: Mapping[K, float | None]
) -> dict[K, Change]:
    keys = sorted(current.keys() | previous.keys())
    return {key: Change(previous=previous.get(key), current=current.get(key)) for key in keys}


def _effective_scores(answers: Iterable[Scored]) -> dict[tuple[int, str], float | None]:
    return {
        (answer.agency_id, answer.criterion_key): effective_score(answer)
        for answer in _checked(answers)
    }


def compare(current: Iterable[Scored], previous: Iterable[Scored]) -> dict[tuple[int, str], Change]:
    """Effective scores by (agency, criterion key) in two cycles. Criteria keep their key
    across framework versions, so answers pair up even when the framework changed; a key
    answered in only one cycle gets None for the other."""
    return _changes(_effective_scores(current), _effective_scores(previous))


def standard_changes(
    current: Iterable[Scored], previous: Iterable[Scored]
) -> dict[tuple[int, str], Change]:
    """Agency standard scores by (agency, standard key) in two cycles."""
    return _changes(agency_standard_scores(current), agency_standard_scores(previous))


@dataclass(frozen=True)
class Summary:
    """Every aggregate of a cycle at once (what a dashboard, the API and an export show)."""

    agency_standard: dict[tuple[int, str], float | None]
    agency: dict[int, float | None]
    partnership_standard: dict[str, float | None]
    partnership: float | None
    distributions: dict[str, Distribution]


def summarise(answers: Iterable[Scored]) -> Summary:
    """The same results as the separate functions, working each agency's scores out once
    and building the partnership's from them."""
    answers = list(answers)
    agency_standard = agency_standard_scores(answers)
    agency = agency_scores(answers)
    return Summary(
        agency_standard=agency_standard,
        agency=agency,
        partnership_standard=_per_standard(agency_standard),
        partnership=_plain_mean(agency.values()),
        distributions=criterion_distributions(answers),
    )


def totals(answers: Iterable[Scored]) -> Totals | None:
    """The totals `weighted_score` divides (Σ w·s and Σ w over the effective scores, the
    lowest and the highest), for callers that add groups up; None when nothing is scored."""
    mean = _Mean()
    for answer in _checked(answers):
        score = effective_score(answer)
        if score is not None:
            mean.add(score, answer.weight)
    return mean.totals()


@dataclass(frozen=True)
class Scores:
    """The scores of a `Summary`, without the rating distributions."""

    agency_standard: dict[tuple[int, str], float | None]
    agency: dict[int, float | None]
    partnership_standard: dict[str, float | None]
    partnership: float | None


def scores_from_totals(cells: Iterable[tuple[int, str, Totals | None]]) -> Scores:
    """The scores `summarise` gives, from the totals of each agency's answers on each
    standard (None where it scored nothing there), for callers whose database adds the
    answers up. Each (agency, standard) may appear once. An agency's totals are the sum of
    its standards', so its score is still over all its answers; means divide and clamp as
    `weighted_score` does. The results equal `summarise`'s except in the last bits, since
    the additions happen in another order (`fsum` here, the database's own sum there)."""
    agency_standard: dict[tuple[int, str], float | None] = {}
    by_agency: dict[int, list[float] | None] = {}
    for agency_id, standard_key, group in cells:
        key = (agency_id, standard_key)
        if key in agency_standard:
            raise ValueError(f"agency {agency_id} has more than one total for {standard_key!r}")
        agency_standard[key] = None if group is None else _divide(group)
        running = by_agency.setdefault(agency_id, None)
        if group is None:
            continue
        if running is None:
            by_agency[agency_id] = list(group)
        else:
            running[0] += group[0]
            running[1] += group[1]
            running[2] = min(running[2], group[2])
            running[3] = max(running[3], group[3])
    agency = {
        agency_id: None if running is None else _divide(tuple(running))
        for agency_id, running in sorted(by_agency.items())
    }
    agency_standard = dict(sorted(agency_standard.items()))
    return Scores(
        agency_standard=agency_standard,
        agency=agency,
        partnership_standard=_per_standard(agency_standard),
        partnership=_plain_mean(agency.values()),
    )
