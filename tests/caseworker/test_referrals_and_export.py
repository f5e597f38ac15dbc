"""Referrals, only with the survivor's consent given on their own page; and the audited export."""

import json

import pytest
from django.test import Client

from intake import actions
from intake.models import AuditEntry, Case, Referral
from tests.caseworker.conftest import reauthenticate, sign_in
from tests.caseworker.test_cases import route_to
from tests.conftest import routing_case_key
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db

ORGANISATION = "Tamkeen Legal Aid 7f3c"


@pytest.fixture
def routed(service_keys, caseworker):
    """A submitted account routed to `caseworker`; the survivor's client holds a session."""
    survivor = Client()
    _, receipt = send(survivor, account_data(narrative="I need a lawyer.", wants=["legal"]))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    survivor.post("/en/intake/return/", {"receipt": receipt})
    return case, survivor


def refer(client: Client, case: Case, **changes: str):
    data = {"service_type": "legal", "organisation": ORGANISATION, "outcome": "proposed"}
    return client.post(f"/caseworker/cases/{case.public_id}/referrals/", {**data, **changes})


def test_without_consent_no_referral_is_recorded(routed, caseworker, service_keys) -> None:
    case, _ = routed
    client = sign_in(Client(), caseworker)
    page = client.get(f"/caseworker/cases/{case.public_id}/").content.decode()
    assert "The survivor has not agreed to a referral." in page
    response = refer(client, case)
    assert response.status_code == 400
    assert "They can agree on their own page" in response.content.decode()
    assert Referral.objects.count() == 0
    # The rule is in the action, not only in the page.
    with pytest.raises(actions.ReferralRefused):
        actions.record_referral(
            case,
            routing_case_key(case, service_keys.routing),
            caseworker.profile,
            service_type="legal",
            organisation=ORGANISATION,
            outcome="proposed",
        )
    assert Referral.objects.count() == 0


def test_the_survivor_agrees_and_the_caseworker_refers(routed, caseworker) -> None:
    case, survivor = routed
    page = survivor.get("/en/intake/my-account/").content.decode()
    assert "May your caseworker refer you to another service?" in page
    saved = survivor.post("/en/intake/my-account/referral/", {"referral": "yes"}, follow=True)
    assert "Your choice about referrals was saved." in saved.content.decode()
    assert AuditEntry.objects.filter(action="case.consent_changed").count() == 1

    client = sign_in(Client(), caseworker)
    assert refer(client, case).status_code == 302
    referral = Referral.objects.get()
    assert ORGANISATION.encode() not in bytes(referral.sealed_record)
    assert Case.objects.get().status == Case.Status.REFERRED
    assert AuditEntry.objects.filter(
        action="case.referral_recorded", actor=caseworker.user
    ).exists()
    assert ORGANISATION not in "".join(AuditEntry.objects.values_list("detail", flat=True))

    outcome = client.post(
        f"/caseworker/cases/{case.public_id}/referrals/{referral.public_id}/",
        {"outcome": "accepted"},
    )
    assert outcome.status_code == 302
    mine = survivor.get("/en/intake/my-account/").content.decode()
    assert f"Legal help: {ORGANISATION} (Accepted by the service)" in mine


def test_consent_withdrawn_stops_new_referrals_and_keeps_the_record(routed, caseworker) -> None:
    case, survivor = routed
    survivor.post("/en/intake/my-account/referral/", {"referral": "yes"})
    client = sign_in(Client(), caseworker)
    refer(client, case)
    survivor.post("/en/intake/my-account/referral/", {"referral": "no"})
    assert refer(client, case, organisation="Another").status_code == 400
    assert Referral.objects.count() == 1
    page = client.get(f"/caseworker/cases/{case.public_id}/").content.decode()
    assert ORGANISATION in page
    assert "The survivor has not agreed to a referral." in page


def test_an_unanswered_consent_form_is_refused_kindly(routed) -> None:
    _, survivor = routed
    response = survivor.post("/en/intake/my-account/referral/", {})
    assert response.status_code == 400
    assert "Please choose yes or no." in response.content.decode()


def test_another_cases_referral_cannot_be_changed(routed, caseworker, service_keys) -> None:
    case, survivor = routed
    survivor.post("/en/intake/my-account/referral/", {"referral": "yes"})
    client = sign_in(Client(), caseworker)
    refer(client, case)
    referral = Referral.objects.get()
    send(Client(), account_data())
    other = Case.objects.exclude(pk=case.pk).get()
    route_to(other, service_keys, caseworker.profile)
    response = client.post(
        f"/caseworker/cases/{other.public_id}/referrals/{referral.public_id}/",
        {"outcome": "completed"},
    )
    assert response.status_code == 404


def test_the_export_asks_for_the_password_and_holds_everything(routed, caseworker) -> None:
    case, survivor = routed
    survivor.post("/en/intake/my-account/message/", {"text": "Thank you."})
    survivor.post("/en/intake/my-account/referral/", {"referral": "yes"})
    client = sign_in(Client(), caseworker)
    client.post(f"/caseworker/cases/{case.public_id}/notes/", {"text": "Call on Monday."})
    refer(client, case)

    asked = client.post(f"/caseworker/cases/{case.public_id}/export/")
    assert not AuditEntry.objects.filter(action="case.exported").exists()
    response = reauthenticate(client, asked, caseworker)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="case-{case.public_id}.json"'
    assert "no-store" in response["Cache-Control"]
    document = json.loads(response.content)
    assert document["case"] == str(case.public_id)
    assert document["answers"]["narrative"] == "I need a lawyer."
    assert [m["text"] for m in document["messages"]] == ["Thank you."]
    assert [n["text"] for n in document["notes"]] == ["Call on Monday."]
    assert document["referrals"][0]["organisation"] == ORGANISATION
    assert AuditEntry.objects.filter(
        action="case.exported", actor=caseworker.user, case_ref=str(case.public_id)
    ).exists()
