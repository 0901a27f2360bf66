"""The read-only JSON API: who may call it, what it refuses and how, and that it reports
exactly the figures the dashboard works out."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from audit_tool import clock
from audit_tool.areas.api.payloads import one_place
from audit_tool.flags import FlagKind, Severity
from audit_tool.models import AuditEvent, Role
from audit_tool.services import api_tokens, dashboard, users
from audit_tool.services import assessments as returns
from audit_tool.services.assessments import AnswerInput

DATA_PATHS = (
    "/api/v1/cycles",
    "/api/v1/cycles/{cycle_id}/scores",
    "/api/v1/cycles/{cycle_id}/flags",
)


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def _answer(session, assessment, by, answers: dict[str, AnswerInput]) -> None:
    criteria = {
        entry.criterion.key: entry.criterion
        for standard in returns.load_return(session, assessment).standards
        for entry in standard.entries
    }
    for key, answer in answers.items():
        returns.save_answer(
            session,
            assessment=assessment,
            criterion=criteria[key],
            seen_version=0,
            answer=answer,
            by=by,
        )


@pytest.fixture
def cycle(make, world, session):
    """An open cycle in which the police and health trust have answered some criteria,
    with ratings across the scale, a not-applicable answer and some gaps to flag."""
    found = make.cycle(world.partnership)
    by_agency = {a.agency_id: a for a in found.assessments}
    _answer(
        session,
        by_agency[world.police.id],
        world.police_lead,
        {
            "ST01-C01": AnswerInput("red", evidence="Not in place yet"),  # no action: flagged
            "ST01-C02": AnswerInput(
                "amber",
                evidence="Partly",
                action="Write the policy",
                action_owner="Head of PPU",
                action_due=date(2099, 1, 31),
            ),
            "ST01-C03": AnswerInput("green", evidence="Audit 2025"),
            "ST01-C04": AnswerInput("blue"),  # top rating, no evidence: flagged
            "ST02-C01": AnswerInput("green", evidence="Training records"),
            "ST02-C02": AnswerInput("green", evidence="Training records"),
            "ST02-C03": AnswerInput("red", evidence="No training plan"),
        },
    )
    _answer(
        session,
        by_agency[world.health.id],
        world.health_lead,
        {
            "ST01-C01": AnswerInput("green", evidence="Board minutes"),
            "ST01-C02": AnswerInput("green", evidence="Board minutes"),
            "ST01-C03": AnswerInput("amber", evidence="Some"),  # essential, no action
            "ST03-C03": AnswerInput("blue", evidence="Named nurse in post"),
            "ST03-C06": AnswerInput("na"),
        },
    )
    session.flush()
    return found


@pytest.fixture
def token(world, session):
    """world.pqa's token for world.partnership, in plaintext."""
    _, raw = api_tokens.create_token(
        session, user=world.pqa, partnership=world.partnership, name="Power BI", by=world.pqa
    )
    session.flush()
    return raw


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert "Location" not in response.headers
    body = response.get_json()["error"]
    assert body["code"] == code
    assert body["message"]
    return body


# Who may call it -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/cycles", "/scores", "/flags"])
def test_no_credentials_is_401_json_with_a_bearer_challenge(client, cycle, path):
    url = path if path.startswith("/api") else f"/api/v1/cycles/{cycle.id}{path}"
    response = client.get(url)
    _error(response, 401, "unauthorised")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer sat_made-up", "Bearer ", "Bearer", "Basic dXNlcjpwYXNz", "sat_without_a_scheme"],
)
def test_a_bad_authorization_header_is_401(client, cycle, header):
    response = client.get("/api/v1/cycles", headers={"Authorization": header})
    _error(response, 401, "unauthorised")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_refused_token_says_so_in_the_challenge(client, token, world):
    response = client.get("/api/v1/cycles", headers=bearer(token + "x"))
    assert response.headers["WWW-Authenticate"] == "Bearer error=invalid_token"


def test_a_token_reads_its_partnerships_cycles(client, token, cycle, world, make):
    make.cycle(world.other_partnership)
    draft = make.cycle(world.partnership, opened=False)
    response = client.get("/api/v1/cycles", headers=bearer(token))
    assert response.status_code == 200
    listed = response.get_json()["cycles"]
    assert [c["id"] for c in listed] == [cycle.id]  # not the draft, not the other partnership's
    assert draft.id not in [c["id"] for c in listed]
    version = cycle.framework_version
    assert listed[0] == {
        "id": cycle.id,
        "name": cycle.name,
        "status": "open",
        "partnership": {"slug": world.partnership.slug, "name": world.partnership.name},
        "framework": {
            "key": "s11-nine-standards",
            "name": version.name,
            "version": version.number,
        },
        "opens_on": cycle.opens_on.isoformat(),
        "due_on": cycle.due_on.isoformat(),
    }


