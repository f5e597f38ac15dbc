"""Multi-step writes of the intake: each encrypts first, then writes everything in one transaction.

A view calls one of these and nothing else writes cases. The plaintext arrives here in memory,
is sealed with the case key (intake/crypto.py), and only ciphertext is handed to the database.
"""

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, IntegrityError, transaction

from intake import crypto
from intake.models import (
    Addition,
    Attachment,
    Case,
    KeyWrap,
    Message,
    RecipientKey,
    RoutingJob,
    SubmissionToken,
    current_hour,
)
from intake.uploads import EncryptedUpload

logger = logging.getLogger(__name__)

SURVIVOR = "survivor"


class DuplicateSubmission(Exception):
    """This form was already sent once (a double click or a reload): no second case was made."""


class SaveUncertain(Exception):
    """The connection to the database broke while a survivor's write was being committed, and
    the database could not be asked afterwards whether the commit happened: it may or may not
    be saved."""


@dataclass
class Commit:
    answer_lost: bool = False  # the COMMIT failed, yet its writes were found afterwards


@contextmanager
def checked_transaction(written: Callable[[], bool]) -> Iterator[Commit]:
    """transaction.atomic() for a write someone is told about, whose COMMIT is checked when it
    fails.

    The connection can break after PostgreSQL committed but before its answer arrived, so an
    error at the COMMIT does not prove that nothing was saved. `written()` then asks, on a new
    connection (Django has closed the broken one), whether the writes are there. Found: the
    block counts as committed, but its on-commit hooks did not run (`answer_lost` says so). Not
    found: the error goes through, and "not saved" is true. If the database cannot be asked:
    SaveUncertain. An error before the COMMIT goes through unchanged.
    """
    commit = Commit()
    committing = False
    try:
        with transaction.atomic():
            yield commit
            committing = True  # the block is done: only the COMMIT is left
    except DatabaseError as error:
        # Inside an outer transaction there was no COMMIT here: the outer one decides.
        if not committing or transaction.get_connection().in_atomic_block:
            raise
        try:
            found = written()
        except DatabaseError:
            raise SaveUncertain from error
        if not found:
            raise
        commit.answer_lost = True
        logger.warning("a COMMIT failed, but what it wrote was found afterwards")


@dataclass(frozen=True)
class Submitted:
    case: Case
    receipt: str


def _lookup_key() -> bytes:
    return settings.RECEIPT_LOOKUP_KEY.encode()


def _seal_json(case_key: bytes, case_id: str, item: str, value: Any) -> bytes:
    return crypto.seal(case_key, case_id=case_id, item=item, plaintext=json.dumps(value).encode())


def open_json(case_key: bytes, case_id: str, item: str, sealed: bytes) -> Any:
    return json.loads(crypto.open_sealed(case_key, case_id=case_id, item=item, sealed=sealed))


def active_service_keys() -> dict[str, RecipientKey]:
    """The newest active routing and coordinators keys, which every new case is wrapped to."""
    keys = {}
    for purpose in RecipientKey.Purpose.values:
        key = RecipientKey.objects.filter(purpose=purpose, active=True).first()
        if key is None:
            raise ImproperlyConfigured(
                f"no active {purpose} key: run `manage.py init_keys` once before taking accounts"
            )
        keys[purpose] = key
    return keys


def routing_hints(answers: dict[str, Any]) -> dict[str, Any]:
    """What the routing worker needs to choose a caseworker, and the kinds of harm for the queue
    summary it seals to whoever it chooses (queue_summary), and nothing more (sealed apart)."""
    specialisms = []
    if answers["age_group"] == "under_18":
        specialisms.append("children")
    if answers["lgbtqi_support"]:
        specialisms.append("lgbtqi")
    if "sexual_violence" in answers["harms"]:
        specialisms.append("sexual_violence")
    return {
        "language": answers["preferred_language"],
        "caseworker_gender": answers["caseworker_gender"],
        "specialisms": specialisms,
        "region": answers["country"],
        "needs": answers["wants"],
        "urgent": answers["in_danger"],
        "harms": answers["harms"],
    }


def _save_attachments(
    case: Case, case_key: bytes, uploads: list[EncryptedUpload], addition: Addition | None = None
) -> None:
    for upload in uploads:
        Attachment.objects.create(
            case=case,
            addition=addition,
            public_id=upload.public_id,
            sealed_metadata=_seal_json(
                case_key, case.case_id, f"attachment:{upload.public_id}/metadata", upload.metadata()
            ),
            chunk_count=upload.chunk_count,
        )


