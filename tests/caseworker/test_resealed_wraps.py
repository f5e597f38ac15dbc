"""A caseworker's wrap of a case key is resealed the first time she opens the case
(intake/access.py, _open_staff_wrap): the next opening needs no HPKE, and the resealed form opens
only with her own key, for that case, through the access door (docs/security.md, section 6).
"""

import pytest
from django.test import Client

from intake import crypto
from intake.access import CASE_KEY_RESEALED
from intake.models import AuditEntry, Case, KeyWrap
from tests.caseworker.conftest import sign_in
from tests.caseworker.test_cases import route_to
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_routed(service_keys, caseworker):
    for narrative in ("The first account.", "The second account."):
        send(Client(), account_data(narrative=narrative))
    first, second = Case.objects.order_by("id")
    return (
        (first, route_to(first, service_keys, caseworker.profile)),
        (second, route_to(second, service_keys, caseworker.profile)),
    )


def her_wrap(case: Case, caseworker) -> KeyWrap:
    return KeyWrap.objects.get(case=case, recipient=caseworker.profile.recipient)


def test_the_second_opening_needs_no_hpke_and_is_still_audited(
    two_routed, caseworker, unwrapped: list[str]
) -> None:
    (case, case_key), _ = two_routed
    assert not crypto.is_resealed(bytes(her_wrap(case, caseworker).wrapped))
    client = sign_in(Client(), caseworker)
    for _ in range(3):
        page = client.get(f"/caseworker/cases/{case.public_id}/")
        assert page.status_code == 200
        assert "The first account." in page.content.decode()
    assert unwrapped == [case.case_id]  # HPKE once, at the first opening
    stored = bytes(her_wrap(case, caseworker).wrapped)
    assert crypto.is_resealed(stored)
    assert case_key not in stored
    assert AuditEntry.objects.filter(action="case.viewed", case_ref=case.case_id).count() == 3


def test_a_resealed_wrap_opens_only_with_her_key_and_for_its_case(
    two_routed, caseworker, other_caseworker
) -> None:
    (case, case_key), (second, _) = two_routed
    client = sign_in(Client(), caseworker)
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 200
    wrap = her_wrap(case, caseworker)
    resealed = bytes(wrap.wrapped)
    bound = {"case_id": case.case_id, "recipient": wrap.recipient, "key_id": wrap.key_id}
    mine = crypto.resealing_key(caseworker.profile.open_private_key(caseworker.password))
    assert crypto.open_resealed(resealed, mine, purpose=CASE_KEY_RESEALED, **bound) == case_key
    theirs = crypto.resealing_key(
        other_caseworker.profile.open_private_key(other_caseworker.password)
    )
    with pytest.raises(crypto.DecryptionError):
        crypto.open_resealed(resealed, theirs, purpose=CASE_KEY_RESEALED, **bound)
    with pytest.raises(crypto.DecryptionError):  # not a queue summary, nor any other purpose
        crypto.open_resealed(resealed, mine, purpose="queue-summary", **bound)
    # Put in her wrap of another case, it opens nothing: that case's page is a 404.
    KeyWrap.objects.filter(pk=her_wrap(second, caseworker).pk).update(wrapped=resealed)
    assert client.get(f"/caseworker/cases/{second.public_id}/").status_code == 404
    assert client.get(f"/caseworker/cases/{case.public_id}/").status_code == 200


def test_a_wrap_replaced_meanwhile_is_not_overwritten(two_routed, caseworker) -> None:
    """The reseal writes only over the wrap it opened (a hand-over or a new grant may have
    replaced it between the read and the write)."""
    from django.db import connection

    from intake.access import _RESEAL_SQL

    (case, _), _ = two_routed
    wrap = her_wrap(case, caseworker)
    with connection.cursor() as cursor:
        cursor.execute(_RESEAL_SQL, [b"\x02 other", wrap.pk, b"not what is stored"])
    assert bytes(her_wrap(case, caseworker).wrapped) == bytes(wrap.wrapped)
