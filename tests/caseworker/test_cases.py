"""The case page and its actions: only the assigned, vetted caseworker, always audited."""

import hashlib

import pytest
from django.test import Client

from intake import actions
from intake.models import AuditEntry, Case, KeyWrap, StaffProfile
from tests.caseworker.conftest import sign_in
from tests.conftest import routing_case_key
from tests.intake.conftest import PDF, account_data, send, upload

pytestmark = pytest.mark.django_db

NARRATIVE = 'They came at night. <script>alert("x")</script><img src=x onerror=alert(1)>'


def route_to(case: Case, service_keys, profile: StaffProfile) -> bytes:
    """What the routing worker does: open the routing wrap, wrap the key for the caseworker."""
    case_key = routing_case_key(case, service_keys.routing)
    actions.grant_case(case, case_key, profile, by=None, action="case.routed")
    return case_key


@pytest.fixture
def submitted(service_keys, caseworker):
    survivor = Client()
    _, receipt = send(
        survivor,
        account_data(narrative=NARRATIVE, harms=["threats"]),
        files=[upload("evidence.pdf", PDF)],
    )
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    return case, receipt, survivor


def request_(client: Client, method: str, url: str, data: dict):
    return getattr(client, method)(url, data)


def urls(case: Case) -> list[tuple[str, str, dict]]:
    file_id = case.attachments.get().public_id
    base = f"/caseworker/cases/{case.public_id}/"
    return [
        ("get", base, {}),
        ("post", base + "acknowledge/", {}),
        ("post", base + "reply/", {"text": "hello"}),
        ("post", base + "status/", {"status": "in_progress", "reason": "in_progress"}),
        ("get", base + f"files/{file_id}/", {}),
        ("post", base + "hand-over/", {"colleague": "0"}),
        ("post", base + "notes/", {"text": "a note"}),
        (
            "post",
            base + "referrals/",
            {"service_type": "legal", "organisation": "A legal aid group", "outcome": "proposed"},
        ),
        ("post", base + "export/", {}),
        # Last: escalating ends the caseworker's access to the case.
        ("post", base + "escalate/", {}),
    ]


def test_the_assigned_caseworker_can_use_every_case_url(submitted, caseworker) -> None:
    case, _, _ = submitted
    client = sign_in(Client(), caseworker)
    for method, url, data in urls(case):
        response = request_(client, method, url, data)
        # Handing over and exporting ask for the password again first (a redirect); a referral
        # is refused (400) because this survivor has not agreed to one.
        expected = {"hand-over/": (302,), "export/": (302,), "referrals/": (400,)}.get(
            url.rstrip("/").rsplit("/", 1)[-1] + "/", (200, 302)
        )
        assert response.status_code in expected, (url, response.status_code)


def test_the_case_page_forms_post_where_reverse_says(submitted, caseworker) -> None:
    """The case page's addresses are reversed once with a placeholder id
    (intake/caseworker/case_urls.py): each is the one reverse() gives for this case, also under
    a script prefix (a portal served below a path)."""
    from django.urls import reverse, set_script_prefix

    from intake.caseworker.case_urls import CASE_PAGE_ACTIONS, case_page_urls

    case, _, _ = submitted
    page = sign_in(Client(), caseworker).get(f"/caseworker/cases/{case.public_id}/")
    content = page.content.decode()
    urls = case_page_urls(case.public_id)
    for name in CASE_PAGE_ACTIONS:
        assert urls[name] == reverse(f"caseworker:{name}", args=[case.public_id]), name
        # On the page (the referral form only once the survivor agrees to a referral).
        assert name == "add_referral" or f'"{urls[name]}"' in content, name
    try:
        set_script_prefix("/portal/")
        assert case_page_urls(case.public_id)["reply"] == (
            f"/portal/caseworker/cases/{case.public_id}/reply/"
        )
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("persona", ["other_caseworker", "unvetted_caseworker", "coordinator"])
def test_anyone_else_gets_a_404(submitted, persona, request: pytest.FixtureRequest) -> None:
    case, _, _ = submitted
    client = sign_in(Client(), request.getfixturevalue(persona))
    for method, url, data in urls(case):
        assert request_(client, method, url, data).status_code == 404, url


def test_a_suspended_caseworker_loses_access_at_once(submitted, caseworker) -> None:
    case, _, _ = submitted
    client = sign_in(Client(), caseworker)
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 200
    actions.suspend_staff(caseworker.profile, by=None, reason="test")
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 404
    assert str(case.public_id) not in client.get("/caseworker/").content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(submitted) -> None:
    case, _, _ = submitted
    for method, url, data in urls(case):
        response = request_(Client(), method, url, data)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_staff_without_mfa_are_sent_to_set_it_up(submitted, caseworker_without_mfa) -> None:
    case, _, _ = submitted
    client = sign_in(Client(), caseworker_without_mfa)
    for method, url, data in urls(case):
        assert request_(client, method, url, data)["Location"] == "/accounts/2fa/totp/activate/"


