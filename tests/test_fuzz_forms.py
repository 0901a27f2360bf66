"""Every form in the app, filled with hostile text.

The forms are found, not listed: every page with a GET and a POST is opened as its
rightful user (with the police's own objects from the access matrix), and each POST form
on it is filled from its own fields with markup, formulas, unicode edge cases, control
characters and oversize values. Whatever is sent:

- never a server error;
- either a GOV.UK error (the error summary) with the database exactly as it was, or the
  value is accepted and every page it leads to shows it escaped;
- no page ever carries script that came from user text: the app has no inline script,
  no event-handler attributes and no `javascript:` links of its own, so any there were
  injected.

Each example runs in a savepoint that is rolled back, so every one meets the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fingerprint import Fingerprinter, changed_tables
from .nasty_text import form_body as encode
from .nasty_text import nasty_text
from .test_access_matrix import (
    ACCESS,
    LEAD,
    PANEL,
    PQA,
    PUBLIC,
    SYSTEM_ADMIN,
    matrix_world,  # noqa: F401 (a fixture these tests use)
)

EXAMPLES_PER_FORM = 2
TEXT_TYPES = {"text", "email", "number", "password", "search", "tel", "url", "date", None}
# Signing in records failed attempts (throttling) in the same request as the error.
SIGN_IN_RECORDS = {"login_throttle", "user_account", "audit_event"}
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class FoundForm:
    page: str
    action: str
    actor: str
    values: st.SearchStrategy


def _actor(decision) -> str:
    if decision == PUBLIC:
        return "anonymous"
    if decision == SYSTEM_ADMIN:
        return "system_admin"
    if decision == PQA:
        return "pqa"
    if decision == LEAD:
        return "police_lead"
    if decision == PANEL:
        return "panel"
    return "pqa"  # any signed-in user: their own account pages


BENIGN = {"email": "fuzz@example.org", "number": "1", "password": "a long fuzzing passphrase"}


def _values_strategy(form) -> st.SearchStrategy:
    """Values for a form's fields. Half the time every field is sensible (the page's own
    value, or a plain one) but one, which gets hostile text, so values get past the other
    fields' checks and are stored; otherwise every field is hostile or an arbitrary one of
    the choices offered."""
    sensible: dict[str, list[str]] = {}
    hostile: dict[str, st.SearchStrategy] = {}
    texts: list[str] = []
    for element in form.find_all(["input", "textarea", "select", "button"]):
        name = element.get("name")
        if not name:
            continue
        kind = element.get("type") if element.name == "input" else element.name
        if name == "csrf_token" or kind == "hidden":
            sensible[name] = [element.get("value", "")]
        elif kind in ("radio", "checkbox", "submit") or element.name == "button":
            offered = element.get("value", "on")
            sensible.setdefault(name, [offered])
            hostile[name] = st.one_of(st.just(offered), hostile.get(name, nasty_text))
        elif element.name == "select":
            offered = [o.get("value", "") for o in element.find_all("option")] or [""]
            sensible[name] = [next((v for v in offered if v), "")]
            hostile[name] = st.one_of(st.sampled_from(offered), nasty_text)
        elif kind in TEXT_TYPES or element.name == "textarea":
            own = element.get_text() if element.name == "textarea" else element.get("value", "")
            # A date's day, month and year share one name: all three are kept, and left
            # as the page has them (empty is no date).
            if "govuk-date-input__input" not in element.get("class", []):
                own = own or BENIGN.get(kind, "Fuzz")
            sensible.setdefault(name, []).append(own)
            hostile[name] = nasty_text
            texts.append(name)
    for name, values in sensible.items():
        hostile.setdefault(name, st.just(values))
    targeted = st.tuples(st.sampled_from(texts or ["fuzz"]), nasty_text).map(
        lambda pair: {**sensible, pair[0]: pair[1]}
    )
    return st.one_of(targeted, st.fixed_dictionaries(hostile))


def _find_forms(app, clients, url_args) -> list[FoundForm]:
    found: dict[str, FoundForm] = {}
    for rule in app.url_map.iter_rules():
        if not {"GET", "POST"} <= rule.methods:
            continue
        page = rule.build({k: v for k, v in url_args.items() if k in rule.arguments})[1]
        actor = _actor(ACCESS[rule.endpoint])
        response = clients[actor].get(page)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        for form in soup.find_all("form", method="post"):
            action = form.get("action") or page
            if action == "/logout" or action in found:
                continue
            found[action] = FoundForm(page, action, actor, _values_strategy(form))
    return list(found.values())


def injected_script(html: str) -> list[str]:
    """Script in a page that can only have come from user text."""
    soup = BeautifulSoup(html, "html.parser")
    problems = [str(tag)[:80] for tag in soup.find_all("script") if not tag.get("src")]
    for tag in soup.find_all(True):
        for attribute, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if attribute.lower().startswith("on"):
                problems.append(f"<{tag.name} {attribute}=...>")
            if attribute in ("href", "src", "action", "formaction") and (
                text.strip().lower().startswith("javascript:")
            ):
                problems.append(f"<{tag.name} {attribute}={text[:40]}>")
    return problems


def _check_page(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if response.mimetype == "text/html":
        problems = injected_script(response.get_data(as_text=True))
        assert problems == [], f"{where}: {problems}"


def test_every_form_survives_hostile_input(app, session, client_for, matrix_world):  # noqa: F811
    clients = {actor: client_for(person) for actor, person in matrix_world.people.items()}
    forms = _find_forms(app, clients, matrix_world.own)
    assert len(forms) > 40, [form.action for form in forms]
    connection = session.connection()
    fingerprint = Fingerprinter(connection)
    baseline = fingerprint()

    def check(form: FoundForm) -> None:
        client = clients[form.actor]

        @settings(
            max_examples=EXAMPLES_PER_FORM,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(values=form.values)
        def post_hostile_values(values):
            savepoint = connection.begin_nested()
            try:
                where = f"POST {form.action} as {form.actor}"
                response = client.post(form.action, data=encode(values), content_type=FORM_TYPE)
                _check_page(response, where)
                page = response.get_data(as_text=True)
                location = response.headers.get("Location", "")
                if response.status_code == 302 and "/login" not in location:
                    # Accepted: the pages it leads to show what was stored, escaped.
                    _check_page(client.get(location), f"{where}, then {location}")
                    _check_page(client.get(form.page), f"{where}, then {form.page}")
                elif response.status_code != 200 or "govuk-error-summary" in page:
                    changed = set(changed_tables(baseline, fingerprint()))
                    if form.action.startswith("/login"):
                        changed -= SIGN_IN_RECORDS
                    assert not changed, f"{where}: refused ({response.status_code}) but {changed}"
            finally:
                savepoint.rollback()

        post_hostile_values()

    for form in forms:
        check(form)


def test_a_date_sent_as_one_box_or_four_is_an_error_not_a_failure(agency_client, make, world):
    """Found by the fuzzing above: the date input could not be drawn again (a 500) when
    a request sent other than its three boxes."""
    cycle = make.cycle(world.partnership)
    assessment = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    base = f"/p/{world.partnership.slug}/agency/returns/{assessment.id}"
    agency_client.submit(f"{base}/", {})
    criterion = agency_client.soup(f"{base}/").find("a", href=lambda h: "/criteria/" in h)
    url = criterion["href"]
    # Part of a date is an error on the page; a fourth box is ignored.
    for parts, status in ((["12"], 200), ([" ", "1"], 200), (["1", "2", "2030", "4"], 302)):
        response = agency_client.submit(
            url, {"rating": "red", "evidence": "Typed", "action": "Train", "action_due": parts}
        )
        assert response.status_code == status, parts
        if status == 200:
            assert "must include a" in response.get_data(as_text=True), parts
