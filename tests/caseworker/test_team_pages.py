"""The coordinators' pages: inviting, resetting a password and granting cases again, deadlines."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from intake import actions, audit, routing
from intake.models import AuditEntry, Case, KeyWrap, RoutingJob, StaffProfile
from intake.routing import eligible_caseworkers
from tests.caseworker.conftest import make_persona, reauthenticate, sign_in
from tests.caseworker.test_cases import route_to
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db

INVITATION = {
    "email": "New.Person@Example.org",
    "role": "caseworker",
    "languages": "ar, fa",
    "regions": "Sudan, Afghanistan",
    "specialisms": ["children", "legal"],
    "gender": "woman",
    "capacity": 6,
}


def link_on(page: str) -> str:
    """The path of the one-time link shown on the page."""
    start = page.index('id="one-time-link"')
    value = page.index('value="', start) + len('value="')
    return urlsplit(page[value : page.index('"', value)]).path


@pytest.mark.parametrize("persona", ["caseworker", "unvetted_caseworker"])
def test_only_vetted_coordinators_see_the_team_pages(
    persona, coordinator, request: pytest.FixtureRequest
) -> None:
    client = sign_in(Client(), request.getfixturevalue(persona))
    target = coordinator.user.pk
    for url in [
        "/caseworker/team/invite/",
        f"/caseworker/team/{target}/",
        "/caseworker/deadlines/",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        f"/caseworker/team/{target}/reset-password/",
        f"/caseworker/team/{target}/regrant/",
    ]:
        assert client.post(url).status_code == 404, url
    assert coordinator.user.has_usable_password()


def test_a_coordinator_invites_through_the_page(coordinator) -> None:
    client = sign_in(Client(), coordinator)
    asked = client.post("/caseworker/team/invite/", INVITATION)
    assert not StaffProfile.objects.filter(user__email="new.person@example.org").exists()
    page = reauthenticate(client, asked, coordinator).content.decode()
    invited = StaffProfile.objects.get(user__email="new.person@example.org")
    assert invited.vetting == StaffProfile.Vetting.INVITED
    assert invited.invited_by == coordinator.user
    assert invited.languages == ["ar", "fa"]
    assert invited.regions == ["Sudan", "Afghanistan"]
    assert invited.specialisms == ["children", "legal"]
    assert (invited.gender, invited.capacity) == ("woman", 6)
    assert AuditEntry.objects.filter(
        action="staff.invited", actor=coordinator.user, subject=invited.user
    ).exists()

    # The link shown once sets the password and makes the key pair.
    link = link_on(page)
    accepted = Client().post(
        link, {"password1": "a long new passphrase 1", "password2": "a long new passphrase 1"}
    )
    assert accepted.status_code == 200
    invited.refresh_from_db()
    assert invited.has_key
    assert invited.vetting == StaffProfile.Vetting.PENDING
    assert Client().get(link).status_code == 404  # used once


def test_invitation_mistakes_are_explained_and_kept(coordinator, caseworker) -> None:
    client = sign_in(Client(), coordinator)
    response = client.post(
        "/caseworker/team/invite/",
        {**INVITATION, "email": caseworker.user.email.upper(), "languages": "a1 !"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This address already has an account." in page
    assert "Give at least one language code" in page
    assert "Sudan, Afghanistan" in page  # what was typed is kept


def test_a_reset_ends_access_and_the_coordinator_grants_the_cases_again(
    key_holding_coordinator, caseworker, service_keys
) -> None:
    send(Client(), account_data(narrative="Words only the caseworker should read."))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    RoutingJob.objects.filter(case=case).update(
        state=RoutingJob.State.DONE, assigned_to=caseworker.user
    )
    old_session = sign_in(Client(), caseworker)
    assert old_session.get(f"/caseworker/cases/{case.public_id}/").status_code == 200

    coordinator = sign_in(Client(), key_holding_coordinator)
    asked = coordinator.post(f"/caseworker/team/{caseworker.user.pk}/reset-password/")
    assert caseworker.profile.has_key  # nothing happens before the password is given again
    page = reauthenticate(coordinator, asked, key_holding_coordinator).content.decode()
    link = link_on(page)

    # At once: the old session and password are dead, the key and the wrap are gone, and
    # routing no longer chooses this caseworker.
    assert old_session.get("/caseworker/")["Location"].startswith("/accounts/login/")
    assert not Client().login(username=caseworker.user.email, password=caseworker.password)
    assert not caseworker.profile.has_key
    assert not KeyWrap.objects.filter(recipient=caseworker.profile.recipient).exists()
    assert caseworker.profile not in eligible_caseworkers()
    member_page = coordinator.get(f"/caseworker/team/{caseworker.user.pk}/").content.decode()
    assert "1 open case is assigned to this person" in member_page
    assert "They must choose their new password first." in member_page

    # The caseworker chooses a new password with the link, and signs in (their TOTP stays).
    caseworker.password = "a brand new passphrase 2"
    Client().post(link, {"password1": caseworker.password, "password2": caseworker.password})
    caseworker.forget_used_code()
    fresh = sign_in(Client(), caseworker)
    assert fresh.get(f"/caseworker/cases/{case.public_id}/").status_code == 404
    assert caseworker.profile.vetting == StaffProfile.Vetting.VETTED

    # The coordinator gave their password again for the reset a moment ago: allauth does not
    # ask again within ACCOUNT_REAUTHENTICATION_TIMEOUT.
    granted = coordinator.post(f"/caseworker/team/{caseworker.user.pk}/regrant/")
    assert granted["Location"] == f"/caseworker/team/{caseworker.user.pk}/"
    page = fresh.get(f"/caseworker/cases/{case.public_id}/").content.decode()
    assert "Words only the caseworker should read." in page
    assert actions.cases_to_regrant(caseworker.profile) == []
    for action in ["staff.password_reset", "staff.access_revoked", "case.regranted"]:
        assert AuditEntry.objects.filter(action=action, subject=caseworker.user).exists(), action
    assert audit.verify() is None  # the chain is intact


def test_nobody_resets_their_own_password(key_holding_coordinator) -> None:
    client = sign_in(Client(), key_holding_coordinator)
    response = client.post(f"/caseworker/team/{key_holding_coordinator.user.pk}/reset-password/")
    assert response.status_code == 404
    assert key_holding_coordinator.profile.has_key


def test_the_deadlines_page_lists_overdue_cases_and_missed_deadlines(
    coordinator, caseworker, service_keys, settings
) -> None:
    send(Client(), account_data(narrative="Still waiting for someone."))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    RoutingJob.objects.filter(case=case).update(
        state=RoutingJob.State.DONE,
        assigned_to=caseworker.user,
        available_at=timezone.now() - timedelta(hours=settings.ROUTING_DEADLINE_HOURS + 2),
    )
    slow = make_persona("slow@example.org")
    for _ in range(2):
        audit.record("case.deadline_missed", actor=None, case=case, subject=slow.user)

    page = sign_in(Client(), coordinator).get("/caseworker/deadlines/").content.decode()
    overdue = page[page.index("Past the deadline now") : page.index("Deadlines missed")]
    assert str(case.public_id)[:8] in overdue
    assert caseworker.user.email in overdue
    missed = page[page.index("Deadlines missed") :]
    assert f"<td>{slow.user.email}</td><td>2</td>" in missed
    assert "Still waiting for someone." not in page


def test_a_coordinator_changes_what_routing_matches_on(coordinator, caseworker) -> None:
    client = sign_in(Client(), coordinator)
    url = f"/caseworker/team/{caseworker.user.pk}/profile/"
    wrong = client.post(url, {**INVITATION, "languages": "a1 !"})
    assert wrong.status_code == 400
    assert "Give at least one language code" in wrong.content.decode()
    assert "Sudan, Afghanistan" in wrong.content.decode()
    client.post(url, {**INVITATION, "languages": "uk ru", "capacity": 3})
    profile = caseworker.profile
    assert profile.languages == ["uk", "ru"]
    assert profile.capacity == 3
    assert AuditEntry.objects.filter(action="staff.profile_changed", subject=caseworker.user)
    assert sign_in(Client(), caseworker).post(url, INVITATION).status_code == 404


def test_a_caseworker_pauses_new_cases_and_keeps_their_own(caseworker, service_keys) -> None:
    send(Client(), account_data(in_danger=True))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    RoutingJob.objects.filter(case=case).update(
        state=RoutingJob.State.DONE, assigned_to=caseworker.user
    )
    client = sign_in(Client(), caseworker)
    queue = client.get("/caseworker/").content.decode()
    assert "I can take new cases" in queue
    assert "Acknowledge by" in queue
    assert checked_availability(queue) == "yes"
    client.post("/caseworker/availability/", {"available": "no"})
    assert not caseworker.profile.available
    assert caseworker.profile not in eligible_caseworkers()
    # The switch shows the saved choice (its field is rendered once per choice and language).
    assert checked_availability(client.get("/caseworker/").content.decode()) == "no"
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 200
    client.post("/caseworker/availability/", {"available": "yes"})
    assert caseworker.profile in eligible_caseworkers()
    assert checked_availability(client.get("/caseworker/").content.decode()) == "yes"
    assert list(
        AuditEntry.objects.filter(action="staff.availability_changed").values_list(
            "detail", flat=True
        )
    ) == ["unavailable", "available"]


def checked_availability(page: str) -> str:
    (checked,) = re.findall(r'<input type="radio" name="available" value="(\w+)"[^>]*checked', page)
    return checked


def test_arabic_and_persian_commas_separate_regions_and_languages() -> None:
    from intake.caseworker.forms import StaffProfileForm

    form = StaffProfileForm(
        {"languages": "ar،fa", "regions": "السودان، أفغانستان", "capacity": 5, "gender": ""}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["languages"] == ["ar", "fa"]
    assert form.cleaned_data["regions"] == ["السودان", "أفغانستان"]


def test_the_queue_puts_open_cases_first_and_pages_long_lists(caseworker, service_keys) -> None:
    from bench.seed import copy_cases
    from intake.caseworker.queue import QUEUE_PAGE_SIZE

    send(Client(), account_data())
    first = Case.objects.get()
    route_to(first, service_keys, caseworker.profile)
    copy_cases(first, caseworkers=[caseworker.profile], count=QUEUE_PAGE_SIZE + 5)
    Case.objects.update(status=Case.Status.RECEIVED)  # the copies come in every status
    closed = list(Case.objects.exclude(pk=first.pk).values_list("pk", flat=True)[:9])
    Case.objects.filter(pk__in=closed).update(status=Case.Status.CLOSED)
    client = sign_in(Client(), caseworker)
    page_one = client.get("/caseworker/").content.decode()
    page_two = client.get("/caseworker/?page=2").content.decode()
    assert f"{QUEUE_PAGE_SIZE + 6 - 9} cases" in page_one  # the count is of open cases
    assert page_one.count('href="/caseworker/cases/') == QUEUE_PAGE_SIZE
    assert page_two.count('href="/caseworker/cases/') == 6
    assert "Next page" in page_one
    assert "Previous page" in page_two
    rows = page_one.split("<tbody>")[1].split("</tbody>")[0]
    # Every open case comes before the first closed one (the status cell: issue 19's queue).
    closed_cell = 'data-label="Status">Closed'
    received_cell = 'data-label="Status">Received'
    assert rows.count(closed_cell) == 3
    assert rows.rindex(received_cell) < rows.index(closed_cell)
    # An old link past the end gives the last page, a page number that is not one the first,
    # as Django's Paginator.get_page would; the urgent count is of open cases only.
    assert client.get("/caseworker/?page=9").content.decode().count('href="/caseworker/cases/') == 6
    assert (
        client.get("/caseworker/?page=x").content.decode().count('href="/caseworker/cases/')
        == QUEUE_PAGE_SIZE
    )
    Case.objects.update(urgent=False)
    Case.objects.filter(pk__in=closed[:4]).update(urgent=True)
    Case.objects.filter(pk=first.pk).update(urgent=True)
    page_one = client.get("/caseworker/").content.decode()
    assert "1 urgent" in page_one, page_one


def test_each_queue_lists_only_its_caseworkers_cases_on_one_connection(
    caseworker, other_caseworker, service_keys
) -> None:
    """The queue's statement is prepared per caseworker, with her recipient in its text
    (intake/caseworker/queue.py): on the same connection, one caseworker's statement never
    serves another's page, in either order."""
    for _ in range(2):
        send(Client(), account_data())
    mine, theirs = Case.objects.order_by("id")
    route_to(mine, service_keys, caseworker.profile)
    route_to(theirs, service_keys, other_caseworker.profile)
    clients = [sign_in(Client(), persona) for persona in (caseworker, other_caseworker)]
    for number in (0, 1, 1, 0):
        page = clients[number].get("/caseworker/").content.decode()
        own, other = (mine, theirs) if number == 0 else (theirs, mine)
        assert f"/caseworker/cases/{own.public_id}/" in page
        assert str(other.public_id) not in page


