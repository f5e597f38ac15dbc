"""/healthz says whether the database and broker answer, and nothing more."""

import pytest
from django.db import connection
from django.test import Client

from portal.models import WorkerHeartbeat

ALLOWED_VALUES = {"ok", "unavailable", "in-process", "stale", "unknown"}


@pytest.mark.django_db
def test_it_reports_healthy_components(client: Client) -> None:
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["database"] == "ok"
    assert set(body) == {"database", "broker", "worker"}
    assert set(body.values()) <= ALLOWED_VALUES
    assert response["Cache-Control"].startswith("max-age=0")


# PostgreSQL only: the SQLite test database lives in memory and would vanish with its connection.
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_it_reports_an_unreachable_database_without_details(client: Client) -> None:
    # Point the connection at a port where no database listens, for real, then restore it.
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["HOST"] = "127.0.0.1"
    connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    text = response.content.decode()
    assert "127.0.0.1" not in text
    assert "port" not in text.lower()
    assert "Error" not in text


@pytest.mark.django_db
def test_it_reports_an_unreachable_broker(client: Client, settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_a_missing_worker_is_reported_but_does_not_fail_the_check(client: Client, settings) -> None:
    if not settings.REDIS_URL:
        pytest.skip("without REDIS_URL tasks run in-process and there is no worker to report")
    WorkerHeartbeat.objects.all().delete()
    response = client.get("/healthz")
    assert response.json()["worker"] == "stale"
    assert response.status_code == 200
