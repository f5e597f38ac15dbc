"""Routing with a real Celery worker on the real Redis broker and PostgreSQL."""

import time
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from intake import actions
from intake.models import Case, KeyWrap, RoutingJob, StaffProfile
from intake.notifications import NOTIFICATION_BODY
from intake.tasks import route_case, sweep_routing
from tests.caseworker.conftest import make_persona
from tests.conftest import celery_broker, wait_for
from tests.intake.conftest import account_data, send

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def job_state(case: Case) -> str:
    return RoutingJob.objects.get(case=case).state


@pytest.fixture
def team(db):
    return {
        "amina": make_persona("amina@example.org", languages=["ar"], gender="woman"),
        "dariush": make_persona("dariush@example.org", languages=["fa"], gender="man"),
    }


def test_an_account_reaches_a_matching_caseworker(celery_worker, worker_keys, team) -> None:
    canary = f"CANARY{uuid.uuid4().hex}"
    send(Client(), account_data(narrative=canary, preferred_language="fa"))
    case = Case.objects.get()
    assert wait_for(lambda: job_state(case) == "done"), celery_worker.log()
    job = RoutingJob.objects.get(case=case)
    assert job.assigned_to == team["dariush"].user
    assert (job.reason, job.reason_params["language"]) == ("routed", "fa")
    assert canary not in str(job.reason_params)
    assert KeyWrap.objects.filter(case=case, recipient=team["dariush"].profile.recipient).exists()
    assert not KeyWrap.objects.filter(case=case, recipient=team["amina"].profile.recipient).exists()
    assert job.available_at.minute == 0  # precise times are dropped once routed
    log = celery_worker.log()
    assert NOTIFICATION_BODY in log  # the caseworker was told, in words that say nothing
    assert canary not in log


def test_delivering_the_task_twice_assigns_once(celery_worker, worker_keys, team) -> None:
    send(Client(), account_data(preferred_language="ar"))
    case = Case.objects.get()
    for _ in range(3):
        route_case.delay(case.pk)
    assert wait_for(lambda: job_state(case) == "done"), celery_worker.log()
    time.sleep(1)  # let the extra deliveries run
    caseworker_wraps = KeyWrap.objects.filter(case=case, recipient__startswith="caseworker:")
    assert caseworker_wraps.count() == 1
    assert StaffProfile.objects.get(user=team["amina"].user).routed_count == 1


def test_without_a_match_the_case_waits_until_someone_is_vetted(
    celery_worker, worker_keys, team, coordinator
) -> None:
    send(Client(), account_data(preferred_language="uk"))
    case = Case.objects.get()
    assert wait_for(lambda: job_state(case) == "waiting"), celery_worker.log()
    newcomer = make_persona(
        "olena@example.org", languages=["uk"], vetting=StaffProfile.Vetting.PENDING
    )
    actions.vet_staff(newcomer.profile, by=coordinator.user, note="references checked")
    assert wait_for(lambda: job_state(case) == "done"), celery_worker.log()
    assert RoutingJob.objects.get(case=case).assigned_to == newcomer.user


def broker_down():
    """Point this process's Celery producer at a port where no Redis listens."""
    return celery_broker("redis://127.0.0.1:1/0")


def test_accounts_sent_while_the_broker_is_down_are_routed_by_the_sweeper(
    celery_worker, worker_keys, team
) -> None:
    with broker_down():
        receipts = [send(Client(), account_data(preferred_language="ar"))[1] for _ in range(3)]
    assert all(receipts)  # every survivor got a receipt: the accounts are committed
    assert set(RoutingJob.objects.values_list("state", flat=True)) == {"pending"}
    # A minute later the sweeper finds them (the broker is back now).
    RoutingJob.objects.update(available_at=timezone.now() - timedelta(minutes=2))
    assert sweep_routing() == 3
    assert wait_for(lambda: set(RoutingJob.objects.values_list("state", flat=True)) == {"done"}), (
        celery_worker.log()
    )


def test_a_job_left_claimed_by_a_dead_worker_is_routed_once_by_another(
    celery_worker, worker_keys, team
) -> None:
    with broker_down():
        send(Client(), account_data(preferred_language="ar"))
    case = Case.objects.get()
    # What a worker killed after claiming leaves behind: a claim that nobody finishes.
    RoutingJob.objects.filter(case=case).update(
        state=RoutingJob.State.CLAIMED,
        claimed_at=timezone.now() - timedelta(minutes=10),
        attempts=1,
    )
    assert sweep_routing() == 1
    assert wait_for(lambda: job_state(case) == "done"), celery_worker.log()
    job = RoutingJob.objects.get(case=case)
    assert job.attempts == 2
    assert KeyWrap.objects.filter(case=case, recipient__startswith="caseworker:").count() == 1


def test_a_fresh_claim_is_left_alone(celery_worker, worker_keys, team) -> None:
    with broker_down():
        send(Client(), account_data(preferred_language="ar"))
    RoutingJob.objects.update(state=RoutingJob.State.CLAIMED, claimed_at=timezone.now())
    assert sweep_routing() == 0
    assert RoutingJob.objects.get().state == "claimed"
