"""The audit log survives its database owner (docs/security.md, section 6).

The owner of the database can switch the append-only triggers off. The hash chain then still
catches an edited or deleted entry in the middle, but not the newest entries deleted, or all of
them: what is left is a valid, shorter chain. Signed checkpoints of the head, written by the
worker with a key that is not in the database, catch that. Here the owner (this test session's
PostgreSQL role, which ran the migrations) does each of those things, and verify_audit reports it.
"""

import io
import json
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from intake import audit
from intake.models import AuditEntry
from tests.conftest import start_celery_worker, wait_for
from tests.routing.conftest import own_queue  # noqa: F401  (shared fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@dataclass
class CheckpointKeys:
    private: Path
    public: Path
    checkpoints: Path

    def lines(self) -> list[str]:
        return self.checkpoints.read_text().splitlines()


def make_keys(folder: Path) -> CheckpointKeys:
    keys = CheckpointKeys(folder / "audit.key", folder / "audit.pub", folder / "checkpoints")
    call_command(
        "init_audit_key",
        private_key_file=str(keys.private),
        public_key_file=str(keys.public),
        stdout=io.StringIO(),
    )
    return keys


@pytest.fixture
def keys(tmp_path: Path, settings) -> CheckpointKeys:
    """A checkpoint key pair, and settings as the worker has them."""
    keys = make_keys(tmp_path / "keys")
    settings.AUDIT_CHECKPOINT_KEY_FILE = str(keys.private)
    settings.AUDIT_CHECKPOINT_PUBLIC_KEY_FILE = str(keys.public)
    settings.AUDIT_CHECKPOINT_FILE = str(keys.checkpoints)
    return keys


def entries(count: int) -> list[AuditEntry]:
    return [audit.record("case.viewed", actor=None) for _ in range(count)]


def as_owner_with_triggers_off(sql: str, *params: int) -> None:
    """What the database owner can do: switch the table's triggers off (no superuser needed),
    change it, and switch them on again."""
    with connection.cursor() as cursor:
        # ALTER TABLE waits for no deferred check of the test's own transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE intake_auditentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE intake_auditentry ENABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def verify_audit(**options: object) -> str:
    output = io.StringIO()
    call_command("verify_audit", stdout=output, **options)
    return output.getvalue()


def test_the_key_pair_goes_to_files_only_and_the_private_key_is_the_owners_alone(
    tmp_path: Path, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0):  # nothing of it in the database
        keys = make_keys(tmp_path)
    assert stat.S_IMODE(keys.private.stat().st_mode) == 0o600
    assert audit.key_id(audit.load_private_key(keys.private).public_key()) == audit.key_id(
        audit.load_public_key(keys.public)
    )
    with pytest.raises(CommandError, match="exists"):
        make_keys(tmp_path)


def test_verify_audit_prints_the_head(keys: CheckpointKeys) -> None:
    written = entries(3)
    output = verify_audit()
    count = AuditEntry.objects.count()
    assert f"audit log intact: {count} entries" in output
    assert f"head: entry {written[-1].pk}, hash {written[-1].entry_hash}" in output


def test_a_checkpoint_holds_the_head_and_the_hour_only(keys: CheckpointKeys) -> None:
    written = entries(2)
    line = audit.write_checkpoint()
    assert line is not None
    assert keys.lines() == [line]
    checkpoint = json.loads(line)
    assert set(checkpoint) == {"v", "count", "id", "hash", "hour", "key", "sig"}
    assert (checkpoint["id"], checkpoint["hash"]) == (written[-1].pk, written[-1].entry_hash)
    assert checkpoint["count"] == AuditEntry.objects.count()
    assert checkpoint["hour"].endswith(":00:00+00:00")


def test_an_intact_log_matches_every_checkpoint(keys: CheckpointKeys) -> None:
    entries(2)
    audit.write_checkpoint()
    entries(3)
    audit.write_checkpoint()
    output = verify_audit(checkpoints=str(keys.checkpoints))
    assert "checkpoints: 2 checked, each found in the log" in output


def test_the_newest_entries_deleted_by_the_owner_are_reported(keys: CheckpointKeys) -> None:
    entries(2)
    audit.write_checkpoint()
    newest = entries(3)
    audit.write_checkpoint()
    as_owner_with_triggers_off("DELETE FROM intake_auditentry WHERE id >= %s", newest[1].pk)
    # The shorter chain is still a valid chain: only the checkpoint tells.
    assert "audit log intact" in verify_audit()
    with pytest.raises(CommandError, match=f"up to entry {newest[-1].pk}, which is gone") as error:
        verify_audit(checkpoints=str(keys.checkpoints))
    assert "checkpoint line 2" in str(error.value)
    assert "checkpoint line 1" not in str(error.value)  # the older head is still there


