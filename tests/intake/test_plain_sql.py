"""intake/models/plain_sql.py: hot queries prepared once per database connection."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from intake.models import Case, plain_sql

pytestmark = pytest.mark.django_db

ADD = "SELECT %s::int + %s::int"


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements ORDER BY name")
        return [name for (name,) in cursor.fetchall()]


def run(sql: str, parameters: list | dict, name: str = "adding") -> tuple:
    with connection.cursor() as cursor:
        plain_sql.execute(cursor, name, sql, parameters)
        return cursor.fetchone()


def test_a_statement_is_prepared_once_per_connection_then_executed_by_name() -> None:
    with CaptureQueriesContext(connection) as sent:
        assert run(ADD, [2, 3]) == (5,)
        assert run(ADD, [4, 5]) == (9,)
    first, second = (query["sql"] for query in sent.captured_queries)
    assert first.startswith("PREPARE adding_")
    assert "$1::int + $2::int" in first
    assert second.startswith("EXECUTE adding_")
    assert "PREPARE" not in second
    assert len([name for name in prepared_statements() if name.startswith("adding_")]) == 1


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_it_again() -> None:
    run(ADD, [1, 1])
    connection.close()  # CONN_MAX_AGE, or a connection closed after an error
    assert run(ADD, [1, 2]) == (3,)
    assert len([name for name in prepared_statements() if name.startswith("adding_")]) == 1


def test_statements_the_server_forgot_are_prepared_again_after_one_failure() -> None:
    run(ADD, [1, 1])
    run("SELECT %s::int - %s::int", [5, 1], "subtracting")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's DISCARD ALL would
    with pytest.raises(DatabaseError), transaction.atomic():
        run(ADD, [1, 2])
    # The one failure is enough for every statement of the connection, not only its own.
    assert run(ADD, [1, 3]) == (4,)
    assert run("SELECT %s::int - %s::int", [5, 2], "subtracting") == (3,)


def test_named_parameters_may_repeat_and_counts_are_checked() -> None:
    assert run("SELECT %(n)s::int * %(n)s::int + %(m)s::int", {"n": 3, "m": 1}, "named") == (10,)
    with pytest.raises(ValueError, match="2 parameters, 1 given"):
        run(ADD, [1])
    with pytest.raises(ValueError, match="no other %"):
        run("SELECT 'a%%b' || %s", ["c"], "percent")


def test_a_literal_is_quoted_by_the_driver() -> None:
    tricky = "caseworker:1' OR ''='"
    assert run(f"SELECT {plain_sql.literal(tricky)}", [], "literal") == (tricky,)


def test_raw_gives_model_objects() -> None:
    assert plain_sql.raw(Case, "no_cases", "SELECT * FROM intake_case WHERE id = %s", [0]) == []
