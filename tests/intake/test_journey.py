"""Issue 19, the survivor's side, through the test client: nothing of what she wrote is shown by a
form sent again after Send, her language is kept, nothing she wrote is lost, nothing empty is
sent, and she knows what happens next. tests/intake/test_journey_browser.py walks the same in
Chromium."""

import re
from html import unescape
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from intake.key_sessions import COOKIE_NAME, _cache_key
from intake.models import Addition, Case, Message, SubmissionToken
from tests.intake.conftest import CONSENT, PDF, account_data, send, upload

pytestmark = pytest.mark.django_db

WORDS = "What they did to me in the market"


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name}"
    return unescape(match.group(1))


def walk_to_review(client: Client, lang: str = "en", **answers: object) -> tuple[dict, str]:
    """Consent, account, review as the pages' own forms post them: the token made on the
    consent page travels with them. Returns the review form's data and the review page."""
    token = hidden(client.get(f"/{lang}/intake/consent/").content.decode(), "submission_token")
    consent = {**CONSENT, "submission_token": token}
    account_page = client.post(f"/{lang}/intake/account/", consent).content.decode()
    assert hidden(account_page, "submission_token") == token
    data = {**account_data(**answers), "submission_token": token}
    review = client.post(f"/{lang}/intake/review/", data)
    assert review.status_code == 200
    page = review.content.decode()
    assert hidden(page, "submission_token") == token
    return data, page


# --- Nothing of her account left in the browser -------------------------------------------------


def test_after_send_every_step_sent_again_shows_only_that_it_was_sent(
    client: Client, service_keys
) -> None:
    data, review = walk_to_review(client, narrative=WORDS)
    assert WORDS in review
    receipt = client.post("/en/intake/send/", data)
    assert 'id="receipt-code"' in receipt.content.decode()
    # Back, then Reload, on each page of the form: the consent form sent again (the account
    # page), the account form (the review page), "Change my answers", and Send itself.
    consent_again = {**CONSENT, "submission_token": data["submission_token"]}
    for url, posted in [
        ("/en/intake/account/", consent_again),
        ("/en/intake/account/", {**data, "edit": "1"}),
        ("/en/intake/review/", data),
        ("/en/intake/send/", data),
    ]:
        response = client.post(url, posted)
        page = response.content.decode()
        assert response.status_code == 409, url
        assert "This was already sent" in page
        assert WORDS not in page
        assert 'name="account-narrative"' not in page
    assert Case.objects.count() == 1


def test_a_form_not_yet_sent_keeps_working_with_its_token(client: Client, service_keys) -> None:
    # The token is "used" only once the account is saved: every step before works as before.
    data, _review = walk_to_review(client, narrative=WORDS)
    again = client.post("/en/intake/review/", data)
    assert again.status_code == 200
    assert WORDS in again.content.decode()
    assert SubmissionToken.objects.count() == 0


SURVIVOR_PAGES = [
    "/en/",
    "/ar/help/",
    "/en/rights/",
    "/fa/rights/what-is-gender-persecution/",
    "/en/rights/glossary/",
    "/en/rights/search/?q=asylum",
    "/en/intake/",
    "/ar/intake/consent/",
    "/en/intake/return/",
]


@pytest.mark.parametrize("url", SURVIVOR_PAGES)
def test_survivor_pages_are_titled_with_the_site_name_only(client: Client, url: str) -> None:
    page = client.get(url).content.decode()
    assert re.findall(r"<title>(.*?)</title>", page) == [settings.SITE_NAME]


def test_the_form_pages_and_her_own_pages_are_titled_with_the_site_name_only(
    client: Client, service_keys
) -> None:
    data, review = walk_to_review(client, narrative=WORDS)
    receipt_page = client.post("/en/intake/send/", data).content.decode()
    receipt = re.search(r'id="receipt-code">([0-9 ]+)<', receipt_page)
    assert receipt
    client.post("/en/intake/return/", {"receipt": receipt.group(1)})
    pages = [review, receipt_page] + [
        client.get(url).content.decode()
        for url in ("/en/intake/my-account/", "/en/intake/my-account/withdraw/")
    ]
    for page in pages:
        assert re.findall(r"<title>(.*?)</title>", page) == [settings.SITE_NAME]


def test_the_receipt_page_says_closing_the_tab_is_safest(client: Client, service_keys) -> None:
    data, _ = walk_to_review(client, narrative=WORDS)
    page = client.post("/en/intake/send/", data).content.decode()
    assert "closing this tab is the safest thing to do" in page