def submit_account(
    *,
    case_key: bytes,
    public_id: uuid.UUID,
    answers: dict[str, Any],
    contact: dict[str, str] | None,
    uploads: list[EncryptedUpload],
    submission_token: str,
) -> Submitted:
    """Store a new account and its routing job in one transaction; return the new receipt.

    The receipt exists only in the return value: it is shown once and never stored. Raises
    DuplicateSubmission for a token already used, and lets database errors through: the caller
    tells the survivor that nothing was saved. An error at the COMMIT is checked first
    (checked_transaction): a case found afterwards is returned as saved, and SaveUncertain is
    raised if the database cannot be asked.
    """
    keys = active_service_keys()
    case_id = str(public_id)
    receipt = crypto.new_receipt()
    secrets = crypto.receipt_secrets(receipt, _lookup_key())
    survivor = secrets.survivor
    urgent = bool(answers["in_danger"])
    saved = partial(Case.objects.filter(public_id=public_id).exists)
    with checked_transaction(saved) as commit:
        _use_submission_token(submission_token)
        case = Case.objects.create(
            public_id=public_id,
            receipt_lookup=secrets.lookup,
            survivor_public_key=survivor.public,
            urgent=urgent,
            answers=_seal_json(case_key, case_id, "answers", answers),
            routing_hints=_seal_json(case_key, case_id, "routing-hints", routing_hints(answers)),
            contact=_seal_json(case_key, case_id, "contact", contact) if contact else None,
        )
        wraps = [(SURVIVOR, "survivor", survivor.public)] + [
            (purpose, key.key_id, bytes(key.public_key)) for purpose, key in keys.items()
        ]
        for recipient, key_id, public_key in wraps:
            KeyWrap.objects.create(
                case=case,
                recipient=recipient,
                key_id=key_id,
                wrapped=crypto.wrap_case_key(
                    case_key, public_key, case_id=case_id, recipient=recipient, key_id=key_id
                ),
            )
        _save_attachments(case, case_key, uploads)
        RoutingJob.objects.create(case=case, urgent=urgent)
        # Only the case's primary key goes to the broker, and only once the case is committed.
        transaction.on_commit(partial(_enqueue_routing, case.pk, urgent))
    if commit.answer_lost:
        # Committed, but the on-commit hook did not run: send the routing task now.
        _enqueue_routing(case.pk, urgent)
    return Submitted(case=case, receipt=receipt)


def _token_hash(submission_token: str) -> str:
    return hashlib.sha256(submission_token.encode()).hexdigest()


def submission_token_used(submission_token: str) -> bool:
    """Whether a form carrying this token was already sent and saved. The survivor's forms carry
    one token from the consent page to Send (intake/views.py), and each message or addition form
    one of its own, so that a page sent again after it was saved (Back, then Reload) shows only
    "already sent", never the words it carried."""
    if not submission_token:
        return False
    return SubmissionToken.objects.filter(token_hash=_token_hash(submission_token)).exists()


def _use_submission_token(submission_token: str) -> None:
    """Record that this form was sent; DuplicateSubmission if it was already."""
    token_hash = _token_hash(submission_token)
    try:
        with transaction.atomic():
            SubmissionToken.objects.create(token_hash=token_hash)
    except IntegrityError:
        raise DuplicateSubmission from None


def _enqueue_routing(case_pk: int, urgent: bool) -> None:
    from intake.tasks import enqueue_routing

    enqueue_routing(case_pk, urgent)


def open_case_with_receipt(receipt: str) -> tuple[Case, bytes] | None:
    """The case and its key for a receipt, or None. The one key derivation runs before the case
    is looked up, so a wrong receipt takes as long as a right one."""
    secrets = crypto.receipt_secrets(receipt, _lookup_key())
    survivor = secrets.survivor
    case = (
        Case.objects.filter(receipt_lookup=secrets.lookup)
        .exclude(status=Case.Status.WITHDRAWN)
        .first()
    )
    if case is None:
        return None
    wrap = KeyWrap.objects.filter(case=case, recipient=SURVIVOR).first()
    if wrap is None:
        return None
    try:
        case_key = crypto.unwrap_case_key(
            bytes(wrap.wrapped),
            survivor.private,
            case_id=case.case_id,
            recipient=SURVIVOR,
            key_id=wrap.key_id,
        )
    except crypto.DecryptionError:
        logger.warning("a survivor wrap failed to open for a matching receipt")
        return None
    return case, case_key


def _touch(case: Case) -> None:
    case.updated_hour = current_hour()
    case.save(update_fields=["updated_hour"])


def add_information(
    case: Case,
    case_key: bytes,
    text: str,
    uploads: list[EncryptedUpload],
    *,
    form_token: str = "",
) -> Addition:
    """Add text and files to a case. A `form_token` already used raises DuplicateSubmission:
    the same form sent twice adds nothing the second time."""
    addition = Addition(case=case)
    with checked_transaction(partial(Addition.objects.filter(public_id=addition.public_id).exists)):
        if form_token:
            _use_submission_token(form_token)
        addition.sealed_text = crypto.seal(
            case_key, case_id=case.case_id, item=addition.item, plaintext=text.encode()
        )
        addition.save()
        _save_attachments(case, case_key, uploads, addition)
        _touch(case)
    return addition


def _add_message(
    case: Case, case_key: bytes, text: str, direction: str, form_token: str = ""
) -> Message:
    message = Message(case=case, direction=direction)
    with checked_transaction(partial(Message.objects.filter(public_id=message.public_id).exists)):
        if form_token:
            _use_submission_token(form_token)
        message.sealed_text = crypto.seal(
            case_key, case_id=case.case_id, item=message.item, plaintext=text.encode()
        )
        message.save()
        _touch(case)
    return message


def send_survivor_message(
    case: Case, case_key: bytes, text: str, *, form_token: str = ""
) -> Message:
    """A message from the survivor to their caseworker. A `form_token` already used raises
    DuplicateSubmission: the same form sent twice sends one message."""
    return _add_message(case, case_key, text, Message.Direction.FROM_SURVIVOR, form_token)


def send_message_to_survivor(case: Case, case_key: bytes, text: str) -> Message:
    """A caseworker's message, readable by the survivor with their receipt."""
    return _add_message(case, case_key, text, Message.Direction.TO_SURVIVOR)


