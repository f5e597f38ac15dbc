"""The keys a login holds for a while: a survivor's case key, a staff member's private key.

After the receipt is checked, the survivor gets a short session so they can read, reply, add and
withdraw without typing the receipt on every page. The receipt itself is kept nowhere. The case key
and the case's id are kept split in two: sealed together with a random key in the cache (Redis in
production, in memory), and that random key in the survivor's cookie. Neither half alone opens
anything or says which case it is, the cache entry expires after INTAKE_SESSION_SECONDS without
activity, and nothing of it is in the database, so no visit time is ever stored next to a case
(docs/security.md, section 3). The quick exit (intake.survivor.returning.quick_exit) ends the
session at once.

A staff member's private key is opened with their password at login and kept the same way:
sealed in the server session, under a key that only the staff cookie holds.

The sealing itself is intake.crypto.sessions; which case a person may open is intake/access.py.
"""

import base64
import hashlib
import logging
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from intake import crypto

if TYPE_CHECKING:
    from intake.models import Case, StaffProfile

logger = logging.getLogger(__name__)

COOKIE_NAME = "survivor_session"


class SurvivorSessionExpired(Exception):
    """No valid session: never started, timed out, or ended."""


class NoSurvivorSession(SurvivorSessionExpired):
    """No session cookie at all: none was started, or the quick exit or signing out ended it."""


class SurvivorSessionUnavailable(Exception):
    """The session store (the cache) cannot be reached just now."""


def _cache_key(token: str) -> str:
    return "survivor-session:" + hashlib.sha256(token.encode()).hexdigest()


# The cache entry is one sealed value: the case key (32 bytes) followed by the case's public id.
# Without the cookie's half, someone holding the cache (Redis) learns neither the key nor which
# case a session belongs to; the cache key is bound into the seal, so an entry cannot be moved
# under another token.
_SURVIVOR = "survivor"


def start_survivor_session(response: HttpResponse, case: "Case", case_key: bytes) -> None:
    """Keep this case's key for the survivor's next pages."""
    if len(case_key) != crypto.CASE_KEY_BYTES:
        raise ValueError("a case key is 32 bytes")
    token = secrets.token_urlsafe(32)
    unlock_key = crypto.new_session_key()
    sealed = crypto.seal_session_half(
        unlock_key, case_key + case.case_id.encode(), kind=_SURVIVOR, name=_cache_key(token)
    )
    try:
        cache.set(_cache_key(token), sealed, timeout=settings.INTAKE_SESSION_SECONDS)
    except Exception as exc:  # the cache backend's connection errors have no common base class
        raise SurvivorSessionUnavailable from exc
    cookie = token + "." + base64.urlsafe_b64encode(unlock_key).decode()
    response.set_cookie(
        COOKIE_NAME,
        cookie,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Strict",
        path="/",
    )


def survivor_session_key(request: HttpRequest) -> tuple[str, bytes]:
    """(case public id, case key) of this request's session, or SurvivorSessionExpired. Each
    call extends the session: it lasts while the survivor is active."""
    token, _, unlock = request.COOKIES.get(COOKIE_NAME, "").partition(".")
    if not token or not unlock:
        raise NoSurvivorSession
    try:
        sealed = cache.get(_cache_key(token))
    except Exception as exc:
        raise SurvivorSessionUnavailable from exc
    if not isinstance(sealed, bytes):
        raise SurvivorSessionExpired
    try:
        plaintext = crypto.open_session_half(
            base64.urlsafe_b64decode(unlock.encode()),
            sealed,
            kind=_SURVIVOR,
            name=_cache_key(token),
        )
    except (crypto.DecryptionError, ValueError):
        raise SurvivorSessionExpired from None
    cache.touch(_cache_key(token), settings.INTAKE_SESSION_SECONDS)
    case_key, case_id = plaintext[: crypto.CASE_KEY_BYTES], plaintext[crypto.CASE_KEY_BYTES :]
    return case_id.decode(), case_key


def end_survivor_session(request: HttpRequest, response: HttpResponse) -> None:
    """Forget the session: the cookie goes in any case (without its half the cache entry opens
    nothing), and the cache entry too if the cache answers (otherwise it expires by itself)."""
    response.delete_cookie(COOKIE_NAME, path="/", samesite="Strict")
    token = request.COOKIES.get(COOKIE_NAME, "").partition(".")[0]
    if not token:
        return
    try:
        cache.delete(_cache_key(token))
    except Exception:  # the cache backend's connection errors have no common base class
        logger.warning("a survivor session could not be removed from the cache; it will expire")


# --- Staff: the private key for this login ----------------------------------------------------

STAFF_COOKIE_NAME = "staff_unlock"
_STAFF_SESSION_KEY = "staff_sealed_key"
_STAFF = "staff"


class StaffKeyLocked(Exception):
    """This login holds no usable private key (a new browser, or a session without the cookie)."""


def unlock_staff_key(request: HttpRequest, profile: "StaffProfile", password: str) -> None:
    """At login: open the staff private key with the password, and keep it for this login only,
    split between the server session (sealed) and a cookie (the key that opens it).

    The cookie is set on the response by intake.staff.middleware.StaffKeyCookieMiddleware.
    """
    if not profile.has_key:
        return
    private = profile.open_private_key(password)
    unlock_key = crypto.new_session_key()
    sealed = crypto.seal_session_half(unlock_key, private, kind=_STAFF, name=str(profile.user_id))
    request.session[_STAFF_SESSION_KEY] = base64.b64encode(sealed).decode()
    request._staff_unlock_cookie = base64.urlsafe_b64encode(unlock_key).decode()  # type: ignore[attr-defined]


def staff_private_key(request: HttpRequest) -> bytes:
    """The signed-in staff member's private key, from the session half and the cookie half."""
    sealed_text = request.session.get(_STAFF_SESSION_KEY)
    cookie = request.COOKIES.get(STAFF_COOKIE_NAME) or getattr(
        request, "_staff_unlock_cookie", None
    )
    if not sealed_text or not cookie or not request.user.is_authenticated:
        raise StaffKeyLocked
    try:
        return crypto.open_session_half(
            base64.urlsafe_b64decode(cookie),
            base64.b64decode(sealed_text),
            kind=_STAFF,
            name=str(request.user.pk),
        )
    except (crypto.DecryptionError, ValueError):
        raise StaffKeyLocked from None


def holds_staff_key(request: HttpRequest) -> bool:
    return hasattr(request, "session") and _STAFF_SESSION_KEY in request.session


def forget_staff_key(request: HttpRequest) -> None:
    request.session.pop(_STAFF_SESSION_KEY, None)
