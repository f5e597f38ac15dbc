"""Create the organisation's Ed25519 key pair that signs documentation packages
(intake/packages/signing.py, docs/packages.md).

The private key is written to PACKAGE_SIGNING_KEY_FILE (or --private-key-file), readable by its
owner only: web needs it (a caseworker prepares packages there). The public key goes to
PACKAGE_SIGNING_PUBLIC_KEY_FILE (or --public-key-file): give it to every office you send
packages to, by a channel of its own, so they can check each package with
scripts/verify_package.py. A key is never overwritten: recipients already trust it.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from intake.management.commands.init_keys import write_key_pair
from intake.packages import signing


class Command(BaseCommand):
    help = "Create the key pair that signs documentation packages (private half for web)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--private-key-file", default=settings.PACKAGE_SIGNING_KEY_FILE)
        parser.add_argument("--public-key-file", default=settings.PACKAGE_SIGNING_PUBLIC_KEY_FILE)

    def handle(self, *args: Any, **options: Any) -> None:
        private_path, public_path = write_key_pair(
            options["private_key_file"],
            options["public_key_file"],
            signing.new_key_pair(),
            names="PACKAGE_SIGNING_KEY_FILE and PACKAGE_SIGNING_PUBLIC_KEY_FILE",
        )
        key = signing.parse_public_pem(public_path.read_bytes())
        self.stdout.write(
            f"package signing key {signing.fingerprint(key)}: private key in {private_path} "
            f"(web only), public key in {public_path} (give it to recipients)"
        )
