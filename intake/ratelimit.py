"""Rate limits that keep no IP address (DESIGN.md invariant 3).

A client is counted under an HMAC of its address and the current time window, keyed by a secret
derived from SECRET_KEY: the counter's name changes every window and cannot be turned back into an
address, and it expires with the window. A global counter caps all clients together, for attacks
spread over many addresses. Counters live in the cache (Redis in production).
"""

import hashlib
import hmac
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """The client's address, looked up only to be hashed; behind TRUSTED_PROXY_COUNT proxies,
    the entry those proxies appended to X-Forwarded-For."""
    proxies = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def _counter_key(scope: str, subject: str, window: int) -> str:
    secret = hashlib.sha256(b"rate-limit|" + settings.SECRET_KEY.encode()).digest()
    digest = hmac.new(secret, f"{scope}|{window}|{subject}".encode(), "sha256").hexdigest()
    return f"rate:{scope}:{digest[:32]}"


def _increment(key: str, ttl: int) -> int:
    # add() is atomic: it creates the counter only if missing, with its expiry.
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=ttl)
        return 1


def allow(
    request: HttpRequest, scope: str, limit: tuple[int, int], ceiling: tuple[int, int]
) -> bool:
    """Count one attempt; False when this client or everyone together is over the limit.

    If the cache cannot be reached the attempt is allowed and the operator warned: refusing a
    survivor's account because Redis restarted would do more harm than a short unlimited window.
    """
    try:
        return _allow(request, scope, limit, ceiling)
    except Exception:  # the cache backends' connection errors share no base class
        logger.warning("rate limit %s not applied: the cache is unavailable", scope)
        return True


def _allow(
    request: HttpRequest, scope: str, limit: tuple[int, int], ceiling: tuple[int, int]
) -> bool:
    now = int(time.time())
    count, seconds = limit
    window = now // seconds
    mine = _increment(_counter_key(scope, client_address(request), window), seconds)
    total_count, total_seconds = ceiling
    everyone = _increment(_counter_key(scope, "*", now // total_seconds), total_seconds)
    return mine <= count and everyone <= total_count
