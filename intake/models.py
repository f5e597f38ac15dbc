"""What the database holds about a survivor's account: ciphertext, wraps, and a few clear fields.

Stored in the clear only what routing and the status page need and what does not identify
(docs/security.md): the status, the urgency flag, hour-rounded times, the receipt's lookup value
and the survivor's public key. Everything a survivor
wrote or chose, routing hints included, is sealed with the case key (intake/crypto.py).
"""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
        return self.exclude(status__in=[Case.Status.CLOSED, Case.Status.WITHDRAWN])


class Case(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACKNOWLEDGED = "acknowledged", _("With a caseworker")
        IN_PROGRESS = "in_progress", _("In progress")
        REFERRED = "referred", _("Referred")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # Named in every ciphertext's associated data, so sealed items cannot move between cases.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Derived from the receipt by one Argon2id under a salt from RECEIPT_LOOKUP_KEY, then HKDF
    # (intake/crypto.py, receipt_secrets): finds the case without storing the receipt or anything
    # that can be tested against guesses faster than that derivation.
    receipt_lookup = models.CharField(max_length=64, unique=True)
    survivor_public_key = models.BinaryField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    urgent = models.BooleanField(default=False)
    created_hour = models.DateTimeField(default=current_hour)
    updated_hour = models.DateTimeField(default=current_hour)

    # Sealed items (intake/crypto.py item names in brackets).
    answers = models.BinaryField()  # [answers] everything the survivor chose or wrote
    routing_hints = models.BinaryField()  # [routing-hints] language, preferences, needs
    contact = models.BinaryField(null=True)  # [contact] a safe way to reach the survivor

    objects = CaseQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["status", "urgent"])]

    def __str__(self) -> str:
        return f"case {self.public_id}"

    @property
    def case_id(self) -> str:
        """The identifier bound into every ciphertext of this case."""
        return str(self.public_id)


