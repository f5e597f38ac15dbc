from typing import Any

from django.core.management.base import BaseCommand, CommandError

from intake import audit
from intake.models import AuditEntry


class Command(BaseCommand):
    help = "Check the audit log's hash chain; fails on any edited, inserted or deleted entry."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = audit.verify()
        if broken is not None:
            raise CommandError(
                f"the audit log is broken at entry {broken.pk} ({broken.action}): an entry was "
                "edited, inserted or deleted at or before it"
            )
        self.stdout.write(f"audit log intact: {AuditEntry.objects.count()} entries")
