"""The one door to a case for a survivor who came back with their receipt.

After the receipt is checked, the survivor gets a short session so they can read, reply, add and
withdraw without typing the receipt on every page. The receipt itself is kept nowhere. The case key
and the case's id are kept split in two: sealed together with a random key in the cache (Redis in
production, in memory), and that random key in the survivor's cookie. Neither half alone opens
anything or says which case it is, the cache entry expires after INTAKE_SESSION_SECONDS without
activity, and nothing of it is in the database, so no visit time is ever stored next to a case
(DESIGN.md invariant 3). The quick exit (intake.views.quick_exit) ends the session at once.
"""

import base64
import hashlib
import logging
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.http import HttpRequest, HttpResponse

from intake.models import Case, RoutingJob, StaffProfile

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
# case a session belongs to; the associated data ties the entry to its cache key, so an entry
# cannot be moved under another token.
_CASE_KEY_BYTES = 32


def _associated_data(token: str) -> bytes:
    return b"survivor-session|" + _cache_key(token).encode()


def _seal_entry(unlock_key: bytes, token: str, case_id: str, case_key: bytes) -> bytes:
    if len(case_key) != _CASE_KEY_BYTES:
        raise ValueError("a case key is 32 bytes")
    nonce = os.urandom(12)
    plaintext = case_key + case_id.encode()
    return nonce + AESGCM(unlock_key).encrypt(nonce, plaintext, _associated_data(token))


def _open_entry(unlock_key: bytes, token: str, sealed: bytes) -> tuple[str, bytes]:
    """(case public id, case key) from a sealed entry; InvalidTag or ValueError if it does not
    open with this cookie."""
    plaintext = AESGCM(unlock_key).decrypt(sealed[:12], sealed[12:], _associated_data(token))
    return plaintext[_CASE_KEY_BYTES:].decode(), plaintext[:_CASE_KEY_BYTES]


def start_survivor_session(response: HttpResponse, case: Case, case_key: bytes) -> None:
    token = secrets.token_urlsafe(32)
    unlock_key = AESGCM.generate_key(bit_length=256)
    sealed = _seal_entry(unlock_key, token, case.case_id, case_key)
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


def survivor_case(request: HttpRequest) -> tuple[Case, bytes]:
    """The case and its key for this request's session, or SurvivorSessionExpired."""
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
        case_id, case_key = _open_entry(base64.urlsafe_b64decode(unlock.encode()), token, sealed)
    except (InvalidTag, ValueError):
        raise SurvivorSessionExpired from None
    case = Case.objects.filter(public_id=case_id).exclude(status=Case.Status.WITHDRAWN).first()
    if case is None:
        raise SurvivorSessionExpired
    # Sliding expiry: the session lasts while the survivor is active.
    cache.touch(_cache_key(token), settings.INTAKE_SESSION_SECONDS)
    return case, case_key


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


def _staff_associated_data(user_id: int) -> bytes:
    return f"staff-session|{user_id}".encode()


def unlock_staff_key(request: HttpRequest, profile: StaffProfile, password: str) -> None:
    """At login: open the staff private key with the password, and keep it for this login only,
    split between the server session (sealed) and a cookie (the key that opens it).

    The cookie is set on the response by intake.middleware.StaffKeyCookieMiddleware.
    """
    if not profile.has_key:
        return
    private = profile.open_private_key(password)
    unlock_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(unlock_key).encrypt(
        nonce, private, _staff_associated_data(profile.user_id)
    )
    request.session[_STAFF_SESSION_KEY] = base64.b64encode(sealed).decode()
    request._staff_unlock_cookie = base64.urlsafe_b64encode(unlock_key).decode()  # type: ignore[attr-defined]


class StaffKeyLocked(Exception):
    """This login holds no usable private key (a new browser, or a session without the cookie)."""


def staff_private_key(request: HttpRequest) -> bytes:
    """The signed-in staff member's private key, from the session half and the cookie half."""
    sealed_text = request.session.get(_STAFF_SESSION_KEY)
    cookie = request.COOKIES.get(STAFF_COOKIE_NAME) or getattr(
        request, "_staff_unlock_cookie", None
    )
    if not sealed_text or not cookie or not request.user.is_authenticated:
        raise StaffKeyLocked
    try:
        sealed = base64.b64decode(sealed_text)
        return AESGCM(base64.urlsafe_b64decode(cookie)).decrypt(
            sealed[:12], sealed[12:], _staff_associated_data(request.user.pk)
        )
    except (InvalidTag, ValueError):
        raise StaffKeyLocked from None