def test_a_table_emptied_by_the_owner_is_reported(keys: CheckpointKeys) -> None:
    newest = entries(2)
    audit.write_checkpoint()
    as_owner_with_triggers_off("TRUNCATE intake_auditentry")
    assert "audit log intact: 0 entries" in verify_audit()
    with pytest.raises(CommandError, match=f"up to entry {newest[-1].pk}, which is gone"):
        verify_audit(checkpoints=str(keys.checkpoints))


def test_a_rewritten_newest_entry_is_reported(keys: CheckpointKeys) -> None:
    """The owner deletes the newest entry and writes another in its place, with the same id and
    a valid chain (the chain has no secret): the checkpointed hash no longer matches."""
    newest = entries(2)[-1]
    audit.write_checkpoint()
    as_owner_with_triggers_off("DELETE FROM intake_auditentry WHERE id = %s", newest.pk)
    forged = audit.entry("staff.vetted", actor=None)
    forged.pk = newest.pk
    audit.append([forged])
    assert "audit log intact" in verify_audit()
    with pytest.raises(CommandError, match=f"entry {newest.pk} had another hash"):
        verify_audit(checkpoints=str(keys.checkpoints))


def test_an_older_entry_deleted_is_reported_by_position_and_chain(keys: CheckpointKeys) -> None:
    written = entries(3)
    audit.write_checkpoint()
    as_owner_with_triggers_off("DELETE FROM intake_auditentry WHERE id = %s", written[0].pk)
    with pytest.raises(CommandError) as error:
        verify_audit(checkpoints=str(keys.checkpoints))
    assert f"broken at entry {written[1].pk}" in str(error.value)
    assert "entries before it were deleted or inserted" in str(error.value)


def test_a_forged_or_edited_checkpoint_line_fails_its_signature(
    keys: CheckpointKeys, tmp_path: Path
) -> None:
    entries(2)
    line = audit.write_checkpoint()
    assert line is not None
    # Edited: the count of the log made to look smaller, signature kept.
    edited = json.loads(line)
    edited["count"] -= 1
    # Forged: a well-formed checkpoint signed with a key of the forger's own.
    forger = audit.load_private_key(make_keys(tmp_path / "forger").private)
    forged = audit.sign_checkpoint(forger)
    keys.checkpoints.write_text(f"{line}\n{json.dumps(edited)}\n{forged}\nnot json\n")
    with pytest.raises(CommandError) as error:
        verify_audit(checkpoints=str(keys.checkpoints))
    report = str(error.value)
    assert "checkpoint line 1" not in report
    assert "checkpoint line 2: its signature does not match" in report
    assert "checkpoint line 3: its signature does not match" in report
    assert "checkpoint line 4: not a checkpoint line" in report


def test_without_a_key_no_checkpoint_is_written(settings) -> None:
    settings.AUDIT_CHECKPOINT_KEY_FILE = ""
    assert audit.write_checkpoint() is None


def test_the_owner_cannot_truncate_the_log_with_its_guard_on() -> None:
    entries(1)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in as_owner_with_triggers_off
    for sql in ("TRUNCATE intake_auditentry", "TRUNCATE auth_user CASCADE"):
        with (
            pytest.raises(DatabaseError, match="cannot be truncated"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEntry.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_the_checkpoint_beat_schedules(
    own_queue: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A real worker, connected as the runtime role, runs the task as beat sends it: it signs
    the head with a key only it was given, appends it to the file and logs it."""
    from portal.celery import app

    keys = make_keys(tmp_path / "keys")
    schedule = django_settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert schedule["schedule"] == 3600.0
    written = entries(2)
    worker = start_celery_worker(
        own_queue,
        tmp_path,
        environment={
            "AUDIT_CHECKPOINT_KEY_FILE": str(keys.private),
            "AUDIT_CHECKPOINT_FILE": str(keys.checkpoints),
        },
    )
    try:
        app.send_task(str(schedule["task"]))
        assert wait_for(lambda: keys.checkpoints.exists() and keys.lines(), 20), worker.log()
    finally:
        worker.stop()
    (line,) = keys.lines()
    assert json.loads(line)["id"] == written[-1].pk
    assert f"intake.audit.checkpoints: audit checkpoint {line}" in worker.log()
    output = verify_audit(checkpoints=str(keys.checkpoints), public_key=str(keys.public))
    assert "checkpoints: 1 checked, each found in the log" in output