def test_a_token_cannot_read_another_partnerships_cycle(client, token, world, make):
    theirs = make.cycle(world.other_partnership)
    for tail in ("scores", "flags"):
        response = client.get(f"/api/v1/cycles/{theirs.id}/{tail}", headers=bearer(token))
        _error(response, 404, "not_found")


def test_a_bad_token_is_refused_even_with_a_signed_in_session(pqa_client, cycle):
    response = pqa_client.get("/api/v1/cycles", headers=bearer("sat_wrong"))
    _error(response, 401, "unauthorised")


def test_a_revoked_token_is_401(client, token, session):
    found = api_tokens.authenticate_token(session, token)
    api_tokens.revoke_token(session, token=found, by=found.user)
    session.flush()
    _error(client.get("/api/v1/cycles", headers=bearer(token)), 401, "unauthorised")


def test_a_deactivated_holders_token_is_401(client, token, world, session):
    world.pqa.active = False
    session.flush()
    _error(client.get("/api/v1/cycles", headers=bearer(token)), 401, "unauthorised")


def test_a_token_whose_holder_lost_the_pqa_role_is_401(client, token, world, session, make):
    colleague = make.user(world.partnership, Role.PQA_ADMIN, name="Colleague")
    role = next(m for m in world.pqa.memberships if m.role is Role.PQA_ADMIN)
    users.revoke_role(
        session, user=world.pqa, partnership=world.partnership, membership_id=role.id, by=colleague
    )
    session.flush()
    _error(client.get("/api/v1/cycles", headers=bearer(token)), 401, "unauthorised")


def test_a_signed_in_pqa_administrator_can_read_without_a_token(pqa_client, cycle):
    assert pqa_client.get("/api/v1/cycles").get_json()["cycles"][0]["id"] == cycle.id
    assert pqa_client.get(f"/api/v1/cycles/{cycle.id}/scores").status_code == 200
    assert pqa_client.get(f"/api/v1/cycles/{cycle.id}/flags").status_code == 200


def test_a_system_administrator_reads_every_partnership(client_for, make, world, cycle):
    theirs = make.cycle(world.other_partnership)
    admin = client_for(make.user(None, None, email="root@example.org", system_admin=True))
    listed = {c["id"] for c in admin.get("/api/v1/cycles").get_json()["cycles"]}
    assert {cycle.id, theirs.id} <= listed
    assert admin.get(f"/api/v1/cycles/{theirs.id}/scores").status_code == 200


def test_another_partnerships_pqa_cannot_see_the_cycle(client_for, world, cycle):
    other = client_for(world.other_pqa)
    assert other.get("/api/v1/cycles").get_json() == {"cycles": []}
    _error(other.get(f"/api/v1/cycles/{cycle.id}/scores"), 404, "not_found")


@pytest.mark.parametrize("who", ["agency_client", "panel_client"])
def test_signed_in_people_who_are_not_pqa_are_403_json(request, cycle, who):
    browser = request.getfixturevalue(who)
    for url in ("/api/v1/cycles", f"/api/v1/cycles/{cycle.id}/scores"):
        body = _error(browser.get(url), 403, "forbidden")
        assert body["message"] == "Only PQA administrators can use the API"


def test_someone_who_must_change_their_password_is_403(pqa_client, world, session, cycle):
    world.pqa.password_change_required = True
    session.flush()
    _error(pqa_client.get("/api/v1/cycles"), 403, "forbidden")


# What it refuses -------------------------------------------------------------------


def test_an_unknown_or_draft_cycle_is_404(client, token, world, make):
    draft = make.cycle(world.partnership, opened=False)
    for cycle_id in (draft.id, 999_999):
        for tail in ("scores", "flags"):
            response = client.get(f"/api/v1/cycles/{cycle_id}/{tail}", headers=bearer(token))
            _error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("tail", "query", "parameter", "message"),
    [
        ("flags", "severity=urgent", "severity", "severity must be one of high, medium, low"),
        ("flags", "severity=", "severity", "severity must be one of high, medium, low"),
        ("flags", "kind=gap", "kind", None),
        ("flags", "standard=ST99", "standard", None),
        ("flags", "agency=police", "agency", "agency must be a whole number, the agency's id"),
        ("scores", "agency=-1", "agency", "agency must be a whole number, the agency's id"),
        ("scores", "agency=999999", "agency", None),
        ("scores", "agency=1&agency=2", "agency", "agency must be given only once"),
    ],
)
def test_a_bad_parameter_is_400_naming_it(client, token, cycle, tail, query, parameter, message):
    response = client.get(f"/api/v1/cycles/{cycle.id}/{tail}?{query}", headers=bearer(token))
    body = _error(response, 400, "bad_parameter")
    assert body["parameter"] == parameter
    if message:
        assert body["message"] == message


