"""Create or update the database role that web, worker and beat connect as (docs/security.md,
"The audit log survives its database owner").

Migrations run as the database's owner; the processes that serve survivors and staff do not. The
runtime role may read and write the application's tables, but on the audit log only SELECT and
INSERT: it cannot change, delete or truncate an entry, create or alter a table, or switch a
trigger off (only a table's owner can). Someone who takes over the web or the worker therefore
cannot rewrite the history of who opened which case.

Run it as the owner after every `migrate` (new tables need their grants), e.g.
`manage.py setup_runtime_role --role portal_app --password-file /run/secrets/db_password`.
It is idempotent.
"""

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from intake.models import AuditEntry

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def runtime_grants(role: str) -> list[str]:
    """The statements that give `role` exactly what the running portal needs, in order."""
    quoted = connection.ops.quote_name(role)
    audit = connection.ops.quote_name(AuditEntry._meta.db_table)
    database = connection.ops.quote_name(connection.settings_dict["NAME"])
    return [
        f"ALTER ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
        f"GRANT CONNECT ON DATABASE {database} TO {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        # PostgreSQL before 15 lets every role create tables in `public`.
        f"REVOKE CREATE ON SCHEMA public FROM {quoted}",
        # Start from nothing, so a privilege granted by hand earlier does not linger.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE ON {audit} FROM {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ]


class Command(BaseCommand):
    help = (
        "Create or update the runtime database role (web, worker, beat): no DDL, and only "
        "SELECT and INSERT on the audit log. Run as the database owner after every migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", required=True, help="name of the runtime login role")
        parser.add_argument(
            "--password-file", help="file holding the role's password (set or changed)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("runtime roles exist on PostgreSQL only")
        role = options["role"]
        if not ROLE_NAME.match(role):
            raise CommandError("a role name is lower-case letters, digits and _")
        if role == connection.settings_dict["USER"]:
            raise CommandError("the runtime role must not be the owner this command runs as")
        password = None
        if options["password_file"]:
            password = Path(options["password_file"]).read_text(encoding="utf-8").strip()
            if not password:
                raise CommandError("the password file is empty")
        quoted = connection.ops.quote_name(role)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE ROLE {quoted} LOGIN")
                self.stdout.write(f"created role {role}")
            if password is not None:
                cursor.execute(f"ALTER ROLE {quoted} PASSWORD %s", [password])
            for statement in runtime_grants(role):
                cursor.execute(statement)
        self.stdout.write(
            f"role {role}: reads and writes the portal's tables; on the audit log only SELECT "
            "and INSERT"
        )
