"""No log line, from Django or gunicorn, carries the client's address or user agent."""

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client

from portal.logging import redact

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
