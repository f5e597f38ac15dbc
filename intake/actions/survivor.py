"""What a survivor does with her case after sending it: add information, write to her
caseworker, agree to a referral, change how to reach her."""

from functools import partial

from django.db import transaction

from intake import audit, crypto
from intake.actions.sealed_json import open_json, seal_json
from intake.actions.submission import save_attachments
from intake.actions.transactions import checked_transaction, use_submission_token
from intake.models import Addition, Case, Message, current_hour
from intake.uploads import EncryptedUpload


def touch(case: Case) -> None:
    """The case changed now (kept to the hour)."""
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
            use_submission_token(form_token)
        addition.sealed_text = crypto.seal(
            case_key, case_id=case.case_id, item=addition.item, plaintext=text.encode()
        )
        addition.save()
        save_attachments(case, case_key, uploads, addition)
        touch(case)
    return addition


def add_message(
    case: Case, case_key: bytes, text: str, direction: str, form_token: str = ""
) -> Message:
    """A message of the case, either way (send_survivor_message, send_message_to_survivor)."""
    message = Message(case=case, direction=direction)
    with checked_transaction(partial(Message.objects.filter(public_id=message.public_id).exists)):
        if form_token:
            use_submission_token(form_token)
        message.sealed_text = crypto.seal(
            case_key, case_id=case.case_id, item=message.item, plaintext=text.encode()
        )
        message.save()
        touch(case)
    return message


def send_survivor_message(
    case: Case, case_key: bytes, text: str, *, form_token: str = ""
) -> Message:
    """A message from the survivor to their caseworker. A `form_token` already used raises
    DuplicateSubmission: the same form sent twice sends one message."""
    return add_message(case, case_key, text, Message.Direction.FROM_SURVIVOR, form_token)


def set_referral_consent(case: Case, case_key: bytes, agreed: bool) -> None:
    """The survivor agrees (or no longer agrees) that their caseworker may refer them to another
    service. The choice is sealed inside the answers, beside the consent given at submission."""
    answers = open_json(case_key, case.case_id, "answers", bytes(case.answers))
    answers["consent"]["referral"] = agreed
    with transaction.atomic():
        case.answers = seal_json(case_key, case.case_id, "answers", answers)
        case.updated_hour = current_hour()
        case.save(update_fields=["answers", "updated_hour"])
        # Which way the survivor chose is theirs; the log only says that they chose.
        audit.record("case.consent_changed", actor=None, case=case)


def referral_consented(case: Case, case_key: bytes) -> bool:
    answers = open_json(case_key, case.case_id, "answers", bytes(case.answers))
    return bool(answers["consent"].get("referral"))


def change_contact(case: Case, case_key: bytes, contact: dict[str, str] | None) -> None:
    case.contact = seal_json(case_key, case.case_id, "contact", contact) if contact else None
    case.updated_hour = current_hour()
    case.save(update_fields=["contact", "updated_hour"])
