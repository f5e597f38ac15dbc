"""Reading a case: decrypted in memory for one page (read_case, read_notes, read_referrals), for
a download (open_attachment, export_case); and the queue summary a caseworker's queue shows
without opening the account."""

import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hpke
from django.db.models import BinaryField, Q, Value, When
from django.db.models import Case as SqlCase  # not intake's Case

from intake import audit, crypto
from intake.actions.sealed_items import SealedItem, sealed_items
from intake.actions.sealed_json import open_json
from intake.models import (
    Attachment,
    Case,
    KeyWrap,
    Message,
    Referral,
    StaffProfile,
    sealed_item_name,
)
from intake.uploads import attachment_path, read_sealed_chunks

logger = logging.getLogger(__name__)


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


def read_case(
    case: Case, case_key: bytes, items: dict[str, list[SealedItem]] | None = None
) -> CaseView:
    """The case decrypted for one page; `items` as sealed_items read them, if the caller has."""
    items = items if items is not None else sealed_items(case)

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
                "text": text(m.item("message"), m.sealed),
                "hour": m.hour,
            }
            for m in items["message"]
        ],
        additions=[
            {"text": text(a.item("addition"), a.sealed), "hour": a.hour} for a in items["addition"]
        ],
        attachments=[
            {
                **open_json(
                    case_key,
                    case.case_id,
                    sealed_item_name("attachment", a.public_id) + "/metadata",
                    a.sealed,
                ),
                "public_id": a.public_id,
            }
            for a in items["attachment"]
        ],
        referral_consent=bool(answers["consent"].get("referral")),
        referrals=read_referrals(case, case_key, items),
    )


def read_referrals(
    case: Case, case_key: bytes, items: dict[str, list[SealedItem]] | None = None
) -> list[dict[str, Any]]:
    items = items if items is not None else sealed_items(case)
    service_types, outcomes = dict(Referral.SERVICE_TYPES), dict(Referral.OUTCOMES)
    referrals = []
    for referral in items["referral"]:
        record = open_json(
            case_key,
            case.case_id,
            sealed_item_name("referral", referral.public_id),
            referral.sealed,
        )
        referrals.append(
            {
                **record,
                "public_id": referral.public_id,
                "service_label": service_types.get(record["service_type"], ""),
                "outcome_label": outcomes.get(record["outcome"], ""),
                "hour": referral.hour,
            }
        )
    return referrals


def read_notes(
    case: Case, case_key: bytes, items: dict[str, list[SealedItem]] | None = None
) -> list[dict[str, Any]]:
    """A case's private notes, for staff (pass `items` read with notes=True)."""
    items = items if items is not None else sealed_items(case, notes=True)
    return [
        {
            "author": note.author,
            "hour": note.hour,
            "text": crypto.open_sealed(
                case_key,
                case_id=case.case_id,
                item=sealed_item_name("note", note.public_id),
                sealed=note.sealed,
            ).decode(),
        }
        for note in items["note"]
    ]


def open_attachment(
    case: Case, case_key: bytes, public_id: str
) -> tuple[dict[str, Any], Iterator[bytes]]:
    """The metadata and a generator of decrypted chunks of one attachment (streamed, so a 20 MB
    file is never whole in memory)."""
    attachment = Attachment.objects.get(case=case, public_id=public_id)
    metadata = open_json(
        case_key, case.case_id, f"{attachment.item}/metadata", bytes(attachment.sealed_metadata)
    )
    chunks = read_sealed_chunks(attachment_path(attachment.public_id))
    return metadata, crypto.open_chunks(
        case_key, case_id=case.case_id, item=attachment.item, sealed_chunks=chunks
    )


# --- The queue summary: what a caseworker's queue shows without opening the account -------------

QUEUE_SUMMARY = "queue-summary"  # the purpose named in its HPKE info (crypto.seal_to_recipient)


