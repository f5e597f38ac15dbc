"""The one door to a case: the only place that opens a case for a person.

A survivor comes back with their receipt (open_case_with_receipt) and keeps the case key for a
short session (intake/key_sessions.py holds it; survivor_case finds the case again). A staff
member opens only a case wrapped to them, with the private key unlocked in this login, while
vetted (decrypt_case_for_staff); a coordinator opens a waiting or overdue case through the
coordinators' key (decrypt_case_for_coordinator). Every staff opening is audited.

The session names below are re-exported from intake/key_sessions.py, where they live, for the
views that import them from here.
"""

import logging
import uuid
from typing import NamedTuple

from django.conf import settings
from django.db import connection, models
from django.http import HttpRequest

from intake import audit, crypto
from intake.crypto import unwrapping
from intake.key_sessions import (
    COOKIE_NAME,
    STAFF_COOKIE_NAME,
    NoSurvivorSession,
    StaffKeyLocked,
    SurvivorSessionExpired,
    SurvivorSessionUnavailable,
    end_survivor_session,
    forget_staff_key,
    holds_staff_key,
    staff_private_key,
    start_survivor_session,
    survivor_session_key,
    unlock_staff_key,
)
from intake.models import (
    SURVIVOR_RECIPIENT,
    Case,
    KeyWrap,
    RecipientKey,
    RoutingJob,
    StaffProfile,
    plain_sql,
)

__all__ = [
    "COOKIE_NAME",
    "STAFF_COOKIE_NAME",
    "CaseNotAvailable",
    "NoSurvivorSession",
    "StaffKeyLocked",
    "SurvivorSessionExpired",
    "SurvivorSessionUnavailable",
    "cases_for_staff",
    "coordinators_private_key",
    "decrypt_case_for_coordinator",
    "decrypt_case_for_staff",
    "end_survivor_session",
    "forget_staff_key",
    "holds_staff_key",
    "may_open_cases",
    "open_case_with_receipt",
    "staff_private_key",
    "staff_profile",
    "start_survivor_session",
    "survivor_case",
    "unlock_staff_key",
]

logger = logging.getLogger(__name__)


# --- Survivors ----------------------------------------------------------------------------------


def open_case_with_receipt(receipt: str) -> tuple[Case, bytes] | None:
    """The case and its key for a receipt, or None. The one key derivation runs before the case
    is looked up, so a wrong receipt takes as long as a right one."""
    secrets = crypto.receipt_secrets(receipt, settings.RECEIPT_LOOKUP_KEY.encode())
    case = Case.objects.filter(receipt_lookup=secrets.lookup).first()
    if case is None:
        return None
    wrap = KeyWrap.objects.filter(case=case, recipient=SURVIVOR_RECIPIENT).first()
    if wrap is None:
        return None
    try:
        case_key = unwrapping.unwrap_case_key(
            bytes(wrap.wrapped),
            secrets.survivor.private,
            case_id=case.case_id,
            recipient=SURVIVOR_RECIPIENT,
            key_id=wrap.key_id,
        )
    except crypto.DecryptionError:
        logger.warning("a survivor wrap failed to open for a matching receipt")
        return None
    return case, case_key


def survivor_case(request: HttpRequest) -> tuple[Case, bytes]:
    """The case and its key for this request's session, or SurvivorSessionExpired."""
    case_id, case_key = survivor_session_key(request)
    case = Case.objects.filter(public_id=case_id).first()
    if case is None:  # withdrawn (deleted) since
        raise SurvivorSessionExpired
    return case, case_key


# --- Staff: who may use the caseworker pages ----------------------------------------------------


_STAFF_PROFILE_SQL = "SELECT * FROM intake_staffprofile WHERE user_id = %s"


def staff_profile(request: HttpRequest) -> StaffProfile | None:
    """The signed-in user's staff profile, or None for anyone else.

    The profile is tied to the request's user object both ways (Django caches a one-to-one
    relation on each side), so neither `profile.user` nor the staff layout's
    `user.staff_profile` (templates/staff_base.html) reads the database again."""
    user = request.user
    if not user.is_authenticated:
        return None
    # Written out: on every staff request, building this query with the ORM cost more than
    # running it (docs/performance.md, issue 16). At most one profile a user (a one-to-one).
    found = list(StaffProfile.objects.raw(_STAFF_PROFILE_SQL, [user.pk]))
    if not found:
        return None
    profile = found[0]
    profile.user = user
    return profile


# --- Staff: the one door to a case ------------------------------------------------------------


class CaseNotAvailable(Exception):
    """Not this staff member's case, or they may not open cases now. Views answer 404, the same
    as for a case that does not exist, so nothing is learned about other cases."""


def may_open_cases(profile: StaffProfile) -> bool:
    """Vetted with the vetting not past its date (checked here at every opening, not only by the
    daily task that marks it expired), and a key to open wraps with."""
    return profile.vetted_now and profile.has_key


def cases_for_staff(profile: StaffProfile) -> "models.QuerySet[Case]":
    """The cases routed or granted to this staff member (none while not vetted).

    Each case comes once without a DISTINCT: the join is on this recipient's wraps, and there is
    at most one wrap per case and recipient (KeyWrap's one_wrap_per_recipient)."""
    if not may_open_cases(profile):
        return Case.objects.none()
    return Case.objects.filter(wraps__recipient=profile.recipient)