def test_wrong_methods_are_refused(submitted, caseworker) -> None:
    case, _, _ = submitted
    client = sign_in(Client(), caseworker)
    base = f"/caseworker/cases/{case.public_id}/"
    assert client.post(base).status_code == 405
    assert client.get(base + "acknowledge/").status_code == 405
    assert client.get(base + "reply/").status_code == 405
    assert client.delete(base).status_code == 405


def test_a_login_without_the_key_cookie_opens_nothing(submitted, caseworker) -> None:
    case, _, _ = submitted
    client = sign_in(Client(), caseworker)
    del client.cookies["staff_unlock"]
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 404


def test_the_account_is_shown_as_text_never_as_html(submitted, caseworker) -> None:
    case, _, _ = submitted
    page = (
        sign_in(Client(), caseworker).get(f"/caseworker/cases/{case.public_id}/").content.decode()
    )
    assert "They came at night." in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page
    assert "Threats" in page


def test_the_queue_lists_the_case_without_its_content(submitted, caseworker) -> None:
    case, _, _ = submitted
    page = sign_in(Client(), caseworker).get("/caseworker/").content.decode()
    assert f"/caseworker/cases/{case.public_id}/" in page
    assert "They came at night" not in page


def test_acknowledging_tells_the_survivor_and_drops_the_routing_wrap(submitted, caseworker) -> None:
    case, receipt, survivor = submitted
    client = sign_in(Client(), caseworker)
    client.post(f"/caseworker/cases/{case.public_id}/acknowledge/")
    assert not KeyWrap.objects.filter(case=case, recipient="routing").exists()
    survivor.post("/en/intake/return/", {"receipt": receipt})
    assert "status-acknowledged" in survivor.get("/en/intake/my-account/").content.decode()


def test_a_reply_reaches_the_survivor(submitted, caseworker) -> None:
    case, receipt, survivor = submitted
    client = sign_in(Client(), caseworker)
    client.post(f"/caseworker/cases/{case.public_id}/reply/", {"text": "We are here for you."})
    survivor.post("/en/intake/return/", {"receipt": receipt})
    assert "We are here for you." in survivor.get("/en/intake/my-account/").content.decode()


def test_a_download_is_the_original_file(submitted, caseworker) -> None:
    case, _, _ = submitted
    client = sign_in(Client(), caseworker)
    response = client.get(
        f"/caseworker/cases/{case.public_id}/files/{case.attachments.get().public_id}/"
    )
    body = response.getvalue()
    assert body == PDF
    assert response["Content-Disposition"] == 'attachment; filename="evidence.pdf"'
    page = client.get(f"/caseworker/cases/{case.public_id}/").content.decode()
    assert hashlib.sha256(PDF).hexdigest()[:16] in page


def test_a_download_keeps_an_arabic_or_persian_file_name(service_keys, caseworker) -> None:
    from urllib.parse import quote

    name = "شهادة مدرسه ۱۴۰۲.pdf"
    send(Client(), account_data(), files=[upload(name, PDF)])
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    response = sign_in(Client(), caseworker).get(
        f"/caseworker/cases/{case.public_id}/files/{case.attachments.get().public_id}/"
    )
    assert response.getvalue() == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(name)}" in disposition


def test_every_access_is_audited(submitted, caseworker) -> None:
    case, _, _ = submitted
    client = sign_in(Client(), caseworker)
    for method, url, data in urls(case):
        request_(client, method, url, data)
    actions_logged = list(
        AuditEntry.objects.filter(case_ref=str(case.public_id)).values_list("action", flat=True)
    )
    for action in (
        "case.routed",
        "case.viewed",
        "case.acknowledged",
        "case.message_sent",
        "case.status",
        "case.file_downloaded",
    ):
        assert action in actions_logged, action
    assert all(entry.actor_id in (None, caseworker.user.pk) for entry in AuditEntry.objects.all())


def test_status_reasons_come_from_a_fixed_list(submitted, caseworker) -> None:
    case, _, _ = submitted
    client = sign_in(Client(), caseworker)
    # One list of valid (status, reason) pairs (issue 19): no status to choose apart from its
    # reason, so the two can no longer disagree.
    page = client.get(f"/caseworker/cases/{case.public_id}/").content.decode()
    assert 'name="status"' not in page
    assert 'name="reason"' in page
    referred = client.post(
        f"/caseworker/cases/{case.public_id}/status/", {"status": "referred", "reason": "referred"}
    )
    assert "The survivor has not agreed to a referral." in referred.content.decode()
    bad = client.post(
        f"/caseworker/cases/{case.public_id}/status/", {"status": "closed", "reason": "free text"}
    )
    assert bad.status_code == 400
    client.post(
        f"/caseworker/cases/{case.public_id}/status/", {"status": "closed", "reason": "closed_done"}
    )
    case.refresh_from_db()
    assert case.status == "closed"
    assert AuditEntry.objects.filter(action="case.status", detail="closed: closed_done").exists()


def test_the_case_page_title_is_plain_text(submitted, caseworker) -> None:
    case, _, _ = submitted
    page = (
        sign_in(Client(), caseworker).get(f"/caseworker/cases/{case.public_id}/").content.decode()
    )
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title
    assert page.count('id="handover-title"') == 1