class KeyWrap(models.Model):
    """The case key, encrypted to one recipient with HPKE (intake/crypto.py, wrap_case_key)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="wraps")
    # "survivor", "routing", "coordinators" or "caseworker:<user id>".
    recipient = models.CharField(max_length=64)
    key_id = models.CharField(max_length=64)
    wrapped = models.BinaryField()
    # Caseworkers' wraps only: what their queue shows of the case (language, kinds of harm),
    # sealed to the same key as the wrap (intake.actions.queue_summary), so the queue is shown
    # without opening the account. Kept on the wrap so that it goes whenever the wrap goes.
    queue_summary = models.BinaryField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "recipient"], name="one_wrap_per_recipient")
        ]

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
        return f"addition:{self.public_id}"


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
        return f"attachment:{self.public_id}"


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
        return f"message:{self.public_id}"


class RoutingJobQuerySet(models.QuerySet["RoutingJob"]):
    def overdue(self) -> "RoutingJobQuerySet":
        """Routed cases nobody acknowledged within the deadline (shorter for urgent ones).

        Routed times are kept to the hour, so a deadline can fall due up to an hour early.
        """
        now = timezone.now()
        normal = timedelta(hours=settings.ROUTING_DEADLINE_HOURS)
        urgent = timedelta(hours=settings.ROUTING_URGENT_DEADLINE_HOURS)
        due = Q(urgent=False, available_at__lt=now - normal) | Q(
            urgent=True, available_at__lt=now - urgent
        )
        return self.filter(
            due, state=RoutingJob.State.DONE, case__status=Case.Status.RECEIVED
        ).exclude(assigned_to=None)

    def open_to_coordinators(self) -> "RoutingJobQuerySet":
        """The jobs whose case coordinators may open through the coordinators' key: waiting for
        a caseworker (nobody fits, given back, its caseworker lost access), or overdue. Any other
        case is none of their business (docs/security.md, section 6)."""
        overdue = self.overdue().values("pk")
        return self.filter(Q(state=RoutingJob.State.WAITING) | Q(pk__in=overdue))


class RoutingJob(models.Model):
    """The outbox row written in the same transaction as the case (DESIGN.md invariant 5).

    The routing task claims it with a conditional update; a periodic sweeper re-sends jobs that
    no worker has claimed, so a committed case is routed even if the broker was down.
    """

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        CLAIMED = "claimed", "claimed"
        # In the coordinators' queue: nobody fits (routing tries again), or for coordinators
        # to place (reasons below).
        WAITING = "waiting", "waiting"
        DONE = "done", "done"

    # Why a case waits (RoutingJob.reason), in fixed words that
    # intake.templatetags.routing_reasons translates. Only the first is routed again by itself.
    NO_ELIGIBLE_CASEWORKER = "no eligible caseworker"
    ESCALATED = "escalated by the caseworker"
    DEADLINE_MISSED = "not acknowledged in time"
    CASEWORKER_SUSPENDED = "caseworker suspended"
    VETTING_EXPIRED = "caseworker's vetting expired"
    PASSWORD_RESET = "caseworker's password reset"  # noqa: S105 (words, not a password)
    GRANTED = "granted by a coordinator"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="routing_job")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    urgent = models.BooleanField(default=False)
    # Exact times here are about the job, for the sweeper (minutes matter); once the case is
    # routed, or waits for a caseworker, they are rounded to the hour (intake.routing.route_case).
    available_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True)
    # The Celery task id of the delivery that holds the claim (random, about the message only).
    # The same message delivered again after its worker died, or retried, carries the same id and
    # may take the claim again; any other delivery may not.
    claimed_by = models.CharField(max_length=64, blank=True)
    assigned_to = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Why this caseworker, in words about the match only (never about the account's content).
    reason = models.CharField(max_length=300, blank=True)
    # Caseworkers who let the deadline pass on this case: routing does not choose them again.
    passed_over = models.JSONField(default=list)

    objects = RoutingJobQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["state", "available_at"])]

    def __str__(self) -> str:
        return f"routing job for {self.case_id} ({self.state})"


class SubmissionToken(models.Model):
    """The hash of the one-time token on the review page: a second submission of the same form
    (a double click, a reload) finds it and creates no second case."""

    token_hash = models.CharField(max_length=64, unique=True)
    created_hour = models.DateTimeField(default=current_hour)

    def __str__(self) -> str:
        return "submission token"


class StaffProfileQuerySet(models.QuerySet["StaffProfile"]):
    def vetted_now(self) -> "StaffProfileQuerySet":
        """Vetted, and the vetting not past its date: who may open and receive cases today,
        whether or not the daily task has marked an expired vetting yet."""
        return self.filter(
            vetting=StaffProfile.Vetting.VETTED, vetted_until__gte=timezone.now().date()
        )


class StaffProfile(models.Model):
    """A caseworker or coordinator: what routing matches on, vetting, and their key pair.

    The private key is stored sealed under a key derived from the staff member's password with
    Argon2id (intake/crypto.py, seal_private_key): the database alone opens nothing.
    """

    class Role(models.TextChoices):
        CASEWORKER = "caseworker", _("Caseworker")
        COORDINATOR = "coordinator", _("Coordinator")

    class Vetting(models.TextChoices):
        INVITED = "invited", _("Invited")
        PENDING = "pending", _("Waiting for vetting")
        VETTED = "vetted", _("Vetted")
        SUSPENDED = "suspended", _("Suspended")
        EXPIRED = "expired", _("Vetting expired")

    SPECIALISMS = [
        ("children", _("Children and young people")),
        ("lgbtqi", _("LGBTQI+ survivors")),
        ("sexual_violence", _("Sexual violence")),
        ("legal", _("Legal")),
        ("medical", _("Medical")),
        ("psychosocial", _("Psychosocial")),
        ("asylum", _("Asylum")),
    ]
    GENDERS = [("woman", _("Woman")), ("man", _("Man")), ("other", _("Another gender"))]

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="staff_profile")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CASEWORKER)
    languages = models.JSONField(default=list)
    regions = models.JSONField(default=list)
    specialisms = models.JSONField(default=list)
    gender = models.CharField(max_length=10, choices=GENDERS, blank=True)
    capacity = models.PositiveIntegerField(default=10)
    available = models.BooleanField(default=True)

    vetting = models.CharField(max_length=20, choices=Vetting.choices, default=Vetting.INVITED)
    invited_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    vetted_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    vetting_note = models.TextField(blank=True)
    vetted_until = models.DateField(null=True)
    conduct_accepted_on = models.DateField(null=True)

    public_key = models.BinaryField(null=True)
    sealed_private_key = models.BinaryField(null=True)
    key_salt = models.BinaryField(null=True)
    key_version = models.PositiveIntegerField(default=0)
    # Coordinators only: the coordinators' private key, wrapped to this person's own key, and the
    # key id it belongs to (intake/crypto.py, wrap_private_key).
    coordinators_key_share = models.BinaryField(null=True)
    coordinators_key_id = models.CharField(max_length=64, blank=True)
    # For round-robin among equally suitable caseworkers: whoever was chosen least often goes
    # first (a count, not a time: no time is kept of when cases arrive).
    routed_count = models.PositiveIntegerField(default=0)

    objects = StaffProfileQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.user.email}"

    @property
    def vetted_now(self) -> bool:
        """As StaffProfileQuerySet.vetted_now, for one profile in hand."""
        return (
            self.vetting == self.Vetting.VETTED
            and self.vetted_until is not None
            and self.vetted_until >= timezone.now().date()
        )

    @property
    def key_id(self) -> str:
        return f"staff-{self.user_id}-v{self.key_version}"

    @property
    def recipient(self) -> str:
        """The recipient name in this staff member's key wraps."""
        return f"caseworker:{self.user_id}"

    @property
    def has_key(self) -> bool:
        return self.public_key is not None and self.sealed_private_key is not None

    def open_private_key(self, password: str) -> bytes:
        """The private key, opened with the password (raises crypto.DecryptionError)."""
        from intake import crypto

        if self.sealed_private_key is None or self.key_salt is None:
            raise crypto.DecryptionError("this staff member has no key yet")
        return crypto.open_private_key(
            bytes(self.sealed_private_key), password, bytes(self.key_salt)
        )


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
        return f"note:{self.public_id}"


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
        return f"referral:{self.public_id}"
