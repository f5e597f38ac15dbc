"""What survivors read about who can open an account is what the code does (docs/security.md,
section 7).

portal/readers.py lists every kind of reader; the intake start page and the explainer "Your
information, your choice" render it. Here the real flows run (a survivor sends an account, the
routing code places it with the routing key, the caseworker acknowledges it and hands it over,
the next one gives it back, a coordinator grants it, a password reset and a grant again), and the
database itself records every key wrap written (a trigger on the table, so no way of writing a
wrap escapes it). Every wrap's kind must be a reader the pages name, and every reader the pages
name must be one the code really creates.
"""

import html
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from intake import actions, routing
from intake.crypto import unwrapping
from intake.models import Case, KeyWrap, RoutingJob, StaffProfile
from portal.readers import (
    NOTES,
    READER_KINDS,
    READERS,
    recipient_kind,
    retention_sentences,
)
from tests.caseworker.conftest import make_persona
from tests.conftest import routing_case_key
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db


@contextmanager
def recipients_written() -> Iterator[Callable[[], list[str]]]:
    """Every KeyWrap.recipient inserted or updated inside the block, recorded by the database.

    The trigger and its table are created inside the test's transaction and go with it.
    """
    table = connection.ops.quote_name(KeyWrap._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TABLE test_recipients_written (recipient text)")
            cursor.execute(
                "CREATE FUNCTION test_record_recipient() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN INSERT INTO test_recipients_written VALUES (NEW.recipient); "
                "RETURN NEW; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER test_record_recipient AFTER INSERT OR UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION test_record_recipient()"
            )
        else:
            cursor.execute("CREATE TEMP TABLE test_recipients_written (recipient text)")
            for event in ("INSERT", "UPDATE"):
                # Only the fixed table name and event are in the text.
                cursor.execute(
                    f"CREATE TEMP TRIGGER test_record_{event.lower()} AFTER {event} ON {table} "  # noqa: S608
                    "BEGIN INSERT INTO test_recipients_written VALUES (NEW.recipient); END"
                )

    def written() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT recipient FROM test_recipients_written")
            return [recipient for (recipient,) in cursor.fetchall()]

    yield written


def open_through_coordinators(case: Case, coordinators_private: bytes) -> bytes:
    wrap = KeyWrap.objects.get(case=case, recipient="coordinators")
    return unwrapping.unwrap_case_key(
        bytes(wrap.wrapped),
        coordinators_private,
        case_id=case.case_id,
        recipient="coordinators",
        key_id=wrap.key_id,
    )


def test_every_key_wrap_the_code_writes_is_a_reader_the_pages_name(service_keys) -> None:
    first = make_persona("readers-first@example.org", languages=["ar"])
    second = make_persona("readers-second@example.org", languages=["ar"])
    coordinator = make_persona("readers-coordinator@example.org", role="coordinator")
    coordinators_private = service_keys.coordinators.read_bytes()
    with recipients_written() as written:
        send(Client(), account_data(preferred_language="ar", narrative="An account."))
        case = Case.objects.get()
        RoutingJob.objects.filter(case=case).update(state="pending")
        # The routing code itself, with the routing key, as the worker runs it.
        assert routing.route_case(case.pk).outcome == "routed"
        holder = StaffProfile.objects.get(user=RoutingJob.objects.get(case=case).assigned_to)
        colleague = (second if holder.user == first.user else first).profile
        case_key = routing_case_key(case, service_keys.routing)
        actions.acknowledge_case(case, holder)
        actions.hand_over(case, case_key, holder, colleague)
        actions.escalate(case, colleague)
        actions.grant_from_coordinators(
            case, open_through_coordinators(case, coordinators_private), holder, by=coordinator.user
        )
        actions.reset_staff_password(holder, by=coordinator.user)
        holder.refresh_from_db()
        actions.enrol_staff_key(holder, "a new password for the test")
        assert actions.regrant_cases(holder, coordinators_private, by=coordinator.user) == 1
        recipients = written()
    kinds = {recipient_kind(recipient) for recipient in recipients}
    unnamed = kinds - READER_KINDS
    assert unnamed == set(), f"the code opens accounts to {unnamed}: add them to portal/readers.py"
    # And the other way: every reader the pages name is one the code really creates.
    assert kinds == READER_KINDS


def test_a_wrap_for_an_unlisted_kind_of_reader_would_be_seen(service_keys) -> None:
    # The recorder itself: a wrap written any other way is caught too.
    send(Client(), account_data(narrative="An account."))
    case = Case.objects.get()
    with recipients_written() as written:
        KeyWrap.objects.create(case=case, recipient="auditor:1", key_id="k", wrapped=b"x")
        KeyWrap.objects.bulk_create(
            [KeyWrap(case=case, recipient="backup", key_id="k", wrapped=b"x")]
        )
        assert {recipient_kind(r) for r in written()} - READER_KINDS == {"auditor", "backup"}


def translated(text: object) -> str:
    return str(text)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize(
    "path",
    ["/{lang}/intake/", "/{lang}/rights/your-information-your-choice/"],
    ids=["start", "explainer"],
)
def test_the_pages_name_every_reader_in_the_readers_language(
    client: Client, path: str, lang: str
) -> None:
    # As a reader sees it: entities such as &#x27; turned back into characters.
    page = html.unescape(client.get(path.format(lang=lang)).content.decode())
    for reader in READERS:
        with translation.override(lang):
            name, description = translated(reader.name), translated(reader.description)
        with translation.override("en"):
            english = translated(reader.name)
        assert name in page, (lang, reader.kind)
        assert description in page, (lang, reader.kind)
        if lang != "en":
            assert name != english, f"{reader.kind} is not translated into {lang}"
    with translation.override(lang):
        for note in NOTES:
            assert translated(note) in page
        for sentence in retention_sentences():
            assert translated(sentence) in page
    assert "Nobody else can read it" not in page
