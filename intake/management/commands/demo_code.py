"""Print the current sign-in code of a demo staff account, so that trying the portal with
`make run` needs no phone (`make demo-code EMAIL=...`).

Only with DEBUG on, and only for the accounts seed_demo makes: anywhere else a code comes from
its owner's authenticator app alone. --qr also draws the account's QR code in the terminal, for
adding it to an authenticator app instead.
"""

import io
import time
from typing import Any
from urllib.parse import quote, urlencode

import qrcode  # an allauth[mfa] dependency (its setup page draws the same code)
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from intake.management.commands.seed_demo import DEMO_STAFF

# A code printed with less time than this left would run out while it is typed: wait for the
# next one instead.
LEAST_SECONDS_LEFT = 5


def totp_url(email: str, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from a QR code (the form allauth's
    MFA adapter builds on its setup page)."""
    label = quote(f"{settings.SITE_NAME} demo:{email}")
    return f"otpauth://totp/{label}?" + urlencode(
        {"secret": secret, "issuer": f"{settings.SITE_NAME} demo"}, quote_via=quote
    )


class Command(BaseCommand):
    help = "Print the current TOTP sign-in code of a demo staff account (development only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--qr", action="store_true", help="also draw the QR code to scan")

    def handle(self, *args: Any, email: str, qr: bool, **options: Any) -> None:
        # No --force: outside development nobody but the account's owner may produce a code.
        if not settings.DEBUG:
            raise CommandError("Sign-in codes are printed only in development (DEBUG=1).")
        email = email.strip().lower()
        demo = [address for address, *_ in DEMO_STAFF]
        if email not in demo:
            raise CommandError(f"{email} is not a demo account; these are: {', '.join(demo)}")
        authenticator = Authenticator.objects.filter(
            user__email__iexact=email, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            raise CommandError(f"{email} has no authenticator app: run `make run` first.")
        try:
            secret = decrypt(authenticator.data["secret"])
        except ValueError as error:  # var/dev-secret-key changed since the account was made
            raise CommandError(f"{error}: start from a fresh database (make run).") from None
        period = app_settings.TOTP_PERIOD
        left = period - time.time() % period
        if left < LEAST_SECONDS_LEFT:
            time.sleep(left)
        now = time.time()
        code = format_hotp_value(hotp_value(secret, int(now // period)))
        left = round(period - now % period)
        self.stdout.write(f"Sign-in code for {email}: {code}")
        self.stdout.write(f"  Valid for {left} more seconds, and for one sign-in only.")
        if qr:
            drawing = qrcode.QRCode(border=2)
            drawing.add_data(totp_url(email, secret))
            text = io.StringIO()
            # Dark modules as blanks: right for the light-on-dark terminals most people use.
            drawing.print_ascii(out=text, invert=True)
            self.stdout.write(text.getvalue(), ending="")
            self.stdout.write("  Scan it with an authenticator app to get the codes there.")