# --- Her language is kept ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "fa", "en"])
def test_the_reply_language_starts_at_the_pages_language(client: Client, lang: str) -> None:
    page = client.post(f"/{lang}/intake/account/", CONSENT).content.decode()
    selected = re.search(
        r'<select name="account-preferred_language".*?<option value="(\w+)" selected>', page, re.S
    )
    assert selected
    assert selected.group(1) == lang


# --- Nothing she wrote is lost, nothing empty is sent ---------------------------------------------


def nothing(lang: str = "en") -> dict[str, object]:
    """An account form as it arrives untouched: every default, nothing chosen."""
    return {
        **CONSENT,
        "account-preferred_language": lang,
        "account-caseworker_gender": "any",
        "account-when_month": "",
        "account-when_year": "",
        "account-others_targeted": "",
        "account-contact_channel": "",
        "account-narrative": "",
    }


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_an_account_with_nothing_filled_in_is_not_sent(
    client: Client, service_keys, lang: str
) -> None:
    review = client.post(f"/{lang}/intake/review/", nothing(lang))
    assert review.status_code == 200
    assert 'class="notice"' in review.content.decode()
    token = hidden(review.content.decode(), "submission_token")
    sent = client.post(f"/{lang}/intake/send/", {**nothing(lang), "submission_token": token})
    assert sent.status_code == 400
    assert 'id="receipt-code"' not in sent.content.decode()
    assert Case.objects.count() == 0


def test_an_english_reply_chosen_on_an_arabic_page_is_something_to_send(
    client: Client, service_keys
) -> None:
    # Only defaults are ignored: a language she chose is an answer.
    data = {**nothing("ar"), "account-preferred_language": "en", "submission_token": "t1"}
    response = client.post("/ar/intake/send/", data)
    assert 'id="receipt-code"' in response.content.decode()


def test_a_file_alone_is_something_to_send(client: Client, service_keys) -> None:
    data = {**nothing(), "submission_token": "t2", "attachments": [upload("a.pdf", PDF)]}
    response = client.post("/en/intake/send/", data)
    assert 'id="receipt-code"' in response.content.decode()
    assert Case.objects.count() == 1


def test_the_form_says_which_step_she_is_on(client: Client, service_keys) -> None:
    assert "Step 1 of 4" in client.get("/en/intake/").content.decode()
    assert "Step 2 of 4" in client.get("/en/intake/consent/").content.decode()
    account = client.post("/en/intake/account/", CONSENT).content.decode()
    assert "Step 3 of 4" in account
    _, review = walk_to_review(client, narrative=WORDS)
    assert "Step 4 of 4" in review


def test_the_account_page_comes_in_parts_she_can_skip(client: Client) -> None:
    page = client.post("/en/intake/account/", CONSENT).content.decode()
    for part in ("safety", "what", "wants", "who", "contact", "end"):
        assert f'href="#part-{part}"' in page
        assert f'id="part-{part}"' in page


def test_each_consent_box_comes_before_its_sentence_in_a_row_of_its_own(client: Client) -> None:
    page = client.get("/en/intake/consent/").content.decode()
    for name, sentence in [
        ("consent_store", "Store my account safely"),
        ("consent_caseworker", "A vetted caseworker may read my account"),
    ]:
        row = re.search(rf'<label class="check" for="id_consent-{name}">(.*?)</label>', page, re.S)
        assert row, name
        assert row.group(1).index(f'id="id_consent-{name}"') < row.group(1).index(sentence)


def open_account(client: Client) -> str:
    _, receipt = send(client, account_data(narrative=WORDS))
    assert receipt
    assert client.post("/en/intake/return/", {"receipt": receipt}).status_code == 302
    return receipt


def end_session_by_time(client: Client) -> None:
    """What 15 quiet minutes do: the session's cache entry expires; the cookie stays."""
    cache.delete(_cache_key(client.cookies[COOKIE_NAME].value.partition(".")[0]))


def form_token(page: str, action: str) -> str:
    form = re.search(rf'action="{action}".*?</form>', page, re.S)
    assert form
    return hidden(form.group(0), "form_token")


