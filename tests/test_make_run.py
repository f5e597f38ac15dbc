"""A newcomer's first hour: `make run` on a fresh database, then every role tries the portal.

This runs the real `make run` (on a fresh SQLite file, in a folder and on a port of its own,
without Redis: tasks in-process, as on a fresh clone), reads what it prints, and through the
server it started: signs in every printed staff account with its password and the code that
`make demo-code` prints, on allauth's real login and second-factor pages; opens every printed
receipt on the survivor's return page; and checks that each role has something to see.

No Django test client: the server is another process with its own database, reached over HTTP
the way a browser without JavaScript would.
"""

import json
import os
import re
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
from django.urls import reverse
from django.utils import translation

from intake.management.commands.seed_demo_survivors import EXAMPLES as EXAMPLE_LIST
from intake.management.commands.seed_demo_survivors import NOTHING
from tests.conftest import PROJECT_ROOT

EXAMPLES = {example.language: example for example in EXAMPLE_LIST}

# What a newcomer's shell passes on: no DATABASE_URL, REDIS_URL or secrets of the test run.
NEWCOMER_ENV = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR")
STAFF_LINE = re.compile(
    r"^ +(coordinator|caseworker) +(\S+@demo\.invalid) +password (\S+) +TOTP secret (\S+)$", re.M
)
SURVIVOR_LINE = re.compile(r"^ +([a-z]{2}) +receipt (.+?)  (.+)$", re.M)


@dataclass
class Page:
    url: str
    status: int
    text: str


