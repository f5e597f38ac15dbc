"""Prepare a development site for `make run` and say what to open.

On a fresh database (no demo staff yet) it creates the demo staff (intake's seed_demo), gives the
demo coordinators the coordinators' key with share_coordinators_key (as an operator does for the
first coordinator), and sends example survivor accounts through the real submission path
(seed_demo_survivors). Passwords, TOTP secrets and receipt codes are made fresh on every machine
(nothing secret is committed), written to var/demo-accounts.json and var/demo-survivors.json,
readable by the current user only, and printed, marked as demo data. For documentation packages
(issue 17) it makes the signing key and registers a demo recipient whose age identity it keeps
in var/keys/demo-recipient.agekey (mode 0600), so that a package made on the demo site can be
opened and checked. Later runs on the same database create nothing and print the same accounts.
DEBUG only.
"""

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from intake import actions
from intake.management.commands.seed_demo import DEMO_STAFF
from intake.management.commands.seed_demo_survivors import quiet
from intake.models import Case, JusticeRecipient, RecipientKey, StaffProfile
from intake.packages import encryption

DEMO_EMAILS = [email for email, *_ in DEMO_STAFF]
DEMO_RECIPIENT = "ICC Office of the Prosecutor (demo key, made on this machine)"


def shown(path: Path) -> Path:
    """A path as the newcomer types it: relative to the project when inside it."""
    return path.relative_to(settings.BASE_DIR) if path.is_relative_to(settings.BASE_DIR) else path


