"""Helpers for intake tests: service keys made for each test, the survivor's path as a client."""

import io
import re
import secrets

import pytest
from django.test import Client

CONSENT = {
    "consent-consent_store": "on",
    "consent-consent_caseworker": "on",
    "consent-age_group": "adult",
}


@pytest.fixture
def client() -> Client:
    """A survivor's browser, from an address of its own, so that rate-limit counters (kept in the
    cache, which may be a shared Redis) never carry over from another test."""
    address = "10.{}.{}.{}".format(*(secrets.randbelow(250) + 1 for _ in range(3)))
    return Client(REMOTE_ADDR=address)


# An account with nothing answered but preferences that may be defaults cannot be sent
# (intake.answers.AccountForm.is_empty): the accounts of tests that answer nothing else say this.
SOME_ANSWER = {"harms": ["threats"]}
PREFERENCES = {"preferred_language", "caseworker_gender"}


def account_data(**answers: object) -> dict[str, object]:
    if not set(answers) - PREFERENCES:
        answers = {**SOME_ANSWER, **answers}
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
