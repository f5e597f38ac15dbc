"""The queue tells cases apart without opening them (issue 19, "Caseworkers read less trauma").

Each row shows a short case reference, the reply language and the kinds of harm, a "new message"
mark and times in words and in ISO form. Language and harms come from a summary sealed to the
caseworker alone beside their wrap of the case key (intake.actions.queue_summary): showing the
queue unwraps no case key and writes no audit entry, and nobody else's queue or key shows it.
"""

import json
import re

import pytest
from django.test import Client

from bench.seed import copy_cases
from intake import actions, crypto
from intake.crypto import keys
from intake.models import AuditEntry, Case, KeyWrap
from tests.caseworker.conftest import sign_in
from tests.caseworker.test_cases import route_to
from tests.conftest import routing_case_key
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db

HARMS = ["forced_marriage", "detention"]


@pytest.fixture
def routed(service_keys, caseworker):
    send(
        Client(),
        account_data(narrative="They took my passport.", preferred_language="fa", harms=HARMS),
    )
    case = Case.objects.get()
    case_key = route_to(case, service_keys, caseworker.profile)
    return case, case_key


def ref(case: Case) -> str:
    return str(case.public_id)[:8]


def stored_summary(wrap: KeyWrap) -> bytes:
    assert wrap.queue_summary is not None
    return bytes(wrap.queue_summary)


def test_a_queue_row_shows_reference_language_harms_and_times(routed, caseworker) -> None:
    case, _ = routed
    page = sign_in(Client(), caseworker).get("/caseworker/").content.decode()
    assert f">{ref(case)}</a>" in page
    assert "Persian" in page
    assert "Forced marriage, Detention" in page
    assert "this hour" in page  # received, in words (times are kept to the hour)
    assert re.search(r"\(\d{4}-\d{2}-\d{2} \d{2}:00 UTC\)", page)  # and as an unambiguous date
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", page)  # never 12/06/2026
    assert "They took my passport" not in page