def test_the_allowed_values_are_listed(client, token, cycle):
    url = f"/api/v1/cycles/{cycle.id}/flags"
    kind = client.get(f"{url}?kind=gap", headers=bearer(token)).get_json()["error"]["message"]
    assert all(k.value in kind for k in FlagKind)
    standard = client.get(f"{url}?standard=x", headers=bearer(token)).get_json()["error"]
    assert "ST01" in standard["message"] and "ST09" in standard["message"]


def test_unknown_paths_and_methods_under_api_are_json(client, token, pqa_client):
    _error(client.get("/api/v1/nothing-here", headers=bearer(token)), 404, "not_found")
    _error(client.get("/api/v1/cycles/abc/scores", headers=bearer(token)), 404, "not_found")
    response = pqa_client.post("/api/v1/cycles", headers=bearer(token))
    _error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_the_rest_of_the_site_keeps_its_html_error_pages(pqa_client, client):
    assert pqa_client.get("/no-such-page").mimetype == "text/html"
    assert pqa_client.get("/p/no-such-partnership/pqa/").mimetype == "text/html"
    assert client.get("/p/anything/pqa/").status_code == 302  # the site still redirects


def test_responses_are_never_cached(client, token, cycle):
    for response in (
        client.get("/api/v1/cycles", headers=bearer(token)),
        client.get(f"/api/v1/cycles/{cycle.id}/scores", headers=bearer(token)),
        client.get("/api/v1/cycles"),
        client.get("/api/v1/nowhere"),
    ):
        assert response.headers["Cache-Control"] == "no-store"


def test_reading_the_api_writes_nothing(client, token, cycle, session):
    def rows():
        session.expire_all()
        return session.scalar(select(func.count()).select_from(AuditEvent))

    before = rows()
    for tail in ("scores", "flags"):
        client.get(f"/api/v1/cycles/{cycle.id}/{tail}", headers=bearer(token))
    assert rows() == before


# The figures -----------------------------------------------------------------------


def _same(api_value, exact):
    if exact is None:
        return api_value is None
    return api_value == pytest.approx(exact, abs=0.05) and api_value == round(api_value, 1)


def test_scores_are_the_dashboards_figures(client, token, cycle, session):
    data = dashboard.load_cycle_data(session, cycle)
    table = dashboard.score_table(data)
    body = client.get(f"/api/v1/cycles/{cycle.id}/scores", headers=bearer(token)).get_json()

    assert body["cycle"]["id"] == cycle.id
    assert table.partnership is not None
    assert _same(body["partnership_score"], table.partnership)
    assert [s["key"] for s in body["standards"]] == [s.key for s in data.standards]
    for standard in body["standards"]:
        assert _same(standard["partnership_score"], table.partnership_standard.get(standard["key"]))

    assert {a["id"] for a in body["agencies"]} == {a.id for a in data.agencies}
    for agency in body["agencies"]:
        assert _same(agency["score"], table.agency[agency["id"]])
        assert agency["standards"].keys() == {s.key for s in data.standards}
        for key, value in agency["standards"].items():
            assert _same(value, table.agency_standard.get((agency["id"], key)))
    scored = [v for a in body["agencies"] for v in a["standards"].values() if v is not None]
    assert scored, "the fixture must give some scores"

    criteria = {c["key"]: c for c in body["criteria"]}
    assert list(criteria) == [c.key for s in data.standards for c in s.criteria]
    for key, found in table.distributions.items():
        given = criteria[key]["distribution"]
        assert given["not_applicable"] == found.not_applicable
        assert given["unrated"] == found.unrated
        for level in data.levels:
            assert given["levels"][level.key]["count"] == found.counts.get(level.key, 0)
            assert _same(given["levels"][level.key]["percent"], found.percent(level.key))
    assert criteria["ST03-C06"]["distribution"]["not_applicable"] == 1
    assert criteria["ST01-C01"]["distribution"]["levels"]["red"] == {"count": 1, "percent": 50.0}


