"""The intake's models, one module per subject; every model is importable from intake.models.

What the database holds about a survivor's account is ciphertext, wraps, and a few clear fields
(intake/models/cases.py says which, and why).
"""

# Accountability, only with consent: recipients, the package register, pattern counts.
from intake.models.accountability import (
    DocumentationPackage,
    JusticeRecipient,
    PackagedCase,
    PatternChange,
    PatternCount,
)

# The audit log.
from intake.models.audit import AuditEntry

# Cases and what is sealed in them.
from intake.models.cases import (
    STAFF_RECIPIENT_PREFIX,
    SURVIVOR_RECIPIENT,
    Addition,
    Attachment,
    Case,
    CaseQuerySet,
    KeyWrap,
    KeyWrapQuerySet,
    Message,
    Note,
    RecipientKey,
    Referral,
    SubmissionToken,
    current_hour,
    sealed_item_name,
)

# The routing outbox.
from intake.models.routing import RoutingJob, RoutingJobQuerySet, acknowledgement_time

# Staff members.
from intake.models.staff import StaffProfile, StaffProfileQuerySet

__all__ = [
    "STAFF_RECIPIENT_PREFIX",
    "SURVIVOR_RECIPIENT",
    "Addition",
    "Attachment",
    "AuditEntry",
    "Case",
    "CaseQuerySet",
    "DocumentationPackage",
    "JusticeRecipient",
    "KeyWrap",
    "KeyWrapQuerySet",
    "Message",
    "Note",
    "PackagedCase",
    "PatternChange",
    "PatternCount",
    "RecipientKey",
    "Referral",
    "RoutingJob",
    "RoutingJobQuerySet",
    "StaffProfile",
    "StaffProfileQuerySet",
    "SubmissionToken",
    "acknowledgement_time",
    "current_hour",
    "sealed_item_name",
]
