"""Security headers on every kind of response: pages with data, downloads, the API,
errors and redirects; HSTS only over HTTPS; static assets cacheable but not sniffable.

(tests/test_config_and_headers.py checks the sign-in page; these check the rest.)
"""

from __future__ import annotations

import io

from audit_tool.models import EvidenceItem
from audit_tool.services import api_tokens

HTTPS = "https://localhost"


def assert_protected(response, where: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    for directive in ("object-src 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in csp, f"{where}: CSP lacks {directive}"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("Cache-Control") == "no-store", f"{where}: {headers.get('Cache-Control')}"


def _simple_get_urls(app, slug: str, prefix: str) -> list[str]:
    """Every GET page of an area that needs no argument but the partnership."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(prefix) or "GET" not in rule.methods:
            continue
        if set(rule.arguments) <= {"partnership_slug"}:
            urls.append(rule.build({"partnership_slug": slug})[1])
    return urls


def test_every_signed_in_page_is_protected_and_never_stored(
    app, world, pqa_client, agency_client, panel_client
):
    slug = world.partnership.slug
    checked = 0
    for client, prefix in (
        (pqa_client, "pqa."),
        (pqa_client, "frameworks."),
        (pqa_client, "auth."),
        (pqa_client, "home."),
        (agency_client, "agency."),
        (panel_client, "panel."),
    ):
        for url in _simple_get_urls(app, slug, prefix):
            response = client.get(url)
            assert response.status_code < 500, url
            assert_protected(response, url)
            checked += 1
    assert checked >= 15


def test_error_pages_and_redirects_are_protected(client, agency_client, world):
    slug = world.partnership.slug
    for response, where in (
        (agency_client.get(f"/p/{slug}/pqa/"), "403"),
        (agency_client.get("/no/such/page"), "404"),
        (client.get(f"/p/{slug}/pqa/"), "redirect to sign in"),
        (client.get("/logout"), "405"),
    ):
        assert_protected(response, where)


def test_an_evidence_download_is_an_attachment_never_stored(agency_client, make, world, session):
    cycle = make.cycle(world.partnership)
    assessment = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    base = f"/p/{world.partnership.slug}/agency/returns/{assessment.id}"
    agency_client.submit(f"{base}/", {})
    page = agency_client.soup(f"{base}/")
    criterion_link = next(
        a["href"] for a in page.find_all("a", href=True) if "/criteria/" in a["href"]
    )
    agency_client.submit(
        f"{criterion_link}/evidence/new",
        {"title": "Policy", "file": (io.BytesIO(b"%PDF-1.7\n%%EOF\n"), "policy.pdf")},
        content_type="multipart/form-data",
    )
    session.expire_all()
    item = session.query(EvidenceItem).one()
    for url in (HTTPS + f"{base}/evidence/{item.id}/download",):
        response = agency_client.get(url)
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert_protected(response, "evidence download")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        response.close()


def test_the_api_is_protected_and_never_stored(client, world, session):
    _, raw = api_tokens.create_token(
        session, user=world.pqa, partnership=world.partnership, name="BI", by=world.pqa
    )
    session.flush()
    response = client.get("/api/v1/cycles", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert_protected(response, "API")
    assert_protected(client.get("/api/v1/cycles"), "API 401")


def test_hsts_only_over_https_and_on_every_response(app, pqa_client, world):
    slug = world.partnership.slug
    plain = pqa_client.get(f"/p/{slug}/pqa/")
    assert "Strict-Transport-Security" not in plain.headers
    for path in (f"/p/{slug}/pqa/", "/no/such/page", "/account/two-factor"):
        response = pqa_client.get(HTTPS + path)
        hsts = response.headers["Strict-Transport-Security"]
        assert hsts == "max-age=31536000; includeSubDomains", path


def test_forwarded_proto_is_not_trusted_without_a_configured_proxy(client):
    """No proxy fix is configured, so a client cannot claim HTTPS by header."""
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_static_assets_may_be_cached_but_not_sniffed(client):
    response = client.get("/assets/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
