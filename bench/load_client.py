"""The load benchmark's simulated people: agency leads saving answers, the PQA officer
opening the heat map, and a probe timing the floor pages, each in its own thread.

Each person is a `Browser` that plays both the browser and the reverse proxy in front of
gunicorn: the proxy terminates HTTPS and says so with `X-Forwarded-Proto: https`, which
gunicorn trusts from loopback. The app therefore runs with its production settings
(`Secure` session cookies, strict CSRF referrer checks), and the browser sends its
`Secure` cookie back as a real one would over HTTPS.
"""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

REQUEST_TIMEOUT_S = 30
# After a failed request: do not spin on a server that is refusing connections.
RETRY_PAUSE_S = 0.1
# Everyone signs in before the measured window opens; a person who has not by then
# breaks the barrier, and the run ends with that as an error.
SIGN_IN_TIMEOUT_S = 120
PROBE_INTERVAL_S = 0.2

CSRF_TOKEN = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')
VERSION = re.compile(rb'name="version" type="hidden" value="(\d*)"')
RATING = re.compile(rb'name="rating" type="radio" value="([^"]+)"')
LOCKED = b"database is locked"


@dataclass
class Sample:
    kind: str
    started: float  # time.monotonic()
    seconds: float
    status: int | None  # None: no answer (connection failed or timed out)
    outcome: str  # ok, conflict, error (5xx or no answer), unexpected (anything else)
    detail: str = ""


@dataclass
class Lead:
    email: str
    number: int
    assessment_path: str  # /p/<slug>/agency/returns/<id>
    criterion_ids: list[int]  # the criteria this lead answers, in the return's order
    following: dict[int, int | None]  # each of those -> the next in the return (None: last)


@dataclass
class Save:
    lead: int
    criterion_id: int
    seq: int

    @property
    def evidence(self) -> str:
        return evidence_text(self.lead, self.criterion_id, self.seq)


def evidence_text(lead: int, criterion_id: int, seq: int) -> str:
    return f"Load test: lead {lead} criterion {criterion_id} save {seq}."


EVIDENCE = re.compile(r"Load test: lead (\d+) criterion (\d+) save (\d+)\.")