def holds_staff_key(request: HttpRequest) -> bool:
    return hasattr(request, "session") and _STAFF_SESSION_KEY in request.session


def forget_staff_key(request: HttpRequest) -> None:
    request.session.pop(_STAFF_SESSION_KEY, None)


# --- Staff: who may use the caseworker pages ----------------------------------------------------


def staff_profile(request: HttpRequest) -> StaffProfile | None:
    """The signed-in user's staff profile, or None for anyone else."""
    if not request.user.is_authenticated:
        return None
    return StaffProfile.objects.filter(user=request.user).select_related("user").first()


# --- Staff: the one door to a case ------------------------------------------------------------


class CaseNotAvailable(Exception):
    """Not this staff member's case, or they may not open cases now. Views answer 404, the same
    as for a case that does not exist, so nothing is learned about other cases."""


def _may_open_cases(profile: StaffProfile) -> bool:
    """Vetted with the vetting not past its date (checked here at every opening, not only by the
    daily task that marks it expired), and a key to open wraps with."""
    return profile.vetted_now and profile.has_key


def cases_for_staff(profile: StaffProfile) -> "models.QuerySet[Case]":
    """The cases routed or granted to this staff member (none while not vetted)."""
    if not _may_open_cases(profile):
        return Case.objects.none()
    return Case.objects.filter(wraps__recipient=profile.recipient).distinct()


def decrypt_case_for_staff(
    request: HttpRequest, profile: StaffProfile, public_id: str, *, action: str
) -> tuple[Case, bytes]:
    """Open a case for the signed-in staff member and write the audit entry for it.

    Only a vetted staff member with a key opens a case, only one wrapped to them, and only with
    the private key unlocked in this login. Every opening is in the audit log as `action`.
    """
    from intake import audit, crypto
    from intake.models import KeyWrap

    if not _may_open_cases(profile):
        raise CaseNotAvailable
    wrap = (
        KeyWrap.objects.filter(case__public_id=public_id, recipient=profile.recipient)
        .select_related("case")
        .first()
    )
    if wrap is None:
        raise CaseNotAvailable
    try:
        private = staff_private_key(request)
        case_key = crypto.unwrap_case_key(
            bytes(wrap.wrapped),
            private,
            case_id=wrap.case.case_id,
            recipient=profile.recipient,
            key_id=wrap.key_id,
        )
    except (StaffKeyLocked, crypto.DecryptionError):
        raise CaseNotAvailable from None
    audit.record(action, actor=profile.user, case=wrap.case)
    return wrap.case, case_key


def coordinators_private_key(request: HttpRequest, profile: StaffProfile) -> bytes:
    """The coordinators' key, opened with this coordinator's own key unlocked in this login."""
    from intake import crypto

    if (
        profile.role != StaffProfile.Role.COORDINATOR
        or not _may_open_cases(profile)
        or profile.coordinators_key_share is None
    ):
        raise CaseNotAvailable
    try:
        return crypto.unwrap_private_key(
            bytes(profile.coordinators_key_share),
            staff_private_key(request),
            recipient=profile.recipient,
            key_id=profile.key_id,
        )
    except (StaffKeyLocked, crypto.DecryptionError):
        raise CaseNotAvailable from None


def decrypt_case_for_coordinator(
    request: HttpRequest, profile: StaffProfile, public_id: str, *, action: str
) -> tuple[Case, bytes]:
    """Open a case through the coordinators' wrap (a vetted coordinator holding the
    coordinators' key), writing the audit entry: only while the case waits for a caseworker or
    is overdue (RoutingJobQuerySet.open_to_coordinators). Any other case is CaseNotAvailable, the
    same 404 as for a case that does not exist."""
    from intake import audit, crypto
    from intake.models import KeyWrap, RecipientKey

    private = coordinators_private_key(request, profile)
    wrap = (
        KeyWrap.objects.filter(
            case__public_id=public_id,
            case__routing_job__in=RoutingJob.objects.open_to_coordinators(),
            recipient=RecipientKey.Purpose.COORDINATORS,
            key_id=profile.coordinators_key_id,
        )
        .select_related("case")
        .first()
    )
    if wrap is None:
        raise CaseNotAvailable
    try:
        case_key = crypto.unwrap_case_key(
            bytes(wrap.wrapped),
            private,
            case_id=wrap.case.case_id,
            recipient=RecipientKey.Purpose.COORDINATORS,
            key_id=wrap.key_id,
        )
    except crypto.DecryptionError:
        raise CaseNotAvailable from None
    audit.record(action, actor=profile.user, case=wrap.case)
    return wrap.case, case_key