class Command(BaseCommand):
    help = "Create demo staff and survivor accounts for development and print them (DEBUG only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--var-dir",
            default=str(Path(settings.BASE_DIR) / "var"),
            help="where the keys and the demo accounts are written (make run: var)",
        )
        parser.add_argument(
            "--address", default="127.0.0.1:8000", help="where runserver listens, for the links"
        )

    def handle(self, *args: Any, var_dir: str, address: str, **options: Any) -> None:
        # No --force: demo staff with printed passwords, and example accounts routed to whoever
        # is vetted, must never reach a real deployment.
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for development: run with DEBUG=1 (make run).")
        var = Path(var_dir).resolve()
        staff_file, survivors_file = var / "demo-accounts.json", var / "demo-survivors.json"
        coordinators_key = self.ensure_service_keys(var / "keys")
        if not StaffProfile.objects.filter(user__email__in=DEMO_EMAILS).exists():
            # A fresh database: whatever var/ holds from another database is stale.
            examples = not Case.objects.exists()
            for stale in (staff_file, survivors_file):
                stale.unlink(missing_ok=True)
            with quiet():
                call_command("seed_demo", json=str(staff_file), stdout=self.stdout)
                self.share_coordinators_key(coordinators_key)
                if examples:
                    call_command(
                        "seed_demo_survivors", json=str(survivors_file), stdout=self.stdout
                    )
        else:
            # Demo coordinators made before they were given the key get it now.
            self.share_coordinators_key(coordinators_key)
        demo_identity = self.ensure_documentation_demo(var / "keys")
        self.print_site(f"http://{address}", staff_file, survivors_file)
        if demo_identity is not None:
            self.stdout.write(
                f"  Documentation packages: the demo recipient '{DEMO_RECIPIENT}' opens them "
                f"with\n    age -d -i {shown(demo_identity)} documentation-<id>.age > package.zip"
                "\n    (then: python scripts/verify_package.py package.zip "
                f"{shown(Path(settings.PACKAGE_SIGNING_PUBLIC_KEY_FILE))})"
            )

    def ensure_service_keys(self, keys: Path) -> Path:
        """Routing and coordinators keys for this database, made once (never committed).
        Returns the coordinators' key file."""
        if not RecipientKey.objects.filter(active=True).exists():
            for name in ("routing.key", "coordinators.key"):
                (keys / name).unlink(missing_ok=True)
            call_command(
                "init_keys",
                routing_key_file=str(keys / "routing.key"),
                coordinators_key_file=str(keys / "coordinators.key"),
            )
        return keys / "coordinators.key"

    def ensure_documentation_demo(self, keys: Path) -> Path | None:
        """Issue 17 on the demo site: the key that signs documentation packages (made once, like
        the service keys) and a registered demo recipient whose age identity is kept in
        `keys`, so that a newcomer can prepare a package and open it. Returns the identity
        file, or None without PACKAGE_SIGNING_KEY_FILE (a site not started by make run)."""
        if not settings.PACKAGE_SIGNING_KEY_FILE or not settings.PACKAGE_SIGNING_PUBLIC_KEY_FILE:
            return None
        if not Path(settings.PACKAGE_SIGNING_KEY_FILE).exists():
            Path(settings.PACKAGE_SIGNING_PUBLIC_KEY_FILE).unlink(missing_ok=True)
            call_command("init_package_key", stdout=self.stdout)
        identity_file = keys / "demo-recipient.agekey"
        recipient = JusticeRecipient.objects.filter(name=DEMO_RECIPIENT, active=True).first()
        if recipient is not None and identity_file.exists():
            return identity_file
        coordinator = StaffProfile.objects.filter(
            user__email__in=DEMO_EMAILS, role=StaffProfile.Role.COORDINATOR
        ).first()
        if coordinator is None:
            return None
        if recipient is not None:  # its identity is gone: retire it and make a new one
            actions.retire_recipient(coordinator, recipient)
        identity, public = encryption.new_identity()
        keys.mkdir(parents=True, exist_ok=True)
        identity_file.unlink(missing_ok=True)
        descriptor = os.open(identity_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(identity + "\n")
        actions.register_recipient(
            coordinator,
            kind=JusticeRecipient.Kind.ICC_OTP,
            name=DEMO_RECIPIENT,
            age_recipient=public,
        )
        return identity_file

    def share_coordinators_key(self, key_file: Path) -> None:
        """Each demo coordinator without the coordinators' key receives it, through the
        operator's command (intake/management/commands/share_coordinators_key.py)."""
        waiting = StaffProfile.objects.filter(
            user__email__in=DEMO_EMAILS,
            role=StaffProfile.Role.COORDINATOR,
            coordinators_key_share__isnull=True,
        ).select_related("user")
        for profile in waiting:
            if not key_file.exists():
                self.stderr.write(f"{key_file} is missing: {profile.user.email} has no key.")
                continue
            try:
                call_command(
                    "share_coordinators_key",
                    profile.user.email,
                    coordinators_key_file=str(key_file),
                    stdout=self.stdout,
                )
            except CommandError as error:
                self.stderr.write(f"{profile.user.email} did not receive the key: {error}")

    def print_site(self, base: str, staff_file: Path, survivors_file: Path) -> None:
        staff = json.loads(staff_file.read_text()) if staff_file.exists() else []
        survivors = json.loads(survivors_file.read_text()) if survivors_file.exists() else []
        write = self.stdout.write
        write("")
        write(self.style.SUCCESS("The portal is ready."))
        write(f"  Survivor pages:  {base}/en/  (Arabic, right to left: {base}/ar/)")
        write(f"  Staff login:     {base}/accounts/login/")
        write(f"  Health check:    {base}/healthz")
        write("")
        write(self.style.WARNING("  DEMO DATA, made on this machine only:"))
        write("  (README.md, 'Try it in five minutes', walks through it)")
        if staff:
            write(f"  Staff accounts (also in {shown(staff_file)}):")
            for account in staff:
                write(
                    f"    {account['role']:<12} {account['email']:<28} "
                    f"password {account['password']}  TOTP secret {account['totp_secret']}"
                )
            write("  The second step of signing in asks for a code. Without an authenticator app:")
            write("    make demo-code EMAIL=amina@demo.invalid      (the current code)")
            write("    make demo-code EMAIL=amina@demo.invalid QR=1 (and a QR code for the app)")
        else:
            write(f"  No demo staff passwords in {shown(staff_file)}: start from a fresh database.")
        if survivors:
            write(f"  Example survivor accounts (receipt codes; also in {shown(survivors_file)}):")
            for survivor in survivors:
                write(
                    f"    {survivor['language']}  receipt {survivor['receipt']}  "
                    f"{survivor['where']}: {survivor['shows']}"
                )
            write(f"  A receipt opens its account at {base}/en/intake/return/")
            write(f"    (or in the survivor's language, e.g. {base}{survivors[0]['return_page']})")
        write("")