def test_narrowing_scores_to_one_agency_keeps_the_partnership_figures(client, token, cycle, world):
    url = f"/api/v1/cycles/{cycle.id}/scores"
    everyone = client.get(url, headers=bearer(token)).get_json()
    police = client.get(f"{url}?agency={world.police.id}", headers=bearer(token)).get_json()
    assert [a["id"] for a in police["agencies"]] == [world.police.id]
    assert police["agencies"][0] == next(
        a for a in everyone["agencies"] if a["id"] == world.police.id
    )
    assert police["partnership_score"] == everyone["partnership_score"]
    assert police["criteria"] == everyone["criteria"]


def test_the_essential_weight_setting_is_used(client, token, cycle, session, app, monkeypatch):
    monkeypatch.setitem(app.config, "ESSENTIAL_CRITERION_WEIGHT", 3.0)
    table = dashboard.score_table(dashboard.load_cycle_data(session, cycle, essential_weight=3.0))
    body = client.get(f"/api/v1/cycles/{cycle.id}/scores", headers=bearer(token)).get_json()
    for agency in body["agencies"]:
        assert _same(agency["score"], table.agency[agency["id"]])


def _flag_rows(flags):
    return [
        (f.kind.value, f.severity.value, f.agency_id, f.standard_key, f.criterion_key, f.reason)
        for f in flags
    ]


def _api_rows(body):
    return [
        (
            f["kind"],
            f["severity"],
            f["agency"]["id"],
            f["standard_key"],
            f["criterion_key"],
            f["reason"],
        )
        for f in body["flags"]
    ]


def test_flags_are_the_dashboards_flags(client, token, cycle, session, world):
    expected = dashboard.cycle_flags(dashboard.load_cycle_data(session, cycle), today=clock.today())
    body = client.get(f"/api/v1/cycles/{cycle.id}/flags", headers=bearer(token)).get_json()
    assert _api_rows(body) == _flag_rows(expected)  # same flags, same order
    kinds = {f["kind"] for f in body["flags"]}
    assert {"lowest_rating", "action_missing", "unevidenced_claim", "essential_not_met"} <= kinds
    first = body["flags"][0]
    assert first["kind_label"] == FlagKind(first["kind"]).label
    names = {world.police.id: world.police.name, world.health.id: world.health.name}
    assert all(f["agency"]["name"] == names[f["agency"]["id"]] for f in body["flags"])


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("severity=high", lambda f, w: f.severity is Severity.HIGH),
        ("kind=lowest_rating", lambda f, w: f.kind is FlagKind.LOWEST_RATING),
        ("standard=ST01", lambda f, w: f.standard_key == "ST01"),
        ("agency={health}", lambda f, w: f.agency_id == w.health.id),
        (
            "agency={police}&severity=medium",
            lambda f, w: f.agency_id == w.police.id and f.severity is Severity.MEDIUM,
        ),
    ],
)
def test_flag_filters(client, token, cycle, session, world, query, keep):
    every = dashboard.cycle_flags(dashboard.load_cycle_data(session, cycle), today=clock.today())
    expected = [f for f in every if keep(f, world)]
    assert expected, "the filter must keep something for the test to mean anything"
    assert len(expected) < len(every)
    query = query.format(health=world.health.id, police=world.police.id)
    body = client.get(f"/api/v1/cycles/{cycle.id}/flags?{query}", headers=bearer(token)).get_json()
    assert _api_rows(body) == _flag_rows(expected)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, None),
        (62.25, 62.3),
        (62.24999, 62.2),
        (66.66666666666667, 66.7),
        (80.0, 80.0),
        (0.05, 0.1),
    ],
)
def test_figures_are_given_to_one_place_halves_up(value, shown):
    assert one_place(value) == shown


# The description -------------------------------------------------------------------


def test_the_openapi_description_is_public_and_lists_every_endpoint(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"].startswith("3.1")
    assert set(DATA_PATHS) <= document["paths"].keys()
    routes = {
        rule.rule.replace("<int:cycle_id>", "{cycle_id}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert routes == document["paths"].keys()
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert document["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/api/v1/openapi.json"]["get"]["security"] == []


def test_the_openapi_description_matches_the_filters(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert schemas["FlagKind"]["enum"] == [k.value for k in FlagKind]
    assert schemas["Severity"]["enum"] == [s.value for s in Severity]
    flags = document["paths"]["/api/v1/cycles/{cycle_id}/flags"]["get"]
    named = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in flags["parameters"]}
    assert named == {"CycleId", "Agency", "standard", "kind", "severity"}
