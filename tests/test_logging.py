"""No log line, from Django, gunicorn or the Celery worker, carries the client's address or user
agent, nor the second at which a survivor sent, returned or withdrew."""

import io
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

from intake.models import Case, KeyWrap, RoutingJob, StaffProfile
from portal.logging import SurvivorTimeFilter, is_survivor_path, redact, survivor_action
from tests.caseworker.conftest import make_persona
from tests.conftest import celery_broker, start_celery_worker, wait_for
from tests.faults.conftest import (
    Visitor,
    assert_received,
    hidden_value,
    open_with_receipt,
    send_account,
    start_web_server,
)
from tests.intake.conftest import account_data, send
from tests.routing.conftest import own_queue  # noqa: F401  (shared fixture)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CLIENT_ADDRESS = "198.51.100.73"
CLIENT_IPV6 = "2001:db8:5eed::73"
USER_AGENT = "Mozilla/5.0 (Linux; Android 12; CanaryPhone-7731) Chrome/121.0"
FORWARDED = "203.0.113.91"


@pytest.mark.django_db
def test_django_logs_no_client_address_or_user_agent(
    client: Client, console_output: io.StringIO, settings
) -> None:
    settings.ROOT_URLCONF = "tests.urls_with_error"
    client.raise_request_exception = False
    for address in (CLIENT_ADDRESS, CLIENT_IPV6):
        for path in ("/en/", "/en/missing-page/", "/en/fail/", "/healthz", "/accounts/login/"):
            client.get(
                path,
                REMOTE_ADDR=address,
                headers={"user-agent": USER_AGENT, "x-forwarded-for": FORWARDED},
            )
        client.post("/accounts/login/", {"login": "x@example.org"}, REMOTE_ADDR=address)
    output = console_output.getvalue()
    # The failing view and the 404 were logged, so the check below looked at real log lines.
    assert "simulated failure in a view" in output
    assert "Not Found: /en/missing-page/" in output
    for canary in (CLIENT_ADDRESS, CLIENT_IPV6, "CanaryPhone", FORWARDED):
        assert canary not in output


