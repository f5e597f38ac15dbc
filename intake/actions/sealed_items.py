"""A case's sealed rows (messages, additions, files, referrals, notes) read in one query, for the
pages that decrypt a whole case (intake.actions.read_models.read_case, read_notes)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from intake.models import Case, plain_sql, sealed_item_name
from intake.models.plain_sql import as_utc, as_uuid

# A case page showed its messages, additions, files, referrals and notes with a query each; they
# come in one (docs/performance.md, issue 16). Rows are (kind, id, public id, hour, sealed bytes,
# direction, author's e-mail); the hour of a referral is when it last changed. Notes are read
# only for staff (notes=True): a survivor's page never fetches them.
_ITEMS_SQL = """
SELECT 'message', id, public_id, created_hour, sealed_text, direction, NULL
FROM intake_message WHERE case_id = %(case)s
UNION ALL
SELECT 'addition', id, public_id, created_hour, sealed_text, '', NULL
FROM intake_addition WHERE case_id = %(case)s
UNION ALL
SELECT 'attachment', id, public_id, created_hour, sealed_metadata, '', NULL
FROM intake_attachment WHERE case_id = %(case)s
UNION ALL
SELECT 'referral', id, public_id, updated_hour, sealed_record, '', NULL
FROM intake_referral WHERE case_id = %(case)s
"""
_NOTES_SQL = """
UNION ALL
SELECT 'note', note.id, note.public_id, note.created_hour, note.sealed_text, '', author.email
FROM intake_note AS note LEFT JOIN auth_user AS author ON author.id = note.author_id
WHERE note.case_id = %(case)s
"""


@dataclass(frozen=True)
class SealedItem:
    """One sealed row of a case, as _ITEMS_SQL reads it."""

    id: int
    public_id: uuid.UUID
    hour: datetime
    sealed: bytes
    direction: str
    author: str

    def item(self, kind: str) -> str:
        """The name it is sealed under (each model's `item`)."""
        return sealed_item_name(kind, self.public_id)


def sealed_items(case: Case, *, notes: bool = False) -> dict[str, list[SealedItem]]:
    """A case's messages, additions, attachments, referrals (and notes, for staff) by kind,
    each in the order written, in one query."""
    items: dict[str, list[SealedItem]] = {
        "message": [],
        "addition": [],
        "attachment": [],
        "referral": [],
        "note": [],
    }
    with connection.cursor() as cursor:
        plain_sql.execute(
            cursor,
            "case_items",
            _ITEMS_SQL + (_NOTES_SQL if notes else "") + " ORDER BY 1, 2",
            {"case": case.pk},
        )
        for kind, pk, public_id, hour, sealed, direction, author in cursor.fetchall():
            items[kind].append(
                SealedItem(
                    pk, as_uuid(public_id), as_utc(hour), bytes(sealed), direction, author or ""
                )
            )
    return items
