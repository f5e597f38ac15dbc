"""When the database cannot take an account, the survivor is told the truth and loses nothing."""

import pytest
from django.db import connection
from django.test import Client

from intake.models import Case
from tests.intake.conftest import PDF, account_data, review_token, upload

# PostgreSQL: the test stops the connection for real (the SQLite test database lives in memory
# and would vanish with its connection).
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_database_failure_says_not_saved_and_keeps_the_form(
    client: Client, service_keys, media_root
) -> None:
    data = account_data(narrative="Please keep my words", country="Somewhere")
    token = review_token(client, data)
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["HOST"] = "127.0.0.1"
    connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        response = client.post(
            "/en/intake/send/",
            {**data, "submission_token": token, "attachments": [upload("a.pdf", PDF)]},
        )
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
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