def test_the_queue_is_in_the_caseworkers_language(routed, caseworker) -> None:
    client = sign_in(Client(), caseworker)
    page = client.get("/caseworker/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert 'lang="ar"' in page
    # "Forced marriage, Detention" in the survivor's own form's words, with an Arabic comma.
    assert "الزواج القسري، الاحتجاز" in page
    assert "الفارسيّة" in page  # Persian, as Django names it in Arabic


def test_showing_the_queue_neither_opens_the_account_nor_is_audited(
    routed, caseworker, unwrapped: list[str]
) -> None:
    case, _ = routed
    client = sign_in(Client(), caseworker)
    entries = AuditEntry.objects.count()
    page = client.get("/caseworker/").content.decode()
    assert "Forced marriage" in page
    assert unwrapped == []
    assert AuditEntry.objects.count() == entries
    # Opening the case itself is still audited, as before.
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 200
    assert unwrapped == [case.case_id]
    assert AuditEntry.objects.filter(action="case.viewed", case_ref=case.case_id).count() == 1


def test_the_summary_is_sealed_to_its_caseworker_alone(routed, caseworker, other_caseworker):
    case, _ = routed
    wrap = KeyWrap.objects.get(case=case, recipient=caseworker.profile.recipient)
    assert wrap.queue_summary is not None
    sealed = bytes(wrap.queue_summary)
    assert b"forced_marriage" not in sealed
    assert b"harms" not in sealed
    mine = crypto.load_private_key(caseworker.profile.open_private_key(caseworker.password))
    opened = actions.open_queue_summary(
        sealed, mine, case=case, recipient=wrap.recipient, key_id=wrap.key_id
    )
    assert opened == {"language": "fa", "harms": HARMS}
    # Another caseworker's key opens nothing, nor does the right key for another case.
    theirs = crypto.load_private_key(
        other_caseworker.profile.open_private_key(other_caseworker.password)
    )
    assert (
        actions.open_queue_summary(
            sealed, theirs, case=case, recipient=wrap.recipient, key_id=wrap.key_id
        )
        is None
    )
    other_case = Case(public_id="00000000-0000-4000-8000-000000000000")
    assert (
        actions.open_queue_summary(
            sealed, mine, case=other_case, recipient=wrap.recipient, key_id=wrap.key_id
        )
        is None
    )
    # Nor does it pass for a wrap of the case key: HPKE refuses it under a wrap's info.
    from cryptography.exceptions import InvalidTag

    wrap_info = keys.wrap_info(case.case_id, wrap.recipient, wrap.key_id)
    with pytest.raises(InvalidTag):
        crypto.SUITE.decrypt(sealed[1:], mine, info=wrap_info)


@pytest.mark.parametrize("persona", ["other_caseworker", "unvetted_caseworker", "coordinator"])
def test_nobody_else_sees_the_summary(routed, persona, request: pytest.FixtureRequest) -> None:
    case, _ = routed
    client = sign_in(Client(), request.getfixturevalue(persona))
    page = client.get("/caseworker/").content.decode()
    assert ref(case) not in page
    assert "Forced marriage" not in page
    assert "Persian" not in page
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 404


def test_the_summary_goes_with_the_wrap_and_follows_a_hand_over(
    routed, caseworker, other_caseworker
) -> None:
    case, case_key = routed
    actions.hand_over(case, case_key, caseworker.profile, other_caseworker.profile)
    old = sign_in(Client(), caseworker).get("/caseworker/").content.decode()
    assert ref(case) not in old
    assert "Forced marriage" not in old
    new = sign_in(Client(), other_caseworker).get("/caseworker/").content.decode()
    assert f">{ref(case)}</a>" in new
    assert "Forced marriage, Detention" in new
    actions.escalate(case, other_caseworker.profile)
    assert not KeyWrap.objects.filter(case=case, queue_summary__isnull=False).exists()


def test_a_login_without_its_key_still_shows_the_queue_without_summaries(
    routed, caseworker
) -> None:
    case, _ = routed
    client = sign_in(Client(), caseworker)
    del client.cookies["staff_unlock"]
    response = client.get("/caseworker/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f">{ref(case)}</a>" in page
    assert "Forced marriage" not in page


def test_a_wrap_from_before_summaries_shows_the_row_without_one(routed, caseworker) -> None:
    case, _ = routed
    KeyWrap.objects.filter(case=case, recipient=caseworker.profile.recipient).update(
        queue_summary=None
    )
    page = sign_in(Client(), caseworker).get("/caseworker/").content.decode()
    assert f">{ref(case)}</a>" in page
    assert "Forced marriage" not in page


def test_new_message_marks_a_case_until_the_caseworker_replies(routed, caseworker) -> None:
    case, case_key = routed
    client = sign_in(Client(), caseworker)
    assert "New message</strong>" not in client.get("/caseworker/").content.decode()
    actions.send_survivor_message(case, case_key, "Are you there?")
    assert "New message</strong>" in client.get("/caseworker/").content.decode()
    client.post(f"/caseworker/cases/{case.public_id}/reply/", {"text": "Yes, I am here."})
    assert "New message</strong>" not in client.get("/caseworker/").content.decode()
    actions.send_survivor_message(case, case_key, "Thank you.")
    assert "New message</strong>" in client.get("/caseworker/").content.decode()


def test_a_page_of_fifty_summaries_parses_the_private_key_once(
    service_keys, caseworker, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(Client(), account_data(preferred_language="ar", harms=["threats"]))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    # 49 more, each with a summary really sealed to the caseworker for its own case.
    copy_cases(case, caseworkers=[caseworker.profile], count=49)
    client = sign_in(Client(), caseworker)
    parses: list[int] = []
    real_parse = keys._private_key

    def counting_parse(private: bytes):
        parses.append(1)
        return real_parse(private)

    monkeypatch.setattr(keys, "_private_key", counting_parse)
    page = client.get("/caseworker/").content.decode()
    assert len(set(re.findall(r'href="/caseworker/cases/([0-9a-f-]{36})/"', page))) == 50
    assert page.count("Arabic</td>") == 50
    assert len(parses) == 1


def test_the_first_view_reseals_the_summaries_and_later_views_need_no_hpke(
    service_keys, caseworker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening 50 HPKE summaries on every view was 17% of the queue's time (docs/performance.md,
    issue 16): the first view reseals each under the caseworker's resealing key, in one UPDATE,
    and later views open them with AES-GCM, without parsing the private key."""
    send(Client(), account_data(preferred_language="ar", harms=["threats"]))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    copy_cases(case, caseworkers=[caseworker.profile], count=49)
    mine = KeyWrap.objects.filter(recipient=caseworker.profile.recipient)
    assert not any(crypto.is_resealed(stored_summary(wrap)) for wrap in mine.all())
    client = sign_in(Client(), caseworker)
    assert client.get("/caseworker/").content.decode().count("Arabic</td>") == 50
    assert all(crypto.is_resealed(stored_summary(wrap)) for wrap in mine.all())
    parses: list[int] = []
    opened_with_hpke: list[int] = []
    real_parse, real_open = keys._private_key, crypto.open_sealed_to_recipient

    def counting_parse(private: bytes):
        parses.append(1)
        return real_parse(private)

    def counting_open(*args, **kwargs):
        opened_with_hpke.append(1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(keys, "_private_key", counting_parse)
    monkeypatch.setattr(crypto, "open_sealed_to_recipient", counting_open)
    page = client.get("/caseworker/").content.decode()
    assert page.count("Arabic</td>") == 50
    assert page.count("Threats") >= 50
    assert parses == []
    assert opened_with_hpke == []


def test_a_resealed_summary_opens_for_its_caseworker_alone(
    routed, caseworker, other_caseworker
) -> None:
    """Copied into another caseworker's wrap of the same case (someone writing to the
    database), a resealed summary opens for nobody: it is bound to its recipient and key."""
    case, case_key = routed
    mine = sign_in(Client(), caseworker)
    assert "Forced marriage" in mine.get("/caseworker/").content.decode()
    actions.grant_case(case, case_key, other_caseworker.profile, by=None, action="case.granted")
    resealed = stored_summary(
        KeyWrap.objects.get(case=case, recipient=caseworker.profile.recipient)
    )
    assert crypto.is_resealed(resealed)
    KeyWrap.objects.filter(case=case, recipient=other_caseworker.profile.recipient).update(
        queue_summary=resealed
    )
    page = sign_in(Client(), other_caseworker).get("/caseworker/").content.decode()
    assert f">{ref(case)}</a>" in page
    assert "Forced marriage" not in page
    # Nor does a login without its key cookie open it.
    del mine.cookies["staff_unlock"]
    assert "Forced marriage" not in mine.get("/caseworker/").content.decode()


def test_resealing_never_overwrites_a_summary_that_changed_meanwhile(routed, caseworker) -> None:
    """A grant again between the read and the write replaces the summary: the resealed old one
    must not overwrite it (intake.actions.read_models._store_resealed)."""
    from intake.actions import read_models

    case, _ = routed
    wrap = KeyWrap.objects.get(case=case, recipient=caseworker.profile.recipient)
    stored = stored_summary(wrap)
    read_models._store_resealed([(wrap.pk, b"what was read before the grant", b"\x02stale")])
    assert stored_summary(KeyWrap.objects.get(pk=wrap.pk)) == stored
    read_models._store_resealed([(wrap.pk, stored, b"\x02new")])
    assert stored_summary(KeyWrap.objects.get(pk=wrap.pk)) == b"\x02new"


def test_the_summary_is_made_from_the_routing_hints_not_the_account(routed) -> None:
    case, case_key = routed
    hints = actions.open_json(case_key, case.case_id, "routing-hints", bytes(case.routing_hints))
    assert hints["harms"] == HARMS
    assert actions.queue_summary(case, case_key) == {"language": "fa", "harms": HARMS}
    # Hints sealed before the kinds of harm were added to them: the language only.
    del hints["harms"]
    case.routing_hints = crypto.seal(
        case_key,
        case_id=case.case_id,
        item="routing-hints",
        plaintext=json.dumps(hints).encode(),
    )
    assert actions.queue_summary(case, case_key) == {"language": "fa", "harms": None}


def test_routing_in_the_worker_seals_the_summary(service_keys, caseworker, settings) -> None:
    from intake.routing import route_case

    send(Client(), account_data(preferred_language="ar", harms=["threats"]))
    case = Case.objects.get()
    route_case(case.pk)
    wrap = KeyWrap.objects.get(case=case, recipient=caseworker.profile.recipient)
    assert wrap.queue_summary is not None
    page = sign_in(Client(), caseworker).get("/caseworker/").content.decode()
    assert "Threats" in page
    assert "Arabic" in page
    assert routing_case_key(case, service_keys.routing)  # the routing wrap is still there


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_summarys_words_are_nowhere_in_the_database_in_the_clear(
    service_keys, caseworker
) -> None:
    from tests.intake.test_canary import pg_dump

    # Codes that exist nowhere else: were the summary (or the hints it comes from) stored in the
    # clear, a dump of the whole database would hold them.
    canaries = ["sterilisation_or_pregnancy", "forced_marriage"]
    send(Client(), account_data(preferred_language="uk", harms=canaries))
    case = Case.objects.get()
    route_to(case, service_keys, caseworker.profile)
    page = sign_in(Client(), caseworker).get("/caseworker/").content.decode()
    assert "Forced sterilisation or forced pregnancy, Forced marriage" in page  # stored, really
    assert "Ukrainian" in page
    # The view resealed it (test_the_first_view_reseals_...): the dump holds that form.
    assert crypto.is_resealed(
        stored_summary(KeyWrap.objects.get(recipient=caseworker.profile.recipient))
    )
    dump = pg_dump()
    assert b"intake_keywrap" in dump
    assert b"queue_summary" in dump
    for canary in canaries:
        assert canary.encode() not in dump, canary
        assert canary.encode().hex().encode() not in dump, canary
    assert b'"harms"' not in dump
    assert b'"harms"'.hex().encode() not in dump


def test_a_case_whose_hints_do_not_open_is_still_granted(routed, caseworker, other_caseworker):
    case, case_key = routed
    case.routing_hints = b"\x01" + bytes(40)  # not a sealed item of this case
    actions.hand_over(case, case_key, caseworker.profile, other_caseworker.profile)
    page = sign_in(Client(), other_caseworker).get("/caseworker/").content.decode()
    assert f">{ref(case)}</a>" in page
    assert "Forced marriage" not in page


def test_what_a_summary_says_is_shown_as_text_never_as_html(routed, caseworker) -> None:
    """The queue's rows are put together in Python (intake/caseworker/queue.py, table_rows): a
    summary holding markup (a code no list knows is shown as stored) is escaped there too."""
    case, _ = routed
    sealed = actions.seal_queue_summary(
        {"language": "<i>xx</i>", "harms": ['<script>alert("x")</script>']},
        case,
        caseworker.profile,
    )
    KeyWrap.objects.filter(case=case, recipient=caseworker.profile.recipient).update(
        queue_summary=sealed
    )
    page = sign_in(Client(), caseworker).get("/caseworker/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<script>" not in page
    assert "&lt;i&gt;xx&lt;/i&gt;" in page
