"""The load benchmark (bench/load.py) in small: a few agency leads saving answers while the
PQA officer opens the heat map, against gunicorn on the engine under test. Two leads
share each return, so their saves also queue on the same return's lock. Only the goals
that must be zero are asserted; timings belong to the benchmark, not to a test on a
shared machine."""

from __future__ import annotations

import pytest

from bench import load
from bench.load_client import Save

from .databases import fresh_database_url


@pytest.mark.slow
def test_leads_saving_at_once_lose_nothing_and_never_fail():
    with fresh_database_url() as url:
        results = load.run(url, leads=6, colleagues=2, seconds=5, workers=2, think_s=0.1)

    assert results["saves_acknowledged"] > 0
    missed = {goal: results[goal] for goal in load.ZERO_GOALS if results[goal]}
    assert missed == {}, results["problem_examples"] + results["lost_examples"]


def test_the_check_finds_an_acknowledged_save_the_database_lacks():
    with fresh_database_url() as url:
        scenario = load.prepare(url, 1)
        lead = scenario.leads[0]
        acknowledged = [Save(lead.number, lead.criterion_ids[0], seq=1)]
        findings = load.check_database(url, scenario, acknowledged)

    assert findings["lost_updates"] == 1
    assert findings["missing_from_audit_trail"] == 1