@pytest.mark.parametrize(
    ("url", "kind", "model", "done"),
    [
        ("/en/intake/my-account/message/", "message", Message, "sent"),
        ("/en/intake/my-account/add/", "addition", Addition, "added"),
    ],
)
def test_words_typed_after_the_session_ended_are_kept_and_sent_with_the_code(
    client: Client, service_keys, url: str, kind: str, model: Any, done: str
) -> None:
    receipt = open_account(client)
    page = client.get("/en/intake/my-account/").content.decode()
    assert "after 15 quiet minutes" in page
    token = form_token(page, url)
    end_session_by_time(client)
    typed = "Written slowly, after a long pause"
    kept = client.post(url, {"text": typed, "form_token": token})
    html = kept.content.decode()
    assert kept.status_code == 200
    assert "you were signed out" in html
    assert typed in html  # carried in the page, ready to send
    assert model.objects.count() == 0  # and not stored anywhere before she sends
    assert hidden(html, "kept-kind") == kind
    # She enters her code: it opens her page, and what she wrote is sent.
    posted = {
        "receipt": receipt,
        "kept-kind": kind,
        "kept-text": typed,
        "kept-form_token": hidden(html, "kept-form_token"),
    }
    opened = client.post("/en/intake/return/", posted)
    assert opened.status_code == 302
    assert opened["Location"] == f"/en/intake/my-account/?done={done}"
    assert typed in client.get(opened["Location"]).content.decode()
    assert model.objects.count() == 1
    # Back, then Reload, on the page that kept it: already sent, and nothing of it shown.
    again = client.post(url, {"text": typed, "form_token": token})
    assert again.status_code == 409
    assert typed not in again.content.decode()
    assert model.objects.count() == 1
    # The code entered again with the same words sends nothing twice.
    assert client.post("/en/intake/return/", posted).status_code == 302
    assert model.objects.count() == 1


def test_after_the_quick_exit_nothing_posted_is_shown_again(client: Client, service_keys) -> None:
    open_account(client)
    token = form_token(client.get("/en/intake/my-account/").content.decode(), ".*?message/")
    client.get("/en/intake/exit/")  # the cookie goes: no session at all
    response = client.post(
        "/en/intake/my-account/message/", {"text": "not for anyone else", "form_token": token}
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/intake/return/"
    assert Message.objects.count() == 0


def test_a_wrong_code_keeps_the_words(client: Client, service_keys) -> None:
    open_account(client)
    posted = {"receipt": "1234 5678", "kept-kind": "message", "kept-text": "Still here"}
    response = client.post("/en/intake/return/", posted)
    assert response.status_code == 400
    assert "Still here" in response.content.decode()


# --- She knows what happens next ---------------------------------------------------------------


def test_the_receipt_and_her_page_say_when_a_caseworker_usually_answers(
    client: Client, service_keys, settings
) -> None:
    settings.ROUTING_DEADLINE_HOURS = 72
    settings.ROUTING_URGENT_DEADLINE_HOURS = 6
    data, _ = walk_to_review(client, narrative=WORDS)
    page = client.post("/en/intake/send/", data).content.decode()
    assert "takes up a new account within 3 days" in page
    client2 = Client()
    data, _ = walk_to_review(client2, narrative=WORDS, in_danger="on")
    page = client2.post("/en/intake/send/", data).content.decode()
    assert "takes up a new account within 6 hours" in page
    receipt = re.search(r'id="receipt-code">([0-9 ]+)<', page)
    assert receipt
    client2.post("/en/intake/return/", {"receipt": receipt.group(1)})
    mine = client2.get("/en/intake/my-account/").content.decode()
    assert "It is waiting for a caseworker to take it up." in mine
    assert "within 6 hours" in mine
    # Only her status is explained, in one sentence: not the list of every status.
    assert "Referred: passed to a service" not in mine


def test_her_page_explains_only_the_status_she_has(client: Client, service_keys) -> None:
    open_account(client)
    Case.objects.update(status=Case.Status.IN_PROGRESS)
    page = client.get("/en/intake/my-account/").content.decode()
    assert "Your caseworker is working on what you asked for." in page
    assert "It is waiting for a caseworker" not in page
    assert "takes up a new account within" not in page


def test_messages_additions_and_answers_keep_their_own_direction(
    client: Client, service_keys
) -> None:
    open_account(client)
    client.post("/en/intake/my-account/message/", {"text": "نص عربي (مع أقواس)"})
    client.post("/en/intake/my-account/add/", {"text": "An English line."})
    page = client.get("/ar/intake/my-account/").content.decode()
    assert '<p dir="auto">نص عربي (مع أقواس)</p>' in page
    assert '<div dir="auto">An English line.</div>' in page
    _, review = walk_to_review(Client(), "ar", narrative="An English narrative.")
    assert '<dd dir="auto">An English narrative.</dd>' in review
