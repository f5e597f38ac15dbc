"""Give a coordinator the coordinators' private key (from the file init_keys wrote), wrapped to
their own public key. Run for the first coordinator; later ones receive it from a coordinator
who vets them. Afterwards, remove the key file from the server."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from intake import actions
from intake.management.commands.init_keys import read_private_key
from intake.models import StaffProfile


class Command(BaseCommand):
    help = "Share the coordinators' key with a coordinator (operator bootstrap)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--coordinators-key-file", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        profile = StaffProfile.objects.filter(
            user__email__iexact=options["email"], role=StaffProfile.Role.COORDINATOR
        ).first()
        if profile is None or not profile.has_key:
            raise CommandError(f"{options['email']} is not a coordinator with a key")
        private = read_private_key(Path(options["coordinators_key_file"]))
        try:
            actions.share_coordinators_key(profile, private, by=None)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{profile.user.email} now holds the coordinators' key")
