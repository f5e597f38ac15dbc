"""When Redis (the cache) is down, accounts are still taken, and returning says so kindly."""

import pytest
from django.core.cache import caches
from django.test import Client

from intake.models import Case
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        "OPTIONS": {"socket_connect_timeout": 0.5},
    }
}


@pytest.fixture
def cache_down(settings):
    settings.CACHES = UNREACHABLE_REDIS
    caches._settings = None  # type: ignore[attr-defined]
    caches._connections.__dict__.pop("default", None)  # type: ignore[attr-defined]
    yield
    caches._connections.__dict__.pop("default", None)  # type: ignore[attr-defined]


def test_an_account_is_still_taken_when_the_cache_is_down(
    client: Client, service_keys, cache_down
) -> None:
    response, receipt = send(client, account_data(narrative="sent while Redis was down"))
    assert response.status_code == 200
    assert receipt
    assert Case.objects.count() == 1


def test_coming_back_while_the_cache_is_down_is_answered_kindly(
    client: Client, service_keys, cache_down
) -> None:
    _, receipt = send(client, account_data())
    response = client.post("/en/intake/return/", {"receipt": receipt})
    assert response.status_code == 503
    page = response.content.decode()
    assert "Your account is safe. Please try again in a few minutes." in page
    assert "Traceback" not in page
