"""The API's JSON bodies, built from the dashboard's data (plain functions, no queries),
so the API reports exactly the figures the pages do."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from ...flags import Flag
from ...models import AuditCycle, ScaleLevel
from ...scoring import Distribution, Summary
from ...services.dashboard import CycleData

_ONE_PLACE = Decimal("0.1")
_NOTHING_RATED = Distribution(counts={}, not_applicable=0, unrated=0)


def one_place(value: float | None) -> float | None:
    """A score or percentage to one decimal place, halves rounded up as people and
    spreadsheets round them (Python's round() would send 62.25 to 62.2). Scoring never
    rounds, so this is the only place a figure loses precision."""
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(_ONE_PLACE, rounding=ROUND_HALF_UP))


def cycle_summary(cycle: AuditCycle) -> dict:
    version = cycle.framework_version
    return {
        "id": cycle.id,
        "name": cycle.name,
        "status": cycle.status.value,
        "partnership": {"slug": cycle.partnership.slug, "name": cycle.partnership.name},
        "framework": {
            "key": version.framework.key,
            "name": version.name,
            "version": version.number,
        },
        "opens_on": cycle.opens_on.isoformat(),
        "due_on": cycle.due_on.isoformat(),
    }


def _distribution(found: Distribution, levels: list[ScaleLevel]) -> dict:
    return {
        "levels": {
            level.key: {
                "count": found.counts.get(level.key, 0),
                "percent": one_place(found.percent(level.key)),
            }
            for level in levels
        },
        "not_applicable": found.not_applicable,
        "unrated": found.unrated,
    }


def scores(data: CycleData, table: Summary, *, agency_id: int | None = None) -> dict:
    """Scores by agency and standard, and how each criterion was rated. `agency_id`
    narrows the agency rows only: partnership figures always cover every agency."""
    standard_keys = [standard.key for standard in data.standards]
    return {
        "cycle": cycle_summary(data.cycle),
        "partnership_score": one_place(table.partnership),
        "levels": [
            {"key": level.key, "label": level.label, "score": float(level.score)}
            for level in data.levels
        ],
        "standards": [
            {
                "key": standard.key,
                "code": standard.code,
                "title": standard.title,
                "partnership_score": one_place(table.partnership_standard.get(standard.key)),
            }
            for standard in data.standards
        ],
        # Every agency row has every standard (null where none of it applied), so a BI
        # tool sees the same columns in every row.
        "agencies": [
            {
                "id": assessment.agency_id,
                "name": assessment.agency.name,
                "sector": assessment.agency.sector.value,
                "status": assessment.status.value,
                "score": one_place(table.agency.get(assessment.agency_id)),
                "standards": {
                    key: one_place(table.agency_standard.get((assessment.agency_id, key)))
                    for key in standard_keys
                },
            }
            for assessment in data.assessments
            if agency_id is None or assessment.agency_id == agency_id
        ],
        "criteria": [
            {
                "key": criterion.key,
                "code": criterion.code,
                "standard_key": standard.key,
                "title": criterion.title,
                "distribution": _distribution(
                    table.distributions.get(criterion.key, _NOTHING_RATED), data.levels
                ),
            }
            for standard in data.standards
            for criterion in standard.criteria
        ],
    }


def flags(data: CycleData, found: Iterable[Flag]) -> list[dict]:
    names = {agency.id: agency.name for agency in data.agencies}
    return [
        {
            "kind": flag.kind.value,
            "kind_label": flag.kind.label,
            "severity": flag.severity.value,
            "agency": {"id": flag.agency_id, "name": names[flag.agency_id]},
            "standard_key": flag.standard_key,
            "criterion_key": flag.criterion_key,
            "reason": flag.reason,
        }
        for flag in found
    ]
