"""A routed account nobody acknowledges in time goes to someone else, and coordinators are told."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from intake import routing
from intake.models import AuditEntry, Case, KeyWrap, RoutingJob, StaffProfile
from intake.tasks import enforce_deadlines
from tests.caseworker.conftest import make_persona
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(service_keys):
    first = make_persona("first@example.org", languages=["ar"])
    second = make_persona("second@example.org", languages=["ar"])
    send(Client(), account_data(preferred_language="ar"))
    case = Case.objects.get()
    RoutingJob.objects.filter(case=case).update(state="pending")
    assert routing.route_case(case.pk).outcome == "routed"
    return case, first, second


def assignee(case: Case):
    return RoutingJob.objects.get(case=case).assigned_to


def test_a_case_within_its_deadline_stays(routed) -> None:
    assert enforce_deadlines() == 0


def test_an_overdue_case_goes_to_someone_else(routed, coordinator, settings) -> None:
    case, _, _ = routed
    missed = assignee(case)
    RoutingJob.objects.filter(case=case).update(
        available_at=timezone.now() - timedelta(hours=settings.ROUTING_DEADLINE_HOURS + 1)
    )
    mail.outbox.clear()
    assert enforce_deadlines() == 1
    # With tasks in-process the routing has run again; with a broker, route it here.
    if RoutingJob.objects.get(case=case).state == "pending":
        routing.route_case(case.pk)
    job = RoutingJob.objects.get(case=case)
    assert job.state == "done"
    assert job.assigned_to not in (None, missed)
    assert missed.pk in job.passed_over
    assert not KeyWrap.objects.filter(case=case, recipient=f"caseworker:{missed.pk}").exists()
    assert AuditEntry.objects.filter(action="case.deadline_missed", subject=missed).exists()
    assert coordinator.user.email in [address for m in mail.outbox for address in m.to]


def test_urgent_cases_have_a_shorter_deadline(routed, settings) -> None:
    case, _, _ = routed
    RoutingJob.objects.filter(case=case).update(
        urgent=True,
        available_at=timezone.now() - timedelta(hours=settings.ROUTING_URGENT_DEADLINE_HOURS + 1),
    )
    assert enforce_deadlines() == 1


def test_an_acknowledged_case_is_never_taken_away(routed, settings) -> None:
    case, _, _ = routed
    Case.objects.filter(pk=case.pk).update(status=Case.Status.ACKNOWLEDGED)
    RoutingJob.objects.filter(case=case).update(available_at=timezone.now() - timedelta(days=30))
    assert enforce_deadlines() == 0


def test_whoever_let_the_deadline_pass_is_not_chosen_again(routed, settings) -> None:
    case, _, _ = routed
    missed = assignee(case)
    # Round-robin alone would now choose the one who missed the deadline.
    StaffProfile.objects.filter(user=missed).update(routed_count=0)
    StaffProfile.objects.exclude(user=missed).update(routed_count=100)
    RoutingJob.objects.filter(case=case).update(
        available_at=timezone.now() - timedelta(hours=settings.ROUTING_DEADLINE_HOURS + 1)
    )
    assert enforce_deadlines() == 1
    if RoutingJob.objects.get(case=case).state == "pending":
        routing.route_case(case.pk)
    job = RoutingJob.objects.get(case=case)
    assert job.state == "done"
    assert job.assigned_to not in (None, missed)
