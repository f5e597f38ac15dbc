"""Every wrap of a case key lives only as long as its holder needs it.

- The routing wrap goes on any move out of "received": acknowledgement, a status change, a
  referral, a hand-over.
- Suspension and expired vetting delete the person's wraps at once and put their open cases back
  to the coordinators; vetting past its date counts as expired wherever a case is opened or
  routed, even before the daily task marks it.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from intake import actions
from intake.models import AuditEntry, Case, KeyWrap, RoutingJob, StaffProfile
from intake.routing import eligible_caseworkers, waiting_jobs
from tests.caseworker.conftest import make_persona, sign_in
from tests.caseworker.test_cases import route_to
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db


def routed(service_keys, profile, **answers) -> tuple[Case, bytes]:
    send(Client(), account_data(**answers))
    case = Case.objects.order_by("-id").first()
    assert case is not None
    case_key = route_to(case, service_keys, profile)
    RoutingJob.objects.filter(case=case).update(
        state=RoutingJob.State.DONE, assigned_to=profile.user
    )
    return case, case_key


def has_routing_wrap(case: Case) -> bool:
    return KeyWrap.objects.filter(case=case, recipient="routing").exists()


def test_acknowledging_deletes_the_routing_wrap(service_keys, caseworker) -> None:
    case, _ = routed(service_keys, caseworker.profile)
    assert has_routing_wrap(case)
    actions.acknowledge_case(case, caseworker.profile)
    assert not has_routing_wrap(case)


def test_a_status_change_deletes_the_routing_wrap(service_keys, caseworker) -> None:
    case, _ = routed(service_keys, caseworker.profile)
    actions.change_status(case, caseworker.profile, "in_progress", "in_progress")
    assert not has_routing_wrap(case)


def test_a_referral_deletes_the_routing_wrap(service_keys, caseworker) -> None:
    case, case_key = routed(service_keys, caseworker.profile)
    actions.set_referral_consent(case, case_key, True)
    actions.record_referral(
        case,
        case_key,
        caseworker.profile,
        service_type="legal",
        organisation="A",
        outcome="proposed",
    )
    assert not has_routing_wrap(case)


def test_a_hand_over_deletes_the_routing_wrap(service_keys, caseworker) -> None:
    colleague = make_persona("colleague@example.org", languages=["en"])
    case, case_key = routed(service_keys, caseworker.profile)
    actions.hand_over(case, case_key, caseworker.profile, colleague.profile)
    assert not has_routing_wrap(case)
    assert KeyWrap.objects.filter(case=case, recipient=colleague.profile.recipient).exists()


def test_an_overdue_handed_over_case_goes_to_the_coordinators(service_keys, caseworker) -> None:
    """Without its routing wrap, routing cannot open a case again: past its deadline it waits
    for the coordinators instead of being sent to routing, which would fail on it."""
    from intake.routing import overdue_jobs, reroute_overdue

    colleague = make_persona("colleague@example.org", languages=["en"])
    case, case_key = routed(service_keys, caseworker.profile)
    actions.hand_over(case, case_key, caseworker.profile, colleague.profile)
    RoutingJob.objects.filter(case=case).update(available_at=timezone.now() - timedelta(days=3))
    (job,) = overdue_jobs()
    reroute_overdue(job)
    job.refresh_from_db()
    assert (job.state, job.reason) == (RoutingJob.State.WAITING, RoutingJob.DEADLINE_MISSED)
    assert not KeyWrap.objects.filter(case=case, recipient=colleague.profile.recipient).exists()


def test_suspension_deletes_every_wrap_and_returns_open_cases(
    service_keys, caseworker, coordinator
) -> None:
    open_case, _ = routed(service_keys, caseworker.profile, narrative="open")
    closed_case, _ = routed(service_keys, caseworker.profile, narrative="closed")
    actions.change_status(closed_case, caseworker.profile, "closed", "closed_done")
    client = sign_in(Client(), caseworker)
    assert client.get(f"/caseworker/cases/{open_case.public_id}/").status_code == 200

    sign_in(Client(), coordinator).post(
        f"/caseworker/team/{caseworker.user.pk}/suspend/", {"reason": "conduct"}
    )

    assert not KeyWrap.objects.filter(recipient=caseworker.profile.recipient).exists()
    assert client.get(f"/caseworker/cases/{open_case.public_id}/").status_code == 404
    job = RoutingJob.objects.get(case=open_case)
    assert (job.state, job.reason, job.assigned_to) == (
        RoutingJob.State.WAITING,
        RoutingJob.CASEWORKER_SUSPENDED,
        None,
    )
    # The closed case is not put in the queue; the coordinators place the open one themselves.
    assert RoutingJob.objects.get(case=closed_case).state == RoutingJob.State.DONE
    assert waiting_jobs() == []
    assert AuditEntry.objects.filter(
        action="staff.access_revoked", subject=caseworker.user
    ).exists()


def test_expiry_deletes_every_wrap_and_returns_open_cases(service_keys, caseworker) -> None:
    case, _ = routed(service_keys, caseworker.profile)
    StaffProfile.objects.filter(pk=caseworker.profile.pk).update(
        vetted_until=timezone.now().date() - timedelta(days=1)
    )
    assert actions.expire_vetting() != []
    assert not KeyWrap.objects.filter(recipient=caseworker.profile.recipient).exists()
    job = RoutingJob.objects.get(case=case)
    assert (job.state, job.reason) == (RoutingJob.State.WAITING, RoutingJob.VETTING_EXPIRED)


def test_vetting_past_its_date_stops_access_before_the_daily_task_runs(
    service_keys, caseworker
) -> None:
    case, case_key = routed(service_keys, caseworker.profile)
    client = sign_in(Client(), caseworker)
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 200
    StaffProfile.objects.filter(pk=caseworker.profile.pk).update(
        vetted_until=timezone.now().date() - timedelta(days=1)
    )
    profile = caseworker.profile
    assert profile.vetting == StaffProfile.Vetting.VETTED  # not yet marked expired
    # Opening, routing and granting all refuse.
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 404
    assert profile not in eligible_caseworkers()
    with pytest.raises(actions.GrantRefused):
        actions.grant_case(case, case_key, profile, by=None, action="case.granted")


def test_an_expired_coordinator_is_no_coordinator(coordinator) -> None:
    client = sign_in(Client(), coordinator)
    assert client.get("/caseworker/team/").status_code == 200
    StaffProfile.objects.filter(pk=coordinator.profile.pk).update(
        vetted_until=timezone.now().date() - timedelta(days=1)
    )
    assert client.get("/caseworker/team/").status_code == 404
