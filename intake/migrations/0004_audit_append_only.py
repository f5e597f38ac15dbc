"""On PostgreSQL, the database itself refuses to change or delete audit entries.

An attacker with full database rights can still drop the trigger; `manage.py verify_audit` then
finds the edit through the hash chain. TRUNCATE is refused from 0012_audit_no_truncate on;
removing the newest entries or all of them is caught by the signed checkpoints of the head
(`verify_audit --checkpoints`, docs/security.md).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION intake_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER intake_audit_no_change BEFORE UPDATE OR DELETE ON intake_auditentry
    FOR EACH ROW EXECUTE FUNCTION intake_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS intake_audit_no_change ON intake_auditentry;
DROP FUNCTION IF EXISTS intake_audit_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("intake", "0003_auditentry")]

    operations = [migrations.RunPython(create, drop)]
