"""Create the Ed25519 key pair that signs the audit log's hourly checkpoints (intake/audit.py).

The private key is written to AUDIT_CHECKPOINT_KEY_FILE (or --private-key-file), readable by its
owner only: mount it into the worker alone, as the routing key. It is never stored in the
database: whoever owns the database must not be able to sign a checkpoint of a shortened log.
The public key goes to AUDIT_CHECKPOINT_PUBLIC_KEY_FILE (or --public-key-file), for
`manage.py verify_audit --checkpoints`; keep a copy off the server with the checkpoints.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from intake import audit
from intake.management.commands.init_keys import write_key_pair


class Command(BaseCommand):
    help = "Create the key pair that signs audit checkpoints (private half for the worker only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--private-key-file", default=settings.AUDIT_CHECKPOINT_KEY_FILE)
        parser.add_argument("--public-key-file", default=settings.AUDIT_CHECKPOINT_PUBLIC_KEY_FILE)

    def handle(self, *args: Any, **options: Any) -> None:
        private_path, public_path = write_key_pair(
            options["private_key_file"],
            options["public_key_file"],
            audit.new_checkpoint_key_pair(),
            names="AUDIT_CHECKPOINT_KEY_FILE and AUDIT_CHECKPOINT_PUBLIC_KEY_FILE",
        )
        key_id = audit.key_id(audit.load_public_key(public_path))
        self.stdout.write(
            f"audit checkpoint key {key_id}: private key in {private_path} (worker only), "
            f"public key in {public_path}"
        )
