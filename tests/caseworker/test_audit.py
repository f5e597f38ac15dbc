"""The audit log is append-only and chained: verify_audit finds edits, insertions and deletions."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from intake import audit
from intake.models import AuditEntry

pytestmark = pytest.mark.django_db


def three_entries(actor) -> list[AuditEntry]:
    return [
        audit.record(action, actor=actor)
        for action in ("case.viewed", "case.decrypted", "case.closed")
    ]


def tamper(sql: str, *params: int) -> None:
    """Change the table directly, as someone with full database rights would (switching the
    PostgreSQL triggers off for their session first, as they could)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def test_an_intact_log_verifies(caseworker) -> None:
    invited = AuditEntry.objects.count()  # the persona's invitation is audited too
    three_entries(caseworker.user)
    output = io.StringIO()
    call_command("verify_audit", stdout=output)
    assert f"audit log intact: {invited + 3} entries" in output.getvalue()


def test_an_edited_entry_is_found(caseworker) -> None:
    entries = three_entries(caseworker.user)
    tamper("UPDATE intake_auditentry SET action = 'case.viewed' WHERE id = %s", entries[1].pk)
    with pytest.raises(CommandError, match=f"entry {entries[1].pk}"):
        call_command("verify_audit")


def test_a_deleted_entry_is_found(caseworker) -> None:
    entries = three_entries(caseworker.user)
    tamper("DELETE FROM intake_auditentry WHERE id = %s", entries[1].pk)
    with pytest.raises(CommandError, match=f"entry {entries[2].pk}"):
        call_command("verify_audit")


@pytest.mark.services
def test_postgresql_refuses_changes_to_the_log(caseworker) -> None:
    entry = audit.record("case.viewed", actor=caseworker.user)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="nothing")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_entries_are_rounded_to_the_hour_and_hold_no_content(caseworker) -> None:
    entry = audit.record("case.viewed", actor=caseworker.user, detail="reason code")
    assert (entry.hour.minute, entry.hour.second, entry.hour.microsecond) == (0, 0, 0)
