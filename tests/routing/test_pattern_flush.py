"""Count changes reach the counts only in mixes of at least PATTERN_FLUSH_MIN accounts, in a
transaction of their own (intake/actions/pattern_changes.py): routing and withdrawal leave only
ciphertext sealed to the routing key, one row per account, all of one length."""

import logging
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from intake import actions, crypto, routing
from intake.actions import pattern_changes
from intake.actions.pattern_changes import open_change, seal_change
from intake.answers import HARMS
from intake.models import Case, PatternChange, PatternCount, RecipientKey
from intake.tasks import apply_pattern_changes
from tests.caseworker.conftest import make_persona
from tests.conftest import routing_case_key
from tests.routing.test_pattern_counts import counts, record, submit

pytestmark = pytest.mark.django_db

CELL = ("2025-03", "sudan", "north darfur", "adult", "threats")


@pytest.fixture
def caseworker_for_all(db):
    return make_persona("anyone@example.org", languages=["en", "ar"], capacity=100)


def opened_changes(service_keys) -> list[Counter]:
    private = crypto.load_private_key(service_keys.routing.read_bytes())
    return [open_change(private, change) for change in PatternChange.objects.order_by("pk")]


def test_routing_leaves_one_sealed_change_per_account_all_of_one_length(
    service_keys, caseworker_for_all, settings
) -> None:
    settings.ROUTING_BATCH_SIZE = 100
    every_harm = [harm for harm, _label in HARMS]
    cases = [
        submit(service_keys, True, country="Kordofan-Land", region="Zalingei")[0],
        submit(service_keys, True, country="𐒀" * 100, region="𐒁" * 100, harms=every_harm)[0],
        submit(service_keys, False, harms=every_harm)[0],
        submit(service_keys, None)[0],
    ]
    routing.route_case(cases[0].pk)
    assert Case.objects.filter(pattern_record__isnull=True).count() == 0
    changes = list(PatternChange.objects.all())
    # One per routed account, those who did not agree too, so the rows do not say who agreed.
    assert len(changes) == len(cases)
    assert len({len(bytes(change.sealed)) for change in changes}) == 1
    for change in changes:
        sealed = bytes(change.sealed)
        for word in (b"kordofan", b"Kordofan", b"zalingei", b"2025", b"threats", b"adult"):
            assert word not in sealed
        assert "𐒀".encode() not in sealed
    key = RecipientKey.objects.get(purpose="routing", active=True)
    assert {change.key_id for change in changes} == {key.key_id}
    # What they hold: +1 for each cell of those who agreed, nothing for the others.
    assert sorted(sum(c.values()) for c in opened_changes(service_keys)) == [
        0, 0, 2, len(every_harm)
    ]  # fmt: skip
    assert PatternCount.objects.count() == 0


def test_a_change_names_no_case_and_no_time() -> None:
    fields = {field.name for field in PatternChange._meta.get_fields()}
    assert fields == {"id", "key_id", "sealed"}
    assert not any(field.is_relation for field in PatternChange._meta.get_fields())


def test_the_routing_batch_writes_no_count(service_keys, caseworker_for_all, settings) -> None:
    PatternCount.objects.create(
        month="2025-03", country="sudan", region="north darfur", age_group="adult",
        harm="threats", count=7,
    )  # fmt: skip
    settings.PATTERN_FLUSH_MIN = 1
    case, _, _ = submit(service_keys, True, harms=["threats"])
    with CaptureQueriesContext(connection) as captured:
        assert routing.route_case(case.pk).outcome == "routed"
    assert counts() == {CELL: 7}
    assert not [q for q in captured if "intake_patterncount" in q["sql"]]


