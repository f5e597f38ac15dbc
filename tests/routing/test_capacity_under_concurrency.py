"""Two cases routed at the same moment to a caseworker with one place left: one gets the place,
the other waits. The test makes the race happen every time: it holds the audit log's lock
(intake.audit.CHAIN_LOCK), which a placement takes last, just before it commits, so both
placements have chosen their caseworker before either commits."""

import threading

import pytest
from django.db import connections
from django.test import Client

from intake import audit, routing
from intake.models import Case, KeyWrap, RoutingJob
from tests.caseworker.conftest import make_persona
from tests.conftest import celery_broker, sessions_waiting_for_a_lock, wait_for
from tests.intake.conftest import account_data, send

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_the_last_place_goes_to_one_case_only(service_keys) -> None:
    amina = make_persona("amina@example.org", languages=["ar"], capacity=1)
    # Sent with the broker unreachable, so that no worker of the test session routes them: the
    # test runs route_case itself.
    with celery_broker("redis://127.0.0.1:1/0"):
        for _ in range(2):
            send(Client(), account_data(preferred_language="ar"))
    cases = list(Case.objects.all())
    assert set(RoutingJob.objects.values_list("state", flat=True)) == {"pending"}
    blocker = connections.create_connection("default")
    with blocker.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [audit.CHAIN_LOCK])
    outcomes: list[str] = []

    def run(case: Case) -> None:
        try:
            outcomes.append(routing.route_case(case.pk))
        finally:
            connections.close_all()

    runs = [threading.Thread(target=run, args=(case,)) for case in cases]
    try:
        for thread in runs:
            thread.start()
        # One placement waits for the audit lock, the other for the caseworker's row (or, were
        # the rows not locked, for the audit lock too).
        assert wait_for(lambda: sessions_waiting_for_a_lock() == 2, 10)
    finally:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [audit.CHAIN_LOCK])
        blocker.close()
        for thread in runs:
            thread.join()
    assert sorted(outcomes) == ["routed", "waiting"]
    assert KeyWrap.objects.filter(recipient=amina.user.staff_profile.recipient).count() == 1