# The case a staff member opens, with their wrap of it and its routing job (the case page shows
# its deadline), in one query written out: the ORM took longer to build this join than
# PostgreSQL to run it, a seventh of a case page's time (docs/performance.md, issue 16). A case
# has at most one wrap per recipient (KeyWrap's one_wrap_per_recipient) and one routing job.
_CASE_FOR_STAFF_SQL = """
SELECT c.*, w.id AS wrap_id, w.wrapped AS wrap_wrapped, w.key_id AS wrap_key_id,
       j.id AS job_id, j.available_at AS job_available_at, j.urgent AS job_urgent
FROM intake_case AS c
JOIN intake_keywrap AS w ON w.case_id = c.id AND w.recipient = %s
LEFT JOIN intake_routingjob AS j ON j.case_id = c.id
WHERE c.public_id = %s
"""


class _StaffWrap(NamedTuple):
    case: Case
    wrap_id: int
    wrapped: bytes
    key_id: str


def _case_for_staff(public_id: uuid.UUID | str, recipient: str) -> _StaffWrap | None:
    """The case with this public id wrapped to `recipient`, and its wrap, or None.
    The case comes with its routing job (only its deadline's fields; the others load if read),
    as `select_related` would give it."""
    try:
        public = plain_sql.as_uuid(public_id)
    except ValueError:
        return None
    public_id_field = Case._meta.get_field("public_id")
    found = plain_sql.raw(
        Case,
        "case_for_staff",
        _CASE_FOR_STAFF_SQL,
        [recipient, public_id_field.get_db_prep_value(public, connection)],
    )
    if not found:
        return None
    case = found[0]
    job = None
    if case.job_id is not None:  # type: ignore[attr-defined]
        known = {
            "id": case.job_id,  # type: ignore[attr-defined]  # the query's own columns
            "case_id": case.pk,
            "available_at": plain_sql.as_utc(case.job_available_at),  # type: ignore[attr-defined]
            "urgent": bool(case.job_urgent),  # type: ignore[attr-defined]
        }
        # from_db takes the values in the model's field order (the others are deferred).
        names = [f.attname for f in RoutingJob._meta.concrete_fields if f.attname in known]
        job = RoutingJob.from_db(connection.alias, names, [known[name] for name in names])
        RoutingJob.case.field.set_cached_value(job, case)
    Case.routing_job.related.set_cached_value(case, job)
    return _StaffWrap(
        case,
        case.wrap_id,  # type: ignore[attr-defined]
        bytes(case.wrap_wrapped),  # type: ignore[attr-defined]
        case.wrap_key_id,  # type: ignore[attr-defined]
    )


# A staff wrap is resealed the first time its case is opened: the case key, as HPKE gave it, is
# sealed again under the staff member's resealing key (crypto.reseal_for_recipient, AES-GCM,
# bound to the case, the recipient and the key version) and stored in the wrap's place, so the
# next opening needs no HPKE decapsulation and no parsing of the private key (a tenth of a case
# page's time; docs/performance.md, issue 16). Only the same private key opens either form, as
# for the queue summaries (docs/security.md, section 6). Staff wraps are opened here only.
CASE_KEY_RESEALED = "case-key"
_RESEAL_SQL = "UPDATE intake_keywrap SET wrapped = %s WHERE id = %s AND wrapped = %s"


def _open_staff_wrap(found: _StaffWrap, private: bytes, recipient: str) -> bytes:
    bound = {"case_id": found.case.case_id, "recipient": recipient, "key_id": found.key_id}
    resealing = crypto.resealing_key(private)
    if crypto.is_resealed(found.wrapped):
        return crypto.open_resealed(found.wrapped, resealing, purpose=CASE_KEY_RESEALED, **bound)
    case_key = unwrapping.unwrap_case_key(found.wrapped, private, **bound)
    resealed = crypto.reseal_for_recipient(case_key, resealing, purpose=CASE_KEY_RESEALED, **bound)
    # Only if the wrap is still the one opened (not replaced or resealed meanwhile).
    with connection.cursor() as cursor:
        cursor.execute(_RESEAL_SQL, [resealed, found.wrap_id, found.wrapped])
    return case_key


def decrypt_case_for_staff(
    request: HttpRequest, profile: StaffProfile, public_id: uuid.UUID | str, *, action: str
) -> tuple[Case, bytes]:
    """Open a case for the signed-in staff member and write the audit entry for it.

    Only a vetted staff member with a key opens a case, only one wrapped to them, and only with
    the private key unlocked in this login. Every opening is in the audit log as `action`.
    """
    if not may_open_cases(profile):
        raise CaseNotAvailable
    found = _case_for_staff(public_id, profile.recipient)
    if found is None:
        raise CaseNotAvailable
    try:
        case_key = _open_staff_wrap(found, staff_private_key(request), profile.recipient)
    except (StaffKeyLocked, crypto.DecryptionError):
        raise CaseNotAvailable from None
    audit.record(action, actor=profile.user, case=found.case)
    return found.case, case_key


def coordinators_private_key(request: HttpRequest, profile: StaffProfile) -> bytes:
    """The coordinators' key, opened with this coordinator's own key unlocked in this login."""
    if (
        profile.role != StaffProfile.Role.COORDINATOR
        or not may_open_cases(profile)
        or profile.coordinators_key_share is None
    ):
        raise CaseNotAvailable
    try:
        return unwrapping.unwrap_private_key(
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
        case_key = unwrapping.unwrap_case_key(
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
