"""Values as a plain cursor returns them, made the same on PostgreSQL and SQLite.

A few hot queries are written in SQL rather than built by the ORM, whose building of them cost
more than running them (docs/performance.md, issue 16): intake/access.py (a case as its
caseworker opens it), intake/audit.py (appending an entry), intake/actions/sealed_items.py (a
case's sealed rows), intake/caseworker/queue.py (a queue page). PostgreSQL gives their values as
the ORM would; SQLite (`make run`) gives a UUID as hex text, a time as text or a naive datetime
(stored in UTC) and a boolean as 0 or 1. These make them alike.
"""

import uuid
from datetime import UTC, datetime
from typing import Any


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def as_utc(value: Any) -> datetime:
    """An aware datetime (UTC where the database gave none)."""
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def as_optional_utc(value: Any) -> datetime | None:
    return None if value is None else as_utc(value)
