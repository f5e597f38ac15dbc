"""What the caseworker holding a case does with it: acknowledge it, change its status, reply,
keep private notes."""

from django.db import transaction

from intake import audit, crypto
from intake.actions.grants import delete_routing_wrap
from intake.actions.survivor import add_message
from intake.models import Case, Message, Note, StaffProfile, current_hour
from intake.status_reasons import STATUS_OF_REASON

# The status each reason belongs to (intake/status_reasons.py holds the one list).
STATUS_REASONS: dict[str, str] = STATUS_OF_REASON


def acknowledge_case(case: Case, profile: StaffProfile) -> None:
    """The caseworker has taken the case: the survivor sees it is with someone, and the routing
    wrap is deleted."""
    with transaction.atomic():
        if case.status == Case.Status.RECEIVED:
            case.status = Case.Status.ACKNOWLEDGED
            case.updated_hour = current_hour()
            case.save(update_fields=["status", "updated_hour"])
        delete_routing_wrap(case)
        audit.record("case.acknowledged", actor=profile.user, case=case)


def change_status(case: Case, profile: StaffProfile, status: str, reason: str) -> None:
    """A new status, with the reason it belongs to (ValueError for a pair not in the list)."""
    if STATUS_OF_REASON.get(reason) != status:
        raise ValueError(f"the reason {reason!r} does not go with the status {status!r}")
    with transaction.atomic():
        case.status = status
        case.updated_hour = current_hour()
        case.save(update_fields=["status", "updated_hour"])
        if status != Case.Status.RECEIVED:
            delete_routing_wrap(case)
        audit.record("case.status", actor=profile.user, case=case, detail=f"{status}: {reason}")


def send_message_to_survivor(case: Case, case_key: bytes, text: str) -> Message:
    """A caseworker's message, readable by the survivor with their receipt."""
    return add_message(case, case_key, text, Message.Direction.TO_SURVIVOR)


def reply_to_survivor(case: Case, case_key: bytes, profile: StaffProfile, text: str) -> Message:
    with transaction.atomic():
        message = send_message_to_survivor(case, case_key, text)
        audit.record("case.message_sent", actor=profile.user, case=case)
    return message


def add_note(case: Case, case_key: bytes, profile: StaffProfile, text: str) -> None:
    """A private note for whoever holds the case, sealed like everything else in it."""
    with transaction.atomic():
        note = Note(case=case, author=profile.user)
        note.sealed_text = crypto.seal(
            case_key, case_id=case.case_id, item=note.item, plaintext=text.encode()
        )
        note.save()
        audit.record("case.note_added", actor=profile.user, case=case)


def record_audit_viewed(profile: StaffProfile) -> None:
    audit.record("audit.viewed", actor=profile.user)
