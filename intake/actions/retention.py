"""Deleting cases: a survivor's withdrawal, and closed cases past the retention period."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from intake import audit, crypto
from intake.actions.justice import stop_packages
from intake.actions.pattern_changes import record_changes
from intake.actions.patterns import Cell, open_record
from intake.models import Attachment, Case, DocumentationPackage, RoutingJob
from intake.uploads import attachment_path

logger = logging.getLogger(__name__)


def purge_expired_cases() -> int:
    """Crypto-shred closed cases past RETENTION_DAYS_AFTER_CLOSE (counted from their last change,
    kept to the hour). Returns how many were deleted.

    Their pattern counts stay: the purge has no case key to open what each added, and the counts
    are kept as history (docs/accountability.md). Only the survivor's withdrawal takes hers away.
    """
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSE)
    expired = list(Case.objects.filter(status=Case.Status.CLOSED, updated_hour__lt=cutoff))
    for case in expired:
        withdraw_case(case, action="case.purged", detail="retention period over")
    return len(expired)


def withdraw_case(
    case: Case,
    *,
    case_key: bytes | None = None,
    action: str = "case.withdrawn",
    detail: str = "",
) -> None:
    """Delete the case irreversibly: every wrap, every ciphertext, every encrypted file; the
    audit log keeps one content-free line (`action`) that it existed.

    The line and the deletion are one transaction: a withdrawal is never logged without
    happening, nor done without its line. This is crypto-shredding: with every wrap of the case
    key gone, nothing of the case can be decrypted again from the portal's database and media.
    A backup taken before still holds the ciphertext, the files and their wraps (the survivor's,
    which opens with the receipt, and any caseworker's, coordinators' or routing wrap), and a
    restore of it brings the case back (tests/intake/test_retention.py). So the case is gone
    everywhere only once the last such backup is deleted: docs/operations.md, "Backups", keeps
    them 30 days at most, and docs/security.md says what lingers until then.

    With the case key (the survivor's withdrawal), what the account added to the pattern counts
    (its sealed `pattern_record`, intake/actions/patterns.py) is to be taken away: a pending
    change of -1, sealed to the routing key, is added in the same transaction (an empty one if
    nothing of hers was counted, so every withdrawal adds the same), and the counts change only
    later, with many accounts' changes at once (intake/actions/pattern_changes.py). The purge
    passes no key and adds nothing: its counts are kept.
    """
    paths = [attachment_path(a.public_id) for a in Attachment.objects.filter(case=case)]
    with transaction.atomic():
        cells = _counted_cells(case, case_key) if case_key is not None else []
        audit.record(action, actor=None, case=case, detail=detail)
        # A package that holds this account and is not recorded as sent must not go out now.
        stop_packages(
            DocumentationPackage.objects.filter(cases__case=case).values_list("pk", flat=True)
        )
        case.delete()
        if case_key is not None:
            _take_away(case, cells)
    for path in paths:
        path.unlink(missing_ok=True)


def _take_away(case: Case, cells: list[Cell]) -> None:
    """Her -1 change, pending (intake/actions/pattern_changes.py). Her withdrawal never fails for
    the counts' sake: without a routing key to seal to (none active), her reports stay."""
    try:
        record_changes([cells], -1)
    except (ImproperlyConfigured, ValueError):
        logger.exception(
            "case %s: no change could be sealed to the routing key; counts kept", case.pk
        )


def _counted_cells(case: Case, case_key: bytes) -> list[Cell]:
    """The cells the case added, read afresh under lock: her routing job first, then the case,
    in the order routing takes them, so that a batch counting this case right now either
    finishes first (and its record is read here) or finds the case gone."""
    list(RoutingJob.objects.select_for_update().filter(case=case).values_list("pk", flat=True))
    sealed = (
        Case.objects.select_for_update()
        .filter(pk=case.pk)
        .values_list("pattern_record", flat=True)
        .first()
    )
    if sealed is None:
        return []
    try:
        return open_record(case_key, case, bytes(sealed))
    except (crypto.DecryptionError, ValueError, TypeError, KeyError):
        # Her withdrawal never fails for the counts' sake: the account goes, its reports stay.
        logger.exception("case %s: its pattern record did not open; counts kept", case.pk)
        return []
