"""Routing places cases in parallel (one lock per group of suitable caseworkers), so audit entries
are appended by several transactions at once: the hash chain must still be one unbroken line."""

import threading

import pytest
from django.db import connection, transaction

from intake import audit
from intake.models import AuditEntry

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WRITERS = 8
ENTRIES_EACH = 10


def test_entries_appended_at_once_form_one_chain() -> None:
    audit.record("test.start", actor=None)
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            for _ in range(ENTRIES_EACH):
                # Hold the transaction open a moment after appending, as routing does (it still
                # updates the job and the caseworker's count), so writers overlap.
                with transaction.atomic():
                    audit.record("test.concurrent", actor=None)
                    connection.cursor().execute("SELECT pg_sleep(0.005)")
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert AuditEntry.objects.count() == 1 + WRITERS * ENTRIES_EACH
    previous = list(AuditEntry.objects.values_list("previous_hash", flat=True))
    assert len(set(previous)) == len(previous), "two entries chained to the same predecessor"
    assert audit.verify() is None