class Recorder:
    """Every request's sample and the saves the server acknowledged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.samples: list[Sample] = []
        self.acknowledged: list[Save] = []
        self.locked_responses = 0

    def record(self, sample: Sample, *, locked: bool = False) -> None:
        with self._lock:
            self.samples.append(sample)
            self.locked_responses += locked

    def acknowledge(self, save: Save) -> None:
        with self._lock:
            self.acknowledged.append(save)


@dataclass
class Page:
    status: int | None
    body: bytes = b""
    location: str = ""
    outcome: str = "error"

    def first(self, pattern: re.Pattern) -> str | None:
        found = pattern.search(self.body)
        return found.group(1).decode() if found else None


@dataclass
class Browser:
    port: int
    recorder: Recorder
    cookies: dict[str, str] = field(default_factory=dict)
    current: str = "/"

    def get(self, kind: str, path: str) -> Page:
        return self._send(kind, "GET", path, None, 200, None)

    def post(self, kind: str, path: str, fields: dict[str, str], *, redirect_to: str) -> Page:
        """A form post answered by a redirect to `redirect_to` (a path)."""
        return self._send(kind, "POST", path, fields, 302, redirect_to)

    def _send(self, kind, method, path, fields, expect, redirect_to) -> Page:
        origin = f"https://127.0.0.1:{self.port}"
        # X-Load-Kind lets gunicorn's access log time each request type in the worker.
        headers = {
            "X-Forwarded-Proto": "https",
            "Referer": origin + self.current,
            "X-Load-Kind": kind,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            page = Page(response.status, response.read(), response.getheader("Location", ""))
            cookies = response.headers.get_all("Set-Cookie") or []
        except (OSError, http.client.HTTPException) as error:
            seconds = time.monotonic() - started
            self.recorder.record(Sample(kind, started, seconds, None, "error", repr(error)))
            return Page(None)
        finally:
            connection.close()
        seconds = time.monotonic() - started
        for header in cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if page.status >= 500:
            outcome = "error"
        elif page.status == 409:
            outcome = "conflict"
        elif page.status == expect and (
            redirect_to is None or urlsplit(page.location).path == redirect_to
        ):
            outcome = "ok"
        else:
            outcome = "unexpected"
        detail = "" if outcome == "ok" else f"{method} {path} -> {page.status} {page.location}"
        locked = LOCKED in page.body
        self.recorder.record(
            Sample(kind, started, seconds, page.status, outcome, detail), locked=locked
        )
        page.outcome = outcome
        if method == "GET" and page.status == 200:
            self.current = path
        return page

    def sign_in(self, email: str, password: str) -> bool:
        page = self.get("sign-in page", "/login")
        token = page.first(CSRF_TOKEN)
        if token is None:
            return False
        fields = {"csrf_token": token, "email": email, "password": password}
        return self.post("sign in", "/login", fields, redirect_to="/").outcome == "ok"


@dataclass
class Plan:
    """What every simulated person shares: where, until when, how hard. The measured
    window opens when everyone has signed in (`start`) and closes at the deadline or
    once `max_requests` have been made, whichever comes first; requests already in
    flight then finish."""

    port: int
    password: str
    people: int
    seconds: float
    max_requests: int
    think_s: float
    recorder: Recorder = field(default_factory=Recorder)
    opened_at: float = 0.0
    start: threading.Barrier = field(init=False)

    def __post_init__(self) -> None:
        self.start = threading.Barrier(self.people, action=self._open)

    def _open(self) -> None:
        self.opened_at = time.monotonic()

    def running(self) -> bool:
        return (
            time.monotonic() < self.opened_at + self.seconds
            and len(self.recorder.samples) < self.max_requests
        )

    def pause(self, rng: random.Random) -> None:
        if self.think_s:
            time.sleep(rng.uniform(0, 2 * self.think_s))


def _signed_in_then_wait(plan: Plan, browser: Browser, email: str) -> bool:
    ok = browser.sign_in(email, plan.password)
    plan.start.wait(timeout=SIGN_IN_TIMEOUT_S)
    return ok


def run_lead(plan: Plan, lead: Lead) -> None:
    """Open a criterion page, save an answer with the version the page showed and
    "Save and continue", which redirects to the next criterion; open the lead's next
    criterion (the same page, unless colleagues share the return); after the lead's
    last one, back to the task list and round again. Each save's evidence names the
    lead, the criterion and a sequence number, so the database can be checked against
    what the server acknowledged. After anything unexpected the lead opens the same
    page again, as a person would."""
    rng = random.Random(lead.number)
    browser = Browser(plan.port, plan.recorder)
    if not _signed_in_then_wait(plan, browser, lead.email):
        return
    task_list = f"{lead.assessment_path}/"
    position = rng.randrange(len(lead.criterion_ids))
    seq = 0
    while plan.running():
        criterion_id = lead.criterion_ids[position]
        path = f"{lead.assessment_path}/criteria/{criterion_id}"
        page = browser.get("criterion page", path)
        token, ratings = page.first(CSRF_TOKEN), RATING.findall(page.body)
        if page.outcome != "ok" or token is None or not ratings:
            time.sleep(RETRY_PAUSE_S)
            continue
        plan.pause(rng)
        seq += 1
        following = lead.following[criterion_id]
        fields = {
            "csrf_token": token,
            "version": page.first(VERSION) or "0",
            "rating": rng.choice(ratings).decode(),
            "evidence": evidence_text(lead.number, criterion_id, seq),
            "impact": "Quarterly audit of case files; findings reported to the board.",
            "then": "continue" if following else "task-list",
        }
        redirect_to = f"{lead.assessment_path}/criteria/{following}" if following else task_list
        if browser.post("save", path, fields, redirect_to=redirect_to).outcome != "ok":
            time.sleep(RETRY_PAUSE_S)
            continue
        plan.recorder.acknowledge(Save(lead.number, criterion_id, seq))
        position = (position + 1) % len(lead.criterion_ids)
        if position == 0 and plan.running():
            browser.get("task list", task_list)


def run_pqa(plan: Plan, email: str, dashboard_path: str) -> None:
    rng = random.Random(-1)
    browser = Browser(plan.port, plan.recorder)
    if not _signed_in_then_wait(plan, browser, email):
        return
    while plan.running():
        if browser.get("heat map", dashboard_path).outcome != "ok":
            time.sleep(RETRY_PAUSE_S)
        plan.pause(rng)


def run_probe(plan: Plan, asset_path: str) -> None:
    """The floor: a static asset and the sign-in page (neither touches the database),
    timed in the same queue as everyone else's requests. Each starts on a fixed
    schedule, not after the previous one answers, so a long queue cannot thin out the
    floor's samples."""
    plan.start.wait(timeout=SIGN_IN_TIMEOUT_S)
    probes = []
    pages = [("static asset", asset_path), ("login page", "/login")]
    while plan.running():
        kind, path = pages[len(probes) % len(pages)]
        probe = threading.Thread(
            target=Browser(plan.port, plan.recorder).get, args=(kind, path), daemon=True
        )
        probe.start()
        probes.append(probe)
        time.sleep(PROBE_INTERVAL_S)
    for probe in probes:
        probe.join(timeout=REQUEST_TIMEOUT_S)
