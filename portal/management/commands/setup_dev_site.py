"""Prepare a development site for `make run` and say what to open.

Demo accounts get fresh random passwords on every machine (nothing secret is committed); they are
written to var/demo-accounts.json, readable by the current user only, and printed.
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEMO_ACCOUNTS_FILE = Path(settings.BASE_DIR) / "var" / "demo-accounts.json"


class Command(BaseCommand):
    help = "Create demo staff accounts for development and print where to start (DEBUG only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("Demo accounts are for development: run with DEBUG=1 or --force.")
        self.ensure_service_keys()
        accounts = self.ensure_demo_accounts()
        base = "http://127.0.0.1:8000"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("The portal is ready."))
        self.stdout.write(f"  Survivor pages:  {base}/en/  (Arabic, right to left: {base}/ar/)")
        self.stdout.write(f"  Staff login:     {base}/accounts/login/")
        self.stdout.write(f"  Health check:    {base}/healthz")
        self.stdout.write(
            f"  Demo accounts (also in {DEMO_ACCOUNTS_FILE.relative_to(settings.BASE_DIR)}):"
        )
        for account in accounts:
            self.stdout.write(
                f"    {account['role']:<12} {account['email']:<28} password {account['password']}"
                f"  TOTP secret {account['totp_secret']}"
            )
        self.stdout.write("  Sign-in needs a TOTP code: add the secret to an authenticator app.")
        self.stdout.write("")

    def ensure_service_keys(self) -> None:
        """Routing and coordinators keys for this machine, made once (never committed)."""
        from intake.models import RecipientKey

        if RecipientKey.objects.filter(active=True).exists():
            return
        keys = Path(settings.BASE_DIR) / "var" / "keys"
        for name in ("routing.key", "coordinators.key"):
            (keys / name).unlink(missing_ok=True)
        call_command(
            "init_keys",
            routing_key_file=str(keys / "routing.key"),
            coordinators_key_file=str(keys / "coordinators.key"),
        )

    def ensure_demo_accounts(self) -> list[dict[str, str]]:
        """Demo staff (intake's seed_demo), made once per machine with fresh secrets."""
        if not DEMO_ACCOUNTS_FILE.exists():
            call_command("seed_demo", json=str(DEMO_ACCOUNTS_FILE), stdout=self.stdout)
        if not DEMO_ACCOUNTS_FILE.exists():
            return []
        accounts: list[dict[str, str]] = json.loads(DEMO_ACCOUNTS_FILE.read_text())
        return accounts
