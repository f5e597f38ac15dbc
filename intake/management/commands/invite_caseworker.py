"""Invite a caseworker or coordinator: `manage.py invite_caseworker EMAIL --languages ar fa ...`.

Prints the invitation link (and e-mails it when EMAIL_HOST is set). The invitee sets a password,
must set up a second factor, and waits for a coordinator other than the inviter to vet them.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError

from intake import actions
from intake.models import StaffProfile


class Command(BaseCommand):
    help = "Invite a caseworker (or, with --coordinator, a coordinator)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--coordinator", action="store_true")
        parser.add_argument("--languages", nargs="*", default=[], metavar="CODE")
        parser.add_argument("--regions", nargs="*", default=[])
        parser.add_argument(
            "--specialisms",
            nargs="*",
            default=[],
            choices=[code for code, _ in StaffProfile.SPECIALISMS],
        )
        parser.add_argument(
            "--gender", default="", choices=["", *[code for code, _ in StaffProfile.GENDERS]]
        )
        parser.add_argument("--capacity", type=int, default=10)
        parser.add_argument("--invited-by", help="e-mail of the inviting coordinator")
        parser.add_argument(
            "--base-url", default="", help="e.g. https://portal.example.org, for the full link"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model().objects
        if users.filter(email__iexact=options["email"]).exists():
            raise CommandError(f"{options['email']} has an account already")
        inviter = None
        if options["invited_by"]:
            inviter = users.filter(email__iexact=options["invited_by"]).first()
            if inviter is None:
                raise CommandError(f"no account for {options['invited_by']}")
        known = {code for code, _ in settings.LANGUAGES}
        unknown = [code for code in options["languages"] if code not in known]
        if unknown:
            self.stderr.write(f"note: {unknown} are not interface languages; kept for matching")
        user, path = actions.invite_staff(
            email=options["email"],
            role=StaffProfile.Role.COORDINATOR
            if options["coordinator"]
            else StaffProfile.Role.CASEWORKER,
            invited_by=inviter,
            languages=options["languages"],
            regions=options["regions"],
            specialisms=options["specialisms"],
            gender=options["gender"],
            capacity=options["capacity"],
        )
        link = options["base_url"].rstrip("/") + path
        send_mail(
            "Your invitation",
            f"You have been invited to the portal. Set your password here:\n\n{link}\n",
            None,
            [user.email],
        )
        self.stdout.write(f"Invited {user.email}. Invitation link: {link}")
