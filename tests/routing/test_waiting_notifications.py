"""Coordinators hear once that an account found nobody, not at every retry; an account a
caseworker gave back is for the coordinators to place, and never goes back to that caseworker."""

import pytest
from django.test import Client

from intake import actions
from intake.models import Case, RoutingJob
from intake.routing import waiting_jobs
from intake.tasks import route_case
from tests.caseworker.conftest import make_persona
from tests.conftest import celery_broker
from tests.intake.conftest import account_data, send
from tests.routing.conftest import notifications

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def sent_without_a_worker(**answers) -> Case:
    # The broker is unreachable while sending, so no worker of the test session routes it:
    # the test runs the task itself, in this process.
    with celery_broker("redis://127.0.0.1:1/0"):
        send(Client(), account_data(**answers))
    return Case.objects.get()


@pytest.mark.parametrize("urgent", [False, True], ids=["routine", "urgent"])
def test_a_waiting_account_is_announced_once(
    service_keys, coordinator, own_queue, urgent: bool
) -> None:
    case = sent_without_a_worker(preferred_language="uk", in_danger=urgent)
    assert route_case.apply(args=(case.pk,)).get() == "waiting"
    # Routing sends the notification as a task of its own (read here from the broker, before
    # any worker takes it), naming the coordinator by id only.
    assert notifications(own_queue) == [[coordinator.user.pk]]
    for _ in range(3):  # the periodic retries: still nobody who fits
        assert route_case.apply(args=(case.pk,)).get() == "still-waiting"
    assert notifications(own_queue) == [[coordinator.user.pk]]
    job = RoutingJob.objects.get(case=case)
    assert job.state == RoutingJob.State.WAITING
    # It may wait for days: the exact time it was sent is not kept meanwhile.
    assert job.available_at == job.available_at.replace(minute=0, second=0, microsecond=0)


def test_an_escalated_case_waits_for_the_coordinators(service_keys, coordinator) -> None:
    from tests.caseworker.test_cases import route_to

    amina = make_persona("amina@example.org", languages=["ar"])
    case = sent_without_a_worker(preferred_language="ar")
    route_to(case, service_keys, amina.profile)
    RoutingJob.objects.filter(case=case).update(state=RoutingJob.State.DONE, assigned_to=amina.user)
    actions.escalate(case, amina.profile)
    job = RoutingJob.objects.get(case=case)
    assert job.state == RoutingJob.State.WAITING
    assert amina.user.pk in job.passed_over
    assert waiting_jobs() == []  # routing does not take it back by itself
    # Were it routed again, Amina, the only Arabic speaker, would not get it back.
    assert route_case.apply(args=(case.pk,)).get() == "waiting"
    assert RoutingJob.objects.get(case=case).assigned_to is None
