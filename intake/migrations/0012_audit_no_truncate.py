"""On PostgreSQL, TRUNCATE of the audit log is refused too (0004 refuses UPDATE and DELETE).

Why a trigger, and not only privileges: the web and the worker connect as a runtime role that
has no TRUNCATE privilege on this table at all (`manage.py setup_runtime_role`). The trigger is
for everyone else who reaches the table: the owner who runs migrations, a `manage.py flush` typed
on the wrong server, and `TRUNCATE auth_user CASCADE`, which would empty the audit log along
with the users it names. A statement-level BEFORE TRUNCATE trigger fires for all of these,
cascades included.

The test suite empties every table with one TRUNCATE between transactional tests (Django's
flush). It passes the guard by setting `session_replication_role = replica` around the flush
(tests/conftest.py, django_db_setup), under which ordinary triggers do not fire. Only a superuser
(or a role granted that parameter) may set it, so the runtime role cannot use the same way
round; an owner who is also a superuser, or who disables the trigger (a table's owner may), can.
What such an owner removes is no longer caught here but by the signed checkpoints of the log's
head that the worker writes off the database (intake/audit.py, `verify_audit --checkpoints`).
A session-level exemption was chosen over a custom setting or a table of exceptions because
anything the application role could set, an intruder in the web process could set too.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION intake_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: it cannot be truncated';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER intake_audit_no_truncate BEFORE TRUNCATE ON intake_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION intake_audit_no_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS intake_audit_no_truncate ON intake_auditentry;
DROP FUNCTION IF EXISTS intake_audit_no_truncate();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("intake", "0011_receipt_one_derivation")]

    operations = [migrations.RunPython(create, drop)]
