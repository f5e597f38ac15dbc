"""Rate limits on sending accounts and trying receipts, without keeping any address."""

import pytest
from django.core.cache import cache
from django.test import Client

from intake import ratelimit
from intake.models import Case
from tests.intake.conftest import account_data, review_token

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


def test_the_global_ceiling_holds_across_addresses(client: Client, service_keys, settings) -> None:
    settings.INTAKE_SUBMISSION_CEILING = (0, 3600)
    data = account_data()
    response = client.post(
        "/en/intake/send/", {**data, "submission_token": review_token(client, data)}
    )
    assert response.status_code == 429
    assert Case.objects.count() == 0


def test_receipt_guessing_is_slowed_down(client: Client, settings) -> None:
    settings.INTAKE_RECEIPT_LIMIT = (3, 900)
    statuses = [
        client.post("/en/intake/return/", {"receipt": "1111 2222 3333 4444 5555"}).status_code
        for _ in range(4)
    ]
    assert statuses == [404, 404, 404, 429]
    page = client.post("/en/intake/return/", {"receipt": "1"}).content.decode()
    assert "please wait 15 minutes" in page


def test_counters_are_keyed_by_a_hash_that_never_shows_the_address(rf, settings) -> None:
    request = rf.get("/", REMOTE_ADDR="203.0.113.200")
    key = ratelimit._counter_key("receipt", ratelimit.client_address(request), 1)
    assert "203.0.113.200" not in key
    assert key != ratelimit._counter_key("receipt", "203.0.113.200", 2)  # changes each window
    ratelimit.allow(request, "probe", (5, 60), (50, 60))
    if hasattr(cache, "_cache") and hasattr(cache._cache, "get_client"):
        redis_client = cache._cache.get_client()
        assert not [k for k in redis_client.keys("*") if b"203.0.113.200" in k]


def test_behind_a_proxy_the_forwarded_address_is_counted(rf, settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9, 192.0.2.1")
    assert ratelimit.client_address(request) == "192.0.2.1"
