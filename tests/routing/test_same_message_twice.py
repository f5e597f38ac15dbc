"""The same routing message delivered twice at once (same Celery task id: a redelivery while the
first run is still alive, or a retry racing it): both runs may take the claim, one places the case.
"""

import threading

import pytest
from django.db import connections
from django.test import Client

from intake import routing
from intake.models import AuditEntry, Case, KeyWrap, RoutingJob, StaffProfile
from tests.caseworker.conftest import make_persona
from tests.conftest import celery_broker, sessions_waiting_for_a_lock, wait_for
from tests.intake.conftest import account_data, send

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_runs_of_one_message_place_the_case_once(service_keys) -> None:
    make_persona("amina@example.org", languages=["ar"])
    make_persona("layla@example.org", languages=["ar"])
    # Sent with the broker unreachable, so that no worker of the test session routes it: the
    # test runs route_case itself.
    with celery_broker("redis://127.0.0.1:1/0"):
        send(Client(), account_data(preferred_language="ar"))
    case = Case.objects.get()
    assert RoutingJob.objects.get(case=case).state == RoutingJob.State.PENDING
    # Even plain reads of the caseworkers wait behind this lock: both runs claim the job, then
    # stop before placing the case, so both hold the claim when they go on.
    blocker = connections.create_connection("default")
    blocker.set_autocommit(False)
    with blocker.cursor() as cursor:
        cursor.execute("LOCK TABLE intake_staffprofile IN ACCESS EXCLUSIVE MODE")
    outcomes: list[str] = []

    def run() -> None:
        try:
            outcomes.append(routing.route_case(case.pk, token="the-same-task-id").outcome)
        finally:
            connections.close_all()

    runs = [threading.Thread(target=run) for _ in range(2)]
    try:
        # One after the other, so that each is known to hold the claim before the next starts.
        runs[0].start()
        assert wait_for(lambda: sessions_waiting_for_a_lock() == 1, 10)
        runs[1].start()
        assert wait_for(lambda: sessions_waiting_for_a_lock() == 2, 10)
        assert RoutingJob.objects.get(case=case).attempts == 2  # both took the claim
    finally:
        blocker.rollback()
        blocker.close()
        for thread in runs:
            if thread.ident is not None:  # started
                thread.join()
    assert sorted(outcomes) == ["not-claimed", "routed"]
    assert KeyWrap.objects.filter(case=case, recipient__startswith="caseworker:").count() == 1
    assert (
        AuditEntry.objects.filter(action="case.routed", case_ref=str(case.public_id)).count() == 1
    )
    assert sum(StaffProfile.objects.values_list("routed_count", flat=True)) == 1
