"""When the database cannot take an account, the survivor is told the truth and loses nothing."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest
from django.db import connection
from django.test import Client

from intake.models import Case
from intake.survivor import sharing
from intake.survivor.common import token_used
from tests.intake.conftest import PDF, account_data, review_token, send, upload

# PostgreSQL: the test stops the connection for real (the SQLite test database lives in memory
# and would vanish with its connection).
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Point the connection at a port where nothing listens, as if PostgreSQL were down."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["HOST"] = "127.0.0.1"
    connection.settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_a_database_failure_says_not_saved_and_keeps_the_form(
    client: Client, service_keys, media_root
) -> None:
    data = account_data(narrative="Please keep my words", country="Somewhere")
    token = review_token(client, data)
    with database_unreachable():
        response = client.post(
            "/en/intake/send/",
            {**data, "submission_token": token, "attachments": [upload("a.pdf", PDF)]},
        )
    page = response.content.decode()
    assert response.status_code == 503
    assert "Your account was NOT saved" in page
    assert "received" not in page.lower().replace("a receipt code", "")
    assert 'id="receipt-code"' not in page
    assert "Please keep my words" in page  # still in the form, ready to send again
    assert "Files must be chosen again." in page
    assert Case.objects.count() == 0
    assert not list((media_root / "attachments").glob("*"))
    # Once the database is back, the same page sends.
    retry = client.post(
        "/en/intake/send/", {**data, "submission_token": review_token(client, data)}
    )
    assert 'id="receipt-code"' in retry.content.decode()
    assert Case.objects.count() == 1


def test_a_returning_survivor_is_told_the_truth_when_the_database_fails(
    client: Client, service_keys, media_root
) -> None:
    from intake.models import Addition, Message

    _, receipt = send(client, account_data())
    client.post("/en/intake/return/", {"receipt": receipt})
    with database_unreachable():
        page = client.get("/en/intake/my-account/")
        message = client.post("/en/intake/my-account/message/", {"text": "Are you there? <b>"})
        addition = client.post(
            "/en/intake/my-account/add/",
            {"text": "One more thing", "attachments": [upload("b.pdf", PDF)]},
        )
    assert page.status_code == 503
    assert "We cannot open your account just now" in page.content.decode()
    for response, text in [(message, "Are you there? &lt;b&gt;"), (addition, "One more thing")]:
        body = response.content.decode()
        assert response.status_code == 503
        assert "What you sent was NOT saved" in body
        assert text in body  # given back, ready to send again
        assert "Traceback" not in body
    assert "No file was kept" in addition.content.decode()
    assert Message.objects.count() == 0
    assert Addition.objects.count() == 0
    assert not list((media_root / "attachments").glob("*"))
    # The database is back: the same form sends.
    again = client.post("/en/intake/my-account/message/", {"text": "Are you there?"})
    assert again.status_code == 302
    assert Message.objects.count() == 1


def test_a_connection_cut_in_the_middle_of_sending_says_not_saved(
    client: Client, service_keys, media_root, monkeypatch
) -> None:
    """PostgreSQL ends the web's connection between the form-token check and the save, as a
    restart does (tests/faults/test_postgres_restart.py). The check's query fails and is taken as
    "not used"; the save then meets a closed connection, which raises InterfaceError, not a
    DatabaseError. The survivor must still be told "NOT saved", with her words kept."""
    data = account_data(narrative="Please keep these words too")
    token = review_token(client, data)

    def token_check_as_postgres_goes_away(submission_token: str) -> bool:
        backend = connection.cursor().connection.info.backend_pid
        with psycopg2.connect(**connection.get_connection_params()) as other:
            other.autocommit = True
            other.cursor().execute("SELECT pg_terminate_backend(%s)", [backend])
        return token_used(submission_token)

    monkeypatch.setattr(sharing, "token_used", token_check_as_postgres_goes_away)
    client.raise_request_exception = False
    response = client.post(
        "/en/intake/send/",
        {**data, "submission_token": token, "attachments": [upload("a.pdf", PDF)]},
    )
    page = response.content.decode()
    assert response.status_code == 503
    assert "Your account was NOT saved" in page
    assert "Please keep these words too" in page
    assert 'id="receipt-code"' not in page
    monkeypatch.undo()
    # A real server drops the broken connection when the request ends (Django's
    # close_old_connections, which the test client leaves out): do the same before looking.
    connection.close()
    assert Case.objects.count() == 0
    assert not list((media_root / "attachments").glob("*"))
