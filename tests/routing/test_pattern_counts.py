"""Pattern counts follow routing, only with her consent, once per account; her withdrawal takes
them away again, the retention purge keeps them; nothing in the database ties a count to a case
in the clear (intake/actions/patterns.py, docs/accountability.md).

Routing and withdrawal add pending changes sealed to the routing key; the beat task
apply_pattern_changes applies them, run here in-process (`flush()`). Its minimum is 1 in this
module, so each test sees what its accounts did; tests/routing/test_pattern_flush.py checks the
minimum, the sealing and the flush itself."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from intake import actions, routing
from intake.actions.patterns import cells_of, month_of, open_record, place
from intake.answers import HARMS
from intake.models import Case, PatternChange, PatternCount, RecipientKey, RoutingJob
from intake.tasks import apply_pattern_changes, purge_expired_cases
from tests.caseworker.conftest import make_persona
from tests.conftest import routing_case_key
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db

ACCOUNT = {
    "country": "Sudan",
    "region": "North  Darfur",
    "when_month": "3",
    "when_year": "2025",
    "harms": ["sexual_violence", "threats"],
}


def submit(service_keys, statistics: bool | None, client: Client | None = None, **answers):
    """An account sent through the survivor's pages; her statistics choice (made at intake by
    another part of issue 17) is sealed into the answers here, as the intake will: True, False,
    or None for an account from before the question (no key at all)."""
    _, receipt = send(client or Client(), account_data(**{**ACCOUNT, **answers}))
    case = Case.objects.order_by("-pk").first()
    assert case is not None
    case_key = routing_case_key(case, service_keys.routing)
    sealed = actions.open_json(case_key, case.case_id, "answers", bytes(case.answers))
    if statistics is not None:
        sealed["consent"]["statistics"] = statistics
    Case.objects.filter(pk=case.pk).update(
        answers=actions.seal_json(case_key, case.case_id, "answers", sealed)
    )
    RoutingJob.objects.filter(case=case).update(state=RoutingJob.State.PENDING)
    case.refresh_from_db()
    return case, case_key, receipt


@pytest.fixture(autouse=True)
def flush_every_change(settings) -> None:
    settings.PATTERN_FLUSH_MIN = 1


def flush() -> int:
    """The beat task, in-process: applies whatever is pending."""
    return apply_pattern_changes()


def counts() -> dict[tuple[str, str, str, str, str], int]:
    return {
        (row.month, row.country, row.region, row.age_group, row.harm): row.count
        for row in PatternCount.objects.all()
    }


def record(case: Case, case_key: bytes):
    case.refresh_from_db()
    assert case.pattern_record is not None
    return open_record(case_key, case, bytes(case.pattern_record))


@pytest.fixture
def caseworker_for_all(db):
    return make_persona("anyone@example.org", languages=["en", "ar"], capacity=100)


def test_an_account_she_agreed_to_count_adds_one_report_per_kind_of_harm(
    service_keys, caseworker_for_all
) -> None:
    case, case_key, _ = submit(service_keys, statistics=True)
    assert routing.route_case(case.pk).outcome == "routed"
    # Pending until the flush: routing never writes the counts itself.
    assert counts() == {}
    assert flush() == 1
    expected = {
        ("2025-03", "sudan", "north darfur", "adult", "sexual_violence"): 1,
        ("2025-03", "sudan", "north darfur", "adult", "threats"): 1,
    }
    assert counts() == expected
    assert sorted(record(case, case_key)) == sorted(expected)


@pytest.mark.parametrize("statistics", [False, None])
def test_an_account_she_did_not_agree_to_count_adds_nothing_but_is_marked_counted(
    service_keys, caseworker_for_all, statistics
) -> None:
    case, case_key, _ = submit(service_keys, statistics=statistics)
    assert routing.route_case(case.pk).outcome == "routed"
    # A change all the same (an empty one): the pending rows do not say who agreed.
    assert PatternChange.objects.count() == 1
    assert flush() == 1
    assert counts() == {}
    # A sealed empty record all the same: whether the column is empty says nothing of her choice.
    assert record(case, case_key) == []


def test_spellings_of_one_place_are_one_cell(service_keys, caseworker_for_all) -> None:
    first, _, _ = submit(service_keys, True, country="Sudan", harms=["threats"])
    second, _, _ = submit(service_keys, True, country="  SUDAN ", harms=["threats"])
    third, _, _ = submit(service_keys, True, country="sudan", region="north darfur", harms=[])
    routing.route_case(first.pk)
    routing.route_case(second.pk)
    routing.route_case(third.pk)
    flush()
    assert counts() == {
        ("2025-03", "sudan", "north darfur", "adult", "threats"): 2,
        ("2025-03", "sudan", "north darfur", "adult", ""): 1,
    }


def test_routing_again_never_counts_again(service_keys, caseworker_for_all) -> None:
    # Nobody speaks Persian: the case waits, is tried again, and again.
    case, _, _ = submit(service_keys, True, preferred_language="fa", harms=["threats"])
    assert routing.route_case(case.pk).outcome == "waiting"
    assert flush() == 1
    assert sum(counts().values()) == 1
    assert routing.route_case(case.pk).outcome == "still-waiting"
    RoutingJob.objects.filter(case=case).update(state=RoutingJob.State.PENDING)
    assert routing.route_case(case.pk).outcome == "still-waiting"
    assert not PatternChange.objects.exists()
    assert flush() == 0
    assert sum(counts().values()) == 1
    # Someone who speaks Persian joins: routed at last, still counted once.
    make_persona("farsi@example.org", languages=["fa"])
    assert routing.route_case(case.pk).outcome == "routed"
    # And the message of a case already placed finds nothing to do.
    assert routing.route_case(case.pk).outcome == "not-claimed"
    assert not PatternChange.objects.exists()
    flush()
    assert counts() == {("2025-03", "sudan", "north darfur", "adult", "threats"): 1}


def test_a_batch_counts_every_case_in_a_fixed_number_of_statements(
    service_keys, caseworker_for_all, settings
) -> None:
    """docs/performance.md, "Routing": no statement per case. Three cases and six cost the same
    number of statements."""
    settings.ROUTING_BATCH_SIZE = 100

    def statements(number: int) -> int:
        cases = [
            submit(service_keys, statistics=bool(index % 2), harms=["threats", "detention"])[0]
            for index in range(number)
        ]
        pending = PatternChange.objects.count()
        with CaptureQueriesContext(connection) as captured:
            batch = routing.route_case(cases[0].pk)
        assert len(batch.placements) == number
        # One change per case, non-consenting ones too, in one INSERT.
        assert PatternChange.objects.count() - pending == number
        inserts = [q for q in captured if q["sql"].startswith('INSERT INTO "intake_patternchange"')]
        assert len(inserts) == 1
        return len(captured)

    assert statements(3) == statements(6)
    assert Case.objects.filter(pattern_record__isnull=True).count() == 0


def test_the_sealed_record_holds_no_plaintext(service_keys, caseworker_for_all) -> None:
    case, _, _ = submit(service_keys, True, country="Kordofan-Land", region="Zalingei")
    routing.route_case(case.pk)
    case.refresh_from_db()
    sealed = bytes(case.pattern_record)
    for word in (b"kordofan", b"Kordofan", b"zalingei", b"2025", b"threats", b"adult"):
        assert word not in sealed


def test_the_records_length_says_nothing_of_her_choice(service_keys, caseworker_for_all) -> None:
    """An empty record and the longest one (every kind of harm, places as long as the form
    allows, in a script of four bytes a letter) are sealed at one length."""
    every_harm = [harm for harm, _label in HARMS]
    longest, _, _ = submit(
        service_keys, True, country="𐒀" * 100, region="𐒁" * 100, harms=every_harm
    )
    agreed, _, _ = submit(service_keys, True, harms=["threats"])
    refused, _, _ = submit(service_keys, False, harms=every_harm)
    before, _, _ = submit(service_keys, None)
    cases = [longest, agreed, refused, before]
    for case in cases:
        routing.route_case(case.pk)
    flush()
    records = Case.objects.filter(pk__in=[case.pk for case in cases]).values_list(
        "pattern_record", flat=True
    )
    assert len({len(record or b"") for record in records}) == 1
    assert None not in records
    assert sum(counts().values()) == len(every_harm) + 1


def test_a_count_names_no_case_and_no_time() -> None:
    """The only columns of a count are its cell and its number: no case, no key to anything, no
    date it changed (docs/accountability.md says what a seized live database still shows)."""
    fields = {field.name for field in PatternCount._meta.get_fields()}
    assert fields == {"id", "month", "country", "region", "age_group", "harm", "count"}
    assert not any(field.is_relation for field in PatternCount._meta.get_fields())


def test_her_withdrawal_takes_her_reports_away(service_keys, caseworker_for_all) -> None:
    survivor = Client()
    hers, _, receipt = submit(service_keys, True, client=survivor)
    other, _, _ = submit(service_keys, True, harms=["threats"])
    routing.route_case(hers.pk)
    routing.route_case(other.pk)
    flush()
    cell = ("2025-03", "sudan", "north darfur", "adult", "threats")
    assert counts()[cell] == 2
    before = counts()
    assert survivor.post("/en/intake/return/", {"receipt": receipt}).status_code == 302
    response = survivor.post("/en/intake/my-account/withdraw/", {"confirm": "on"})
    assert "What you shared was deleted" in response.content.decode()
    # Not in the withdrawal's transaction (the one with its audit line): a pending change.
    assert counts() == before
    assert PatternChange.objects.count() == 1
    assert flush() == 1
    # The other account's report stays; her cell of her own is gone, not left at zero.
    assert counts() == {cell: 1}


def test_a_withdrawal_never_takes_a_count_below_zero(service_keys, caseworker_for_all) -> None:
    case, case_key, _ = submit(service_keys, True, harms=["threats"])
    routing.route_case(case.pk)
    flush()
    PatternCount.objects.update(count=0)
    actions.withdraw_case(case, case_key=case_key)
    assert flush() == 1
    assert counts() == {}


def test_a_record_that_does_not_open_never_stops_her_withdrawal(
    service_keys, caseworker_for_all
) -> None:
    case, case_key, _ = submit(service_keys, True, harms=["threats"])
    routing.route_case(case.pk)
    flush()
    Case.objects.filter(pk=case.pk).update(pattern_record=b"\x01" + bytes(40))
    actions.withdraw_case(case, case_key=case_key)
    assert not Case.objects.filter(pk=case.pk).exists()
    # An empty change, as every withdrawal adds one.
    assert flush() == 1
    assert sum(counts().values()) == 1  # kept: nothing says which cells were hers


def test_no_routing_key_never_stops_her_withdrawal(service_keys, caseworker_for_all) -> None:
    case, case_key, _ = submit(service_keys, True, harms=["threats"])
    routing.route_case(case.pk)
    flush()
    RecipientKey.objects.update(active=False)
    actions.withdraw_case(case, case_key=case_key)
    assert not Case.objects.filter(pk=case.pk).exists()
    assert sum(counts().values()) == 1  # kept: no change could be sealed


def test_a_withdrawal_before_routing_takes_nothing(service_keys) -> None:
    PatternCount.objects.create(
        month="2025-03", country="sudan", region="north darfur", age_group="adult",
        harm="threats", count=3,
    )  # fmt: skip
    case, case_key, _ = submit(service_keys, True, harms=["threats"])
    actions.withdraw_case(case, case_key=case_key)
    assert flush() == 1  # an empty change
    assert sum(counts().values()) == 3


def test_the_retention_purge_keeps_the_counts(service_keys, caseworker_for_all, settings) -> None:
    case, _, _ = submit(service_keys, True)
    routing.route_case(case.pk)
    flush()
    before = counts()
    long_ago = timezone.now() - timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSE + 1)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED, updated_hour=long_ago)
    assert purge_expired_cases() == 1
    assert not Case.objects.exists()
    assert not PatternChange.objects.exists()  # the purge adds no change
    assert flush() == 0
    assert counts() == before != {}


@pytest.mark.parametrize(
    ("when", "month"),
    [
        ({"month": "3", "year": "2025"}, "2025-03"),
        ({"month": "12", "year": "1999"}, "1999-12"),
        ({"month": "", "year": "2025"}, "2025"),
        ({"month": "4", "year": ""}, ""),
        ({"month": "13", "year": "2025"}, "2025"),
        ({}, ""),
        (None, ""),
    ],
)
def test_the_month_it_happened(when, month) -> None:
    assert month_of(when) == month


def test_places_are_one_canonical_form() -> None:
    assert place(" Sudan ") == place("SUDAN") == place("sudan") == "sudan"
    assert place("North \t Darfur") == "north darfur"
    assert place(None) == ""


def test_cells_need_her_yes_and_nothing_else() -> None:
    answers = {
        "consent": {"statistics": True}, "when": {"month": "", "year": ""}, "country": "",
        "region": "", "age_group": "under_18", "harms": [],
    }  # fmt: skip
    assert cells_of(answers) == [("", "", "", "under_18", "")]
    for no in ({"statistics": False}, {"statistics": "yes"}, {}):
        assert cells_of({**answers, "consent": no}) == []
