"""The coordinators' key, the waiting queue, grants, hand-over and escalation."""

import pytest
from django.test import Client

from intake.models import AuditEntry, Case, KeyWrap, RoutingJob, StaffProfile
from tests.caseworker.conftest import make_persona, reauthenticate, sign_in
from tests.caseworker.test_cases import route_to
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_case(service_keys) -> Case:
    send(
        Client(), account_data(narrative="Nobody speaks my language here.", preferred_language="uk")
    )
    case = Case.objects.get()
    # What the worker records when no caseworker fits.
    RoutingJob.objects.filter(case=case).update(
        state=RoutingJob.State.WAITING, reason="no eligible caseworker"
    )
    return case


def test_a_coordinator_gives_a_waiting_case_to_a_caseworker(
    key_holding_coordinator, caseworker, waiting_case
) -> None:
    client = sign_in(Client(), key_holding_coordinator)
    listing = client.get("/caseworker/unassigned/").content.decode()
    assert f"/caseworker/unassigned/{waiting_case.public_id}/" in listing
    assert "Nobody speaks my language" not in listing
    page = client.get(f"/caseworker/unassigned/{waiting_case.public_id}/").content.decode()
    assert "Nobody speaks my language here." in page
    grant = client.post(
        f"/caseworker/unassigned/{waiting_case.public_id}/",
        {"colleague": caseworker.profile.pk},
    )
    # Granting access asks for the password again first.
    assert RoutingJob.objects.get(case=waiting_case).state == "waiting"
    reauthenticate(client, grant, key_holding_coordinator)
    job = RoutingJob.objects.get(case=waiting_case)
    assert job.state == "done"
    assert job.assigned_to == caseworker.user
    assert KeyWrap.objects.filter(
        case=waiting_case, recipient=caseworker.profile.recipient
    ).exists()
    assert AuditEntry.objects.filter(action="case.viewed_by_coordinator").exists()
    assert AuditEntry.objects.filter(action="case.granted", subject=caseworker.user).exists()
    assert (
        sign_in(Client(), caseworker)
        .get(f"/caseworker/cases/{waiting_case.public_id}/")
        .status_code
        == 200
    )


def test_a_coordinator_without_the_key_cannot_open_cases(coordinator, waiting_case) -> None:
    client = sign_in(Client(), coordinator)
    assert (
        "You do not hold the coordinators' key"
        in client.get("/caseworker/unassigned/").content.decode()
    )
    assert client.get(f"/caseworker/unassigned/{waiting_case.public_id}/").status_code == 404


def test_caseworkers_cannot_see_the_waiting_queue(caseworker, waiting_case) -> None:
    client = sign_in(Client(), caseworker)
    assert client.get("/caseworker/unassigned/").status_code == 404
    assert client.get(f"/caseworker/unassigned/{waiting_case.public_id}/").status_code == 404


def test_vetting_a_coordinator_passes_the_key_on(key_holding_coordinator, db) -> None:
    newcomer = make_persona(
        "new-coordinator@example.org", role="coordinator", vetting=StaffProfile.Vetting.PENDING
    )
    client = sign_in(Client(), key_holding_coordinator)
    client.post(f"/caseworker/team/{newcomer.user.pk}/vet/", {"note": "interviewed", "months": 12})
    assert newcomer.profile.coordinators_key_share is not None


def test_hand_over_moves_access_to_the_colleague(service_keys, caseworker, db) -> None:
    colleague = make_persona("colleague@example.org", languages=["en"])
    send(Client(), account_data(preferred_language="en"))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    client = sign_in(Client(), caseworker)
    response = client.post(
        f"/caseworker/cases/{case.public_id}/hand-over/", {"colleague": colleague.profile.pk}
    )
    assert Case.objects.get().wraps.filter(recipient=caseworker.profile.recipient).exists()
    reauthenticate(client, response, caseworker)  # giving access asks for the password again
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 404
    assert (
        sign_in(Client(), colleague).get(f"/caseworker/cases/{case.public_id}/").status_code == 200
    )
    assert AuditEntry.objects.filter(action="case.handed_over", subject=colleague.user).exists()


