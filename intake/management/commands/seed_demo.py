"""Demo staff for development: vetted caseworkers and coordinators with keys and TOTP devices.

Passwords and TOTP secrets are made fresh on each machine and written to --json FILE (mode 0600),
never committed. Refuses to run with DEBUG off: vetted accounts nobody vetted, with passwords
printed to a terminal, must never exist in a real deployment.
"""

import json
import os
import secrets
from pathlib import Path
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from intake import actions
from intake.models import StaffProfile

# (e-mail, role, languages, specialisms, gender, regions)
DEMO_STAFF = [
    ("coordinator@demo.invalid", "coordinator", ["en", "fr"], [], "woman", []),
    ("coordinator2@demo.invalid", "coordinator", ["en", "ar"], [], "man", []),
    ("amina@demo.invalid", "caseworker", ["ar", "en"], ["sexual_violence", "psychosocial"],
     "woman", ["Sudan"]),
    ("dariush@demo.invalid", "caseworker", ["fa", "en"], ["asylum", "legal"], "man",
     ["Afghanistan"]),
    ("olena@demo.invalid", "caseworker", ["uk", "ru"], ["sexual_violence", "children"], "woman",
     ["Ukraine"]),
    ("lucia@demo.invalid", "caseworker", ["es", "fr"], ["lgbtqi", "medical"], "woman",
     ["Venezuela"]),
]  # fmt: skip


class Command(BaseCommand):
    help = "Create vetted demo staff with keys and TOTP secrets (development only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", help="write the accounts (with secrets) to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for development only: run with DEBUG=1.")
        accounts = []
        users = get_user_model().objects
        for email, role, languages, specialisms, gender, regions in DEMO_STAFF:
            if users.filter(email=email).exists():
                continue
            password = secrets.token_urlsafe(12)
            user, _ = actions.invite_staff(
                email=email,
                role=role,
                invited_by=None,
                languages=languages,
                regions=regions,
                specialisms=specialisms,
                gender=gender,
            )
            actions.accept_invitation(user, password)
            profile = StaffProfile.objects.get(user=user)
            actions.vet_staff(profile, by=None, note="demo account", months=12)
            profile.conduct_accepted_on = timezone.now().date()
            profile.save(update_fields=["conduct_accepted_on"])
            if role == "coordinator":
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            totp_secret = generate_totp_secret()
            TOTP.activate(user, totp_secret)
            accounts.append(
                {
                    "email": email,
                    "password": password,
                    "role": role,
                    "languages": languages,
                    "specialisms": specialisms,
                    "totp_secret": totp_secret,
                }
            )
        if options["json"] and accounts:
            path = Path(options["json"])
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                json.dump(accounts, handle, indent=2)
        self.stdout.write(f"created {len(accounts)} demo staff accounts")
