"""Coordinators reach only what they must: a case through the coordinators' key only while it
waits for a caseworker or is overdue, and never a grant of a case a caseworker holds.

Every other case is a 404 for them, as for any caseworker who does not hold it.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from intake import actions
from intake.access import CaseNotAvailable
from intake.models import AuditEntry, Case, KeyWrap, RoutingJob
from tests.caseworker.conftest import make_persona, reauthenticate, sign_in
from tests.caseworker.test_cases import route_to
from tests.conftest import routing_case_key
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed_case(service_keys, caseworker) -> Case:
    """A case routed to the caseworker and still "received", as the worker leaves it."""
    send(Client(), account_data(narrative="Only my caseworker should read this."))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    RoutingJob.objects.filter(case=case).update(
        state=RoutingJob.State.DONE, assigned_to=caseworker.user, available_at=timezone.now()
    )
    return case


def coordinator_url(case: Case) -> str:
    return f"/caseworker/unassigned/{case.public_id}/"


def opens(client: Client, case: Case) -> int:
    return client.get(coordinator_url(case)).status_code


def set_state(case: Case, **changes) -> None:
    RoutingJob.objects.filter(case=case).update(**changes)


def test_a_case_that_does_not_wait_is_a_404_for_a_coordinator(
    key_holding_coordinator, routed_case, caseworker
) -> None:
    client = sign_in(Client(), key_holding_coordinator)
    # Routed and in its deadline, then acknowledged, then closed: none of the coordinators'.
    assert opens(client, routed_case) == 404
    actions.acknowledge_case(routed_case, caseworker.profile)
    assert opens(client, routed_case) == 404
    actions.change_status(routed_case, caseworker.profile, "closed", "closed_done")
    assert opens(client, routed_case) == 404
    # Not opened, so nothing about it was logged as a coordinator's view.
    assert not AuditEntry.objects.filter(action="case.viewed_by_coordinator").exists()


def test_a_case_not_yet_routed_is_a_404_for_a_coordinator(key_holding_coordinator, service_keys):
    send(Client(), account_data(narrative="Just sent."))
    case = Case.objects.get()
    assert RoutingJob.objects.get(case=case).state == RoutingJob.State.PENDING
    assert opens(sign_in(Client(), key_holding_coordinator), case) == 404


@pytest.mark.parametrize(
    "reason",
    [RoutingJob.NO_ELIGIBLE_CASEWORKER, RoutingJob.ESCALATED, RoutingJob.CASEWORKER_SUSPENDED],
)
def test_a_waiting_case_opens_for_a_coordinator(key_holding_coordinator, service_keys, reason):
    send(Client(), account_data(narrative="Nobody has this yet."))
    case = Case.objects.get()
    set_state(case, state=RoutingJob.State.WAITING, reason=reason)
    page = sign_in(Client(), key_holding_coordinator).get(coordinator_url(case))
    assert page.status_code == 200
    assert "Nobody has this yet." in page.content.decode()


def test_an_overdue_case_opens_but_cannot_be_granted_while_held(
    key_holding_coordinator, routed_case, caseworker
) -> None:
    colleague = make_persona("colleague@example.org", languages=["en"])
    client = sign_in(Client(), key_holding_coordinator)
    assert opens(client, routed_case) == 404  # within its deadline
    set_state(routed_case, available_at=timezone.now() - timedelta(hours=49))
    assert opens(client, routed_case) == 200  # now overdue: the coordinators may look
    response = client.post(coordinator_url(routed_case), {"colleague": colleague.profile.pk})
    response = reauthenticate(client, response, key_holding_coordinator)
    assert response.status_code == 200
    assert "A caseworker holds this case" in response.content.decode()
    assert not KeyWrap.objects.filter(recipient=colleague.profile.recipient).exists()
    assert not AuditEntry.objects.filter(action="case.granted").exists()
    job = RoutingJob.objects.get(case=routed_case)
    assert job.assigned_to == caseworker.user


def test_the_grant_action_itself_refuses_a_held_case(
    routed_case, service_keys, key_holding_coordinator
) -> None:
    colleague = make_persona("colleague@example.org", languages=["en"])
    case_key = routing_case_key(routed_case, service_keys.routing)
    # Even when the case waits (as if a view had let it through), a holder blocks the grant.
    set_state(routed_case, state=RoutingJob.State.WAITING, reason=RoutingJob.ESCALATED)
    with pytest.raises(actions.GrantRefused):
        actions.grant_from_coordinators(
            routed_case, case_key, colleague.profile, by=key_holding_coordinator.user
        )
    # And a case that does not wait cannot be granted, holder or not.
    KeyWrap.objects.filter(recipient__startswith="caseworker:").delete()
    set_state(routed_case, state=RoutingJob.State.DONE, reason="")
    with pytest.raises(actions.GrantRefused):
        actions.grant_from_coordinators(
            routed_case, case_key, colleague.profile, by=key_holding_coordinator.user
        )
    assert not KeyWrap.objects.filter(recipient=colleague.profile.recipient).exists()


def test_the_access_door_refuses_a_case_that_does_not_wait(
    key_holding_coordinator, routed_case, rf
) -> None:
    """The rule is in intake.access, not only in the view: nothing else can open it either."""
    from intake.access import decrypt_case_for_coordinator

    client = sign_in(Client(), key_holding_coordinator)
    request = rf.get("/")
    request.user = key_holding_coordinator.user
    request.session = client.session
    request.COOKIES.update({name: morsel.value for name, morsel in client.cookies.items()})
    with pytest.raises(CaseNotAvailable):
        decrypt_case_for_coordinator(
            request, key_holding_coordinator.profile, str(routed_case.public_id), action="x"
        )
    set_state(routed_case, state=RoutingJob.State.WAITING, reason=RoutingJob.ESCALATED)
    case, _ = decrypt_case_for_coordinator(
        request, key_holding_coordinator.profile, str(routed_case.public_id), action="x"
    )
    assert case == routed_case
