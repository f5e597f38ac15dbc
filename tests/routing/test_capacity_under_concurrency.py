"""Cases routed at the same moment to a caseworker with too few places left: the places go to as
many cases as there are places, and the rest wait. The tests make the race happen every time:
they hold the audit log's lock (intake.audit.CHAIN_LOCK), which a placement takes last, just
before it commits, so both placements have chosen their caseworker before either commits.

Routing places cases in batches (ROUTING_BATCH_SIZE): the race is run between two placements of
one case each, and between two batches of two; and one batch alone must not overfill either."""

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


def cases_sent_without_a_worker(count: int) -> list[Case]:
    # Sent with the broker unreachable, so that no worker of the test session routes them: the
    # test runs route_case itself.
    with celery_broker("redis://127.0.0.1:1/0"):
        for _ in range(count):
            send(Client(), account_data(preferred_language="ar"))
    assert set(RoutingJob.objects.values_list("state", flat=True)) == {"pending"}
    return list(Case.objects.order_by("pk"))


def placed_at_once(cases: list[Case]) -> list[str]:
    """Route each of `cases` in a thread of its own, all held before they commit; returns the
    outcome of every case any of them placed."""
    blocker = connections.create_connection("default")
    with blocker.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [audit.CHAIN_LOCK])
    outcomes: list[str] = []

    def run(case: Case) -> None:
        try:
            outcomes.extend(p.outcome for p in routing.route_case(case.pk).placements)
        finally:
            connections.close_all()

    runs = [threading.Thread(target=run, args=(case,)) for case in cases]
    try:
        for thread in runs:
            thread.start()
        # One placement waits for the audit lock, the other for the caseworker's row (or, were
        # the rows not locked, for the audit lock too).
        assert wait_for(lambda: sessions_waiting_for_a_lock() == len(cases), 10)
    finally:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [audit.CHAIN_LOCK])
        blocker.close()
        for thread in runs:
            thread.join()
    return sorted(outcomes)


def test_the_last_place_goes_to_one_case_only(service_keys, settings) -> None:
    settings.ROUTING_BATCH_SIZE = 1
    amina = make_persona("amina@example.org", languages=["ar"], capacity=1)
    cases = cases_sent_without_a_worker(2)
    assert placed_at_once(cases) == ["routed", "waiting"]
    assert KeyWrap.objects.filter(recipient=amina.user.staff_profile.recipient).count() == 1


def test_two_batches_do_not_share_out_the_same_places(service_keys, settings) -> None:
    settings.ROUTING_BATCH_SIZE = 2
    amina = make_persona("amina@example.org", languages=["ar"], capacity=3)
    cases = cases_sent_without_a_worker(4)
    # Two tasks, each claiming its own case and one more: four cases in two batches.
    assert placed_at_once([cases[0], cases[2]]) == ["routed", "routed", "routed", "waiting"]
    assert KeyWrap.objects.filter(recipient=amina.user.staff_profile.recipient).count() == 3


def test_one_batch_counts_its_own_placements(service_keys) -> None:
    amina = make_persona("amina@example.org", languages=["ar"], capacity=2)
    cases = cases_sent_without_a_worker(3)
    batch = routing.route_case(cases[0].pk)
    assert sorted(p.outcome for p in batch.placements) == ["routed", "routed", "waiting"]
    assert KeyWrap.objects.filter(recipient=amina.user.staff_profile.recipient).count() == 2
    amina.profile.refresh_from_db()
    assert amina.profile.routed_count == 2  # for the round-robin between equals
    assert RoutingJob.objects.filter(assigned_to=amina.user, state="done").count() == 2
