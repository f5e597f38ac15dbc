from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from intake import audit


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain (fails on any edited, inserted or deleted entry) and "
        "print its head; with --checkpoints, also check each signed checkpoint against it, which "
        "catches the newest entries deleted or the table emptied."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints", help="a file of signed checkpoints (AUDIT_CHECKPOINT_FILE's copy)"
        )
        parser.add_argument(
            "--public-key",
            default=settings.AUDIT_CHECKPOINT_PUBLIC_KEY_FILE,
            help="the checkpoints' public key (default: AUDIT_CHECKPOINT_PUBLIC_KEY_FILE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = []
        broken = audit.verify()
        if broken is not None:
            problems.append(
                f"the audit log is broken at entry {broken.pk} ({broken.action}): an entry was "
                "edited, inserted or deleted at or before it"
            )
        if options["checkpoints"]:
            if not options["public_key"]:
                raise CommandError("pass --public-key or set AUDIT_CHECKPOINT_PUBLIC_KEY_FILE")
            try:
                public_key = audit.load_public_key(options["public_key"])
                lines = Path(options["checkpoints"]).read_text(encoding="utf-8").splitlines()
            except (OSError, ValueError) as error:
                raise CommandError(str(error)) from None
            checked, wrong = audit.check_checkpoints(lines, public_key)
            problems += wrong
            if not checked:
                problems.append(f"{options['checkpoints']} holds no checkpoint")
        if problems:
            raise CommandError("\n".join(problems))
        head = audit.head()
        self.stdout.write(f"audit log intact: {head.count} entries")
        if head.id is None:
            self.stdout.write("head: no entries yet")
        else:
            self.stdout.write(f"head: entry {head.id}, hash {head.hash}")
        if options["checkpoints"]:
            self.stdout.write(f"checkpoints: {checked} checked, each found in the log")