def set_referral_consent(case: Case, case_key: bytes, agreed: bool) -> None:
    """The survivor agrees (or no longer agrees) that their caseworker may refer them to another
    service. The choice is sealed inside the answers, beside the consent given at submission."""
    from intake import audit

    answers = open_json(case_key, case.case_id, "answers", bytes(case.answers))
    answers["consent"]["referral"] = agreed
    with transaction.atomic():
        case.answers = _seal_json(case_key, case.case_id, "answers", answers)
        case.updated_hour = current_hour()
        case.save(update_fields=["answers", "updated_hour"])
        # Which way the survivor chose is theirs; the log only says that they chose.
        audit.record("case.consent_changed", actor=None, case=case)


def referral_consented(case: Case, case_key: bytes) -> bool:
    answers = open_json(case_key, case.case_id, "answers", bytes(case.answers))
    return bool(answers["consent"].get("referral"))


def change_contact(case: Case, case_key: bytes, contact: dict[str, str] | None) -> None:
    case.contact = _seal_json(case_key, case.case_id, "contact", contact) if contact else None
    case.updated_hour = current_hour()
    case.save(update_fields=["contact", "updated_hour"])


def purge_expired_cases() -> int:
    """Crypto-shred closed cases past RETENTION_DAYS_AFTER_CLOSE (counted from their last change,
    kept to the hour). Returns how many were deleted."""
    from datetime import timedelta

    from django.utils import timezone

    cutoff = timezone.now() - timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSE)
    expired = list(Case.objects.filter(status=Case.Status.CLOSED, updated_hour__lt=cutoff))
    for case in expired:
        withdraw_case(case, action="case.purged", detail="retention period over")
    return len(expired)


def withdraw_case(case: Case, *, action: str = "case.withdrawn", detail: str = "") -> None:
    """Delete the case irreversibly: every wrap, every ciphertext, every encrypted file; the
    audit log keeps one content-free line (`action`) that it existed.

    The line and the deletion are one transaction: a withdrawal is never logged without
    happening, nor done without its line. This is crypto-shredding: with every wrap of the case
    key gone, nothing of the case can be decrypted again from the portal's database and media.
    A backup taken before still holds the ciphertext, the files and their wraps (the survivor's,
    which opens with the receipt, and any caseworker's, coordinators' or routing wrap), and a
    restore of it brings the case back (tests/intake/test_retention.py). So the case is gone
    everywhere only once the last such backup is deleted: docs/operations.md, "Backups", keeps
    them 30 days at most, and docs/security.md says what lingers until then.
    """
    from intake import audit
    from intake.uploads import attachment_path

    paths = [attachment_path(a.public_id) for a in Attachment.objects.filter(case=case)]
    with transaction.atomic():
        audit.record(action, actor=None, case=case, detail=detail)
        case.delete()
    for path in paths:
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class CaseView:
    """A case decrypted in memory for one page: status, answers, messages, additions, files (with
    their ids, for downloads) and referrals. The survivor and the caseworker holding the case see
    the same account; notes are read apart (read_notes), for staff only."""

    status: str
    status_label: str
    answers: dict[str, Any]
    contact: dict[str, str] | None
    messages: list[dict[str, Any]]
    additions: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    referral_consent: bool
    referrals: list[dict[str, Any]]


def read_case(case: Case, case_key: bytes) -> CaseView:
    def text(item: str, sealed: bytes) -> str:
        return crypto.open_sealed(case_key, case_id=case.case_id, item=item, sealed=sealed).decode()

    answers = open_json(case_key, case.case_id, "answers", bytes(case.answers))
    return CaseView(
        status=case.status,
        status_label=case.get_status_display(),
        answers=answers,
        contact=open_json(case_key, case.case_id, "contact", bytes(case.contact))
        if case.contact
        else None,
        messages=[
            {
                "from_survivor": m.direction == Message.Direction.FROM_SURVIVOR,
                "text": text(m.item, bytes(m.sealed_text)),
                "hour": m.created_hour,
            }
            for m in case.messages.all()
        ],
        additions=[
            {"text": text(a.item, bytes(a.sealed_text)), "hour": a.created_hour}
            for a in case.additions.all()
        ],
        attachments=[
            {
                **open_json(case_key, case.case_id, f"{a.item}/metadata", bytes(a.sealed_metadata)),
                "public_id": a.public_id,
            }
            for a in case.attachments.all()
        ],
        referral_consent=bool(answers["consent"].get("referral")),
        referrals=read_referrals(case, case_key),
    )


# --- Staff accounts and keys --------------------------------------------------------------------


def invite_staff(
    *,
    email: str,
    role: str,
    invited_by: Any | None,
    languages: list[str] | None = None,
    regions: list[str] | None = None,
    specialisms: list[str] | None = None,
    gender: str = "",
    capacity: int = 10,
) -> tuple[Any, str]:
    """Create an invited staff account (no password yet) and the path of its invitation link."""
    from django.contrib.auth import get_user_model

    from intake import audit
    from intake.models import StaffProfile

    email = email.strip().lower()
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=email, email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        StaffProfile.objects.create(
            user=user,
            role=role,
            invited_by=invited_by,
            languages=languages or [],
            regions=regions or [],
            specialisms=specialisms or [],
            gender=gender,
            capacity=capacity,
        )
        audit.record("staff.invited", actor=invited_by, subject=user, detail=role)
    return user, set_password_link(user)


