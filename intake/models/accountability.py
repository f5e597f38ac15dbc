"""Accountability, only with consent (issue 17): where documentation may go, what was sent, and
counts of what is happening.

- `JusticeRecipient`: an office a coordinator has registered (the ICC Office of the Prosecutor, a
  UN investigation, a national war-crimes unit) with the public key packages are encrypted to.
- `DocumentationPackage` and `PackagedCase`: the register of packages a caseworker prepared, and
  which accounts each holds. Nothing is sent by the portal: a person sends the file and records
  that it was sent. A survivor sees her own lines of it (to whom, when, to the day).
- `PatternCount`: counts of accounts by month, country, region, age group and kind of harm, for
  survivors who agreed. No row names a case; what a case added is sealed in the case
  (`Case.pattern_record`), so that her withdrawal can take it away again
  (intake/actions/patterns.py).
- `PatternChange`: a change to the counts not yet applied, sealed to the routing key. Routing and
  withdrawal add one per account; a beat task applies them only in mixes of at least
  PATTERN_FLUSH_MIN, in a transaction of its own (intake/actions/pattern_changes.py).

The survivor's choices themselves are sealed in the case (`Case.justice_consent`): the database
says only that a choice exists, not which.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from intake.models.cases import Case


class JusticeRecipient(models.Model):
    """Where documentation may be sent, registered by a coordinator with its age public key."""

    class Kind(models.TextChoices):
        ICC_OTP = "icc_otp", _("The ICC Office of the Prosecutor")
        UN = "un", _("A UN investigation or commission of inquiry")
        NATIONAL = "national", _("A national war-crimes unit")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    # An age X25519 recipient ("age1..."): packages are encrypted to it (pyrage, intake/packages/).
    age_recipient = models.CharField(max_length=100)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    registered_on = models.DateField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class DocumentationPackage(models.Model):
    """One package prepared for one recipient: the register coordinators read.

    Prepared means the encrypted file was made and handed to the caseworker who asked; sent means
    a person recorded that it went out; stopped means a survivor in it withdrew her choice before
    it was recorded as sent, so it must not be sent."""

    class State(models.TextChoices):
        PREPARED = "prepared", _("Prepared, not sent")
        SENT = "sent", _("Sent")
        STOPPED = "stopped", _("Stopped: do not send")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(JusticeRecipient, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PREPARED)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    prepared_on = models.DateField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_on = models.DateField(null=True)
    stopped_on = models.DateField(null=True)
    # How many accounts it held when prepared (the register keeps this after a case is deleted).
    case_count = models.PositiveIntegerField()
    # SHA-256 of the signed manifest and of the encrypted file handed out.
    manifest_sha256 = models.CharField(max_length=64)
    file_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"package {self.public_id}"


class PackagedCase(models.Model):
    """An account in a package. Deleted with the case (withdrawal, retention)."""

    package = models.ForeignKey(
        DocumentationPackage, on_delete=models.CASCADE, related_name="cases"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="packaged")
    # Whether her name and contact went in (only if she chose so when it was prepared).
    with_identity = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["package", "case"], name="one_line_per_packaged_case")
        ]

    def __str__(self) -> str:
        return f"{self.case} in {self.package}"


class PatternCount(models.Model):
    """How many accounts fall in one cell (month, country, region, age group, kind of harm).

    An account naming two kinds of harm counts once under each: the totals are of reports. Empty
    strings mean "not said". Rows are never linked to cases."""

    month = models.CharField(max_length=7)  # "2025-03": the month it happened, or ""
    country = models.CharField(max_length=100)
    region = models.CharField(max_length=100)
    age_group = models.CharField(max_length=20)
    harm = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "country", "region", "age_group", "harm"],
                name="one_pattern_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.country} {self.harm}: {self.count}"


class PatternChange(models.Model):
    """One pending change to the pattern counts: the cells and +1 or -1, sealed with HPKE to the
    routing key `key_id` and padded to one length (intake/actions/pattern_changes.py).

    Only ciphertext: no case, no key to anything, no time. Every routed account adds one (an
    empty one if she did not agree to be counted) and every withdrawal one (empty if nothing of
    hers was counted), so neither the row nor its length says who agreed or what she said."""

    key_id = models.CharField(max_length=64)
    sealed = models.BinaryField()

    def __str__(self) -> str:
        return f"pending pattern change {self.pk}"
