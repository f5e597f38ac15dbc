"""The coordinators' side of documentation packages (issue 17): registering the offices packages
may be encrypted to, retiring them, and recording that a package was sent. Nothing is ever sent
by the portal: a person sends the file and records it here."""

from django.db import transaction
from django.utils import timezone

from intake import audit
from intake.models import DocumentationPackage, JusticeRecipient, StaffProfile
from intake.packages.encryption import check_recipient


class PackageStopped(Exception):
    """A survivor in the package withdrew her choice: it must not be sent."""


def register_recipient(
    profile: StaffProfile, *, kind: str, name: str, age_recipient: str
) -> JusticeRecipient:
    """Raises encryption.BadRecipient for a key that is not an age X25519 public key."""
    key = check_recipient(age_recipient)
    with transaction.atomic():
        recipient = JusticeRecipient.objects.create(
            kind=kind,
            name=name,
            age_recipient=key,
            registered_by=profile.user,
            registered_on=timezone.localdate(),
        )
        audit.record(
            "package.recipient_registered",
            actor=profile.user,
            detail=f"recipient {recipient.public_id}",
        )
    return recipient


def retire_recipient(profile: StaffProfile, recipient: JusticeRecipient) -> None:
    """No more packages for it; those prepared stay in the register as they are."""
    with transaction.atomic():
        updated = JusticeRecipient.objects.filter(pk=recipient.pk, active=True).update(active=False)
        if updated:
            audit.record(
                "package.recipient_retired",
                actor=profile.user,
                detail=f"recipient {recipient.public_id}",
            )


def record_package_sent(profile: StaffProfile, package: DocumentationPackage) -> bool:
    """Record that a person sent the package (False if it was recorded already). A stopped
    package raises PackageStopped: the row is locked, so a survivor's withdrawal and this record
    cannot cross."""
    with transaction.atomic():
        locked = DocumentationPackage.objects.select_for_update().get(pk=package.pk)
        if locked.state == DocumentationPackage.State.STOPPED:
            raise PackageStopped
        if locked.state == DocumentationPackage.State.SENT:
            return False
        locked.state = DocumentationPackage.State.SENT
        locked.sent_by = profile.user
        locked.sent_on = timezone.localdate()
        locked.save(update_fields=["state", "sent_by", "sent_on"])
        audit.record("package.sent", actor=profile.user, detail=f"package {locked.public_id}")
    package.refresh_from_db()
    return True
