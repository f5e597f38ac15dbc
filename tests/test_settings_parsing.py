from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.settings import BASE_DIR, database_from_url, envbool


def test_it_reads_a_postgres_url() -> None:
    db = database_from_url("postgres://portal:p%40ss@db.internal:5433/portal?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "portal",
        "portal",
        "p@ss",
        "db.internal",
        "5433",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_it_reads_relative_and_absolute_sqlite_urls() -> None:
    assert database_from_url("sqlite:///var/x.sqlite3")["NAME"] == BASE_DIR / "var/x.sqlite3"
    assert database_from_url("sqlite:////tmp/x.sqlite3")["NAME"] == Path("/tmp/x.sqlite3")


def test_it_rejects_an_unknown_database_scheme() -> None:
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://db/portal")


def test_booleans_are_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_FLAG", "yes")
    assert envbool("SOME_FLAG", False) is True
    monkeypatch.setenv("SOME_FLAG", "")
    assert envbool("SOME_FLAG", True) is True
    monkeypatch.setenv("SOME_FLAG", "sometimes")
    with pytest.raises(ImproperlyConfigured):
        envbool("SOME_FLAG", False)
