"""Referrals to other services: recorded only with the survivor's consent, sealed like the rest
of the case."""

from django.db import transaction

from intake import audit
from intake.actions.grants import delete_routing_wrap
from intake.actions.sealed_json import open_json, seal_json
from intake.actions.survivor import referral_consented
from intake.models import Case, Referral, StaffProfile, current_hour


class ReferralRefused(Exception):
    """The survivor has not agreed to be referred: no referral may be recorded."""


def record_referral(
    case: Case,
    case_key: bytes,
    profile: StaffProfile,
    *,
    service_type: str,
    organisation: str,
    outcome: str,
) -> Referral:
    """Record a referral, sealed, and mark the case referred. Refused without consent, which is
    checked here (not only in the form) so that no path can record one without it."""
    if not referral_consented(case, case_key):
        raise ReferralRefused
    record = {"service_type": service_type, "organisation": organisation, "outcome": outcome}
    with transaction.atomic():
        referral = Referral(case=case, author=profile.user)
        referral.sealed_record = seal_json(case_key, case.case_id, referral.item, record)
        referral.save()
        if case.status in (Case.Status.RECEIVED, Case.Status.ACKNOWLEDGED, Case.Status.IN_PROGRESS):
            case.status = Case.Status.REFERRED
        case.updated_hour = current_hour()
        case.save(update_fields=["status", "updated_hour"])
        delete_routing_wrap(case)
        audit.record("case.referral_recorded", actor=profile.user, case=case)
    return referral


def update_referral_outcome(
    case: Case, case_key: bytes, profile: StaffProfile, referral_id: str, outcome: str
) -> None:
    """Change what became of a referral (raises Referral.DoesNotExist for another case's)."""
    referral = Referral.objects.get(case=case, public_id=referral_id)
    record = open_json(case_key, case.case_id, referral.item, bytes(referral.sealed_record))
    record["outcome"] = outcome
    with transaction.atomic():
        referral.sealed_record = seal_json(case_key, case.case_id, referral.item, record)
        referral.updated_hour = current_hour()
        referral.save(update_fields=["sealed_record", "updated_hour"])
        audit.record("case.referral_updated", actor=profile.user, case=case)
