"""A survivor's account, submitted: sealed with a new case key, wrapped to the survivor and the
service keys, and put in the routing outbox, all in one transaction."""

import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from intake import crypto, enqueue
from intake.actions.sealed_json import seal_json
from intake.actions.transactions import checked_transaction, use_submission_token
from intake.models import (
    SURVIVOR_RECIPIENT,
    Addition,
    Attachment,
    Case,
    KeyWrap,
    RecipientKey,
    RoutingJob,
)
from intake.uploads import EncryptedUpload


@dataclass(frozen=True)
class Submitted:
    case: Case
    receipt: str


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


def save_attachments(
    case: Case, case_key: bytes, uploads: list[EncryptedUpload], addition: Addition | None = None
) -> None:
    for upload in uploads:
        Attachment.objects.create(
            case=case,
            addition=addition,
            public_id=upload.public_id,
            sealed_metadata=seal_json(
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
    secrets = crypto.receipt_secrets(receipt, settings.RECEIPT_LOOKUP_KEY.encode())
    survivor = secrets.survivor
    urgent = bool(answers["in_danger"])
    saved = partial(Case.objects.filter(public_id=public_id).exists)
    with checked_transaction(saved) as commit:
        use_submission_token(submission_token)
        case = Case.objects.create(
            public_id=public_id,
            receipt_lookup=secrets.lookup,
            survivor_public_key=survivor.public,
            urgent=urgent,
            answers=seal_json(case_key, case_id, "answers", answers),
            routing_hints=seal_json(case_key, case_id, "routing-hints", routing_hints(answers)),
            contact=seal_json(case_key, case_id, "contact", contact) if contact else None,
        )
        # The case's first wraps: to the survivor (opened with the receipt), to the routing key
        # (the worker routes it) and to the coordinators' key. Grants to staff come later
        # (intake/actions/grants.py).
        wraps = [(SURVIVOR_RECIPIENT, "survivor", survivor.public)] + [
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
        save_attachments(case, case_key, uploads)
        RoutingJob.objects.create(case=case, urgent=urgent)
        # Only the case's primary key goes to the broker, and only once the case is committed.
        enqueue.on_commit(enqueue.route_case, case.pk, urgent)
    if commit.answer_lost:
        # Committed, but the on-commit hook did not run: send the routing task now.
        enqueue.route_case(case.pk, urgent)
    return Submitted(case=case, receipt=receipt)
