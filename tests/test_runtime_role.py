"""The runtime database role: what web, worker and beat may do, and what they may not.

`manage.py setup_runtime_role` is run as the owner; then a real connection as the runtime role
tries what the portal does (write a case, append audit entries) and what an intruder in the web
or the worker would try (rewrite, delete or truncate the audit log, switch its trigger off,
create a table).
"""

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from intake import audit
from portal.models import WorkerHeartbeat

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def runtime_role(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A runtime role of this test's own (roles belong to the whole cluster), and its password."""
    role = f"portal_rt_{uuid.uuid4().hex[:8]}"
    password_file = tmp_path / "password"
    password_file.write_text(uuid.uuid4().hex)
    call_command(
        "setup_runtime_role", role=role, password_file=str(password_file), stdout=io.StringIO()
    )
    yield role, password_file.read_text()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


def connect_as(role: str, password: str) -> "psycopg2.extensions.connection":
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname=db["NAME"],
        user=role,
        password=password,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )
    conn.autocommit = True
    return conn


def refused(conn: "psycopg2.extensions.connection", sql: str) -> bool:
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    except psycopg2.errors.InsufficientPrivilege:
        return True
    return False


def test_the_runtime_role_appends_and_reads_the_audit_log(runtime_role) -> None:
    entry = audit.record("case.viewed", actor=None)
    conn = connect_as(*runtime_role)
    with conn.cursor() as cursor:
        cursor.execute("SELECT entry_hash FROM intake_auditentry WHERE id = %s", [entry.pk])
        assert cursor.fetchone() == (entry.entry_hash,)
        cursor.execute(
            "INSERT INTO intake_auditentry (action, case_ref, detail, hour, previous_hash, "
            "entry_hash) VALUES ('test', '', '', now(), %s, %s)",
            [entry.entry_hash, "f" * 64],
        )
    conn.close()


def test_the_runtime_role_cannot_change_delete_or_truncate_the_audit_log(runtime_role) -> None:
    audit.record("case.viewed", actor=None)
    conn = connect_as(*runtime_role)
    assert refused(conn, "UPDATE intake_auditentry SET action = 'nothing'")
    assert refused(conn, "DELETE FROM intake_auditentry")
    assert refused(conn, "TRUNCATE intake_auditentry")
    assert refused(conn, "ALTER TABLE intake_auditentry DISABLE TRIGGER ALL")
    assert refused(conn, "DROP TABLE intake_auditentry")
    assert refused(conn, "CREATE TABLE intruder (id int)")
    # The way round the TRUNCATE guard that the test suite's flush takes (tests/conftest.py).
    assert refused(conn, "SET session_replication_role = replica")
    assert refused(conn, "CREATE TRIGGER t BEFORE INSERT ON intake_auditentry "
                         "FOR EACH ROW EXECUTE FUNCTION intake_audit_append_only()")  # fmt: skip
    conn.close()


def test_the_runtime_role_writes_and_deletes_other_tables(runtime_role) -> None:
    conn = connect_as(*runtime_role)
    with conn.cursor() as cursor:
        cursor.execute(
            "INSERT INTO intake_submissiontoken (token_hash, created_hour) "
            "VALUES ('x', now()) RETURNING id"
        )
        (pk,) = cursor.fetchone()
        cursor.execute("UPDATE intake_submissiontoken SET token_hash = 'y' WHERE id = %s", [pk])
        cursor.execute("DELETE FROM intake_submissiontoken WHERE id = %s", [pk])
    conn.close()


def test_it_runs_again_without_harm_and_refuses_the_owner(runtime_role) -> None:
    role, _ = runtime_role
    call_command("setup_runtime_role", role=role, stdout=io.StringIO())
    conn = connect_as(*runtime_role)
    assert refused(conn, "DELETE FROM intake_auditentry")
    conn.close()
    with pytest.raises(CommandError, match="owner"):
        call_command(
            "setup_runtime_role", role=settings.DATABASES["default"]["USER"], stdout=io.StringIO()
        )


@pytest.mark.worker
def test_the_processes_tests_start_connect_as_the_runtime_role(celery_worker) -> None:
    """The session's worker (and every web server and worker tests start: child_environment)
    connects as a runtime role made by setup_runtime_role, so every test that goes through them
    shows that those privileges are enough for what the portal does."""
    from portal.tasks import record_heartbeat
    from tests.conftest import CHILD_APPLICATION_NAME, runtime_role, wait_for

    WorkerHeartbeat.objects.all().delete()
    record_heartbeat.delay()
    assert wait_for(WorkerHeartbeat.objects.exists), celery_worker.log()
    # The children's connections, told apart by the application name their DATABASE_URL sets
    # (the test process's own threads, such as a live server's, connect as the owner).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s",
            [CHILD_APPLICATION_NAME],
        )
        children = {name for (name,) in cursor.fetchall()}
    assert children == {runtime_role().name}
