"""A flood of requests (issue 12): one client cannot silence everyone, and the rate-limit
counters in Redis cannot be turned back into addresses (intake/ratelimit.py)."""

import hashlib
import hmac
import re
import time
from collections import Counter

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from intake import ratelimit
from intake.models import Case
from portal import onion
from tests.intake.conftest import account_data, send

pytestmark = [pytest.mark.django_db, pytest.mark.services]

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def redis_client():
    backend = cache._cache  # type: ignore[attr-defined]
    assert hasattr(backend, "get_client"), "these tests read Redis itself (REDIS_URL)"
    return backend.get_client()


def rate_keys() -> dict[str, int]:
    """Every rate-limit counter in Redis, by its name (without the cache's prefix), with its
    value."""
    client = redis_client()
    prefix = cache.make_key("")
    return {
        key.decode()[len(prefix) :]: int(client.get(key) or 0)
        for key in client.keys(cache.make_key("rate:*"))
    }


def ceiling_counts() -> dict[str, int]:
    return {key: value for key, value in rate_keys().items() if key.endswith(":all")}


def addresses_in_different_buckets(count: int) -> list[str]:
    """`count` IPv4 addresses whose rate-limit buckets all differ today."""
    now = time.time()
    chosen: dict[int, str] = {}
    for number in range(1, 1000):
        address = f"198.51.100.{number % 250 + 1}" if number < 250 else f"203.0.113.{number % 250}"
        chosen.setdefault(ratelimit.bucket(address, now), address)
        if len(chosen) == count:
            return list(chosen.values())
    raise AssertionError("not enough distinct buckets")


def csrf_client(address: str) -> tuple[Client, str]:
    """A browser that the CSRF check applies to, with the token a page gave it."""
    client = Client(REMOTE_ADDR=address, enforce_csrf_checks=True)
    page = client.get("/en/intake/return/").content.decode()
    match = CSRF_INPUT.search(page)
    assert match
    return client, match.group(1)


def test_a_flood_from_one_client_silences_nobody(service_keys, settings) -> None:
    # The real limits, and ceilings far below the flood: before issue 12 every request of the
    # flood counted toward the ceilings, and the survivor below was refused (429).
    settings.INTAKE_SUBMISSION_LIMIT = (5, 3600)
    settings.INTAKE_RECEIPT_LIMIT = (10, 900)
    settings.INTAKE_SUBMISSION_CEILING = (50, 3600)
    settings.INTAKE_RECEIPT_CEILING = (50, 900)
    settings.INTAKE_CEILING_DELAY_SECONDS = 0.01  # (should the flood ever count, it stays quick)
    flooder_address, survivor_address = addresses_in_different_buckets(2)
    flooder, token = csrf_client(flooder_address)
    statuses: Counter[tuple[str, int]] = Counter()
    for _ in range(100):
        for url, data in (
            ("/en/intake/send/", {}),  # empty, no CSRF token
            ("/en/intake/send/", {"csrfmiddlewaretoken": token}),  # token, invalid form
            ("/en/intake/send/", {**account_data(), "submission_token": "x"}),  # no token
            ("/en/intake/return/", {}),  # empty, no CSRF token
            ("/en/intake/return/", {"csrfmiddlewaretoken": token, "receipt": "1"}),  # invalid
            ("/en/intake/return/", {"csrfmiddlewaretoken": token, "receipt": ""}),  # empty
        ):
            statuses[(url, flooder.post(url, data).status_code)] += 1
    # 600 requests: refused by the CSRF check, by validation, then by the per-client limit.
    assert statuses[("/en/intake/send/", 403)] > 0
    assert statuses[("/en/intake/return/", 403)] > 0
    assert statuses[("/en/intake/return/", 400)] > 0
    assert statuses[("/en/intake/return/", 429)] > 0
    assert sum(statuses.values()) == 600
    # None of them moved a ceiling; the flooder's own counters are far past their limits.
    assert ceiling_counts() == {}
    flooder_counters = {key: n for key, n in rate_keys().items() if not key.endswith(":all")}
    # (The return page's CSRF check is the middleware's, before the view: those 100 never
    # reached the per-client counter either.)
    assert sorted(flooder_counters.values()) == [200, 300]

    # Another survivor sends an account and comes back with its receipt.
    survivor = Client(REMOTE_ADDR=survivor_address)
    response, receipt = send(survivor, account_data(narrative="I am still heard"))
    assert response.status_code == 200
    assert receipt
    back = survivor.post("/en/intake/return/", {"receipt": receipt})
    assert back.status_code == 302
    assert survivor.get(back["Location"]).status_code == 200
    assert Case.objects.count() == 1
    # Only her two requests counted toward the ceilings.
    assert sorted(ceiling_counts().values()) == [1, 1]


