"""A burst of submissions from one address, three times the hourly limit, all at the same moment.

gunicorn runs with a limit of 3 accounts an hour per address, behind one proxy (the survivor's
address is the one the proxy adds to X-Forwarded-For, an address of this test's own). Nine
survivors' browsers on that address press Send together. Exactly three get a receipt; the six
others are told kindly that nothing was saved and to wait, with their text still on the page; the
database holds exactly the three receipted accounts. Someone on another address is not affected.
"""

import threading

import pytest

from intake import crypto
from intake.models import Case, RoutingJob, SubmissionToken
from tests.faults.conftest import (
    RECEIVED,
    TOO_MANY,
    Submission,
    Visitor,
    assert_received,
    narrative_of,
    open_with_receipt,
    review,
    send_reviewed,
    survivor_address,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

LIMIT = 3
BURST = 3 * LIMIT


def test_a_burst_beyond_the_rate_limit_loses_and_duplicates_nothing(
    web_server_factory, service_keys, settings
) -> None:
    server = web_server_factory(INTAKE_SUBMISSIONS_PER_HOUR=str(LIMIT))
    address = survivor_address()
    visitors = [Visitor(server.url, forwarded_for=address) for _ in range(BURST)]
    narratives = [f"burst account {number}" for number in range(BURST)]
    # Reviewing is not counted: only Send is.
    reviewed = [review(v, n) for v, n in zip(visitors, narratives, strict=True)]

    results: list[Submission | BaseException] = [ValueError("not sent")] * BURST
    go = threading.Barrier(BURST)

    def press_send(number: int) -> None:
        try:
            go.wait(timeout=30)
            results[number] = send_reviewed(visitors[number], *reviewed[number])
        except BaseException as error:  # reported below, not lost in a thread
            results[number] = error

    threads = [threading.Thread(target=press_send, args=(n,)) for n in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    sent = [r for r in results if isinstance(r, Submission)]
    assert len(sent) == BURST, [r for r in results if not isinstance(r, Submission)]

    received = [s for s in sent if s.receipt]
    refused = [s for s in sent if not s.receipt]
    assert len(received) == LIMIT, [(s.page.status, s.narrative) for s in sent]
    for submission in received:
        assert_received(submission)
    for submission in refused:
        page = submission.page
        assert page.status == 429, page.text[:3000]
        assert TOO_MANY in page.text
        assert "Please wait an hour and send again; what you typed is still here." in page.text
        assert RECEIVED.lower() not in page.text.lower()
        assert 'id="receipt-code"' not in page.text
        assert f'value="{submission.narrative}"' in page.text

    # Exactly the receipted accounts exist, once each, with their own words.
    lookup_key = settings.RECEIPT_LOOKUP_KEY.encode()
    assert Case.objects.count() == LIMIT
    assert RoutingJob.objects.count() == SubmissionToken.objects.count() == LIMIT
    for submission in received:
        receipt = crypto.normalise_receipt(submission.receipt or "") or ""
        case = Case.objects.get(receipt_lookup=crypto.receipt_secrets(receipt, lookup_key).lookup)
        assert narrative_of(case, service_keys.coordinators) == submission.narrative
        page = open_with_receipt(Visitor(server.url), receipt)
        assert page.status == 200, page.text[:2000]

    # The limit is this address's: a survivor elsewhere sends as usual.
    other = Visitor(server.url)
    assert_received(send_reviewed(other, *review(other, "from another address")))
    assert Case.objects.count() == LIMIT + 1


def test_receipt_keys_derived_at_the_same_moment_all_succeed() -> None:
    """Survivors sending at once to one gunicorn worker derive their keys in parallel threads
    (Argon2id, intake/crypto/kdf.py). Each derivation must succeed and give the same key as
    alone."""
    inputs = [(crypto.new_receipt(), b"server secret") for _ in range(4)]
    results: list[object] = [None] * len(inputs)

    def derive(number: int) -> None:
        try:
            results[number] = crypto.receipt_secrets(*inputs[number]).survivor
        except BaseException as error:
            results[number] = error

    # Daemon threads: if derivations wait for each other forever, the test fails, not hangs.
    threads = [threading.Thread(target=derive, args=(n,), daemon=True) for n in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "key derivations never finished"
    assert results == [crypto.receipt_secrets(*pair).survivor for pair in inputs]
