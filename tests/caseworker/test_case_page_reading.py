"""The case page asks for less reading of trauma (issue 19): the account is folded behind "Show
the account" with its kinds of harm as a content note, every action returns to its own section
with a confirmation, staff land on their queue, status and reason are one list, the audit log
speaks plain words, and what people wrote keeps its own direction (dir="auto")."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import translation

from intake import actions, audit
from intake.caseworker.forms import StatusForm
from intake.models import Case
from intake.templatetags.staff_time import ago, due
from tests.caseworker.conftest import sign_in
from tests.caseworker.test_cases import route_to
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db

NARRATIVE = "They came at night and took my brother."


@pytest.fixture
def held(service_keys, caseworker):
    send(
        Client(),
        account_data(
            narrative=NARRATIVE,
            harms=["sexual_violence", "threats"],
            country="Afghanistan",
            preferred_language="ar",
        ),
    )
    case = Case.objects.get()
    case_key = route_to(case, service_keys, caseworker.profile)
    actions.set_referral_consent(case, case_key, True)
    return case, case_key


def section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


# --- The account, folded -----------------------------------------------------------------------


def test_the_account_is_folded_behind_a_content_note(held, caseworker) -> None:
    case, _ = held
    client = sign_in(Client(), caseworker)
    page = client.get(f"/caseworker/cases/{case.public_id}/").content.decode()
    account = section(page, "account")
    note = account[: account.index("<details")]
    assert "Content note:" in note
    assert "Sexual violence, Threats" in note
    assert NARRATIVE not in note
    details = account[account.index("<details") : account.index("</details>")]
    assert '<details class="account">' in details  # closed: no `open`
    assert "<summary>Show the account</summary>" in details
    assert NARRATIVE in details
    # The account comes after the overview (status, the acknowledge button), and is not the
    # first thing on the page any more.
    assert page.index('id="overview"') < page.index('id="account"')


def test_an_account_without_kinds_of_harm_says_so(service_keys, caseworker) -> None:
    send(Client(), account_data(narrative="Something happened."))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    page = sign_in(Client(), caseworker).get(f"/caseworker/cases/{case.public_id}/").content
    assert "the survivor did not say what kinds of harm." in page.decode()


@pytest.mark.parametrize(
    ("path", "data", "section_id", "confirmation"),
    [
        ("acknowledge/", {}, "overview", "You have taken this case."),
        ("reply/", {"text": "We read your message."}, "messages", "Message sent."),
        ("notes/", {"text": "Call on Monday."}, "notes", "Note added."),
        ("status/", {"reason": "in_progress"}, "status", "Status changed."),
        (
            "referrals/",
            {"service_type": "legal", "organisation": "Legal aid", "outcome": "proposed"},
            "referrals",
            "Referral recorded.",
        ),
    ],
)
def test_an_action_returns_to_its_section_with_a_confirmation(
    held, caseworker, path: str, data: dict, section_id: str, confirmation: str
) -> None:
    case, _ = held
    client = sign_in(Client(), caseworker)
    base = f"/caseworker/cases/{case.public_id}/"
    response = client.post(base + path, data)
    assert response.status_code == 302
    assert response["Location"] == f"{base}#{section_id}"
    page = client.get(base).content.decode()
    assert f'id="{section_id}"' in page
    shown = page[page.index(f'id="{section_id}"') :]
    assert f'<p class="confirmation" role="status">{confirmation}' in shown[:600]
    # The account stays folded after the action.
    assert '<details class="account">' in page
    assert '<details class="account" open' not in page
    # The confirmation is shown once.
    assert confirmation not in client.get(base).content.decode()


def test_a_referral_outcome_returns_to_the_referrals(held, caseworker) -> None:
    case, case_key = held
    referral = actions.record_referral(
        case,
        case_key,
        caseworker.profile,
        service_type="legal",
        organisation="Legal aid",
        outcome="proposed",
    )
    client = sign_in(Client(), caseworker)
    base = f"/caseworker/cases/{case.public_id}/"
    response = client.post(f"{base}referrals/{referral.public_id}/", {"outcome": "accepted"})
    assert response["Location"] == f"{base}#referrals"
    assert "Outcome saved." in client.get(base).content.decode()
    refused = client.post(f"{base}referrals/{referral.public_id}/", {"outcome": "made up"})
    assert refused.status_code == 400


def test_an_empty_note_is_refused_kindly(held, caseworker) -> None:
    case, _ = held
    response = sign_in(Client(), caseworker).post(
        f"/caseworker/cases/{case.public_id}/notes/", {"text": ""}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_handing_over_and_giving_back_confirm_on_the_queue(
    held, caseworker, other_caseworker
) -> None:
    case, _ = held
    client = sign_in(Client(), caseworker)
    response = client.post(f"/caseworker/cases/{case.public_id}/escalate/")
    assert response["Location"] == "/caseworker/"
    page = client.get("/caseworker/").content.decode()
    assert "The case was given back to the coordinators." in page


# --- Staff land on their queue -----------------------------------------------------------------


def test_staff_land_on_their_queue_after_signing_in(caseworker) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": caseworker.user.email, "password": caseworker.password}
    )
    response = client.post(response["Location"], {"code": caseworker.totp_code()})
    assert response.status_code == 302
    assert response["Location"] == "/caseworker/"


def test_survivor_pages_show_nothing_staff_related(caseworker) -> None:
    staff = sign_in(Client(), caseworker)
    for client in (Client(), staff):
        for path in ("/en/", "/ar/", "/en/intake/"):
            page = client.get(path).content.decode()
            assert "/caseworker/" not in page, path
            assert "/accounts/" not in page, path
            assert "staff-header" not in page, path
            assert "My queue" not in page, path
            assert "Sign out" not in page, path


# --- Status and reason: one list --------------------------------------------------------------


def test_the_status_list_is_the_list_of_valid_pairs() -> None:
    offered = {
        code: str(group) for group, pairs in StatusForm.REASON_CHOICES for code, _label in pairs
    }
    assert set(offered) == set(actions.STATUS_REASONS)
    for code, group in offered.items():
        assert group == Case.Status(actions.STATUS_REASONS[code]).label, code


def test_a_status_and_a_reason_that_do_not_go_together_are_refused(held, caseworker) -> None:
    case, _ = held
    with pytest.raises(ValueError, match="does not go with"):
        actions.change_status(case, caseworker.profile, "closed", "in_progress")
    case.refresh_from_db()
    assert case.status == "received"


def test_choosing_a_reason_sets_its_status(held, caseworker) -> None:
    case, _ = held
    client = sign_in(Client(), caseworker)
    client.post(f"/caseworker/cases/{case.public_id}/status/", {"reason": "closed_survivor_asked"})
    case.refresh_from_db()
    assert case.status == "closed"
    assert audit.verify() is None
    from intake.models import AuditEntry

    assert AuditEntry.objects.filter(detail="closed: closed_survivor_asked").exists()
    nothing = client.post(f"/caseworker/cases/{case.public_id}/status/", {"reason": ""})
    assert nothing.status_code == 400
    assert "Choose the new status and its reason." in nothing.content.decode()


# --- The audit log in plain words --------------------------------------------------------------


def test_the_audit_log_speaks_plain_words(held, coordinator, caseworker) -> None:
    case, _ = held
    audit.record("case.opened_to_change_status", actor=caseworker.user, case=case)
    audit.record("case.status", actor=caseworker.user, case=case, detail="closed: closed_done")
    audit.record("case.withdrawn", actor=None, case=case)
    audit.record("staff.access_revoked", actor=None, subject=caseworker.user, detail="3 cases")
    audit.record("staff.made_up_action", actor=None)
    client = sign_in(Client(), coordinator)
    page = client.get("/caseworker/audit/").content.decode()
    visible = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "case.opened_to_change_status" not in visible
    assert "Opened the case to change its status" in visible
    assert "Closed: The survivor's requests are met" in visible
    assert "The survivor" in visible
    assert "3 cases" in visible
    assert "staff.made_up_action" in visible  # an unknown code is shown as it is, never hidden
    assert "Gave the case to a caseworker (routing)" in visible
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:00 UTC", visible)
    arabic = client.get("/caseworker/audit/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    with translation.override("ar"):
        from intake.templatetags.audit_words import ACTIONS

        assert str(ACTIONS["case.opened_to_change_status"]) in arabic


# --- dir="auto" on what people wrote -----------------------------------------------------------


def test_what_people_wrote_keeps_its_own_direction(held, caseworker) -> None:
    case, case_key = held
    actions.send_survivor_message(case, case_key, "أين أنا؟ Where am I?")
    actions.add_information(case, case_key, "One more thing.", [])
    actions.add_note(case, case_key, caseworker.profile, "Call her back.")
    actions.record_referral(
        case,
        case_key,
        caseworker.profile,
        service_type="legal",
        organisation="مركز المساعدة",
        outcome="proposed",
    )
    client = sign_in(Client(), caseworker)
    page = client.get(f"/caseworker/cases/{case.public_id}/").content.decode()
    for text in (
        NARRATIVE,
        "أين أنا؟ Where am I?",
        "One more thing.",
        "Call her back.",
        "مركز المساعدة",
        "Afghanistan",
    ):
        before = page[: page.index(text)]
        opening = before[before.rindex("<") :]
        assert 'dir="auto"' in opening, (text, opening)


# --- Times in words, dates without ambiguity ---------------------------------------------------


def test_times_are_said_in_hours_and_days() -> None:
    now = datetime(2026, 6, 12, 14, 30, tzinfo=UTC)
    assert ago(now.replace(minute=0), now) == "this hour"
    assert ago(now - timedelta(hours=5), now) == "5 hours ago"
    assert ago(now - timedelta(hours=1), now) == "1 hour ago"
    assert ago(now - timedelta(days=3), now) == "3 days ago"
    assert due(now + timedelta(minutes=20), now) == "within the hour"
    assert due(now + timedelta(hours=5, minutes=10), now) == "in 5 hours"
    assert due(now + timedelta(days=4), now) == "in 4 days"
    assert due(now - timedelta(hours=2), now) == "2 hours overdue"
    assert due(now - timedelta(days=3), now) == "3 days overdue"


def test_staff_pages_never_show_a_day_month_date(held, caseworker) -> None:
    case, case_key = held
    actions.send_survivor_message(case, case_key, "Hello")
    client = sign_in(Client(), caseworker)
    for path in ("/caseworker/", f"/caseworker/cases/{case.public_id}/"):
        page = client.get(path).content.decode()
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", page), path
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:00 UTC", page), path
