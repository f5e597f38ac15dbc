"""Staff members: what routing matches them on, their vetting, and their key pair."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake import crypto
from intake.models.cases import STAFF_RECIPIENT_PREFIX


class StaffProfileQuerySet(models.QuerySet["StaffProfile"]):
    def vetted_now(self) -> "StaffProfileQuerySet":
        """Vetted, and the vetting not past its date: who may open and receive cases today,
        whether or not the daily task has marked an expired vetting yet."""
        return self.filter(
            vetting=StaffProfile.Vetting.VETTED, vetted_until__gte=timezone.now().date()
        )

    def vetted_coordinators(self) -> "StaffProfileQuerySet":
        """The coordinators vetted today: who is told of waiting and urgent cases, and who may
        use the coordinators' pages (StaffProfile.is_vetted_coordinator, for one in hand)."""
        return self.vetted_now().filter(role=StaffProfile.Role.COORDINATOR)


class StaffProfile(models.Model):
    """A caseworker or coordinator: what routing matches on, vetting, and their key pair.

    The private key is stored sealed under a key derived from the staff member's password with
    Argon2id (intake/crypto/staff_keys.py, seal_private_key): the database alone opens nothing.
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
    # key id it belongs to (intake/crypto/staff_keys.py, wrap_private_key).
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
    def is_vetted_coordinator(self) -> bool:
        """As StaffProfileQuerySet.vetted_coordinators, for one profile in hand."""
        return self.role == self.Role.COORDINATOR and self.vetted_now

    @property
    def key_id(self) -> str:
        return f"staff-{self.user_id}-v{self.key_version}"

    @property
    def recipient(self) -> str:
        """The recipient name in this staff member's key wraps."""
        return f"{STAFF_RECIPIENT_PREFIX}{self.user_id}"

    @property
    def has_key(self) -> bool:
        return self.public_key is not None and self.sealed_private_key is not None

    @property
    def public_key_bytes(self) -> bytes:
        """The public key, to wrap to (ValueError while there is none: check has_key first)."""
        if self.public_key is None:
            raise ValueError("this staff member has no key")
        return bytes(self.public_key)

    def open_private_key(self, password: str) -> bytes:
        """The private key, opened with the password (raises crypto.DecryptionError)."""
        if self.sealed_private_key is None or self.key_salt is None:
            raise crypto.DecryptionError("this staff member has no key yet")
        return crypto.open_private_key(
            bytes(self.sealed_private_key), password, bytes(self.key_salt)
        )