def test_nothing_reaches_the_counts_below_the_minimum(
    service_keys, caseworker_for_all, settings
) -> None:
    settings.PATTERN_FLUSH_MIN = 3
    first, _, _ = submit(service_keys, True, harms=["threats"])
    second, _, _ = submit(service_keys, False)
    routing.route_case(first.pk)
    routing.route_case(second.pk)
    assert apply_pattern_changes() == 0
    assert counts() == {}
    assert PatternChange.objects.count() == 2
    third, _, _ = submit(service_keys, True, harms=["threats"])
    routing.route_case(third.pk)
    assert apply_pattern_changes() == 3
    assert counts() == {CELL: 2}
    assert not PatternChange.objects.exists()


def test_the_default_minimum_is_ten(settings) -> None:
    from portal.settings import PATTERN_FLUSH_MIN

    assert PATTERN_FLUSH_MIN == 10
    assert "intake.tasks.apply_pattern_changes" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_the_flush_applies_all_in_one_transaction_and_equals_counting_directly(
    service_keys, caseworker_for_all, settings
) -> None:
    """Many accounts, some not counted, one withdrawn: one flush gives what adding each record
    and taking the withdrawn one away would have given."""
    settings.PATTERN_FLUSH_MIN = 5
    cases = [
        submit(service_keys, True, harms=["threats", "detention"])[0],
        submit(service_keys, True, country="Chad", harms=["threats"])[0],
        submit(service_keys, False, harms=["threats"])[0],
        submit(service_keys, True, region="West Darfur", harms=[])[0],
        submit(service_keys, None)[0],
    ]
    keys = {}
    for case in cases:
        routing.route_case(case.pk)
        case.refresh_from_db()
    for case in cases:
        keys[case.pk] = routing_case_key(case, service_keys.routing)
    direct: Counter = Counter()
    for case in cases[1:]:
        direct.update(record(case, keys[case.pk]))
    actions.withdraw_case(cases[0], case_key=keys[cases[0].pk])
    assert PatternChange.objects.count() == len(cases) + 1
    with CaptureQueriesContext(connection) as captured:
        assert apply_pattern_changes() == len(cases) + 1
    assert counts() == dict(direct)
    assert not PatternChange.objects.exists()
    # One transaction (a savepoint inside the test's own): every statement within it.
    sql = [q["sql"] for q in captured]
    assert len([s for s in sql if s.startswith("SAVEPOINT")]) == 1
    assert sql[0].startswith("SAVEPOINT")
    assert sql[-1].startswith("RELEASE SAVEPOINT")
    # One flush at a time (pattern_changes.apply_pending says why): the counts' table is locked
    # against other writers first.
    assert sql[1] == 'LOCK TABLE "intake_patterncount" IN SHARE ROW EXCLUSIVE MODE'