def test_the_load_a_coordinator_sees_is_the_load_routing_uses(coordinator, service_keys) -> None:
    """A closed case no longer counts against a caseworker: the team and member pages show the
    number routing weighs her by (KeyWrap.objects.open_loads), not every wrap she holds."""
    amina = make_persona("amina@example.org", languages=["ar"], capacity=10)
    for _ in range(3):
        send(Client(), account_data(preferred_language="ar"))
    closed, held, new = Case.objects.order_by("id")
    for case in (closed, held):
        route_to(case, service_keys, amina.profile)
    RoutingJob.objects.filter(case__in=[closed, held]).update(
        state=RoutingJob.State.DONE, assigned_to=amina.user
    )
    actions.change_status(closed, amina.profile, Case.Status.CLOSED, "closed_done")

    # Routing places the new case with her, and records the load it weighed her by.
    routing.route_case(new.pk)
    job = RoutingJob.objects.get(case=new)
    assert job.assigned_to == amina.user
    assert job.reason_params["load"] == 1  # the held case; not the closed one

    client = sign_in(Client(), coordinator)
    rows = client.get("/caseworker/team/").context["rows"]
    (on_the_team_page,) = [load for member, load in rows if member.user_id == amina.user.pk]
    on_her_page = client.get(f"/caseworker/team/{amina.user.pk}/").context["load"]
    # She holds three wraps now, two of them of open cases: what routing would weigh next.
    assert KeyWrap.objects.filter(recipient=amina.profile.recipient).count() == 3
    assert on_the_team_page == on_her_page == job.reason_params["load"] + 1 == 2
