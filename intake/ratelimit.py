"""Rate limits that keep no IP address and let no one client silence everyone (docs/security.md,
sections 3 and 8, which also say how the limits behave behind Tor and carrier NAT).

Two counters per scope ("submit", "receipt"), both in the cache (Redis in production):

- Per client, counted on every request before anything costly is done (before files are
  streamed and encrypted, before a receipt's key derivation). A client over its limit is refused
  with a kind message. The counter is named by a *bucket*, not an address: a keyed digest of the
  address (an IPv6 client by its /64) cut to BUCKET_BITS bits, so that each bucket covers about
  2**32 / 2**16 = 65,536 IPv4 addresses. Someone holding Redis and SECRET_KEY can compute every
  address's bucket, and learns only that a client was one of those 65,536. The map from
  addresses to buckets changes every UTC day (MAP_SECONDS), and every window divides a day, so
  all the counters alive at one moment use the same map: a client's submit and receipt counters
  name the same bucket and narrow nothing down when put side by side.
  Requests through the onion service (portal.onion.is_onion_request, the one test the security
  headers use too) are not counted per client: they all arrive from the Tor daemon's one
  address, and one visitor would lock out every other.
- A ceiling for everyone together, counted only for requests that passed the per-client limit,
  the CSRF check and form validation, so refused requests cannot use it up. Past it, requests
  are slowed down (INTAKE_CEILING_DELAY_SECONDS, a fixed bound) rather than refused, and the
  operator is warned with one log line per window.

Counters expire at the end of their window (not a window's length after their first hit), so
nothing says when within the window a client first came.
"""

import hashlib
import hmac
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from portal import onion

logger = logging.getLogger(__name__)

BUCKET_BITS = 16
MAP_SECONDS = 24 * 3600


def client_address(request: HttpRequest) -> str:
    """The client's address, looked up only to be hashed; behind TRUSTED_PROXY_COUNT proxies,
    the entry those proxies appended to X-Forwarded-For."""
    proxies = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def client_subject(address: str) -> str:
    """What one client is: an IPv4 address, or an IPv6 client's /64 (a home or phone gets a whole
    /64, and can change the rest of its address at will). An IPv4 address written as IPv6
    (::ffff:a.b.c.d) is that IPv4 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP address (a Unix socket): all such clients count as one
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def bucket(address: str, now: float) -> int:
    """The bucket of this address today: BUCKET_BITS bits of a keyed digest, no more."""
    secret = hashlib.sha256(b"rate-limit|" + settings.SECRET_KEY.encode()).digest()
    day = int(now) // MAP_SECONDS
    message = f"{day}|{client_subject(address)}".encode()
    digest = hmac.digest(secret, message, "sha256")
    return int.from_bytes(digest[:4], "big") >> (32 - BUCKET_BITS)


def _window(seconds: int, now: float) -> tuple[int, int]:
    """The current window's number, and the seconds until it ends (rounded up, so a counter
    lives to the end of its window and at most one second more)."""
    if MAP_SECONDS % seconds:
        raise ValueError(f"a rate-limit window must divide a day; {seconds} s does not")
    window = int(now) // seconds
    return window, (window + 1) * seconds - int(now)


def client_counter_key(scope: str, window: int, bucket_number: int) -> str:
    return f"rate:{scope}:{window}:{bucket_number:0{BUCKET_BITS // 4}x}"


def ceiling_counter_key(scope: str, window: int) -> str:
    return f"rate:{scope}:{window}:all"


def _increment(key: str, ttl: int) -> int:
    # add() is atomic: it creates the counter only if missing, with its expiry; incr() keeps it.
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=ttl)
        return 1


def client_allowed(request: HttpRequest, scope: str, limit: tuple[int, int]) -> bool:
    """Count one request of this client; False once its bucket is over the limit.

    Over the onion service every request is allowed here (and counted only by the ceiling). If
    the cache cannot be reached the request is allowed and the operator warned: refusing a
    survivor's account because Redis restarted would do more harm than a short unlimited window.
    """
    # The same test as the security headers use (portal/onion.py): a request is an onion one for
    # the rate limits exactly when it is one for the HTTPS redirect and HSTS.
    if onion.is_onion_request(request):
        return True
    count, seconds = limit
    now = time.time()
    window, ttl = _window(seconds, now)
    key = client_counter_key(scope, window, bucket(client_address(request), now))
    try:
        return _increment(key, ttl) <= count
    except Exception:  # the cache backends' connection errors share no base class
        logger.warning("rate limit %s not applied: the cache is unavailable", scope)
        return True


def count_toward_ceiling(scope: str, ceiling: tuple[int, int]) -> float:
    """Count one request that passed the per-client limit, the CSRF check and validation.

    Past the ceiling the request is slowed down, never refused: it waits
    INTAKE_CEILING_DELAY_SECONDS, and the first one past it in each window writes a warning for
    the operator. Returns the seconds waited.
    """
    count, seconds = ceiling
    window, ttl = _window(seconds, time.time())
    try:
        total = _increment(ceiling_counter_key(scope, window), ttl)
        if total <= count:
            return 0.0
        first_past = cache.add(f"rate:{scope}:{window}:alerted", 1, timeout=ttl)
    except Exception:  # the cache backends' connection errors share no base class
        logger.warning("rate limit %s not applied: the cache is unavailable", scope)
        return 0.0
    delay = float(settings.INTAKE_CEILING_DELAY_SECONDS)
    if first_past:
        logger.warning(
            "rate limit %s: more than %d requests from all clients in this %d-second window; "
            "each further one waits %.1f s (none is refused)",
            scope,
            count,
            seconds,
            delay,
        )
    time.sleep(delay)
    return delay
