"""The partnership's action tracker: actions from returns, progress, closing, and the
pages agency leads and PQA use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from audit_tool import clock
from audit_tool.models import (
    Action,
    ActionSource,
    ActionStatus,
    ActionUpdate,
    AuditEvent,
)
from audit_tool.services import DomainError
from audit_tool.services import actions as svc
from audit_tool.services import assessments as returns
from audit_tool.services.assessments import AnswerInput
from audit_tool.states import TransitionRefused, move_action

from .conftest import audit_events, count_rows

TODAY = clock.today()
LATER = TODAY + timedelta(days=90)


@pytest.fixture
def police_return(make, world):
    cycle = make.cycle(world.partnership)
    return next(a for a in cycle.assessments if a.agency_id == world.police.id)


def _criteria(session, assessment):
    return [
        e.criterion for s in returns.load_return(session, assessment).standards for e in s.entries
    ]


def _answer_all(session, assessment, by, actions: dict[int, dict]):
    """Rate every criterion green; criteria at the given positions get those action
    fields. Saves against whatever version is there, as a lead reloading each page."""
    contents = returns.load_return(session, assessment)
    entries = [e for s in contents.standards for e in s.entries]
    for position, entry in enumerate(entries):
        returns.save_answer(
            session,
            assessment=assessment,
            criterion=entry.criterion,
            seen_version=entry.response.version if entry.response else 0,
            answer=AnswerInput(level_key="green", evidence="Policy", **actions.get(position, {})),
            by=by,
        )


def _submit(session, assessment, by):
    returns.submit_return(
        session,
        assessment=assessment,
        declaration_name="Chief Constable",
        declaration_role="Chief Officer",
        by=by,
        today=TODAY,
    )


def _plan(text, owner="Head of safeguarding", due=LATER):
    return {"action": text, "action_owner": owner, "action_due": due}


def _new_action(session, world, agency, *, due_on=LATER, today=TODAY, description="Train staff"):
    return svc.create_action(
        session,
        partnership=world.partnership,
        agency=agency,
        source=ActionSource.PANEL,
        description=description,
        owner="Safeguarding lead",
        due_on=due_on,
        today=today,
        by=world.pqa,
    )


def _many_actions(session, world, count: int, agency=None) -> None:
    """`count` actions due on successive days, named by the order they are listed in."""
    for number in range(1, count + 1):
        _new_action(
            session,
            world,
            agency or world.health,
            due_on=LATER + timedelta(days=number),
            description=f"Action {number:04}",
        )
    session.flush()


def _return_actions(session, assessment):
    return list(
        session.scalars(
            select(Action).where(Action.assessment_id == assessment.id).order_by(Action.id)
        )
    )


# ---------------------------------------------------------------------------------------
# Actions from returns


def test_submitting_a_return_puts_each_complete_action_on_the_tracker(
    session, world, police_return
):
    first, second, third = _criteria(session, police_return)[:3]
    _answer_all(
        session,
        police_return,
        world.police_lead,
        {
            0: _plan("Refresh training"),
            1: _plan("Audit supervision", owner="Named nurse"),
            # No owner: not yet an action anyone can be held to.
            2: {"action": "Think about it"},
        },
    )
    _submit(session, police_return, world.police_lead)

    made = _return_actions(session, police_return)
    assert [(a.criterion_id, a.description, a.owner) for a in made] == [
        (first.id, "Refresh training", "Head of safeguarding"),
        (second.id, "Audit supervision", "Named nurse"),
    ]
    assert all(
        a.source is ActionSource.RETURN
        and a.status is ActionStatus.OPEN
        and a.partnership_id == world.partnership.id
        and a.agency_id == world.police.id
        and a.due_on == LATER
        for a in made
    )
    assert third.id not in {a.criterion_id for a in made}
    created = audit_events(session, "action_created")
    assert [e.data["description"] for e in created] == ["Refresh training", "Audit supervision"]
    assert created[0].data["agency"] == world.police.name
    assert created[0].data["source"] == "return"


def test_resubmitting_updates_open_actions_and_never_duplicates(session, world, police_return):
    lead = world.police_lead
    _answer_all(
        session,
        police_return,
        lead,
        {0: _plan("Refresh training"), 1: _plan("Audit supervision"), 2: _plan("New leaflet")},
    )
    _submit(session, police_return, lead)
    training, supervision, leaflet = _return_actions(session, police_return)
    svc.add_update(session, action=training, note="Half done", evidence_reference="", by=lead)
    svc.close_action(session, action=supervision, note="Audited in May", by=world.pqa)

    returns.reopen_return(session, assessment=police_return, reason="Check actions", by=world.pqa)
    _answer_all(
        session,
        police_return,
        lead,
        {
            0: _plan("Refresh training for all staff", owner="Training manager"),
            1: _plan("Audit supervision again"),
            # The action was taken out of the answer; the tracker keeps it.
        },
    )
    _submit(session, police_return, lead)

    session.expire_all()
    assert _return_actions(session, police_return) == [training, supervision, leaflet]
    assert (training.description, training.owner) == (
        "Refresh training for all staff",
        "Training manager",
    )
    assert training.status is ActionStatus.IN_PROGRESS  # progress is kept
    assert supervision.description == "Audit supervision"  # closed: left as closed
    assert leaflet.description == "New leaflet" and leaflet.status is ActionStatus.OPEN
    changed = audit_events(session, "action_updated")[-1]
    assert changed.subject_id == training.id
    assert changed.data["before"]["owner"] == "Head of safeguarding"
    assert changed.data["after"]["owner"] == "Training manager"
    # Nothing differs now, so a further sync changes nothing.
    assert svc.sync_return_actions(session, assessment=police_return, by=lead) == 0


# ---------------------------------------------------------------------------------------
# Creating, progress, closing


@pytest.mark.parametrize("due_on", [TODAY, TODAY - timedelta(days=1)])
def test_create_action_refuses_a_due_date_not_in_the_future(session, world, due_on):
    with pytest.raises(DomainError) as refused:
        _new_action(session, world, world.police, due_on=due_on)
    assert refused.value.message == "The due date must be in the future"
    assert refused.value.field == "due_on"
    assert count_rows(session, Action) == 0


def test_create_action_is_audited(session, world):
    action = _new_action(session, world, world.police, description="Agreed at panel")
    assert action.status is ActionStatus.OPEN
    event = audit_events(session, "action_created")[-1]
    assert (event.subject_id, event.partnership_id) == (action.id, world.partnership.id)
    assert event.data["source"] == "panel" and event.data["description"] == "Agreed at panel"


def test_progress_then_closing_and_nothing_after(session, world):
    action = _new_action(session, world, world.police)
    svc.add_update(
        session, action=action, note="Started", evidence_reference="Doc 12", by=world.police_lead
    )
    assert action.status is ActionStatus.IN_PROGRESS
    svc.add_update(session, action=action, note="More", evidence_reference="", by=world.police_lead)
    assert action.status is ActionStatus.IN_PROGRESS

    svc.close_action(session, action=action, note="Done and checked", by=world.pqa)
    assert action.status is ActionStatus.CLOSED
    assert action.closed_at is not None and action.closed_by_id == world.pqa.id
    assert [u.note for u in action.updates] == ["Started", "More", "Done and checked"]

    with pytest.raises(DomainError, match="closed, so progress cannot be added"):
        svc.add_update(session, action=action, note="Late", evidence_reference="", by=world.pqa)
    with pytest.raises(DomainError, match="already closed"):
        svc.close_action(session, action=action, note="Again", by=world.pqa)
    assert count_rows(session, ActionUpdate) == 3

    updated = audit_events(session, "action_updated")
    assert [e.data["note"] for e in updated] == ["Started", "More"]
    assert updated[0].data["evidence_reference"] == "Doc 12"
    closed = audit_events(session, "action_closed")
    assert len(closed) == 1 and closed[0].data["note"] == "Done and checked"


def test_action_moves():
    action = Action(status=ActionStatus.IN_PROGRESS)
    with pytest.raises(TransitionRefused):
        move_action(action, ActionStatus.OPEN)
    move_action(action, ActionStatus.CLOSED)
    for to in ActionStatus:
        with pytest.raises(TransitionRefused, match="closed"):
            move_action(action, to)


def test_overdue_means_past_due_and_not_closed():
    late = Action(status=ActionStatus.IN_PROGRESS, due_on=TODAY - timedelta(days=1))
    assert svc.is_overdue(late, TODAY)
    assert not svc.is_overdue(Action(status=ActionStatus.OPEN, due_on=TODAY), TODAY)
    assert not svc.is_overdue(
        Action(status=ActionStatus.CLOSED, due_on=TODAY - timedelta(days=9)), TODAY
    )


def test_list_actions_runs_a_fixed_number_of_statements(session, world):
    def statements_for_listing():
        session.flush()
        session.expire_all()
        partnership = world.partnership
        session.refresh(partnership)  # loaded before counting: only the listing counts
        seen = []
        connection = session.connection()

        def listener(_conn, _cursor, statement, *_):
            seen.append(statement)

        event.listen(connection, "before_cursor_execute", listener)
        try:
            for action in svc.list_actions(session, partnership=partnership, today=TODAY):
                _ = (action.agency.name, action.criterion, len(action.updates))
        finally:
            event.remove(connection, "before_cursor_execute", listener)
        return len(seen)

    first = _new_action(session, world, world.police)
    svc.add_update(session, action=first, note="n", evidence_reference="", by=world.police_lead)
    few = statements_for_listing()
    assert few == 2  # the actions with their agencies and criteria; then their updates
    # More actions than `selectinload` loads updates for in one batch (500).
    _many_actions(session, world, 520)
    for action in session.scalars(select(Action).where(Action.agency_id == world.health.id)):
        svc.add_update(session, action=action, note="n", evidence_reference="", by=world.pqa)
    assert statements_for_listing() == few


def test_get_action_is_not_found_outside_the_partnership_or_the_agencies(session, world):
    action = _new_action(session, world, world.police)
    with pytest.raises(svc.NotFound):
        svc.get_action(session, partnership=world.other_partnership, action_id=action.id)
    with pytest.raises(svc.NotFound):
        svc.get_action(
            session,
            partnership=world.partnership,
            action_id=action.id,
            agency_ids={world.health.id},
        )
    assert svc.get_action(session, partnership=world.partnership, action_id=action.id) is action


# ---------------------------------------------------------------------------------------
# Agency leads' pages


def _agency_url(world, suffix=""):
    return f"/p/{world.partnership.slug}/agency/actions{suffix}"


def _pqa_url(world, suffix=""):
    return f"/p/{world.partnership.slug}/pqa/actions{suffix}"


def test_the_lead_sees_only_their_own_agencys_actions(agency_client, session, world):
    mine = _new_action(session, world, world.police, description="Police action")
    theirs = _new_action(session, world, world.health, description="Health action")
    page = agency_client.get(_agency_url(world)).get_data(as_text=True)
    assert "Police action" in page and "Health action" not in page
    assert agency_client.get(_agency_url(world, f"/{mine.id}")).status_code == 200
    assert agency_client.get(_agency_url(world, f"/{theirs.id}")).status_code == 404
    progress = _agency_url(world, f"/{theirs.id}/progress")
    assert agency_client.get(progress).status_code == 404
    token = agency_client.csrf_token(_agency_url(world, f"/{mine.id}/progress"))
    response = agency_client.post(progress, data={"note": "Sneaky", "csrf_token": token})
    assert response.status_code == 404
    assert count_rows(session, ActionUpdate) == 0


def test_the_lead_adds_progress(agency_client, session, world):
    action = _new_action(session, world, world.police)
    url = _agency_url(world, f"/{action.id}/progress")
    page = agency_client.submit(url, {"note": "  "}).get_data(as_text=True)
    assert "Enter a progress note" in page and "<title>Error:" in page
    assert count_rows(session, ActionUpdate) == 0

    response = agency_client.submit(
        url, {"note": "Training booked for March", "evidence_reference": "TR-2026-04"}
    )
    assert response.headers["Location"] == _agency_url(world, f"/{action.id}")
    detail = agency_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Training booked for March" in detail and "TR-2026-04" in detail
    assert "In progress" in detail
    session.expire_all()
    assert session.get(Action, action.id).status is ActionStatus.IN_PROGRESS
    assert audit_events(session, "action_updated")[-1].data["note"] == "Training booked for March"


def test_navigation_offers_actions_to_leads_and_pqa(agency_client, pqa_client, world):
    lead_home = agency_client.get(f"/p/{world.partnership.slug}/agency/").get_data(as_text=True)
    assert f'href="{_agency_url(world)}"' in lead_home
    pqa_home = pqa_client.get(f"/p/{world.partnership.slug}/pqa/").get_data(as_text=True)
    assert f'href="{_pqa_url(world)}"' in pqa_home


# ---------------------------------------------------------------------------------------
# PQA's pages


@pytest.fixture
def tracker(session, world):
    """An overdue police action, a health action due soon and in progress, and a closed
    police action."""
    overdue = _new_action(
        session,
        world,
        world.police,
        description="Overdue police action",
        due_on=TODAY - timedelta(days=3),
        today=TODAY - timedelta(days=60),
    )
    soon = _new_action(
        session, world, world.health, description="Health action", due_on=TODAY + timedelta(10)
    )
    svc.add_update(session, action=soon, note="Going", evidence_reference="", by=world.health_lead)
    closed = _new_action(session, world, world.police, description="Finished police action")
    svc.close_action(session, action=closed, note="Done", by=world.pqa)
    session.flush()
    return overdue, soon, closed


def _rows(page):
    return [
        name
        for name in ("Overdue police action", "Health action", "Finished police action")
        if name in page
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Overdue police action", "Health action", "Finished police action"]),
        (
            "?agency=&status=&due=",
            ["Overdue police action", "Health action", "Finished police action"],
        ),
        ("?agency={health}", ["Health action"]),
        ("?status=closed", ["Finished police action"]),
        ("?status=in_progress", ["Health action"]),
        ("?due=overdue", ["Overdue police action"]),
        ("?due=next_30_days", ["Health action"]),
        ("?agency={police}&due=overdue", ["Overdue police action"]),
    ],
)
def test_pqa_filters_the_tracker(pqa_client, world, tracker, query, expected):
    url = _pqa_url(world, query.format(health=world.health.id, police=world.police.id))
    response = pqa_client.get(url)
    assert response.status_code == 200
    assert _rows(response.get_data(as_text=True)) == expected


def test_overdue_rows_say_overdue_in_words(pqa_client, world, tracker):
    soup = pqa_client.soup(_pqa_url(world))
    rows = {
        row.find("a").get_text(strip=True): row.get_text(" ", strip=True)
        for row in soup.select("tbody tr")
    }
    assert "Overdue" in rows["Overdue police action"]
    assert soup.find("strong", class_="govuk-tag--red", string="Overdue")
    assert "Overdue" not in rows["Health action"]
    assert "Overdue" not in rows["Finished police action"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?agency=police", "agency"),
        ("?agency={other}", "agency"),
        ("?agency=1&agency=2", "agency"),
        ("?status=done", "status"),
        ("?due=soon", "due"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(pqa_client, world, query, parameter):
    response = pqa_client.get(_pqa_url(world, query.format(other=world.other_agency.id)))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"<code>{parameter}</code>" in page


def test_pqa_closes_an_action_with_a_note(pqa_client, agency_client, session, world):
    action = _new_action(session, world, world.police)
    url = _pqa_url(world, f"/{action.id}/close")
    for blank in ("", "   "):
        page = pqa_client.submit(url, {"note": blank}).get_data(as_text=True)
        assert "Enter a closing note" in page
    assert session.get(Action, action.id).status is ActionStatus.OPEN

    response = pqa_client.submit(url, {"note": "Evidence seen at panel"})
    assert response.headers["Location"] == _pqa_url(world, f"/{action.id}")
    detail = pqa_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Evidence seen at panel" in detail and "Close this action" not in detail
    session.expire_all()
    closed = session.get(Action, action.id)
    assert closed.status is ActionStatus.CLOSED and closed.closed_by_id == world.pqa.id
    assert audit_events(session, "action_closed")[-1].data["note"] == "Evidence seen at panel"

    # The lead can no longer add progress, and closing twice is refused.
    lead_detail = agency_client.get(_agency_url(world, f"/{action.id}")).get_data(as_text=True)
    assert "Add progress" not in lead_detail and "Closed" in lead_detail
    page = agency_client.submit(
        _agency_url(world, f"/{action.id}/progress"), {"note": "Too late"}
    ).get_data(as_text=True)
    assert "This action is closed, so progress cannot be added" in page
    page = pqa_client.submit(url, {"note": "Again"}).get_data(as_text=True)
    assert "This action is already closed" in page
    assert count_rows(session, ActionUpdate) == 1


def test_pqa_cannot_reach_another_partnerships_action(pqa_client, session, world):
    action = svc.create_action(
        session,
        partnership=world.other_partnership,
        agency=world.other_agency,
        source=ActionSource.PANEL,
        description="Elsewhere",
        owner="Someone",
        due_on=LATER,
        today=TODAY,
        by=world.other_pqa,
    )
    assert pqa_client.get(_pqa_url(world, f"/{action.id}")).status_code == 404
    assert pqa_client.get(_pqa_url(world, f"/{action.id}/close")).status_code == 404


def test_reading_the_tracker_never_writes(pqa_client, agency_client, session, world, tracker):
    def counts():
        session.expire_all()
        return [
            session.scalar(select(func.count()).select_from(model))
            for model in (Action, ActionUpdate, AuditEvent)
        ]

    overdue, *_ = tracker
    before = counts()
    for url in (
        _pqa_url(world),
        _pqa_url(world, "?due=overdue"),
        _pqa_url(world, f"/{overdue.id}"),
        _pqa_url(world, f"/{overdue.id}/close"),
    ):
        assert pqa_client.get(url).status_code == 200
    for url in (
        _agency_url(world),
        _agency_url(world, f"/{overdue.id}"),
        _agency_url(world, f"/{overdue.id}/progress"),
    ):
        assert agency_client.get(url).status_code == 200
    assert counts() == before


# ---------------------------------------------------------------------------------------
# The tracker a page at a time


def _listed(soup) -> list[str]:
    return [row.find("a").get_text(strip=True) for row in soup.select("main table tbody tr")]


def _page_links(soup) -> dict[str, str]:
    nav = soup.find("nav", class_="govuk-pagination")
    return {a.get_text(" ", strip=True): a["href"] for a in nav.find_all("a")}


def test_the_tracker_shows_fifty_actions_a_page_and_keeps_its_filters(pqa_client, session, world):
    _many_actions(session, world, 120, agency=world.police)
    _new_action(
        session, world, world.health, description="Health action", due_on=LATER + timedelta(365)
    )
    session.flush()
    base = _pqa_url(world)
    soup = pqa_client.soup(base)
    assert _listed(soup) == [f"Action {n:04}" for n in range(1, 51)]
    assert "121 actions, soonest due first: showing 1 to 50, 50 a page" in soup.get_text(" ")
    assert _page_links(soup) == {
        "1": f"{base}?page=1",
        "2": f"{base}?page=2",
        "3": f"{base}?page=3",
        "Next page": f"{base}?page=2",
    }
    assert soup.find("a", attrs={"aria-current": "page"}).get_text(strip=True) == "1"

    filtered = f"{base}?agency={world.police.id}&status=open"
    soup = pqa_client.soup(f"{filtered}&page=3")
    assert _listed(soup) == [f"Action {n:04}" for n in range(101, 121)]
    assert "120 actions, soonest due first: showing 101 to 120" in soup.get_text(" ")
    assert _page_links(soup) == {
        "Previous page": f"{filtered}&page=2",
        "1": f"{filtered}&page=1",
        "2": f"{filtered}&page=2",
        "3": f"{filtered}&page=3",
    }
    # The download is every action the filters keep, not the page shown.
    link = soup.find("a", string="Download these actions (CSV)")["href"]
    assert link == f"{base}.csv?agency={world.police.id}&status=open"
    rows = pqa_client.get(link).get_data(as_text=True).strip().splitlines()
    assert len(rows) == 1 + 120


def test_one_page_needs_no_page_links(pqa_client, agency_client, session, world, tracker):
    for client, url in ((pqa_client, _pqa_url(world)), (agency_client, _agency_url(world))):
        soup = client.soup(url)
        assert soup.find("nav", class_="govuk-pagination") is None
        assert "page" not in soup.select_one("main table caption").get_text()


def test_a_lead_pages_through_their_agencys_actions(agency_client, session, world):
    _many_actions(session, world, 60, agency=world.police)
    _many_actions(session, world, 60)
    soup = agency_client.soup(_agency_url(world, "?page=2"))
    assert _listed(soup) == [f"Action {n:04}" for n in range(51, 61)]
    assert _page_links(soup) == {
        "Previous page": _agency_url(world, "?page=1"),
        "1": _agency_url(world, "?page=1"),
        "2": _agency_url(world, "?page=2"),
    }


@pytest.mark.parametrize("page", ["0", "two", "-1", "1&page=2"])
def test_a_bad_page_is_a_400_and_a_page_past_the_last_a_404(
    pqa_client, agency_client, world, tracker, page
):
    for client, url in ((pqa_client, _pqa_url(world)), (agency_client, _agency_url(world))):
        response = client.get(f"{url}?page={page}")
        assert response.status_code == 400
        assert "<code>page</code>" in response.get_data(as_text=True)
        assert client.get(f"{url}?page=2").status_code == 404


def test_a_page_of_actions_takes_two_statements_whatever_the_number(session, world):
    def statements_for_a_page(page: int) -> int:
        session.flush()
        session.expire_all()
        partnership = world.partnership
        session.refresh(partnership)
        seen = []
        connection = session.connection()

        def listener(_conn, _cursor, statement, *_):
            seen.append(statement)

        event.listen(connection, "before_cursor_execute", listener)
        try:
            shown, total = svc.page_of_actions(
                session, partnership=partnership, today=TODAY, page=page, per_page=50
            )
            for action in shown:
                _ = (action.agency.name, action.criterion, action.case)
        finally:
            event.remove(connection, "before_cursor_execute", listener)
        return len(seen), total

    _new_action(session, world, world.police)
    assert statements_for_a_page(1) == (2, 1)  # how many; then the page with its links
    _many_actions(session, world, 130)
    assert statements_for_a_page(3) == (2, 131)