def test_the_hand_over_page_lists_colleagues_without_opening_the_case(
    service_keys, caseworker, other_caseworker, db
) -> None:
    """The colleague list is on a page of its own (not on every case page): it shows nothing of
    the case, so it writes no opening to the audit log, and it is a 404 for anyone who does not
    hold the case. A wrong choice comes back to it with the error."""
    make_persona("colleague@example.org", languages=["en"])
    send(Client(), account_data(preferred_language="en"))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    client = sign_in(Client(), caseworker)
    case_page = client.get(f"/caseworker/cases/{case.public_id}/").content.decode()
    assert f"/caseworker/cases/{case.public_id}/colleague/" in case_page
    assert "colleague@example.org" not in case_page
    entries = AuditEntry.objects.count()
    page = client.get(f"/caseworker/cases/{case.public_id}/colleague/")
    assert page.status_code == 200
    assert "colleague@example.org" in page.content.decode()
    assert caseworker.user.email not in page.content.decode().split("<main", 1)[1]
    assert AuditEntry.objects.count() == entries
    other = sign_in(Client(), other_caseworker)
    assert other.get(f"/caseworker/cases/{case.public_id}/colleague/").status_code == 404
    wrong = client.post(f"/caseworker/cases/{case.public_id}/hand-over/", {"colleague": "0"})
    wrong = reauthenticate(client, wrong, caseworker)
    assert wrong.status_code == 400
    assert "colleague@example.org" in wrong.content.decode()
    assert KeyWrap.objects.filter(case=case, recipient=caseworker.profile.recipient).exists()


def test_escalation_gives_the_case_back_to_the_coordinators(
    service_keys, caseworker, coordinator
) -> None:
    send(Client(), account_data())
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    client = sign_in(Client(), caseworker)
    client.post(f"/caseworker/cases/{case.public_id}/escalate/")
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 404
    assert RoutingJob.objects.get(case=case).state == "waiting"
    assert AuditEntry.objects.filter(action="case.escalated").exists()


def test_the_audit_log_page_is_for_coordinators(coordinator, caseworker) -> None:
    from intake import audit

    audit.record("case.viewed", actor=caseworker.user)
    assert sign_in(Client(), caseworker).get("/caseworker/audit/").status_code == 404
    page = sign_in(Client(), coordinator).get("/caseworker/audit/").content.decode()
    assert "case.viewed" in page
    assert caseworker.user.email in page
    assert AuditEntry.objects.filter(action="audit.viewed", actor=coordinator.user).exists()


def test_private_notes_are_sealed_and_stay_with_the_case(service_keys, caseworker) -> None:
    from intake.models import Note

    send(Client(), account_data())
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    client = sign_in(Client(), caseworker)
    client.post(f"/caseworker/cases/{case.public_id}/notes/", {"text": "Call back on Monday"})
    assert b"Monday" not in bytes(Note.objects.get().sealed_text)
    assert (
        "Call back on Monday" in client.get(f"/caseworker/cases/{case.public_id}/").content.decode()
    )


def queued_messages(queue: str) -> int:
    """Messages waiting in this queue (and its urgent twin) on the real Redis broker."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    return sum(client.llen(key) for key in client.keys(f"{queue}*"))


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_escalation_rolled_back_tells_nobody(
    service_keys, caseworker, coordinator, celery_queue
) -> None:
    from django.db import transaction

    from intake import actions

    send(Client(), account_data())
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    before = queued_messages(celery_queue)

    def escalate_then_fail() -> None:
        with transaction.atomic():
            actions.escalate(case, caseworker.profile)
            raise RuntimeError("something after the escalation failed")

    with pytest.raises(RuntimeError):
        escalate_then_fail()
    assert RoutingJob.objects.get(case=case).state != "waiting"
    assert queued_messages(celery_queue) == before
    # Committed, it tells the coordinators (one notification task, holding user ids only).
    actions.escalate(case, caseworker.profile)
    assert queued_messages(celery_queue) == before + 1
