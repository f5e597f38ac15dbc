"""Create the routing and coordinators key pairs (docs/security.md, sections 1 and 2).

The public halves go to the database, where web processes use them to wrap new cases. The routing
private key is written to the file named by ROUTING_KEY_FILE (or --routing-key-file), readable by
its owner only: mount it into the worker alone. The coordinators' private key is written to
--coordinators-key-file, for the coordinators to import; do not leave it on the server.

Run once per deployment; --rotate makes a new pair the active one while older cases keep their
wraps to the old keys.
"""

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from intake import crypto
from intake.models import RecipientKey


def write_private_key(path: Path, private: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private)


def write_key_pair(
    private_file: str, public_file: str, pair: tuple[bytes, bytes], *, names: str
) -> tuple[Path, Path]:
    """Write a new signing key pair: the private half readable by its owner only, the public half
    beside it. Both paths are required (`names` says which settings give them), and an existing
    file is never overwritten: whoever checks signatures already trusts the key in it
    (init_audit_key, init_package_key)."""
    if not private_file or not public_file:
        raise CommandError(f"set {names}, or pass --private-key-file and --public-key-file")
    private_path, public_path = Path(private_file), Path(public_file)
    for path in (private_path, public_path):
        if path.exists():
            raise CommandError(f"{path} exists; move it away first (never overwrite a key)")
    private, public = pair
    write_private_key(private_path, private)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.write_bytes(public)
    return private_path, public_path


def read_private_key(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) != crypto.PRIVATE_KEY_BYTES:
        raise CommandError(f"{path} does not hold a private key")
    return data


class Command(BaseCommand):
    help = "Create the routing and coordinators key pairs (public halves in the database)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--routing-key-file", default=settings.ROUTING_KEY_FILE)
        parser.add_argument("--coordinators-key-file", required=True)
        parser.add_argument(
            "--rotate", action="store_true", help="replace the active keys with new ones"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        routing_path = Path(options["routing_key_file"] or "")
        coordinators_path = Path(options["coordinators_key_file"])
        if not options["routing_key_file"]:
            raise CommandError("set ROUTING_KEY_FILE or pass --routing-key-file")
        if RecipientKey.objects.filter(active=True).exists() and not options["rotate"]:
            raise CommandError("keys exist already; pass --rotate to replace them")
        for path in (routing_path, coordinators_path):
            if path.exists():
                raise CommandError(f"{path} exists; move it away first (never overwrite a key)")
        with transaction.atomic():
            RecipientKey.objects.filter(active=True).update(active=False)
            for purpose, path in (
                (RecipientKey.Purpose.ROUTING, routing_path),
                (RecipientKey.Purpose.COORDINATORS, coordinators_path),
            ):
                pair = crypto.generate_key_pair()
                key_id = f"{purpose}-{crypto.fingerprint(pair.public)}"
                RecipientKey.objects.create(purpose=purpose, key_id=key_id, public_key=pair.public)
                write_private_key(path, pair.private)
                self.stdout.write(f"{purpose}: {key_id} (private key in {path})")
