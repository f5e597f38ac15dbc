"""Staff accounts and keys: invitations, passwords and the key pair they seal, what routing
matches someone on, vetting, suspension, and losing access."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from intake import audit, crypto, enqueue
from intake.actions.grants import held_by_a_caseworker, revoke_all
from intake.key_sessions import StaffKeyLocked, staff_private_key, unlock_staff_key
from intake.models import Case, RoutingJob, StaffProfile, current_hour


def invite_staff(
    *,
    email: str,
    role: str,
    invited_by: User | None,
    languages: list[str] | None = None,
    regions: list[str] | None = None,
    specialisms: list[str] | None = None,
    gender: str = "",
    capacity: int = 10,
) -> tuple[User, str]:
    """Create an invited staff account (no password yet) and the path of its invitation link."""
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.create_user(username=email, email=email)
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


def set_password_link(user: User) -> str:
    """The path of a one-time link where this user sets a password (an invitation or a reset).

    The token comes from Django's password-reset token generator: it stops working once the
    password is set (the hash it covers changes), and after PASSWORD_RESET_TIMEOUT.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("caseworker:invitation", args=[uid, token])


def enrol_staff_key(profile: StaffProfile, password: str) -> None:
    """Give a staff member a new key pair, its private half sealed under their password.

    A new key replaces the old one: wraps to the old key can no longer be opened by anyone, so
    they are deleted and a coordinator must grant those cases again.
    """
    pair = crypto.generate_key_pair()
    salt = crypto.new_salt()
    with transaction.atomic():
        revoke_all(profile)
        profile.key_version += 1
        profile.public_key = pair.public
        profile.key_salt = salt
        profile.sealed_private_key = crypto.seal_private_key(pair.private, password, salt)
        profile.save(update_fields=["key_version", "public_key", "key_salt", "sealed_private_key"])


def accept_invitation(user: User, password: str) -> None:
    """The invitee chose a password: set it, make their key pair, and wait for vetting."""
    profile = user.staff_profile
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        enrol_staff_key(profile, password)
        if profile.vetting == StaffProfile.Vetting.INVITED:
            profile.vetting = StaffProfile.Vetting.PENDING
            profile.save(update_fields=["vetting"])


def staff_password_changed(
    request: HttpRequest | None, user: AbstractBaseUser, password: str
) -> None:
    """Called by the account adapter whenever a staff password is set.

    With the private key unlocked in this login (a password change), it is sealed again under
    the new password. Without it (a coordinator reset the password), the old key is lost with the
    old password: a new pair is made and the staff member's cases must be granted again.
    """
    profile: StaffProfile | None = getattr(user, "staff_profile", None)
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


def reset_staff_password(profile: StaffProfile, *, by: User) -> str:
    """A coordinator resets a staff member's password; returns the path of the one-time link
    where they choose a new one.

    The old password goes, and with it the only way to open their private key: the key pair is
    removed at once (so routing sends them nothing they could not open), their case wraps are
    deleted, and every session they had ends (Django ties sessions to the password hash). Their
    open cases wait in the coordinators' queue, still marked as theirs; a coordinator grants them
    again (intake.actions.grants.regrant_cases) once they have set the new password and so have a
    new key. Their second factor stays as it was.
    """
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


def update_staff_profile(profile: StaffProfile, *, by: User, changes: dict[str, Any]) -> None:
    """A coordinator changes what routing matches someone on (languages, capacity...)."""
    fields = ["languages", "regions", "specialisms", "gender", "capacity"]
    with transaction.atomic():
        for name in fields:
            setattr(profile, name, changes[name])
        profile.save(update_fields=fields)
        audit.record("staff.profile_changed", actor=by, subject=profile.user)
        # More room or new languages may fit accounts that are waiting.
        enqueue.on_commit(enqueue.retry_waiting)


def set_availability(profile: StaffProfile, available: bool) -> None:
    """A caseworker says whether they can take new cases (routing skips them while not); the
    cases they hold stay with them."""
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
            enqueue.on_commit(enqueue.retry_waiting)


# --- Vetting -------------------------------------------------------------------------------------


class VettingRefused(Exception):
    """The vetting rules forbid this (the message says which rule, for the coordinator)."""


def vet_staff(profile: StaffProfile, *, by: User | None, note: str, months: int = 12) -> None:
    """Mark a staff member vetted until `months` from today.

    Two-person rule: the coordinator who vets must not be the one who invited, nor the person
    themselves. `by=None` is an operator at the server (the first coordinator has nobody to vet
    them); it is audited like any other.
    """
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
        enqueue.on_commit(enqueue.retry_waiting)


def suspend_staff(profile: StaffProfile, *, by: User | None, reason: str) -> None:
    """Suspend at once: a suspended staff member opens no case and receives none, their wraps
    are deleted, and their open cases go back to the coordinators."""
    with transaction.atomic():
        profile.vetting = StaffProfile.Vetting.SUSPENDED
        profile.save(update_fields=["vetting"])
        audit.record("staff.suspended", actor=by, subject=profile.user, detail=reason[:200])
        return_cases_to_coordinators(profile, RoutingJob.CASEWORKER_SUSPENDED)


def expire_vetting() -> list[StaffProfile]:
    """Mark every vetting past its date as expired; returns the profiles that changed."""
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
    profile: StaffProfile, reason: str, *, keep_assignment: bool = False
) -> int:
    """This staff member lost access (suspended, vetting expired, password reset): delete every
    wrap they hold at once, and put their open cases in the coordinators' queue, waiting with
    `reason` (routing does not take them back by itself: intake.routing.outbox.waiting_jobs).
    Each revocation is audited. Returns how many cases now wait.

    `keep_assignment`: the cases stay marked as theirs, to be granted to them again
    (intake.actions.grants.regrant_cases after a password reset).
    """
    held = revoke_all(profile)
    if not held:
        return 0
    audit.record(
        "staff.access_revoked", actor=None, subject=profile.user, detail=f"{len(held)} cases"
    )
    changes: dict[str, Any] = {
        "state": RoutingJob.State.WAITING,
        "reason": reason,
        "reason_params": {},
        "available_at": current_hour(),
        "claimed_at": None,
        "claimed_by": "",
    }
    if not keep_assignment:
        changes["assigned_to"] = None
    return (
        RoutingJob.objects.filter(case_id__in=held, case__in=Case.objects.open())
        .exclude(case_id__in=held_by_a_caseworker(held))
        .update(**changes)
    )
