"""The survivor's path through the test client: share an account, get a receipt, come back."""

import re

import pytest
from django.test import Client

from intake import access, actions
from intake.crypto import format_receipt
from intake.models import Attachment, AuditEntry, Case, KeyWrap, Message, RoutingJob
from tests.intake.conftest import CONSENT, PDF, PNG, account_data, review_token, send, upload

pytestmark = pytest.mark.django_db

INTAKE_PAGES = ["/en/intake/", "/en/intake/consent/", "/ar/intake/return/"]


@pytest.mark.parametrize("url", INTAKE_PAGES)
def test_intake_pages_are_never_cached(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_first_page_is_a_safety_check_and_says_what_we_cannot_do(client: Client) -> None:
    page = client.get("/en/intake/").content.decode()
    assert "First, is it safe right now?" in page
    assert "This is not a formal witness statement" in page
    assert "data-quick-exit" in page
    # No story field before consent.
    assert "<textarea" not in page


def test_consent_is_required_and_explained(client: Client) -> None:
    response = client.post("/en/intake/account/", {"consent-age_group": "adult"})
    page = response.content.decode()
    assert "We can only keep your account if you agree to this." in page
    assert 'name="account-narrative"' not in page
    # The choice already made is kept.
    assert (
        'value="adult" checked' in page
        or 'checked value="adult"' in page
        or (re.search(r'<input[^>]*value="adult"[^>]*checked', page))
    )


def test_i_need_more_time_leaves_without_sending_anything(client: Client) -> None:
    page = client.get("/en/intake/consent/").content.decode()
    assert 'href="/en/rights/"' in page
    assert Case.objects.count() == 0


def test_a_minor_is_not_asked_for_a_detailed_account(client: Client) -> None:
    data = dict(CONSENT, **{"consent-age_group": "under_18"})
    page = client.post("/en/intake/account/", data).content.decode()
    assert "Because you are under 18" in page
    assert 'name="account-narrative"' not in page


def test_the_account_form_offers_every_question(client: Client) -> None:
    page = client.post("/en/intake/account/", CONSENT).content.decode()
    for name in (
        "narrative", "when_month", "when_year", "when_ongoing", "country", "region", "harms",
        "others_targeted", "wants", "preferred_language", "caseworker_gender", "in_danger",
        "contact_channel", "contact_address", "contact_times", "contact_code_word",
    ):  # fmt: skip
        assert f'name="account-{name}"' in page, name
    assert "What to do if you are in danger now" in page


def test_a_validation_error_keeps_everything_typed(client: Client) -> None:
    data = account_data(narrative="Everything I wrote", contact_address="+000 555")
    response = client.post("/en/intake/review/", data)
    page = response.content.decode()
    assert "Please say which way this address is for." in page
    assert "Everything I wrote" in page
    assert 'value="+000 555"' in page


def test_review_shows_the_answers_as_text_never_as_html(client: Client) -> None:
    data = account_data(narrative='<script>alert("x")</script><b>bold</b>', harms=["threats"])
    page = client.post("/en/intake/review/", data).content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page
    assert "Threats" in page


def test_review_shows_emergency_guidance_when_in_danger(client: Client) -> None:
    page = client.post("/en/intake/review/", account_data(in_danger="on")).content.decode()
    assert 'class="danger-guidance"' in page


def test_sending_stores_only_ciphertext_and_shows_the_receipt_once(
    client: Client, service_keys
) -> None:
    response, receipt = send(
        client, account_data(narrative="It happened in spring", in_danger="on")
    )
    assert response.status_code == 200
    assert receipt is not None
    assert re.fullmatch(r"\d{4}( \d{4}){4}", receipt)
    case = Case.objects.get()
    assert case.urgent
    assert b"spring" not in bytes(case.answers)
    assert case.created_hour.minute == 0
    assert case.created_hour.second == 0
    assert {w.recipient for w in KeyWrap.objects.filter(case=case)} == {
        "survivor", "routing", "coordinators"
    }  # fmt: skip
    assert RoutingJob.objects.get(case=case).urgent
    assert "no-store" in response["Cache-Control"]
    assert receipt.replace(" ", "") not in str(response.cookies)


def test_sending_the_same_form_twice_makes_one_case(client: Client, service_keys) -> None:
    data = account_data(narrative="once")
    token = review_token(client, data)
    first = client.post("/en/intake/send/", {**data, "submission_token": token})
    second = client.post("/en/intake/send/", {**data, "submission_token": token})
    assert first.status_code == 200
    assert second.status_code == 409
    assert "already sent" in second.content.decode()
    assert Case.objects.count() == 1


def test_files_are_encrypted_as_they_arrive(client: Client, service_keys, media_root) -> None:
    _, receipt = send(
        client, account_data(), files=[upload("photo.png", PNG), upload("letter.pdf", PDF)]
    )
    assert receipt
    attachments = Attachment.objects.all()
    assert len(attachments) == 2
    for stored in (media_root / "attachments").iterdir():
        content = stored.read_bytes()
        assert b"%PDF" not in content
        assert b"PNG" not in content
        assert b"letter.pdf" not in content


def test_an_oversized_file_is_refused_kindly_and_nothing_is_kept(
    client: Client, service_keys, media_root, settings
) -> None:
    settings.INTAKE_MAX_FILE_BYTES = 2000
    data = account_data(narrative="my words stay")
    response, receipt = send(client, data, files=[upload("big.pdf", PDF + b"0" * 2000)])
    page = response.content.decode()
    assert receipt is None
    assert response.status_code == 400
    assert "Each file can be up to 20 MB." in page
    assert "Please choose your files again." in page
    assert "my words stay" in page
    assert Case.objects.count() == 0
    assert not list((media_root / "attachments").glob("*"))


def test_too_many_files_are_refused(client: Client, service_keys, media_root) -> None:
    files = [upload(f"p{i}.png", PNG) for i in range(6)]
    response, receipt = send(client, account_data(), files=files)
    assert receipt is None
    assert "You can send up to 5 files at a time." in response.content.decode()
    assert Case.objects.count() == 0
    assert not list((media_root / "attachments").glob("*"))


def test_a_file_of_another_type_is_refused(client: Client, service_keys) -> None:
    response, receipt = send(client, account_data(), files=[upload("run.exe", b"MZ\x90\x00" * 50)])
    assert receipt is None
    assert "photos, PDF documents, audio and video" in response.content.decode()


def test_without_a_csrf_token_nothing_is_saved(service_keys) -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/en/intake/send/", {**account_data(), "submission_token": "t"})
    assert response.status_code == 403
    assert "Nothing was sent" in response.content.decode()
    assert Case.objects.count() == 0


# --- Coming back ------------------------------------------------------------------------------


def open_account(client: Client, receipt: str, lang: str = "en") -> None:
    response = client.post(f"/{lang}/intake/return/", {"receipt": receipt})
    assert response.status_code == 302, response.content.decode()[:3000]


def test_the_receipt_opens_the_account_in_any_digits(client: Client, service_keys) -> None:
    _, receipt = send(client, account_data(narrative="x"))
    eastern = receipt.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")).replace(" ", "-")
    open_account(client, eastern, lang="ar")
    page = client.get("/ar/intake/my-account/").content.decode()
    assert 'class="status status-received"' in page
    cookie = client.cookies["survivor_session"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert receipt.replace(" ", "") not in cookie.value


def test_a_wrong_receipt_is_answered_kindly(client: Client, service_keys) -> None:
    send(client, account_data())
    response = client.post("/en/intake/return/", {"receipt": "0000 0000 0000 0000 0001"})
    assert response.status_code == 404
    assert "We could not find an account with this code" in response.content.decode()
    malformed = client.post("/en/intake/return/", {"receipt": "1234 5678"})
    assert malformed.status_code == 400
    assert "A receipt code has 20 digits" in malformed.content.decode()


def test_an_expired_session_asks_for_the_receipt_again(client: Client, service_keys) -> None:
    from django.core.cache import cache

    from intake.key_sessions import COOKIE_NAME, _cache_key

    _, receipt = send(client, account_data())
    open_account(client, receipt)
    cache.delete(_cache_key(client.cookies[COOKIE_NAME].value.partition(".")[0]))
    response = client.get("/en/intake/my-account/", follow=True)
    assert "you were signed out after 15 minutes" in response.content.decode()


def test_the_survivor_reads_replies_and_answers(client: Client, service_keys) -> None:
    _, receipt = send(client, account_data())
    case = Case.objects.get()
    opened = access.open_case_with_receipt(receipt.replace(" ", ""))
    assert opened is not None
    actions.send_message_to_survivor(case, opened[1], "We read it. <img src=x onerror=alert(1)>")
    open_account(client, receipt)
    page = client.get("/en/intake/my-account/").content.decode()
    assert "We read it." in page
    assert "<img src=x" not in page
    response = client.post("/en/intake/my-account/message/", {"text": "Thank you"})
    assert response.status_code == 302
    assert "Thank you" in client.get(response["Location"]).content.decode()
    assert Message.objects.filter(case=case).count() == 2
    assert all(b"Thank you" not in bytes(m.sealed_text) for m in Message.objects.all())


def test_the_survivor_adds_information_and_files(client: Client, service_keys) -> None:
    _, receipt = send(client, account_data())
    open_account(client, receipt)
    response = client.post(
        "/en/intake/my-account/add/",
        {"text": "One more thing", "attachments": [upload("a.pdf", PDF)]},
    )
    assert response.status_code == 302
    page = client.get("/en/intake/my-account/").content.decode()
    assert "One more thing" in page
    assert "a.pdf" in page
    empty = client.post("/en/intake/my-account/add/", {"text": ""})
    assert empty.status_code == 400
    assert "Please write something or choose a file to add." in empty.content.decode()


def test_the_survivor_changes_the_contact_method(client: Client, service_keys) -> None:
    _, receipt = send(client, account_data())
    open_account(client, receipt)
    client.post(
        "/en/intake/my-account/contact/",
        {"contact_channel": "signal", "contact_address": "@safe-name", "contact_times": "mornings"},
    )
    assert "@safe-name" in client.get("/en/intake/my-account/").content.decode()
    contact = Case.objects.get().contact
    assert contact is not None
    assert b"@safe-name" not in bytes(contact)


def test_withdrawal_deletes_everything_after_confirmation(
    client: Client, service_keys, media_root
) -> None:
    _, receipt = send(client, account_data(narrative="gone"), files=[upload("p.png", PNG)])
    open_account(client, receipt)
    unconfirmed = client.post("/en/intake/my-account/withdraw/", {})
    assert "Please tick the box to confirm." in unconfirmed.content.decode()
    assert Case.objects.count() == 1
    response = client.post("/en/intake/my-account/withdraw/", {"confirm": "on"})
    assert "What you shared was deleted" in response.content.decode()
    assert Case.objects.count() == 0
    assert KeyWrap.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert AuditEntry.objects.filter(action="case.withdrawn").count() == 1
    assert RoutingJob.objects.count() == 0
    assert not list((media_root / "attachments").glob("*"))
    again = client.post("/en/intake/return/", {"receipt": receipt})
    assert again.status_code == 404


def test_the_receipt_page_shows_groups_of_four(client: Client, service_keys) -> None:
    response, receipt = send(client, account_data())
    assert format_receipt(receipt.replace(" ", "")) == receipt
    page = response.content.decode()
    assert "nobody can recover it" in page


@pytest.mark.parametrize("lang", ["fr", "es", "ar", "fa", "uk", "ru"])
def test_the_intake_speaks_the_readers_language(client: Client, lang: str) -> None:
    for url in (f"/{lang}/intake/", f"/{lang}/intake/consent/", f"/{lang}/intake/return/"):
        page = client.get(url).content.decode()
        for english in ("Share what happened", "What you agree to", "Come back with your receipt"):
            assert english not in page, (url, english)
    account = client.post(f"/{lang}/intake/account/", CONSENT).content.decode()
    assert "What happened?" not in account
    assert "Review before sending" not in account


def test_a_withdrawal_says_what_the_backups_still_hold(
    client: Client, service_keys, settings
) -> None:
    """A backup taken before a withdrawal keeps the case and its wraps (intake/actions/retention.py
    withdraw_case): the survivor is told so, with the retention the operator set, and is not
    told that nobody can ever read it again."""
    settings.BACKUP_RETENTION_DAYS = 21
    _, receipt = send(client, account_data(narrative="gone"))
    open_account(client, receipt)
    asking = client.get("/en/intake/my-account/withdraw/").content.decode()
    done = client.post("/en/intake/my-account/withdraw/", {"confirm": "on"}).content.decode()
    for page in (asking, done):
        assert "encrypted backups still hold a copy for up to 21 days" in page
        assert "cannot be read again" not in page
        assert "Nobody will be able to read it again" not in page