class Browser:
    """Keeps cookies and sends forms with their CSRF token, like a browser without JavaScript."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def open(self, path: str, data: dict[str, str] | None = None) -> Page:
        url = path if path.startswith("http") else self.base + path
        body = urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, body, timeout=60) as response:
                return Page(response.geturl(), response.status, response.read().decode())
        except HTTPError as error:
            return Page(error.geturl(), error.code, error.read().decode())

    def submit(self, page: Page, fields: dict[str, str]) -> Page:
        """Send the form on `page` (its first POST form) with these fields filled in."""
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"no form on {page.url}"
        return self.open(page.url, {"csrfmiddlewaretoken": match.group(1), **fields})


def free_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


@dataclass
class DevSite:
    """`make run`, started as a newcomer starts it, and what it printed."""

    base: str
    var: Path
    printed: str
    env: dict[str, str]

    def demo_code(self, email: str) -> str:
        """The sign-in code, from the helper that make run tells newcomers about."""
        result = subprocess.run(
            ["make", "-s", "demo-code", f"EMAIL={email}", f"VAR={self.var}"],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        match = re.search(r"Sign-in code for \S+: (\d{6})$", result.stdout, re.M)
        assert match, result.stdout + result.stderr
        return match.group(1)

    def sign_in(self, email: str, password: str) -> Browser:
        browser = Browser(self.base)
        login = browser.open("/accounts/login/")
        second_step = browser.submit(login, {"login": email, "password": password})
        assert "/accounts/2fa/authenticate/" in second_step.url, second_step.text[:2000]
        signed_in = browser.submit(second_step, {"code": self.demo_code(email)})
        assert signed_in.status == 200
        assert "/accounts/" not in signed_in.url, f"{email} did not get past {signed_in.url}"
        return browser


@pytest.fixture(scope="module")
def dev_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevSite]:
    folder = tmp_path_factory.mktemp("make-run")
    address = free_address()
    env = {name: os.environ[name] for name in NEWCOMER_ENV if name in os.environ}
    # The only setting given: a fresh database file of this test's own, instead of var/'s.
    env["DATABASE_URL"] = f"sqlite:///{folder}/portal.sqlite3"
    var = folder / "var"
    log = folder / "make-run.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", "run", f"VAR={var}", f"ADDRESS={address}"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, runserver and its reloader: stopped together below
        )
    try:
        base = f"http://{address}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, f"make run ended:\n{log.read_text()}"
            try:
                with build_opener().open(base + "/healthz", timeout=5):
                    break
            except HTTPError:
                break  # it answers (a 503 would say why in its body; /healthz is tested apart)
            except (URLError, OSError):
                time.sleep(0.5)
        else:
            pytest.fail(f"make run did not serve within 300 s:\n{log.read_text()}")
        yield DevSite(base, var, log.read_text(), env)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_it_prints_demo_staff_and_survivors_marked_as_demo_data(dev_site: DevSite) -> None:
    assert "DEMO DATA" in dev_site.printed
    staff = STAFF_LINE.findall(dev_site.printed)
    survivors = SURVIVOR_LINE.findall(dev_site.printed)
    assert {role for role, *_ in staff} == {"coordinator", "caseworker"}
    assert len(staff) == 6
    assert len(survivors) == 5
    assert len({language for language, *_ in survivors}) == 5
    assert "make demo-code EMAIL=" in dev_site.printed
    # The secrets printed are the ones kept in var/, readable by this user only.
    for name in ("demo-accounts.json", "demo-survivors.json"):
        assert stat.S_IMODE((dev_site.var / name).stat().st_mode) == 0o600
    kept = json.loads((dev_site.var / "demo-survivors.json").read_text())
    assert [s["receipt"] for s in kept] == [receipt for _, receipt, _ in survivors]


def test_every_printed_receipt_opens_its_account(dev_site: DevSite) -> None:
    survivors = SURVIVOR_LINE.findall(dev_site.printed)
    assert sorted(language for language, *_ in survivors) == sorted(EXAMPLES)
    for language, receipt, _ in survivors:
        browser = Browser(dev_site.base)
        form = browser.open(f"/{language}/intake/return/")
        case = browser.submit(form, {"receipt": receipt})
        assert case.status == 200, (language, case.status)
        with translation.override(language):
            assert case.url == dev_site.base + reverse("intake:case"), case.url
        # Its own account: the survivor's page shows the status, the messages and the contact
        # (not the account itself, which is never shown again to whoever holds the phone).
        example, text = EXAMPLES[language], unescape(case.text)
        status = re.search(r'class="status status-(\w+)"', text)
        assert status, language
        assert status.group(1) == ("received" if example.then == NOTHING else "acknowledged")
        if example.contact:
            assert example.contact["contact_address"] in text, language
        for message in (example.caseworker_message, example.survivor_message):
            assert message in text, language


def test_every_caseworker_signs_in_and_finds_a_case_in_the_queue(dev_site: DevSite) -> None:
    caseworkers = [s for s in STAFF_LINE.findall(dev_site.printed) if s[0] == "caseworker"]
    assert len(caseworkers) == 4
    urgent_seen = False
    for _, email, password, _ in caseworkers:
        browser = dev_site.sign_in(email, password)
        queue = browser.open("/caseworker/")
        assert queue.status == 200
        cases = re.findall(r'href="(/caseworker/cases/[0-9a-f-]{36}/)"', queue.text)
        assert cases, f"{email} has an empty queue"
        # Urgent is marked in the row's status cell (issue 19).
        urgent_seen = urgent_seen or 'class="tag urgent-tag">Urgent</strong>' in queue.text
        case = browser.open(cases[0])
        assert case.status == 200
        assert "[DEMO]" in unescape(case.text), f"{email} could not read their case"
    assert urgent_seen, "no caseworker's queue shows the urgent example"


def test_every_coordinator_signs_in_and_opens_the_waiting_case(dev_site: DevSite) -> None:
    coordinators = [s for s in STAFF_LINE.findall(dev_site.printed) if s[0] == "coordinator"]
    assert len(coordinators) == 2
    for _, email, password, _ in coordinators:
        browser = dev_site.sign_in(email, password)
        waiting = browser.open("/caseworker/unassigned/")
        assert waiting.status == 200
        assert "do not hold the coordinators" not in unescape(waiting.text)
        cases = re.findall(r'href="(/caseworker/unassigned/[0-9a-f-]{36}/)"', waiting.text)
        assert len(cases) == 1, f"{email} sees {len(cases)} waiting cases"
        case = browser.open(cases[0])
        assert case.status == 200, f"{email} could not open the waiting case ({case.status})"
        assert "[DEMO]" in unescape(case.text)
    # The last one gives it to olena, as README.md's walk-through does.
    olena = re.search(r'<option value="(\d+)">olena@demo\.invalid', case.text)
    assert olena, "olena is not among the caseworkers to choose"
    given = browser.submit(case, {"colleague": olena.group(1)})
    if "/accounts/reauthenticate/" in given.url:  # signed in more than a few minutes ago
        given = browser.submit(given, {"password": password})
    assert given.url == dev_site.base + "/caseworker/unassigned/", given.url
    assert "No case is waiting." in given.text
