"""Rate limits on sending accounts and trying receipts, without keeping any address."""

import re
import time

import pytest
from django.core.cache import cache
from django.test import Client

from intake import ratelimit
from intake.models import Case
from tests.intake.conftest import account_data, review_token, send

pytestmark = pytest.mark.django_db


def test_a_client_over_the_submission_limit_is_told_kindly_and_keeps_its_text(
    client: Client, service_keys, settings
) -> None:
    settings.INTAKE_SUBMISSION_LIMIT = (2, 3600)
    statuses = []
    for number in range(3):
        data = account_data(narrative=f"account number {number}")
        token = review_token(client, data)
        response = client.post("/en/intake/send/", {**data, "submission_token": token})
        statuses.append(response.status_code)
    page = response.content.decode()
    assert statuses == [200, 200, 429]
    assert "Many accounts have been sent from this connection" in page
    assert "account number 2" in page
    assert Case.objects.count() == 2


def test_past_the_ceiling_accounts_are_slowed_down_and_the_operator_warned_never_refused(
    service_keys, settings, caplog
) -> None:
    # Before issue 12 the ceiling refused everyone (429) once reached: a flood of empty POSTs
    # from one client silenced every survivor. Now it slows down and warns.
    settings.INTAKE_SUBMISSION_CEILING = (1, 3600)
    settings.INTAKE_CEILING_DELAY_SECONDS = 0.01
    receipts = []
    for number in range(3):
        survivor = Client(REMOTE_ADDR=f"192.0.2.{number + 1}")
        response, receipt = send(survivor, account_data(narrative=f"account {number}"))
        assert response.status_code == 200
        receipts.append(receipt)
    assert all(receipts)
    assert Case.objects.count() == 3
    warnings = [r for r in caplog.records if "rate limit submit" in r.getMessage()]
    assert len(warnings) == 1, "one warning per window, however many go past the ceiling"
    assert warnings[0].levelname == "WARNING"
    assert "none is refused" in warnings[0].getMessage()


def test_past_the_ceiling_each_request_waits_a_bounded_time(settings) -> None:
    settings.INTAKE_CEILING_DELAY_SECONDS = 0.05
    waits = [ratelimit.count_toward_ceiling("probe", (2, 3600)) for _ in range(3)]
    assert waits == [0.0, 0.0, 0.05]
    # It did wait (a lower bound only: how much longer it took depends on the machine).
    started = time.monotonic()
    ratelimit.count_toward_ceiling("probe", (2, 3600))
    assert time.monotonic() - started >= 0.05


def test_receipt_guessing_is_slowed_down(client: Client, settings) -> None:
    settings.INTAKE_RECEIPT_LIMIT = (3, 900)
    statuses = [
        client.post("/en/intake/return/", {"receipt": "1111 2222 3333 4444 5555"}).status_code
        for _ in range(4)
    ]
    assert statuses == [404, 404, 404, 429]
    page = client.post("/en/intake/return/", {"receipt": "1"}).content.decode()
    assert "please wait 15 minutes" in page


def test_counters_are_keyed_by_a_bucket_that_never_shows_the_address(rf, settings) -> None:
    request = rf.post("/", REMOTE_ADDR="203.0.113.200")
    assert ratelimit.client_allowed(request, "probe", (5, 3600))
    keys = [str(k) for k in _raw_keys("rate:probe:*")]
    assert len(keys) == 1
    assert "203.0.113.200" not in keys[0]
    assert re.fullmatch(r".*rate:probe:\d+:[0-9a-f]{4}", keys[0]), keys[0]


def test_behind_a_proxy_the_forwarded_address_is_counted(rf, settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9, 192.0.2.1")
    assert ratelimit.client_address(request) == "192.0.2.1"


def _raw_keys(pattern: str) -> list[str]:
    """The cache's own key names matching `pattern` (Redis in production and in `make test`)."""
    backend = cache._cache  # type: ignore[attr-defined]
    if hasattr(backend, "get_client"):
        return [k.decode() for k in backend.get_client().keys(cache.make_key(pattern))]
    prefix = cache.make_key(pattern.rstrip("*"))
    return [k for k in backend if k.startswith(prefix)]
