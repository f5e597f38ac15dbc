"""Helpers for intake tests: service keys made for each test, the survivor's path as a client."""

import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

CONSENT = {
    "consent-consent_store": "on",
    "consent-consent_caseworker": "on",
    "consent-age_group": "adult",
}


@dataclass
class ServiceKeys:
    routing: Path
    coordinators: Path


@pytest.fixture
def service_keys(db, tmp_path: Path) -> ServiceKeys:
    keys = ServiceKeys(tmp_path / "routing.key", tmp_path / "coordinators.key")
    call_command(
        "init_keys",
        routing_key_file=str(keys.routing),
        coordinators_key_file=str(keys.coordinators),
        stdout=io.StringIO(),
    )
    return keys


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def generous_rate_limits(settings) -> None:
    # Rate limits are tested on their own (test_rate_limits.py); elsewhere they stay out of the way.
    settings.INTAKE_SUBMISSION_LIMIT = (1000, 3600)
    settings.INTAKE_SUBMISSION_CEILING = (100000, 3600)
    settings.INTAKE_RECEIPT_LIMIT = (1000, 900)
    settings.INTAKE_RECEIPT_CEILING = (100000, 900)


@pytest.fixture
def client() -> Client:
    """A survivor's browser, from an address of its own, so that rate-limit counters (kept in the
    cache, which may be a shared Redis) never carry over from another test."""
    address = "10.{}.{}.{}".format(*(secrets.randbelow(250) + 1 for _ in range(3)))
    return Client(REMOTE_ADDR=address)


def account_data(**answers: object) -> dict[str, object]:
    data: dict[str, object] = dict(CONSENT)
    data.update({f"account-{name}": value for name, value in answers.items()})
    return data


def review_token(client: Client, data: dict[str, object], lang: str = "en") -> str:
    response = client.post(f"/{lang}/intake/review/", data)
    assert response.status_code == 200, response.content.decode()[:2000]
    match = re.search(r'name="submission_token" value="([^"]+)"', response.content.decode())
    assert match, "the review page has no submission token"
    return match.group(1)


def send(client: Client, data: dict[str, object], files=(), lang: str = "en"):
    """Review and send an account, as the browser would; returns (response, receipt or None)."""
    token = review_token(client, data, lang)
    payload = {**data, "submission_token": token}
    if files:
        payload["attachments"] = list(files)
    response = client.post(f"/{lang}/intake/send/", payload)
    match = re.search(r'id="receipt-code">([0-9 ]+)<', response.content.decode())
    return response, (match.group(1) if match else None)


def upload(name: str, content: bytes) -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


PDF = b"%PDF-1.4\n" + b"0" * 1000
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 1000