def test_the_redaction_filter_removes_addresses_but_keeps_times_and_versions() -> None:
    line = f"12:30:45 v1.2.3 from {CLIENT_ADDRESS} [{CLIENT_IPV6}]:443 ua={USER_AGENT}"
    cleaned = redact(line)
    assert CLIENT_ADDRESS not in cleaned
    assert CLIENT_IPV6 not in cleaned
    assert "CanaryPhone" not in cleaned
    assert cleaned.startswith("12:30:45 v1.2.3 from [redacted]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request_from(source: str, port: int, path: str) -> bytes:
    """A raw HTTP request sent from a chosen loopback address, with canary headers."""
    with socket.create_connection(
        ("127.0.0.1", port), timeout=10, source_address=(source, 0)
    ) as conn:
        conn.sendall(
            f"GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: {USER_AGENT}\r\n"
            f"X-Forwarded-For: {FORWARDED}\r\nConnection: close\r\n\r\n".encode()
        )
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_gunicorn_logs_no_client_address_or_user_agent(tmp_path: Path) -> None:
    port = free_port()
    # Requests come from 127.0.0.57, an address that appears nowhere else in gunicorn's output.
    source = "127.0.0.57"
    env = dict(os.environ)
    env.update(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        ALLOWED_HOSTS="localhost",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        REDIS_URL="",
    )
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(log_path.read_text()) from None
                time.sleep(0.2)
        responses = [
            request_from(source, port, path) for path in ("/en/", "/en/nowhere/", "/healthz")
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = log_path.read_text()
    assert responses[0].startswith(b"HTTP/1.1 200")
    assert '"GET /en/ HTTP/1.1" 200' in output
    assert '"GET /en/nowhere/ HTTP/1.1" 404' in output
    for canary in (source, "CanaryPhone", FORWARDED):
        assert canary not in output


# --- No timing trail of survivors (docs/security.md, section 3) ----------------------------------

# A time of day finer than the hour: minutes, seconds or fractions that are not all zero.
CLOCK = re.compile(r"\b\d{2}:(\d{2}):(\d{2})(?:[.,](\d+))?")


def times_finer_than_the_hour(text: str) -> list[str]:
    return [
        match.group(0)
        for match in CLOCK.finditer(text)
        if (match.group(1), match.group(2)) != ("00", "00") or int(match.group(3) or 0)
    ]


def test_in_a_survivors_action_info_is_dropped_and_warnings_keep_the_hour() -> None:
    def record(level: int) -> logging.LogRecord:
        made = logging.LogRecord("intake", level, __file__, 1, "something", None, None)
        made.created, made.msecs = 1_800_000_123.456, 456.0
        return made

    time_filter = SurvivorTimeFilter()
    with survivor_action():
        assert not time_filter.filter(record(logging.INFO))
        assert not time_filter.filter(record(logging.DEBUG))
        warning = record(logging.WARNING)
        assert time_filter.filter(warning)
    assert (warning.created, warning.msecs) == (1_800_000_000.0, 0.0)  # an hour's start
    outside = record(logging.INFO)
    assert time_filter.filter(outside)
    assert outside.created == 1_800_000_123.456
    for path in (
        "/en/intake/send/",
        "/ar/intake/my-account/withdraw/",
        "/intake/",
        "/static/x.css",
    ):
        assert is_survivor_path(path), path
    for path in ("/en/", "/en/rights/asylum/", "/caseworker/", "/accounts/login/", "/healthz"):
        assert not is_survivor_path(path), path


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_warning_while_a_survivor_sends_keeps_the_hour_only(
    client: Client, service_keys, console_output: io.StringIO
) -> None:
    """The broker is down at the moment of sending: the web process says so (the sweeper will
    send the routing later), from inside the survivor's request, with the hour only."""
    with celery_broker("redis://127.0.0.1:9/0"):
        _, receipt = send(client, account_data(narrative="sent while the broker was down"))
    assert receipt
    output = console_output.getvalue()
    # Lines of the portal's format (pytest's capture handler writes its own copy, untimed).
    (warning,) = [
        line for line in output.splitlines() if "not sent now" in line and line[:1].isdigit()
    ]
    assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:00:00,000 WARNING intake.enqueue", warning), output
    assert times_finer_than_the_hour(output) == [], output


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_error_in_a_task_a_survivor_set_off_keeps_the_hour_only(
    client: Client, service_keys, console_output: io.StringIO
) -> None:
    """route_case, run here as a worker runs it, cannot open a case (its routing wrap is gone):
    the error is logged, from inside the task, with the hour only."""
    from intake.tasks import route_case

    # No routing task goes out (the broker is unreachable), so no worker takes the case first.
    with celery_broker("redis://127.0.0.1:9/0"):
        send(client, account_data(narrative="a case without its routing wrap"))
    KeyWrap.objects.filter(recipient="routing").delete()
    route_case.apply(args=(Case.objects.get().pk,))
    output = console_output.getvalue()
    (error,) = [
        line for line in output.splitlines() if "could not be opened" in line and line[:1].isdigit()
    ]
    assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:00:00,000 ERROR intake.routing", error), output
    assert times_finer_than_the_hour(output) == [], output


@dataclass
class LogMark:
    """Where a process's log stood at a moment, to read what it wrote after."""

    read: Callable[[], str]
    offset: int = 0

    def set(self) -> None:
        self.offset = len(self.read())

    def since(self) -> str:
        return self.read()[self.offset :]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_no_log_line_tells_when_a_survivor_sent_returned_or_withdrew(
    service_keys,
    own_queue: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A survivor sends an account through a real gunicorn, a real Celery worker routes it and
    tells the caseworker, she comes back with her receipt and withdraws it; a second survivor's
    send is refused (her CSRF cookie is gone), which is logged as a warning. Nothing either
    process wrote meanwhile carries a time finer than the hour, nor the size of a page she was
    sent, nor a line about her requests or the tasks they set off."""
    make_persona("amina@example.org", languages=["en"])
    make_persona("coordinator@example.org", role=StaffProfile.Role.COORDINATOR)
    worker = start_celery_worker(
        own_queue,
        tmp_path,
        routing_key_file=service_keys.routing,
        # Notifications go to files, as they go to an SMTP server in production: printed (the
        # development default) they would carry their own Date header.
        environment={"EMAIL_FILE_PATH": str(tmp_path / "mail")},
    )
    server = start_web_server(tmp_path, CELERY_QUEUE=own_queue)
    web, work = LogMark(server.log), LogMark(worker.log)
    try:
        web.set()
        work.set()
        survivor = Visitor(server.url)
        pages = []
        sent = send_account(survivor, "what happened to me")
        receipt = assert_received(sent)
        pages.append(sent.page)
        assert wait_for(lambda: worker.outcomes("intake.tasks.notify_staff"), 30), worker.log()
        assert {o.outcome for o in worker.outcomes()} == {"succeeded"}
        assert RoutingJob.objects.get().state == RoutingJob.State.DONE
        returned = open_with_receipt(survivor, receipt)
        assert returned.status == 200
        assert "my-account/withdraw/" in returned.text
        form = survivor.get("/en/intake/my-account/withdraw/")
        withdrawn = survivor.post(
            "/en/intake/my-account/withdraw/",
            {"confirm": "on", "csrfmiddlewaretoken": hidden_value(form, "csrfmiddlewaretoken")},
        )
        assert withdrawn.status == 200
        assert not Case.objects.exists()
        pages += [returned, form, withdrawn]
        refused = Visitor(server.url).post("/en/intake/send/", {"account-narrative": "again"})
        assert refused.status == 403
        pages.append(refused)
        during_web, during_worker = web.since(), work.since()
        # The access log is on and written to: a rights page has its line.
        Visitor(server.url).get("/en/")
        assert wait_for(lambda: '"GET /en/ HTTP/1.1" 200' in web.since(), 10), web.since()
    finally:
        server.stop()
        worker.stop()
    # The refused send was logged (through the same handlers), with the hour only.
    (warning,) = [line for line in during_web.splitlines() if "django.security.csrf" in line]
    assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:00:00,000 WARNING", warning), warning
    assert times_finer_than_the_hour(during_web) == [], during_web
    assert times_finer_than_the_hour(during_worker) == [], during_worker
    assert "gunicorn.access" not in during_web, during_web
    assert "/intake/" not in during_web.replace(warning, ""), during_web
    assert not re.search(r"route_case|notify_staff|received|succeeded", during_worker), (
        during_worker
    )
    for page in pages:
        size = len(page.text.encode())
        assert not re.search(rf"\b{size}\b", during_web + during_worker), (size, during_web)
