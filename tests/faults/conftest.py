"""The real stack for fault tests: gunicorn serving the portal, survivors talking to it over HTTP.

Survivors here are plain HTTP clients (not Django's test client): requests go through gunicorn's
workers, their own database connections and the real CSRF check, as a browser's would.
"""

import contextlib
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import redis
from django.conf import settings

from intake import actions
from intake.crypto import unwrapping
from intake.models import KeyWrap
from tests.conftest import PROJECT_ROOT, child_environment, stop_process
from tests.intake.conftest import account_data

RECEIPT = re.compile(r'id="receipt-code">([0-9 ]+)<')
HIDDEN = r'name="{name}" value="([^"]*)"'

# What each outcome says (tests/intake/test_faults.py and test_rate_limits.py check the same
# words against Django's test client; these are the texts survivors get from the real server).
RECEIVED = "What you shared was received"
NOT_SAVED = "Your account was NOT saved: something went wrong on our side."
MAYBE_SAVED = "We could not confirm that your account was saved"
CHOOSE_FILES_AGAIN = "Files must be chosen again."
TOO_MANY = "Many accounts have been sent from this connection in the last hour. Nothing was saved."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Page:
    status: int
    text: str
    location: str = ""


@dataclass
class Visitor:
    """A browser: keeps its cookies (Secure ones too, as browsers do for localhost) and posts
    forms as the portal's pages do. `forwarded_for` is the address the proxy in front adds (the
    servers here trust one proxy): one of its own unless given, so that rate-limit counters, kept
    in the shared Redis, never add up across tests as they would for 127.0.0.1."""

    base_url: str
    forwarded_for: str = field(default_factory=lambda: survivor_address())
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        fields: Mapping[str, object] | None = None,
        files: Sequence[tuple[str, bytes]] = (),
        multipart: bool = False,
    ) -> Page:
        parts = urlsplit(self.base_url)
        headers = {"Host": parts.netloc}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        body: bytes | None = None
        if method == "POST":
            if multipart or files:
                boundary = uuid.uuid4().hex
                body = _multipart(boundary, fields or {}, files)
                headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
            else:
                body = urlencode(list(_pairs(fields or {}))).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Page(response.status, text, response.getheader("Location") or "")
        finally:
            connection.close()

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(self, path: str, fields: Mapping[str, object], **options: object) -> Page:
        return self.request("POST", path, fields, **options)  # type: ignore[arg-type]


def _pairs(fields: Mapping[str, object]) -> Iterator[tuple[str, str]]:
    for name, value in fields.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            yield name, str(item)


def _multipart(boundary: str, fields: Mapping[str, object], files: Sequence[tuple[str, bytes]]):
    chunks: list[bytes] = []
    for name, value in _pairs(fields):
        header = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        chunks.append(f"{header}{value}\r\n".encode())
    for file_name, content in files:
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
            f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def hidden_value(page: Page, name: str) -> str:
    match = re.search(HIDDEN.format(name=name), page.text)
    assert match, f"no {name} on the page (status {page.status}):\n{page.text[:2000]}"
    return match.group(1)


@dataclass
class Submission:
    """One account sent by one survivor, and what the server answered."""

    narrative: str
    page: Page
    started: float  # time.monotonic() when Send was pressed

    @property
    def receipt(self) -> str | None:
        match = RECEIPT.search(self.page.text)
        return match.group(1) if match else None


def review(visitor: Visitor, narrative: str) -> tuple[dict[str, object], Page]:
    """The survivor's path up to the review page: the consent page (which sets the CSRF cookie),
    then the answers. Neither step touches the database. Returns the answers and the page."""
    data = account_data(narrative=narrative, country="Somewhere")
    consent = visitor.get("/en/intake/consent/")
    assert consent.status == 200, consent.text[:2000]
    token = hidden_value(consent, "csrfmiddlewaretoken")
    page = visitor.post("/en/intake/review/", {**data, "csrfmiddlewaretoken": token})
    assert page.status == 200, page.text[:2000]
    return data, page


def send_reviewed(
    visitor: Visitor,
    data: dict[str, object],
    page: Page,
    files: Sequence[tuple[str, bytes]] = (),
) -> Submission:
    """Press Send on the review page (the form is multipart, as in the browser)."""
    fields = {
        **data,
        "csrfmiddlewaretoken": hidden_value(page, "csrfmiddlewaretoken"),
        "submission_token": hidden_value(page, "submission_token"),
    }
    started = time.monotonic()
    answer = visitor.post("/en/intake/send/", fields, files=files, multipart=True)
    return Submission(str(data["account-narrative"]), answer, started)


def send_account(
    visitor: Visitor, narrative: str, files: Sequence[tuple[str, bytes]] = ()
) -> Submission:
    """Review and send one account over HTTP, as the browser would."""
    data, page = review(visitor, narrative)
    return send_reviewed(visitor, data, page, files)


