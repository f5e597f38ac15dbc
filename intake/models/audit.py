"""The audit log's rows (intake/audit.py writes them)."""

from django.db import models

from intake.models.cases import current_hour


class AuditEntry(models.Model):
    """One append-only line of the audit log: who did what to which case or person, when (to
    the hour). No content, ever. Each entry's hash covers the previous entry's hash, so
    `manage.py verify_audit` detects an edited, inserted or deleted entry."""

    actor = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, related_name="audit_entries"
    )
    action = models.CharField(max_length=40)
    # The case's public id as text, so the line outlives a withdrawn (deleted) case.
    case_ref = models.CharField(max_length=36, blank=True)
    subject = models.ForeignKey("auth.User", on_delete=models.PROTECT, null=True, related_name="+")
    detail = models.CharField(max_length=200, blank=True)
    hour = models.DateTimeField(default=current_hour)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00} {self.action}"

    def content_for_hash(self) -> str:
        return "|".join(
            [
                str(self.actor_id or ""),
                self.action,
                self.case_ref,
                str(self.subject_id or ""),
                self.detail,
                self.hour.isoformat(),
                self.previous_hash,
            ]
        )
