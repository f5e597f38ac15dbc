"""Issue 17, the survivor's side: her choices about documentation for justice, on her own page
(intake/survivor/justice.py), sealed and audited without the choice (intake/actions/justice.py);
what was sent, prepared or stopped; and the optional statistics consent at intake."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import formats, timezone, translation

from intake import access, actions
from intake.actions.justice import JUSTICE_CONSENT_VERSION, NO_CONSENT, JusticeConsent
from intake.models import (
    AuditEntry,
    Case,
    DocumentationPackage,
    JusticeRecipient,
    PackagedCase,
)
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db

Kind = JusticeRecipient.Kind
State = DocumentationPackage.State
PAGE = "/{lang}/intake/my-account/justice/"
CHOICE_CODES = [b"icc_otp", b"national", b"un", b"with_identity", b"witness", b"recipients"]


def returning(client: Client, lang: str = "en", **answers: object) -> tuple[Case, bytes]:
    """Send an account, come back with the receipt: her case, its key, and a session."""
    _, receipt = send(client, account_data(**answers), lang=lang)
    assert receipt is not None
    opened = access.open_case_with_receipt(receipt.replace(" ", ""))
    assert opened is not None
    response = client.post(f"/{lang}/intake/return/", {"receipt": receipt})
    assert response.status_code == 302
    return opened


def another_case(service_keys) -> tuple[Case, bytes]:
    _, receipt = send(Client(REMOTE_ADDR="10.250.1.1"), account_data(narrative="other"))
    assert receipt is not None
    opened = access.open_case_with_receipt(receipt.replace(" ", ""))
    assert opened is not None
    return opened


def recipient(kind: str, name: str) -> JusticeRecipient:
    return JusticeRecipient.objects.create(
        kind=kind, name=name, age_recipient="age1" + "q" * 58, registered_on=timezone.localdate()
    )


def package(
    to: JusticeRecipient,
    lines: list[tuple[Case, bool]],
    state: str = State.PREPARED,
    *,
    sent_on: datetime.date | None = None,
    stopped_on: datetime.date | None = None,
) -> DocumentationPackage:
    made = DocumentationPackage.objects.create(
        recipient=to,
        state=state,
        prepared_on=datetime.date(2026, 11, 20),
        sent_on=sent_on,
        stopped_on=stopped_on,
        case_count=len(lines),
        manifest_sha256="0" * 64,
        file_sha256="1" * 64,
    )
    for case, with_identity in lines:
        PackagedCase.objects.create(package=made, case=case, with_identity=with_identity)
    return made


def inputs(page: str, name: str) -> list[str]:
    return re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)


def checked(page: str, name: str, value: str | None = None) -> bool:
    tags = [t for t in inputs(page, name) if value is None or f'value="{value}"' in t]
    assert tags, f"no input {name} {value}"
    return all(" checked" in t for t in tags)


def state_of(made: DocumentationPackage) -> str:
    made.refresh_from_db()
    return made.state


# --- Off until she chooses --------------------------------------------------------------------


def test_every_choice_is_off_until_she_makes_it(client: Client, service_keys) -> None:
    case, case_key = returning(client)
    assert case.justice_consent is None
    assert actions.justice_consent(case, case_key) == NO_CONSENT
    response = client.get(PAGE.format(lang="en"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    for name in ("share_icc_otp", "share_un", "share_national", "witness_contact"):
        assert not checked(page, name), name
    assert checked(page, "identity", "without")
    assert not checked(page, "identity", "with")
    assert "Nothing has been sent." in page
    # Her page says she has chosen nothing, and links here.
    case_page = client.get("/en/intake/my-account/").content.decode()
    assert "You have not chosen to send your account anywhere." in case_page
    assert 'href="/en/intake/my-account/justice/"' in case_page


def test_the_page_says_what_happens_once_sent_before_the_choices(
    client: Client, service_keys
) -> None:
    returning(client, lang="ar")
    page = client.get(PAGE.format(lang="ar")).content.decode()
    assert 'href="/ar/rights/after-you-tell-the-prosecutor/"' in page
    with translation.override("en"):
        page = client.get(PAGE.format(lang="en")).content.decode()
    before = page.index('name="share_icc_otp"')
    for words in (
        "It may be used as evidence",
        "shown to the lawyers of the accused person",
        "It cannot be pulled back.",
        "There are ways to protect people who give information",
        "Nothing is sent automatically.",
        "What may happen to information you give the ICC Prosecutor",
    ):
        assert -1 < page.find(words) < before, words


def test_the_start_page_still_promises_nothing_is_sent_without_separate_consent(
    client: Client,
) -> None:
    page = client.get("/en/intake/").content.decode()
    assert "Nothing is sent to a court or to the ICC Prosecutor unless you agree to it" in page


# --- Saving -----------------------------------------------------------------------------------


def test_her_choices_are_sealed_and_read_back_with_version_and_language(
    client: Client, service_keys
) -> None:
    case, case_key = returning(client, lang="ar")
    response = client.post(
        PAGE.format(lang="ar"),
        {
            "share_icc_otp": "on",
            "share_national": "on",
            "identity": "with",
            "witness_contact": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/ar/intake/my-account/justice/?done=saved"
    case.refresh_from_db()
    assert case.justice_consent is not None
    sealed = bytes(case.justice_consent)
    assert [code for code in CHOICE_CODES if code in sealed] == []
    assert actions.justice_consent(case, case_key) == JusticeConsent(
        recipients=frozenset({Kind.ICC_OTP, Kind.NATIONAL}),
        with_identity=True,
        witness_contact=True,
        version=JUSTICE_CONSENT_VERSION,
        language="ar",
    )
    # Shown again as she chose, with a word that it was saved.
    page = client.get(response["Location"]).content.decode()
    assert 'role="status"' in page
    assert checked(page, "share_icc_otp")
    assert checked(page, "share_national")
    assert not checked(page, "share_un")
    assert checked(page, "identity", "with")
    assert checked(page, "witness_contact")
    # And she can turn everything off again.
    client.post(PAGE.format(lang="ar"), {"identity": "without"})
    case.refresh_from_db()
    assert actions.justice_consent(case, case_key).recipients == frozenset()


def test_the_audit_log_says_only_that_she_chose(client: Client, service_keys) -> None:
    case, _ = returning(client)
    before = AuditEntry.objects.count()
    client.post(PAGE.format(lang="en"), {"share_un": "on", "identity": "with"})
    entries = list(AuditEntry.objects.all()[before:])
    assert [(e.action, e.case_ref, e.detail) for e in entries] == [
        ("case.justice_consent_changed", str(case.public_id), "")
    ]
    line = entries[0].content_for_hash()
    assert [code for code in ("un", "with", "icc", "national") if f"|{code}" in line] == []


def test_a_bad_choice_shows_the_page_again_with_what_she_chose(
    client: Client, service_keys
) -> None:
    case, _ = returning(client)
    before = AuditEntry.objects.count()
    response = client.post(
        PAGE.format(lang="en"), {"share_un": "on", "witness_contact": "on", "identity": "maybe"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please choose with or without your name and contact details." in page
    assert 'class="error-summary"' in page
    assert checked(page, "share_un")
    assert checked(page, "witness_contact")
    assert not checked(page, "share_icc_otp")
    case.refresh_from_db()
    assert case.justice_consent is None
    assert AuditEntry.objects.count() == before


def test_with_her_name_but_no_contact_details_she_is_told_how_to_add_them(
    client: Client, service_keys
) -> None:
    case, case_key = returning(client)
    client.post(PAGE.format(lang="en"), {"share_icc_otp": "on", "identity": "with"})
    page = client.get(PAGE.format(lang="en")).content.decode()
    assert "you have not given us a way to contact you" in page
    assert 'href="/en/intake/my-account/#contact-title"' in page
    # Her choices were kept.
    case.refresh_from_db()
    assert actions.justice_consent(case, case_key).with_identity
    assert checked(page, "share_icc_otp")
    assert checked(page, "identity", "with")


def test_with_contact_details_on_file_there_is_no_such_note(client: Client, service_keys) -> None:
    returning(client, contact_channel="signal", contact_address="@safe-name")
    client.post(PAGE.format(lang="en"), {"share_icc_otp": "on", "identity": "with"})
    page = client.get(PAGE.format(lang="en")).content.decode()
    assert "you have not given us a way to contact you" not in page


def test_her_page_lists_what_she_agreed_to(client: Client, service_keys) -> None:
    returning(client)
    client.post(PAGE.format(lang="en"), {"share_un": "on", "identity": "without"})
    page = client.get("/en/intake/my-account/").content.decode()
    assert "You agreed that documentation of your account may go to:" in page
    assert "<li>A UN investigation or commission of inquiry</li>" in page
    assert "The ICC Office of the Prosecutor" not in page


# --- Turning a choice off stops what is not yet sent -----------------------------------------


def test_turning_a_recipient_off_stops_her_unsent_packages_for_it_only(
    client: Client, service_keys
) -> None:
    case, case_key = returning(client)
    other, _ = another_case(service_keys)
    icc, un = recipient(Kind.ICC_OTP, "OTP"), recipient(Kind.UN, "COI")
    actions.set_justice_consent(
        case, case_key, recipients=[Kind.ICC_OTP, Kind.UN], with_identity=False,
        witness_contact=False, language="en",
    )  # fmt: skip
    hers_prepared = package(icc, [(case, False)])
    hers_sent = package(icc, [(case, False)], State.SENT, sent_on=datetime.date(2026, 12, 1))
    others = package(icc, [(other, False)])
    hers_for_un = package(un, [(case, False)])
    response = client.post(PAGE.format(lang="en"), {"share_un": "on", "identity": "without"})
    assert response.status_code == 302
    assert state_of(hers_prepared) == State.STOPPED
    assert hers_prepared.stopped_on == timezone.localdate()
    assert state_of(hers_sent) == State.SENT
    assert state_of(others) == State.PREPARED
    assert state_of(hers_for_un) == State.PREPARED


def test_turning_her_name_off_stops_only_packages_with_her_name_in_them(
    client: Client, service_keys
) -> None:
    case, case_key = returning(client)
    other, _ = another_case(service_keys)
    icc = recipient(Kind.ICC_OTP, "OTP")
    actions.set_justice_consent(
        case, case_key, recipients=[Kind.ICC_OTP], with_identity=True, witness_contact=False,
        language="en",
    )  # fmt: skip
    with_her_name = package(icc, [(case, True)])
    without_her_name = package(icc, [(case, False), (other, True)])
    others_only = package(icc, [(other, True)])
    sent_with_her_name = package(
        icc, [(case, True)], State.SENT, sent_on=datetime.date(2026, 12, 1)
    )
    client.post(PAGE.format(lang="en"), {"share_icc_otp": "on", "identity": "without"})
    assert state_of(with_her_name) == State.STOPPED
    assert state_of(without_her_name) == State.PREPARED
    assert state_of(others_only) == State.PREPARED
    assert state_of(sent_with_her_name) == State.SENT


# --- What was sent ----------------------------------------------------------------------------


def test_she_sees_what_was_sent_to_whom_and_on_which_day(client: Client, service_keys) -> None:
    case, _ = returning(client)
    icc, national = recipient(Kind.ICC_OTP, "Office A"), recipient(Kind.NATIONAL, "Unit B")
    un = recipient(Kind.UN, "Commission C")
    sent_day = datetime.date(2026, 12, 2)
    package(icc, [(case, True)], State.SENT, sent_on=sent_day)
    package(national, [(case, False)])
    package(un, [(case, False)], State.STOPPED, stopped_on=datetime.date(2026, 12, 3))
    page = client.get(PAGE.format(lang="en")).content.decode()
    with translation.override("en"):
        day = formats.date_format(sent_day, "DATE_FORMAT")
    sent = page[page.index('id="sent-title"') :]
    assert f"Sent on {day}." in sent
    assert "Office A" in sent
    assert "The ICC Office of the Prosecutor" in sent
    assert "What was sent cannot be pulled back." in sent
    assert "With your name and contact details." in sent
    assert sent.index("Office A") < sent.index("Prepared, not sent yet") < sent.index("Unit B")
    assert sent.index("Stopped") < sent.index("Commission C")
    assert "00:00" not in sent

    packages = actions.justice_packages(case)
    assert [(p.recipient, p.kind, p.day) for p in packages.sent] == [
        ("Office A", Kind.ICC_OTP, sent_day)
    ]
    assert [p.recipient for p in packages.prepared] == ["Unit B"]
    assert [p.recipient for p in packages.stopped] == ["Commission C"]


def test_another_survivor_never_sees_them(client: Client, service_keys) -> None:
    case, _ = returning(client)
    package(
        recipient(Kind.ICC_OTP, "Office A"),
        [(case, False)],
        State.SENT,
        sent_on=datetime.date(2026, 12, 2),
    )
    someone_else = Client(REMOTE_ADDR="10.250.2.2")
    returning(someone_else)
    page = someone_else.get(PAGE.format(lang="en")).content.decode()
    assert "Office A" not in page
    assert "Nothing has been sent." in page
    assert "Office A" in client.get(PAGE.format(lang="en")).content.decode()


def test_without_a_session_the_page_asks_for_the_receipt(client: Client, service_keys) -> None:
    case, _ = returning(Client(REMOTE_ADDR="10.250.3.3"))
    before = AuditEntry.objects.count()
    assert client.get(PAGE.format(lang="en"))["Location"] == "/en/intake/return/"
    response = client.post(PAGE.format(lang="en"), {"share_icc_otp": "on", "identity": "with"})
    assert response.status_code == 302
    assert response["Location"].startswith("/en/intake/return/")
    case.refresh_from_db()
    assert case.justice_consent is None
    assert AuditEntry.objects.count() == before


# --- Counted in statistics, only if she agrees at intake -------------------------------------


@pytest.mark.parametrize("ticked", [False, True])
def test_the_statistics_answer_is_sealed_with_her_consent(
    client: Client, service_keys, ticked: bool
) -> None:
    data = account_data(narrative="x")
    if ticked:
        data["consent-consent_statistics"] = "on"
    _, receipt = send(client, data)
    assert receipt is not None
    opened = access.open_case_with_receipt(receipt.replace(" ", ""))
    assert opened is not None
    answers = actions.read_case(*opened).answers
    assert answers["consent"]["statistics"] is ticked


def test_the_statistics_question_is_optional_off_and_explained(client: Client) -> None:
    page = client.get("/en/intake/consent/").content.decode()
    assert not checked(page, "consent-consent_statistics")
    assert "Small numbers are never shown." in page
    assert "If you withdraw your account, your counts are removed." in page
    assert 'aria-describedby="id_consent-consent_statistics_helptext"' in page