def queue_summary(case: Case, case_key: bytes) -> dict[str, Any]:
    """The reply language and the kinds of harm, from the case's routing hints (never from the
    account): enough to tell one case from another in a queue. Hints sealed before the kinds of
    harm were added to them give None for those. Sealed to a caseworker beside their wrap
    (intake.actions.grants.seal_queue_summary)."""
    try:
        hints = open_json(case_key, case.case_id, "routing-hints", bytes(case.routing_hints))
    except crypto.DecryptionError:
        # A case whose hints do not open is still given to its caseworker: only its queue row
        # goes without language and harms.
        logger.warning("a case's routing hints did not open for its queue summary")
        hints = {}
    return {"language": hints.get("language") or "", "harms": hints.get("harms")}


def open_queue_summary(
    sealed: bytes | memoryview | None,
    private_key: hpke.MLKEM768X25519PrivateKey,
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


@dataclass(frozen=True)
class SealedSummary:
    """A recipient's wrap of a case as the queue reads it: its id, key version and the queue
    summary sealed in it (None for a wrap made before summaries existed)."""

    case_pk: int
    case_id: str  # Case.case_id, bound into the summary's associated data
    wrap_id: int
    key_id: str
    sealed: bytes | memoryview | None


def open_queue_summaries(
    wraps: Sequence[SealedSummary], private: bytes, *, recipient: str
) -> dict[int, dict[str, Any]]:
    """The queue summaries sealed in these wraps of this recipient's, by case id (the row's
    primary key), opened with their private key (the stored bytes, as unlocked in this login); a
    wrap without one, or whose summary does not open, is left out.

    A summary as routing or a grant sealed it (HPKE, crypto.seal_to_recipient) costs a
    decapsulation to open; each one opened so is resealed under the recipient's resealing key
    (crypto.reseal_for_recipient, AES-GCM) and stored in its place, in one UPDATE for the page,
    so later views of the queue open it without HPKE and without parsing the private key. Only
    the same private key opens either form (docs/security.md, section 6). Neither the case key
    nor the account is touched: this is not an opening of the case, and is not audited as one.
    """
    try:
        resealing = crypto.resealing_key(private)
    except crypto.DecryptionError:
        return {}
    parsed: hpke.MLKEM768X25519PrivateKey | None = None
    summaries: dict[int, dict[str, Any]] = {}
    resealed: list[tuple[int, bytes, bytes]] = []  # wrap id, the HPKE form, the resealed form
    for wrap in wraps:
        if wrap.sealed is None:
            continue
        sealed = bytes(wrap.sealed)
        bound = {
            "purpose": QUEUE_SUMMARY,
            "case_id": wrap.case_id,
            "recipient": recipient,
            "key_id": wrap.key_id,
        }
        try:
            if crypto.is_resealed(sealed):
                plaintext = crypto.open_resealed(sealed, resealing, **bound)
            else:
                if parsed is None:  # once a page, and only if a summary needs it
                    parsed = crypto.load_private_key(private)
                plaintext = crypto.open_sealed_to_recipient(sealed, parsed, **bound)
                resealed.append(
                    (
                        wrap.wrap_id,
                        sealed,
                        crypto.reseal_for_recipient(plaintext, resealing, **bound),
                    )
                )
        except crypto.DecryptionError:
            continue
        summary = json.loads(plaintext)
        if isinstance(summary, dict):
            summaries[wrap.case_pk] = summary
    if resealed:
        _store_resealed(resealed)
    return summaries


def _store_resealed(resealed: list[tuple[int, bytes, bytes]]) -> None:
    """Put each resealed summary in place of the one it was opened from, in one statement. A
    wrap whose summary changed meanwhile (granted again, with a new summary) or that is gone
    (handed over) is left as it is: the next view opens what is there."""
    unchanged = Q()
    for wrap_id, old, _new in resealed:
        unchanged |= Q(pk=wrap_id, queue_summary=old)
    KeyWrap.objects.filter(unchanged).update(
        queue_summary=SqlCase(
            *[
                When(pk=wrap_id, then=Value(new, output_field=BinaryField()))
                for wrap_id, _old, new in resealed
            ],
            output_field=BinaryField(),
        )
    )


# --- Export --------------------------------------------------------------------------------------


def export_case(case: Case, case_key: bytes, profile: StaffProfile) -> bytes:
    """Everything the caseworker may read about a case as one JSON document, audited.

    Files are listed with their SHA-256 rather than included: each is downloaded on its own (and
    streamed), and the hash lets whoever receives the export check that a file is the one sent.
    """
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