def set_password_link(user: Any) -> str:
    """The path of a one-time link where this user sets a password (an invitation or a reset).

    The token comes from Django's password-reset token generator: it stops working once the
    password is set (the hash it covers changes), and after PASSWORD_RESET_TIMEOUT.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("caseworker:invitation", args=[uid, token])


def enrol_staff_key(profile: Any, password: str) -> None:
    """Give a staff member a new key pair, its private half sealed under their password.

    A new key replaces the old one: wraps to the old key can no longer be opened by anyone, so
    they are deleted and a coordinator must grant those cases again.
    """
    pair = crypto.generate_key_pair()
    salt = crypto.new_salt()
    with transaction.atomic():
        KeyWrap.objects.filter(recipient=profile.recipient).delete()
        profile.key_version += 1
        profile.public_key = pair.public
        profile.key_salt = salt
        profile.sealed_private_key = crypto.seal_private_key(pair.private, password, salt)
        profile.save(update_fields=["key_version", "public_key", "key_salt", "sealed_private_key"])


def accept_invitation(user: Any, password: str) -> None:
    """The invitee chose a password: set it, make their key pair, and wait for vetting."""
    from intake.models import StaffProfile

    profile = user.staff_profile
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        enrol_staff_key(profile, password)
        if profile.vetting == StaffProfile.Vetting.INVITED:
            profile.vetting = StaffProfile.Vetting.PENDING
            profile.save(update_fields=["vetting"])


def staff_password_changed(request: Any, user: Any, password: str) -> None:
    """Called by the account adapter whenever a staff password is set.

    With the private key unlocked in this login (a password change), it is sealed again under
    the new password. Without it (a coordinator reset the password), the old key is lost with the
    old password: a new pair is made and the staff member's cases must be granted again.
    """
    from intake.access import StaffKeyLocked, staff_private_key, unlock_staff_key

    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return
    try:
        private = staff_private_key(request) if request is not None else None
    except StaffKeyLocked:
        private = None
    if private is not None and profile.has_key:
        salt = crypto.new_salt()
        profile.key_salt = salt
        profile.sealed_private_key = crypto.seal_private_key(private, password, salt)
        profile.save(update_fields=["key_salt", "sealed_private_key"])
    else:
        enrol_staff_key(profile, password)
    if request is not None and getattr(request, "user", None) == user:
        unlock_staff_key(request, profile, password)


def reset_staff_password(profile: Any, *, by: Any) -> str:
    """A coordinator resets a staff member's password; returns the path of the one-time link
    where they choose a new one.

    The old password goes, and with it the only way to open their private key: the key pair is
    removed at once (so routing sends them nothing they could not open), their case wraps are
    deleted, and every session they had ends (Django ties sessions to the password hash). Their
    open cases wait in the coordinators' queue, still marked as theirs; a coordinator grants them
    again (regrant_cases) once they have set the new password and so have a new key. Their
    second factor stays as it was.
    """
    from intake import audit

    user = profile.user
    with transaction.atomic():
        user.set_unusable_password()
        user.save(update_fields=["password"])
        return_cases_to_coordinators(profile, RoutingJob.PASSWORD_RESET, keep_assignment=True)
        profile.public_key = None
        profile.sealed_private_key = None
        profile.key_salt = None
        profile.coordinators_key_share = None
        profile.coordinators_key_id = ""
        profile.save(
            update_fields=[
                "public_key",
                "sealed_private_key",
                "key_salt",
                "coordinators_key_share",
                "coordinators_key_id",
            ]
        )
        audit.record("staff.password_reset", actor=by, subject=user)
        audit.record("staff.access_revoked", actor=by, subject=user, detail="password reset")
    return set_password_link(user)


def cases_to_regrant(profile: Any) -> "list[Case]":
    """Open cases that wait in the coordinators' queue because this staff member's password was
    reset (reset_staff_password), to be granted to them again."""
    return list(
        Case.objects.open()
        .filter(
            routing_job__assigned_to=profile.user_id,
            routing_job__state=RoutingJob.State.WAITING,
            routing_job__reason=RoutingJob.PASSWORD_RESET,
        )
        .order_by("id")
    )


def regrant_cases(profile: Any, coordinators_private: bytes, *, by: Any) -> int:
    """Wrap each of cases_to_regrant() to the staff member's new key, opened through the
    coordinators' wrap (those cases wait in the coordinators' queue, so coordinators may open
    them). Returns how many were granted."""
    if not (profile.has_key and profile.vetted_now):
        return 0
    granted = 0
    for case in cases_to_regrant(profile):
        wrap = KeyWrap.objects.filter(
            case=case, recipient=RecipientKey.Purpose.COORDINATORS
        ).first()
        if wrap is None:
            continue
        try:
            case_key = crypto.unwrap_case_key(
                bytes(wrap.wrapped),
                coordinators_private,
                case_id=case.case_id,
                recipient=RecipientKey.Purpose.COORDINATORS,
                key_id=wrap.key_id,
            )
        except crypto.DecryptionError:
            # Wrapped to an older coordinators' key this coordinator does not hold.
            logger.warning("a case could not be granted again: its coordinators' key differs")
            continue
        with transaction.atomic():
            grant_case(case, case_key, profile, by=by, action="case.regranted")
            _placed_by_coordinator(case, profile)
        granted += 1
    return granted


def update_staff_profile(profile: Any, *, by: Any, changes: dict[str, Any]) -> None:
    """A coordinator changes what routing matches someone on (languages, capacity...)."""
    from intake import audit

    fields = ["languages", "regions", "specialisms", "gender", "capacity"]
    with transaction.atomic():
        for name in fields:
            setattr(profile, name, changes[name])
        profile.save(update_fields=fields)
        audit.record("staff.profile_changed", actor=by, subject=profile.user)
        # More room or new languages may fit accounts that are waiting.
        transaction.on_commit(_retry_waiting)


def set_availability(profile: Any, available: bool) -> None:
    """A caseworker says whether they can take new cases (routing skips them while not); the
    cases they hold stay with them."""
    from intake import audit

    with transaction.atomic():
        profile.available = available
        profile.save(update_fields=["available"])
        audit.record(
            "staff.availability_changed",
            actor=profile.user,
            subject=profile.user,
            detail="available" if available else "unavailable",
        )
        if available:
            transaction.on_commit(_retry_waiting)


# --- Vetting -------------------------------------------------------------------------------------


class VettingRefused(Exception):
    """The vetting rules forbid this (the message says which rule, for the coordinator)."""


def vet_staff(profile: Any, *, by: Any | None, note: str, months: int = 12) -> None:
    """Mark a staff member vetted until `months` from today.

    Two-person rule: the coordinator who vets must not be the one who invited, nor the person
    themselves. `by=None` is an operator at the server (the first coordinator has nobody to vet
    them); it is audited like any other.
    """
    from datetime import timedelta

    from django.utils import timezone

    from intake import audit
    from intake.models import StaffProfile

    if by is not None:
        if by.pk == profile.user_id:
            raise VettingRefused("Nobody can vet themselves.")
        if by.pk == profile.invited_by_id:
            raise VettingRefused("A different coordinator than the one who invited must vet.")
    if not note.strip():
        raise VettingRefused("Say what was checked.")
    if not profile.has_key:
        raise VettingRefused("The invitation has not been accepted yet.")
    profile.vetting = StaffProfile.Vetting.VETTED
    profile.vetted_by = by
    profile.vetting_note = note.strip()
    profile.vetted_until = timezone.now().date() + timedelta(days=round(months * 30.44))
    with transaction.atomic():
        profile.save(update_fields=["vetting", "vetted_by", "vetting_note", "vetted_until"])
        audit.record("staff.vetted", actor=by, subject=profile.user, detail=f"{months} months")
        # Accounts waiting for a suitable caseworker may now have one.
        transaction.on_commit(_retry_waiting)


def _retry_waiting() -> None:
    from intake.tasks import retry_waiting

    try:
        retry_waiting.delay()
    except Exception:  # the broker is down: the periodic retry will do it
        logger.warning("waiting accounts not re-routed now; the periodic retry will")


def suspend_staff(profile: Any, *, by: Any | None, reason: str) -> None:
    """Suspend at once: a suspended staff member opens no case and receives none, their wraps
    are deleted, and their open cases go back to the coordinators."""
    from intake import audit
    from intake.models import StaffProfile

    with transaction.atomic():
        profile.vetting = StaffProfile.Vetting.SUSPENDED
        profile.save(update_fields=["vetting"])
        audit.record("staff.suspended", actor=by, subject=profile.user, detail=reason[:200])
        return_cases_to_coordinators(profile, RoutingJob.CASEWORKER_SUSPENDED)


def expire_vetting() -> list[Any]:
    """Mark every vetting past its date as expired; returns the profiles that changed."""
    from django.utils import timezone

    from intake import audit
    from intake.models import StaffProfile

    expired = list(
        StaffProfile.objects.filter(
            vetting=StaffProfile.Vetting.VETTED, vetted_until__lt=timezone.now().date()
        ).select_related("user")
    )
    for profile in expired:
        with transaction.atomic():
            profile.vetting = StaffProfile.Vetting.EXPIRED
            profile.save(update_fields=["vetting"])
            audit.record("staff.vetting_expired", actor=None, subject=profile.user)
            return_cases_to_coordinators(profile, RoutingJob.VETTING_EXPIRED)
    return expired


def return_cases_to_coordinators(
    profile: Any, reason: str, *, keep_assignment: bool = False
) -> int:
    """This staff member lost access (suspended, vetting expired, password reset): delete every
    wrap they hold at once, and put their open cases in the coordinators' queue, waiting with
    `reason` (routing does not take them back by itself: routing.waiting_jobs). Each revocation
    is audited. Returns how many cases now wait.

    `keep_assignment`: the cases stay marked as theirs, to be granted to them again
    (regrant_cases after a password reset).
    """
    from intake import audit

    wraps = KeyWrap.objects.filter(recipient=profile.recipient)
    held = list(wraps.values_list("case_id", flat=True))
    if not held:
        return 0
    wraps.delete()
    audit.record(
        "staff.access_revoked", actor=None, subject=profile.user, detail=f"{len(held)} cases"
    )
    still_held = KeyWrap.objects.filter(
        case_id__in=held, recipient__startswith="caseworker:"
    ).values("case_id")
    changes: dict[str, Any] = {
        "state": RoutingJob.State.WAITING,
        "reason": reason,
        "available_at": current_hour(),
        "claimed_at": None,
        "claimed_by": "",
    }
    if not keep_assignment:
        changes["assigned_to"] = None
    return (
        RoutingJob.objects.filter(case_id__in=held, case__in=Case.objects.open())
        .exclude(case_id__in=still_held)
        .update(**changes)
    )


# --- Caseworker actions on a case --------------------------------------------------------------


class GrantRefused(Exception):
    """A grant that may not be made: a caseworker holds the case (hand-over is the way),
    the case does not wait for a caseworker, or the person is not vetted now or has no key."""


@dataclass(frozen=True)
class Grant:
    """A case key to wrap for a staff member."""

    case: Case
    case_key: bytes
    profile: Any


def grant_case(case: Case, case_key: bytes, profile: Any, *, by: Any | None, action: str) -> None:
    """Wrap the case key for a staff member (a hand-over or a coordinator's grant)."""
    grant_cases([Grant(case, case_key, profile)], by=by, action=action)


# --- The queue summary: what a caseworker's queue shows without opening the account -------------

QUEUE_SUMMARY = "queue-summary"  # the purpose named in its HPKE info (crypto.seal_to_recipient)


def queue_summary(case: Case, case_key: bytes) -> dict[str, Any]:
    """The reply language and the kinds of harm, from the case's routing hints (never from the
    account): enough to tell one case from another in a queue. Hints sealed before the kinds of
    harm were added to them give None for those."""
    try:
        hints = open_json(case_key, case.case_id, "routing-hints", bytes(case.routing_hints))
    except crypto.DecryptionError:
        # A case whose hints do not open is still given to its caseworker: only its queue row
        # goes without language and harms.
        logger.warning("a case's routing hints did not open for its queue summary")
        hints = {}
    return {"language": hints.get("language") or "", "harms": hints.get("harms")}


def seal_queue_summary(summary: dict[str, Any], case: Case, profile: Any) -> bytes:
    """The summary sealed to this staff member's public key, for their wrap of this case."""
    return crypto.seal_to_recipient(
        json.dumps(summary).encode(),
        bytes(profile.public_key),
        purpose=QUEUE_SUMMARY,
        case_id=case.case_id,
        recipient=profile.recipient,
        key_id=profile.key_id,
    )


def open_queue_summary(
    sealed: bytes | memoryview | None,
    private_key: Any,
    *,
    case: Case,
    recipient: str,
    key_id: str,
) -> dict[str, Any] | None:
    """The queue summary sealed in a caseworker's wrap of `case`, opened with their private key
    as parsed once by crypto.load_private_key (a queue page opens up to 50); None if the wrap has
    none (made before summaries existed) or it does not open. Neither the case key nor the
    account is touched, so this is not an opening of the case and is not audited as one
    (docs/security.md, section 6)."""
    if sealed is None:
        return None
    try:
        plaintext = crypto.open_sealed_to_recipient(
            bytes(sealed),
            private_key,
            purpose=QUEUE_SUMMARY,
            case_id=case.case_id,
            recipient=recipient,
            key_id=key_id,
        )
    except crypto.DecryptionError:
        return None
    summary = json.loads(plaintext)
    return summary if isinstance(summary, dict) else None


def grant_cases(grants: Sequence[Grant], *, by: Any | None, action: str) -> None:
    """Wrap each case key for its staff member, with their queue summary sealed beside it, in two
    statements however many there are (routing places cases in batches), each grant audited.
    Only to people vetted today with a key: GrantRefused otherwise."""
    from intake import audit

    if not all(grant.profile.vetted_now and grant.profile.has_key for grant in grants):
        raise GrantRefused
    wraps = [
        KeyWrap(
            case=grant.case,
            recipient=grant.profile.recipient,
            key_id=grant.profile.key_id,
            wrapped=crypto.wrap_case_key(
                grant.case_key,
                bytes(grant.profile.public_key),
                case_id=grant.case.case_id,
                recipient=grant.profile.recipient,
                key_id=grant.profile.key_id,
            ),
            queue_summary=seal_queue_summary(
                queue_summary(grant.case, grant.case_key), grant.case, grant.profile
            ),
        )
        for grant in grants
    ]
    # No savepoint: the wraps and their audit entries stand or fall with the caller's transaction.
    with transaction.atomic(savepoint=False):
        # INSERT ... ON CONFLICT UPDATE: granting again replaces the wrap, and two grants at once
        # cannot both insert.
        KeyWrap.objects.bulk_create(
            wraps,
            update_conflicts=True,
            unique_fields=["case", "recipient"],
            update_fields=["key_id", "wrapped", "queue_summary"],
        )
        audit.append(
            [
                audit.entry(action, actor=by, case=grant.case, subject=grant.profile.user)
                for grant in grants
            ]
        )


def _delete_routing_wrap(case: Case) -> None:
    """The case has moved out of "received" (acknowledged, a status change, a referral, a
    hand-over): only the worker could use the routing wrap, to route it, and it will not be
    routed by itself again, so the wrap goes (docs/security.md, section 6)."""
    KeyWrap.objects.filter(case=case, recipient=RecipientKey.Purpose.ROUTING).delete()


def acknowledge_case(case: Case, profile: Any) -> None:
    """The caseworker has taken the case: the survivor sees it is with someone, and the routing
    wrap is deleted."""
    from intake import audit

    with transaction.atomic():
        if case.status == Case.Status.RECEIVED:
            case.status = Case.Status.ACKNOWLEDGED
            case.updated_hour = current_hour()
            case.save(update_fields=["status", "updated_hour"])
        _delete_routing_wrap(case)
        audit.record("case.acknowledged", actor=profile.user, case=case)


# Every valid (reason, status) pair, reason first: a reason belongs to exactly one status, so the
# caseworker chooses one item from one list (intake.forms.StatusForm words them) and status and
# reason can never disagree. The codes are fixed, so the audit log never holds free text about a
# case; they stay the ones already in it ("closed: closed_done").
STATUS_REASONS: dict[str, str] = {
    "in_progress": Case.Status.IN_PROGRESS,
    "referred": Case.Status.REFERRED,
    "closed_done": Case.Status.CLOSED,
    "closed_no_contact": Case.Status.CLOSED,
    "closed_survivor_asked": Case.Status.CLOSED,
}


def change_status(case: Case, profile: Any, status: str, reason: str) -> None:
    from intake import audit

    if STATUS_REASONS.get(reason) != status:
        raise ValueError(f"the reason {reason!r} does not go with the status {status!r}")
    with transaction.atomic():
        case.status = status
        case.updated_hour = current_hour()
        case.save(update_fields=["status", "updated_hour"])
        if status != Case.Status.RECEIVED:
            _delete_routing_wrap(case)
        audit.record("case.status", actor=profile.user, case=case, detail=f"{status}: {reason}")


def reply_to_survivor(case: Case, case_key: bytes, profile: Any, text: str) -> Message:
    from intake import audit

    with transaction.atomic():
        message = send_message_to_survivor(case, case_key, text)
        audit.record("case.message_sent", actor=profile.user, case=case)
    return message


def open_attachment(case: Case, case_key: bytes, public_id: str) -> tuple[dict[str, Any], Any]:
    """The metadata and a generator of decrypted chunks of one attachment (streamed, so a 20 MB
    file is never whole in memory)."""
    from intake.uploads import attachment_path, read_sealed_chunks

    attachment = Attachment.objects.get(case=case, public_id=public_id)
    metadata = open_json(
        case_key, case.case_id, f"{attachment.item}/metadata", bytes(attachment.sealed_metadata)
    )
    chunks = read_sealed_chunks(attachment_path(attachment.public_id))
    return metadata, crypto.open_chunks(
        case_key, case_id=case.case_id, item=attachment.item, sealed_chunks=chunks
    )


# --- Coordinators: the shared key, grants, hand-over and escalation ----------------------------


def share_coordinators_key(profile: Any, coordinators_private: bytes, by: Any | None) -> None:
    """Give a coordinator the coordinators' key, wrapped to their own public key."""
    from intake import audit

    key = RecipientKey.objects.filter(
        purpose=RecipientKey.Purpose.COORDINATORS, active=True
    ).first()
    if key is None or crypto.key_pair_from_seed(coordinators_private).public != bytes(
        key.public_key
    ):
        raise ValueError("this is not the active coordinators' key")
    with transaction.atomic():
        profile.coordinators_key_share = crypto.wrap_private_key(
            coordinators_private,
            bytes(profile.public_key),
            recipient=profile.recipient,
            key_id=profile.key_id,
        )
        profile.coordinators_key_id = key.key_id
        profile.save(update_fields=["coordinators_key_share", "coordinators_key_id"])
        audit.record("staff.coordinators_key_shared", actor=by, subject=profile.user)


def grant_from_coordinators(case: Case, case_key: bytes, to_profile: Any, by: Any) -> None:
    """A coordinator gives a waiting (or overdue) case to a caseworker of their choice; refused
    with GrantRefused while a caseworker holds it, or once it no longer waits."""
    with transaction.atomic():
        # Locked, so a routing or a grant at the same moment cannot place it twice.
        job = (
            RoutingJob.objects.select_for_update()
            .filter(case=case, pk__in=RoutingJob.objects.open_to_coordinators().values("pk"))
            .first()
        )
        held = KeyWrap.objects.filter(case=case, recipient__startswith="caseworker:").exists()
        if job is None or held:
            raise GrantRefused
        grant_case(case, case_key, to_profile, by=by, action="case.granted")
        _placed_by_coordinator(case, to_profile)


def _placed_by_coordinator(case: Case, to_profile: Any) -> None:
    RoutingJob.objects.filter(case=case).update(
        state=RoutingJob.State.DONE,
        assigned_to=to_profile.user,
        reason=RoutingJob.GRANTED,
        available_at=current_hour(),
        claimed_at=None,
        claimed_by="",
    )


def hand_over(case: Case, case_key: bytes, from_profile: Any, to_profile: Any) -> None:
    """Pass a case to a colleague: they get a wrap, the old holder loses theirs."""
    from intake import audit

    with transaction.atomic():
        grant_case(case, case_key, to_profile, by=from_profile.user, action="case.handed_over")
        KeyWrap.objects.filter(case=case, recipient=from_profile.recipient).delete()
        _delete_routing_wrap(case)
        RoutingJob.objects.filter(case=case).update(assigned_to=to_profile.user)
        audit.record(
            "case.access_revoked", actor=from_profile.user, case=case, subject=from_profile.user
        )


def escalate(case: Case, from_profile: Any) -> None:
    """Give a case back to the coordinators' queue; the caseworker loses access at once. The
    coordinators are told once it is committed: an escalation rolled back tells nobody."""
    from intake import audit

    with transaction.atomic():
        KeyWrap.objects.filter(case=case, recipient=from_profile.recipient).delete()
        job = RoutingJob.objects.select_for_update().get(case=case)
        job.state = RoutingJob.State.WAITING
        job.assigned_to = None
        job.reason = RoutingJob.ESCALATED
        # Should a coordinator send it back to routing, it does not go to the same person.
        job.passed_over = [*job.passed_over, from_profile.user_id]
        job.save(update_fields=["state", "assigned_to", "reason", "passed_over"])
        audit.record("case.escalated", actor=from_profile.user, case=case)
        transaction.on_commit(partial(_notify_coordinators, case.urgent))


def _notify_coordinators(urgent: bool) -> None:
    from intake.tasks import coordinator_ids, notify_later

    # From a task, so the caseworker does not wait for the mail server.
    notify_later(set(coordinator_ids()), urgent=urgent)


def add_note(case: Case, case_key: bytes, profile: Any, text: str) -> None:
    """A private note for whoever holds the case, sealed like everything else in it."""
    from intake import audit
    from intake.models import Note

    with transaction.atomic():
        note = Note(case=case, author=profile.user)
        note.sealed_text = crypto.seal(
            case_key, case_id=case.case_id, item=note.item, plaintext=text.encode()
        )
        note.save()
        audit.record("case.note_added", actor=profile.user, case=case)


def read_notes(case: Case, case_key: bytes) -> list[dict[str, Any]]:
    return [
        {
            "author": note.author.email if note.author else "",
            "hour": note.created_hour,
            "text": crypto.open_sealed(
                case_key, case_id=case.case_id, item=note.item, sealed=bytes(note.sealed_text)
            ).decode(),
        }
        for note in case.notes.select_related("author")
    ]


def record_audit_viewed(profile: Any) -> None:
    from intake import audit

    audit.record("audit.viewed", actor=profile.user)


# --- Referrals (only with the survivor's consent) ------------------------------------------------


class ReferralRefused(Exception):
    """The survivor has not agreed to be referred: no referral may be recorded."""


def record_referral(
    case: Case, case_key: bytes, profile: Any, *, service_type: str, organisation: str, outcome: str
) -> Any:
    """Record a referral, sealed, and mark the case referred. Refused without consent, which is
    checked here (not only in the form) so that no path can record one without it."""
    from intake import audit
    from intake.models import Referral

    if not referral_consented(case, case_key):
        raise ReferralRefused
    record = {"service_type": service_type, "organisation": organisation, "outcome": outcome}
    with transaction.atomic():
        referral = Referral(case=case, author=profile.user)
        referral.sealed_record = _seal_json(case_key, case.case_id, referral.item, record)
        referral.save()
        if case.status in (Case.Status.RECEIVED, Case.Status.ACKNOWLEDGED, Case.Status.IN_PROGRESS):
            case.status = Case.Status.REFERRED
        case.updated_hour = current_hour()
        case.save(update_fields=["status", "updated_hour"])
        _delete_routing_wrap(case)
        audit.record("case.referral_recorded", actor=profile.user, case=case)
    return referral


def update_referral_outcome(
    case: Case, case_key: bytes, profile: Any, referral_id: str, outcome: str
) -> None:
    """Change what became of a referral (raises Referral.DoesNotExist for another case's)."""
    from intake import audit
    from intake.models import Referral

    referral = Referral.objects.get(case=case, public_id=referral_id)
    record = open_json(case_key, case.case_id, referral.item, bytes(referral.sealed_record))
    record["outcome"] = outcome
    with transaction.atomic():
        referral.sealed_record = _seal_json(case_key, case.case_id, referral.item, record)
        referral.updated_hour = current_hour()
        referral.save(update_fields=["sealed_record", "updated_hour"])
        audit.record("case.referral_updated", actor=profile.user, case=case)


def read_referrals(case: Case, case_key: bytes) -> list[dict[str, Any]]:
    from intake.models import Referral

    service_types, outcomes = dict(Referral.SERVICE_TYPES), dict(Referral.OUTCOMES)
    referrals = []
    for referral in case.referrals.all():
        record = open_json(case_key, case.case_id, referral.item, bytes(referral.sealed_record))
        referrals.append(
            {
                **record,
                "public_id": referral.public_id,
                "service_label": service_types.get(record["service_type"], ""),
                "outcome_label": outcomes.get(record["outcome"], ""),
                "hour": referral.updated_hour,
            }
        )
    return referrals


# --- Export --------------------------------------------------------------------------------------


def export_case(case: Case, case_key: bytes, profile: Any) -> bytes:
    """Everything the caseworker may read about a case as one JSON document, audited.

    Files are listed with their SHA-256 rather than included: each is downloaded on its own (and
    streamed), and the hash lets whoever receives the export check that a file is the one sent.
    """
    from intake import audit

    view = read_case(case, case_key)
    document = {
        "format": "survivor-portal-case-export/1",
        "case": case.case_id,
        "status": case.status,
        "urgent": case.urgent,
        "received_hour": case.created_hour.isoformat(),
        "answers": view.answers,
        "contact": view.contact,
        "messages": [
            {
                "from": "survivor" if message["from_survivor"] else "caseworker",
                "hour": message["hour"].isoformat(),
                "text": message["text"],
            }
            for message in view.messages
        ],
        "additions": [
            {"hour": addition["hour"].isoformat(), "text": addition["text"]}
            for addition in view.additions
        ],
        "files": [
            {
                key: str(value) if isinstance(value, uuid.UUID) else value
                for key, value in attachment.items()
            }
            for attachment in view.attachments
        ],
        "referrals": [
            {
                "service_type": referral["service_type"],
                "organisation": referral["organisation"],
                "outcome": referral["outcome"],
                "hour": referral["hour"].isoformat(),
            }
            for referral in view.referrals
        ],
        "notes": [
            {"author": note["author"], "hour": note["hour"].isoformat(), "text": note["text"]}
            for note in read_notes(case, case_key)
        ],
    }
    audit.record("case.exported", actor=profile.user, case=case)
    return json.dumps(document, ensure_ascii=False, indent=2).encode()