def narrative_of(case: Any, coordinators_key_file: Path) -> str:
    """What the survivor wrote in this case, read with the coordinators' private key."""
    wrap = KeyWrap.objects.get(case=case, recipient="coordinators")
    case_key = unwrapping.unwrap_case_key(
        bytes(wrap.wrapped),
        coordinators_key_file.read_bytes(),
        case_id=case.case_id,
        recipient="coordinators",
        key_id=wrap.key_id,
    )
    answers = actions.open_json(case_key, case.case_id, "answers", bytes(case.answers))
    return str(answers["narrative"])


def assert_received(submission: Submission) -> str:
    """The survivor was told the account was received, and given its receipt."""
    page = submission.page
    assert page.status == 200, page.text[:3000]
    assert RECEIVED in page.text
    assert submission.receipt, page.text[:3000]
    assert NOT_SAVED not in page.text
    return submission.receipt


def assert_told_not_saved(submission: Submission, *, files: bool = False) -> None:
    """The survivor was told plainly that nothing was saved, and what they typed is still there."""
    page = submission.page
    assert page.status == 503, page.text[:3000]
    assert NOT_SAVED in page.text
    assert (CHOOSE_FILES_AGAIN in page.text) is files
    assert 'id="receipt-code"' not in page.text
    assert RECEIVED.lower() not in page.text.lower()
    # The text is still in the form, ready to send again.
    assert f'value="{submission.narrative}"' in page.text


def assert_told_maybe_saved(submission: Submission, *, files: bool = False) -> None:
    """The connection to the database broke at the very moment of saving, and the database could
    not be asked afterwards: the survivor is told we cannot confirm it, and nothing false."""
    page = submission.page
    assert page.status == 503, page.text[:3000]
    assert MAYBE_SAVED in page.text
    assert NOT_SAVED not in page.text
    assert (CHOOSE_FILES_AGAIN in page.text) is files
    assert 'id="receipt-code"' not in page.text
    assert RECEIVED.lower() not in page.text.lower()
    assert f'value="{submission.narrative}"' in page.text


def open_with_receipt(visitor: Visitor, receipt: str) -> Page:
    """Come back with the receipt, as the survivor would: the case page, or what went wrong."""
    form = visitor.get("/en/intake/return/")
    token = hidden_value(form, "csrfmiddlewaretoken")
    answer = visitor.post("/en/intake/return/", {"receipt": receipt, "csrfmiddlewaretoken": token})
    if answer.status != 302:
        return answer
    return visitor.get(urlsplit(answer.location).path)


def survivor_address() -> str:
    """An address of this test's own for the rate-limit counters (kept in a shared Redis)."""
    return "10.{}.{}.{}".format(*(secrets.randbelow(250) + 1 for _ in range(3)))


# --- gunicorn ----------------------------------------------------------------------------------


@dataclass
class WebServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    queue: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process, timeout=10)
        # gunicorn runs in a process group of its own: a worker stuck in a request must not
        # outlive its arbiter.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        # Routing tasks it sent went to a queue no worker reads: remove them from the shared Redis.
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter(match=f"{self.queue}*"):
            client.delete(key)


def start_web_server(log_dir: Path, config: str = "gunicorn.conf.py", **env: str) -> WebServer:
    """gunicorn with the production configuration (gunicorn.conf.py), 2 workers of 4 threads.

    It uses the test database unless DATABASE_URL is given, the configured Redis, and a Celery
    queue that no worker reads (routing is not what these tests look at; a worker of the test
    session must not receive a case id from another database). Rate limits are generous unless
    `env` sets them. It trusts one proxy: survivors' addresses come from X-Forwarded-For.
    """
    port = free_port()
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    environment = child_environment(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4",
        REDIS_URL=settings.REDIS_URL,
        CELERY_QUEUE=queue,
        TRUSTED_PROXY_COUNT="1",
        INTAKE_SUBMISSIONS_PER_HOUR="1000",
        INTAKE_SUBMISSIONS_CEILING_PER_HOUR="100000",
        INTAKE_RECEIPT_ATTEMPTS_PER_15_MINUTES="1000",
        INTAKE_RECEIPT_CEILING_PER_15_MINUTES="100000",
    )
    environment.update(env)
    log_path = log_dir / f"gunicorn-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", config],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = WebServer(process, port, log_path, queue)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{server.log()}")
        try:
            if Visitor(server.url).get("/en/intake/consent/").status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer within 60 s:\n{server.log()}")


@pytest.fixture
def web_server_factory(tmp_path: Path) -> Iterator[object]:
    """Start gunicorn servers for one test; all are stopped at its end."""
    servers: list[WebServer] = []

    def start(config: str = "gunicorn.conf.py", **env: str) -> WebServer:
        server = start_web_server(tmp_path, config, **env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
