"""Vet a staff member from the server: for the first coordinator, whom nobody can vet yet.

Everyone after that is vetted by a coordinator in the team page (two-person rule). This command
is audited as an action by no user, so operators' vetting stays visible.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from intake import actions
from intake.models import StaffProfile


class Command(BaseCommand):
    help = "Mark a staff member vetted (operator bootstrap; coordinators use the team page)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--note", required=True, help="what was checked")
        parser.add_argument("--months", type=int, default=12)

    def handle(self, *args: Any, **options: Any) -> None:
        profile = StaffProfile.objects.filter(user__email__iexact=options["email"]).first()
        if profile is None:
            raise CommandError(f"no staff member {options['email']}")
        try:
            actions.vet_staff(profile, by=None, note=options["note"], months=options["months"])
        except actions.VettingRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(f"{profile.user.email} is vetted until {profile.vetted_until}")
