"""Vetting: two-person rule, expiry, suspension, and the coordinator's team page."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from intake import actions
from intake.models import AuditEntry, StaffProfile
from intake.notifications import NOTIFICATION_BODY
from intake.tasks import expire_vetting
from tests.caseworker.conftest import make_persona, sign_in

pytestmark = pytest.mark.django_db


def invited_by(coordinator, email: str) -> StaffProfile:
    user, _ = actions.invite_staff(email=email, role="caseworker", invited_by=coordinator.user)
    actions.accept_invitation(user, "a-long-enough-pass-phrase")
    return StaffProfile.objects.get(user=user)


def test_the_inviter_cannot_vet_their_own_invitee(coordinator) -> None:
    profile = invited_by(coordinator, "invitee@example.org")
    with pytest.raises(actions.VettingRefused, match="different coordinator"):
        actions.vet_staff(profile, by=coordinator.user, note="checked")


def test_nobody_vets_themselves(coordinator) -> None:
    with pytest.raises(actions.VettingRefused, match="themselves"):
        actions.vet_staff(coordinator.profile, by=coordinator.user, note="me")


def test_a_second_coordinator_vets_with_a_note_and_an_expiry(coordinator, db) -> None:
    second = make_persona("second@example.org", role=StaffProfile.Role.COORDINATOR)
    profile = invited_by(coordinator, "invitee@example.org")
    actions.vet_staff(profile, by=second.user, note="two references called", months=12)
    profile.refresh_from_db()
    assert profile.vetting == StaffProfile.Vetting.VETTED
    assert profile.vetted_by == second.user
    assert profile.vetted_until is not None
    assert 360 <= (profile.vetted_until - timezone.now().date()).days <= 370
    entry = AuditEntry.objects.get(action="staff.vetted")
    assert entry.actor == second.user
    assert entry.subject == profile.user
    assert "references" not in entry.detail  # the note stays on the profile, not in the log


def test_vetting_expires_daily_and_people_are_told(coordinator, caseworker) -> None:
    StaffProfile.objects.filter(user=caseworker.user).update(
        vetted_until=timezone.now().date() - timedelta(days=1)
    )
    expire_vetting()
    assert caseworker.profile.vetting == StaffProfile.Vetting.EXPIRED
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([caseworker.user.email, coordinator.user.email])
    assert all(message.body == NOTIFICATION_BODY for message in mail.outbox)


def test_the_team_page_is_for_vetted_coordinators_only(
    client: Client, coordinator, caseworker
) -> None:
    sign_in(client, caseworker)
    assert client.get("/caseworker/team/").status_code == 404
    client.logout()
    sign_in(client, coordinator)
    page = client.get("/caseworker/team/").content.decode()
    assert caseworker.user.email in page
    assert "0 / 10" in page


def test_a_coordinator_vets_and_suspends_through_the_page(client: Client, coordinator, db) -> None:
    other = make_persona("other-coordinator@example.org", role=StaffProfile.Role.COORDINATOR)
    profile = invited_by(other, "newcomer@example.org")
    sign_in(client, coordinator)
    refused = client.post(f"/caseworker/team/{profile.user_id}/vet/", {"note": " ", "months": 12})
    assert refused.status_code == 200
    client.post(f"/caseworker/team/{profile.user_id}/vet/", {"note": "ID seen", "months": 6})
    profile.refresh_from_db()
    assert profile.vetting == StaffProfile.Vetting.VETTED
    client.post(f"/caseworker/team/{profile.user_id}/suspend/", {"reason": "left the organisation"})
    profile.refresh_from_db()
    assert profile.vetting == StaffProfile.Vetting.SUSPENDED


def test_the_operator_bootstraps_the_first_coordinator(db) -> None:
    first = make_persona(
        "first@example.org", role="coordinator", vetting=StaffProfile.Vetting.PENDING
    )
    call_command("vet_staff", "first@example.org", "--note", "founding coordinator")
    assert first.profile.vetting == StaffProfile.Vetting.VETTED
    assert AuditEntry.objects.get(action="staff.vetted").actor is None
    with pytest.raises(CommandError):
        call_command("vet_staff", "nobody@example.org", "--note", "x")