def test_a_failing_flush_changes_nothing(
    service_keys, caseworker_for_all, settings, monkeypatch
) -> None:
    settings.PATTERN_FLUSH_MIN = 1
    PatternCount.objects.create(
        month="2025-03", country="sudan", region="north darfur", age_group="adult",
        harm="detention", count=4,
    )  # fmt: skip
    case, case_key, _ = submit(service_keys, True, harms=["threats"])
    routing.route_case(case.pk)
    actions.withdraw_case(case, case_key=case_key)

    def broken(*args: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(pattern_changes, "subtract_counts", broken)
    with pytest.raises(RuntimeError):
        apply_pattern_changes()
    assert counts() == {(*CELL[:4], "detention"): 4}
    assert PatternChange.objects.count() == 2


def test_a_withdrawal_adds_a_minus_one_change_and_the_flush_subtracts_it(
    service_keys, caseworker_for_all, settings
) -> None:
    settings.PATTERN_FLUSH_MIN = 1
    survivor = Client()
    case, _case_key, receipt = submit(service_keys, True, client=survivor, harms=["threats"])
    routing.route_case(case.pk)
    assert apply_pattern_changes() == 1
    assert counts() == {CELL: 1}
    assert survivor.post("/en/intake/return/", {"receipt": receipt}).status_code == 302
    survivor.post("/en/intake/my-account/withdraw/", {"confirm": "on"})
    assert not Case.objects.filter(pk=case.pk).exists()
    assert counts() == {CELL: 1}
    assert opened_changes(service_keys) == [Counter({CELL: -1})]
    assert apply_pattern_changes() == 1
    assert counts() == {}
    assert not PatternCount.objects.exists()  # no row left at zero


def test_every_withdrawal_adds_one_change_of_the_same_length(
    service_keys, caseworker_for_all
) -> None:
    counted, counted_key, _ = submit(service_keys, True, harms=["threats"])
    refused, refused_key, _ = submit(service_keys, False)
    routing.route_case(counted.pk)
    routing.route_case(refused.pk)
    unrouted, unrouted_key, _ = submit(service_keys, True)  # after: no batch takes it
    PatternChange.objects.all().delete()
    for case, key in ((counted, counted_key), (refused, refused_key), (unrouted, unrouted_key)):
        actions.withdraw_case(case, case_key=key)
    changes = list(PatternChange.objects.order_by("pk"))
    assert len(changes) == 3
    assert len({len(bytes(change.sealed)) for change in changes}) == 1
    assert opened_changes(service_keys) == [Counter({CELL: -1}), Counter(), Counter()]


def test_the_purge_adds_no_change(service_keys, caseworker_for_all) -> None:
    case, _, _ = submit(service_keys, True)
    routing.route_case(case.pk)
    PatternChange.objects.all().delete()
    actions.withdraw_case(case, action="case.purged")
    assert not PatternChange.objects.exists()


def test_a_redelivered_routing_message_adds_no_second_change(
    service_keys, caseworker_for_all
) -> None:
    case, _, _ = submit(service_keys, True, harms=["threats"])
    assert routing.route_case(case.pk, token="delivery-1").outcome == "routed"
    assert routing.route_case(case.pk, token="delivery-1").outcome == "not-claimed"
    assert PatternChange.objects.count() == 1


def test_the_flush_is_idempotent(service_keys, caseworker_for_all, settings) -> None:
    settings.PATTERN_FLUSH_MIN = 1
    case, _, _ = submit(service_keys, True, harms=["threats"])
    routing.route_case(case.pk)
    assert apply_pattern_changes() == 1
    after = counts()
    with CaptureQueriesContext(connection) as captured:
        assert apply_pattern_changes() == 0
    assert counts() == after == {CELL: 1}
    writes = ("INSERT", "UPDATE", "DELETE")
    assert not [q for q in captured if q["sql"].startswith(writes)]


def test_a_change_that_does_not_open_is_left_and_logged_without_content(
    service_keys, caseworker_for_all, settings, caplog
) -> None:
    settings.PATTERN_FLUSH_MIN = 1
    old = RecipientKey.objects.create(
        purpose="routing",
        key_id="old-routing-key",
        public_key=crypto.generate_key_pair().public,
        active=False,
    )
    stranger = seal_change(old, [CELL], +1)
    stranger.save()
    case, _, _ = submit(service_keys, True, harms=["threats"])
    routing.route_case(case.pk)
    with caplog.at_level(logging.WARNING):
        assert apply_pattern_changes() == 1
    assert counts() == {CELL: 1}
    assert list(PatternChange.objects.values_list("pk", flat=True)) == [stranger.pk]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"pattern change {stranger.pk}" in logged
    assert "sudan" not in logged
    assert "threats" not in logged


def test_changes_that_do_not_open_do_not_count_towards_the_minimum(
    service_keys, caseworker_for_all, settings
) -> None:
    settings.PATTERN_FLUSH_MIN = 2
    PatternChange.objects.create(key_id="nothing", sealed=b"\x01" + bytes(3000))
    case, _, _ = submit(service_keys, True, harms=["threats"])
    routing.route_case(case.pk)
    assert apply_pattern_changes() == 0
    assert counts() == {}
    assert PatternChange.objects.count() == 2
