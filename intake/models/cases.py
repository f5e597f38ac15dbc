"""What the database holds about a survivor's account: ciphertext, wraps, and a few clear fields.

Stored in the clear only what routing and the status page need and what does not identify
(docs/security.md): the status, the urgency flag, hour-rounded times, the receipt's lookup value
and the survivor's public key. Everything a survivor
wrote or chose, routing hints included, is sealed with the case key (intake/crypto/).
"""

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db import models
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def sealed_item_name(kind: str, public_id: uuid.UUID) -> str:
    """The item name a case's message, addition, attachment, note or referral is sealed under
    (bound into its ciphertext): each model's `item`, and intake.actions.read_models for rows
    read without models."""
    return f"{kind}:{public_id}"


def current_hour() -> datetime:
    """Now, rounded down to the hour: the only precision at which survivor times are stored."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


class RecipientKey(models.Model):
    """The public half of a service key pair: the routing key or the coordinators' key.

    `manage.py init_keys` creates them; only the newest active key of each purpose receives wraps.
    Older ones stay so that cases wrapped to them can still be opened after a rotation.
    """

    class Purpose(models.TextChoices):
        ROUTING = "routing", "routing"
        COORDINATORS = "coordinators", "coordinators"

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    key_id = models.CharField(max_length=64, unique=True)
    public_key = models.BinaryField()
    active = models.BooleanField(default=True)
    created_hour = models.DateTimeField(default=current_hour)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.key_id


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> "CaseQuerySet":
        """Cases not finished: what counts in a caseworker's load."""
        return self.exclude(status__in=Case.FINISHED)


class Case(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACKNOWLEDGED = "acknowledged", _("With a caseworker")
        IN_PROGRESS = "in_progress", _("In progress")
        REFERRED = "referred", _("Referred")
        CLOSED = "closed", _("Closed")

    # A withdrawn case is deleted (intake.actions.retention.withdraw_case), so closed is the only
    # finished state a case can be in.
    FINISHED = (Status.CLOSED,)

    # Named in every ciphertext's associated data, so sealed items cannot move between cases.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Derived from the receipt by one Argon2id under a salt from RECEIPT_LOOKUP_KEY, then HKDF
    # (intake/crypto/receipts.py, receipt_secrets): finds the case without storing the receipt or
    # anything that can be tested against guesses faster than that derivation.
    receipt_lookup = models.CharField(max_length=64, unique=True)
    survivor_public_key = models.BinaryField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    urgent = models.BooleanField(default=False)
    created_hour = models.DateTimeField(default=current_hour)
    updated_hour = models.DateTimeField(default=current_hour)

    # Sealed items (intake/crypto/items.py item names in brackets).
    answers = models.BinaryField()  # [answers] everything the survivor chose or wrote
    routing_hints = models.BinaryField()  # [routing-hints] language, preferences, needs
    contact = models.BinaryField(null=True)  # [contact] a safe way to reach the survivor
    # [justice-consent] her choices about documentation for the ICC Prosecutor, a UN mechanism
    # or a national unit (intake/actions/justice.py); null until she makes one.
    justice_consent = models.BinaryField(null=True)
    # [pattern-record] which pattern counts this account added (intake/actions/patterns.py), so
    # that a withdrawal removes them; null if it was never counted.
    pattern_record = models.BinaryField(null=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["status", "urgent"])]

    def __str__(self) -> str:
        return f"case {self.public_id}"

    @property
    def case_id(self) -> str:
        """The identifier bound into every ciphertext of this case."""
        return str(self.public_id)


# Recipient names of wraps (KeyWrap.recipient): the survivor's wrap, and the start of every staff
# member's (StaffProfile.recipient); the service keys' wraps are named by RecipientKey.Purpose.
SURVIVOR_RECIPIENT = "survivor"
STAFF_RECIPIENT_PREFIX = "caseworker:"


class KeyWrapQuerySet(models.QuerySet["KeyWrap"]):
    def open_loads(self, recipients: Iterable[str] | None = None) -> dict[str, int]:
        """The load of staff members: how many open cases each holds (closed ones do not count),
        by recipient name, in one query. Routing weighs caseworkers with it
        (intake/routing/placement.py) and the team and member pages show it, so a coordinator
        sees the number routing uses."""
        wraps = self.filter(
            recipient__startswith=STAFF_RECIPIENT_PREFIX, case__in=Case.objects.open()
        )
        if recipients is not None:
            wraps = wraps.filter(recipient__in=list(recipients))
        return dict(wraps.values_list("recipient").annotate(total=Count("id")))

    def open_load(self, recipient: str) -> int:
        """One staff member's load (open_loads)."""
        return self.open_loads([recipient]).get(recipient, 0)