def test_an_invalid_account_with_a_valid_token_does_not_count_toward_the_ceiling(
    service_keys, settings
) -> None:
    client, token = csrf_client("192.0.2.77")
    data = account_data(contact_address="+000 555")  # an address without a channel: invalid
    response = client.post(
        "/en/intake/send/", {**data, "submission_token": "t", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302  # back to the start: the review page never sends this
    assert ceiling_counts() == {}
    response, receipt = send(Client(REMOTE_ADDR="192.0.2.78"), account_data())
    assert receipt
    assert list(ceiling_counts().values()) == [1]


def test_over_the_onion_service_visitors_do_not_lock_each_other_out(settings) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "survivorportalexample.onion"]
    settings.INTAKE_RECEIPT_LIMIT = (3, 900)
    # Every onion visitor arrives from the Tor daemon's address.
    onion = [
        Client(REMOTE_ADDR="127.0.0.1", HTTP_HOST="survivorportalexample.onion") for _ in range(2)
    ]
    statuses = [
        onion[n % 2].post("/en/intake/return/", {"receipt": "1"}).status_code for n in range(8)
    ]
    assert statuses == [400] * 8  # each told the code is malformed, none refused
    assert rate_keys() == {}
    # The same address on the clear web is one client, and is limited as one.
    clear = Client(REMOTE_ADDR="127.0.0.1")
    statuses = [clear.post("/en/intake/return/", {"receipt": "1"}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_rights_pages_and_the_intake_limits_share_one_onion_test(settings, monkeypatch) -> None:
    """One definition of "came through Tor" (portal.onion.is_onion_request) decides both the
    security headers of every page and the intake's per-client limits: change it, and both
    follow. A second, private copy in intake/ratelimit.py could drift from it unnoticed."""
    settings.INTAKE_RECEIPT_LIMIT = (1, 900)
    settings.SECURE_HSTS_SECONDS = 3600
    client = Client(REMOTE_ADDR="192.0.2.90")
    assert "Strict-Transport-Security" in client.get("/en/rights/", secure=True).headers
    monkeypatch.setattr(onion, "is_onion_request", lambda request: True)
    assert "Strict-Transport-Security" not in client.get("/en/rights/", secure=True).headers
    statuses = [client.post("/en/intake/return/", {"receipt": "1"}).status_code for _ in range(3)]
    assert statuses == [400] * 3  # not counted per client, as on the onion
    assert rate_keys() == {}


# --- What Redis holds ------------------------------------------------------------------------


def attacker_bucket(secret_key: str, day: int, address: str) -> int:
    """What someone holding SECRET_KEY computes for one address (intake/ratelimit.py, bucket),
    written out here at full speed."""
    secret = hashlib.sha256(b"rate-limit|" + secret_key.encode()).digest()
    digest = hmac.digest(secret, f"{day}|{address}".encode(), "sha256")
    return int.from_bytes(digest[:2], "big")


def test_a_counter_names_a_bucket_that_many_addresses_share(rf) -> None:
    address = "10.20.30.40"
    now = time.time()
    day = int(now) // ratelimit.MAP_SECONDS
    assert ratelimit.client_allowed(rf.post("/", REMOTE_ADDR=address), "receipt", (10, 900))
    (key,) = rate_keys()
    assert address not in key
    # The counter's name holds the scope, the window and 16 bits: nothing else of the address.
    match = re.fullmatch(r"rate:receipt:(\d+):([0-9a-f]{4})", key)
    assert match, key
    assert int(match.group(1)) == int(now) // 900
    bucket = int(match.group(2), 16)
    assert attacker_bucket(settings.SECRET_KEY, day, address) == bucket
    for other in ("192.0.2.1", "2001:db8::1"):
        subject = ratelimit.client_subject(other)
        assert attacker_bucket(settings.SECRET_KEY, day, subject) == ratelimit.bucket(other, now)

    # The attacker with Redis and SECRET_KEY tries every address of the client's /12 (2**20 of
    # them): the bucket does not single it out. 2**16 buckets share the 2**32 IPv4 addresses, so
    # each covers about 65,536 of them (docs/security.md); here about 16 of the /12 are expected.
    secret = hashlib.sha256(b"rate-limit|" + settings.SECRET_KEY.encode()).digest()
    octets = [str(n) for n in range(256)]
    matches = 0
    for second in range(16, 32):  # 10.16.0.0 to 10.31.255.255
        for third in octets:
            prefix = f"{day}|10.{second}.{third}."
            for fourth in octets:
                digest = hmac.digest(secret, (prefix + fourth).encode(), "sha256")
                matches += int.from_bytes(digest[:2], "big") == bucket
    assert matches >= 4, matches


def test_an_ipv6_client_is_counted_by_its_64(rf, settings) -> None:
    settings.INTAKE_RECEIPT_LIMIT = (3, 900)
    same_64 = [f"2001:db8:1:2::{n:x}" for n in range(1, 5)]
    results = [
        ratelimit.client_allowed(rf.post("/", REMOTE_ADDR=a), "receipt", (3, 900)) for a in same_64
    ]
    assert results == [True, True, True, False]
    assert ratelimit.client_subject("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64"
    assert ratelimit.client_subject("::ffff:192.0.2.9") == "192.0.2.9"
    keys = list(rate_keys())
    assert len(keys) == 1
    assert "2001" not in keys[0]


def test_counters_expire_at_the_end_of_their_window(rf) -> None:
    request = rf.post("/", REMOTE_ADDR="198.51.100.7")
    ratelimit.client_allowed(request, "submit", (5, 3600))
    ratelimit.count_toward_ceiling("submit", (5, 3600))
    ratelimit.client_allowed(request, "receipt", (5, 900))
    client = redis_client()
    expiries = {}
    for key in rate_keys():
        _, _, window, _ = key.split(":")
        seconds = 3600 if key.startswith("rate:submit:") else 900
        end_ms = (int(window) + 1) * seconds * 1000
        expires_ms = client.pexpiretime(cache.make_key(key))
        # At the end of the window (to the second), not a window's length after the first hit.
        assert end_ms <= expires_ms < end_ms + 1000, (key, expires_ms - end_ms)
        expiries[key] = expires_ms
    assert len(expiries) == 3
    # Counting again does not move the end.
    ratelimit.client_allowed(request, "submit", (5, 3600))
    ratelimit.count_toward_ceiling("submit", (5, 3600))
    for key, expires_ms in expiries.items():
        assert client.pexpiretime(cache.make_key(key)) == expires_ms
