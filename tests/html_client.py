"""A test client that checks every HTML page it receives and knows how to fill forms.

Every HTML response must have a non-empty title, no duplicate ids, and a CSRF field in
every POST form. `submit` posts a page's form the way a browser would: it reads the
form's CSRF token from the page first.
"""

from __future__ import annotations

from collections import Counter

from bs4 import BeautifulSoup
from flask.testing import FlaskClient


class PageProblem(AssertionError):
    pass


def check_page(html: str, url: str) -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else ""
    if not title:
        raise PageProblem(f"{url}: page has no title")
    duplicates = [i for i, n in Counter(t["id"] for t in soup.find_all(id=True)).items() if n > 1]
    if duplicates:
        raise PageProblem(f"{url}: duplicate ids {duplicates}")
    for form in soup.find_all("form"):
        if form.get("method", "get").lower() == "post" and not form.find(
            "input", attrs={"name": "csrf_token"}
        ):
            raise PageProblem(f"{url}: a POST form has no csrf_token field")
    return soup


class HTMLCheckingClient(FlaskClient):
    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        if response.mimetype == "text/html" and response.status_code not in (204, 302):
            url = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "?")
            check_page(response.get_data(as_text=True), url)
        return response

    def soup(self, url: str) -> BeautifulSoup:
        response = self.get(url)
        assert response.status_code == 200, f"GET {url} gave {response.status_code}"
        return BeautifulSoup(response.get_data(as_text=True), "html.parser")

    def csrf_token(self, url: str, action: str | None = None) -> str:
        """The CSRF token of the POST form on `url` (the one posting to `action`)."""
        for form in self.soup(url).find_all("form", method="post"):
            if action is None or form.get("action", url) == action:
                return form.find("input", attrs={"name": "csrf_token"})["value"]
        raise PageProblem(f"no POST form to {action or url} on {url}")

    def submit(self, url: str, data: dict, *, action: str | None = None, **kwargs):
        """Post a form found on `url` (to `action`, or to `url` itself)."""
        target = action or url
        token = self.csrf_token(url, action)
        return self.post(target, data={**data, "csrf_token": token}, **kwargs)

    def sign_in(self, email: str, password: str):
        response = self.submit("/login", {"email": email, "password": password})
        page = response.get_data(as_text=True)
        assert response.status_code == 302, f"sign-in failed: {page[-3000:]}"
        return response