class KeyWrap(models.Model):
    """The case key, encrypted to one recipient with HPKE (intake/crypto/items.py,
    wrap_case_key)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="wraps")
    # "survivor", "routing", "coordinators" or "caseworker:<user id>".
    recipient = models.CharField(max_length=64)
    key_id = models.CharField(max_length=64)
    wrapped = models.BinaryField()
    # Caseworkers' wraps only: what their queue shows of the case (language, kinds of harm),
    # sealed to the same key as the wrap (intake.actions.grants.seal_queue_summary), so the queue
    # is shown without opening the account. Kept on the wrap so that it goes whenever the wrap
    # goes.
    queue_summary = models.BinaryField(null=True)

    objects = KeyWrapQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "recipient"], name="one_wrap_per_recipient")
        ]
        # A staff member's cases (the queue, intake.access.cases_for_staff) are found by
        # recipient: the unique constraint's index starts with the case, so without this one
        # PostgreSQL reads every wrap of every case (docs/performance.md, issue 16).
        indexes = [models.Index(fields=["recipient", "case"], name="wrap_by_recipient")]

    def __str__(self) -> str:
        return f"wrap of {self.case} for {self.recipient}"


class Addition(models.Model):
    """Information a survivor added after submitting (sealed as item `addition:<public_id>`)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="additions")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sealed_text = models.BinaryField()
    created_hour = models.DateTimeField(default=current_hour)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"addition {self.public_id}"

    @property
    def item(self) -> str:
        return sealed_item_name("addition", self.public_id)


class Attachment(models.Model):
    """An encrypted file. Its chunks are in MEDIA_ROOT/attachments/<public_id>; its name, type,
    size and SHA-256 are sealed in `sealed_metadata` (item `attachment:<public_id>/metadata`)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    addition = models.ForeignKey(
        Addition, on_delete=models.CASCADE, null=True, related_name="attachments"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sealed_metadata = models.BinaryField()
    chunk_count = models.PositiveIntegerField()
    created_hour = models.DateTimeField(default=current_hour)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attachment {self.public_id}"

    @property
    def item(self) -> str:
        return sealed_item_name("attachment", self.public_id)


class Message(models.Model):
    """A message between the survivor and their caseworker (sealed as `message:<public_id>`)."""

    class Direction(models.TextChoices):
        TO_SURVIVOR = "to_survivor", "to survivor"
        FROM_SURVIVOR = "from_survivor", "from survivor"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    direction = models.CharField(max_length=20, choices=Direction.choices)
    sealed_text = models.BinaryField()
    created_hour = models.DateTimeField(default=current_hour)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"message {self.public_id}"

    @property
    def item(self) -> str:
        return sealed_item_name("message", self.public_id)


class SubmissionToken(models.Model):
    """The hash of the one-time token on the review page: a second submission of the same form
    (a double click, a reload) finds it and creates no second case."""

    token_hash = models.CharField(max_length=64, unique=True)
    created_hour = models.DateTimeField(default=current_hour)

    def __str__(self) -> str:
        return "submission token"


class Note(models.Model):
    """A caseworker's private note on a case, sealed with the case key (item `note:<public_id>`).
    Survivors never see notes; whoever holds the case does."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, related_name="+")
    sealed_text = models.BinaryField()
    created_hour = models.DateTimeField(default=current_hour)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"note {self.public_id}"

    @property
    def item(self) -> str:
        return sealed_item_name("note", self.public_id)


class Referral(models.Model):
    """A referral of the survivor to another service, recorded only with the survivor's consent.

    Everything about it (service type, organisation, outcome) is sealed with the case key as item
    `referral:<public_id>`: which organisation a survivor was sent to can identify them.
    """

    SERVICE_TYPES = [
        ("legal", _("Legal help")),
        ("medical", _("Medical care")),
        ("psychosocial", _("Counselling and psychosocial support")),
        ("safety", _("Safety and shelter")),
        ("asylum", _("Asylum and migration")),
        ("livelihood", _("Livelihood and practical help")),
        ("justice", _("Documentation for justice")),
        ("other", _("Another service")),
    ]
    OUTCOMES = [
        ("proposed", _("Proposed to the service")),
        ("accepted", _("Accepted by the service")),
        ("declined_by_service", _("Declined by the service")),
        ("declined_by_survivor", _("The survivor decided not to go")),
        ("completed", _("Completed")),
    ]

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, related_name="+")
    sealed_record = models.BinaryField()
    created_hour = models.DateTimeField(default=current_hour)
    updated_hour = models.DateTimeField(default=current_hour)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"referral {self.public_id}"

    @property
    def item(self) -> str:
        return sealed_item_name("referral", self.public_id)
