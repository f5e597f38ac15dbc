"""The hot queries written in SQL: run as prepared statements, and their values made the same on
PostgreSQL and SQLite.

A few hot queries are written in SQL rather than built by the ORM, whose building of them cost
more than running them (docs/performance.md, issue 16): intake/access.py (a case as its
caseworker opens it), intake/audit.py (appending an entry), intake/actions/sealed_items.py (a
case's sealed rows), intake/caseworker/queue.py (a queue page).

Those with something to plan (joins, a union, window counts) run through `execute` or `raw`:
prepared once per database connection, so that PostgreSQL parses and plans them once rather
than on each request (planning the queue's page query took as long as running it). The web
process talks to PostgreSQL directly (docker-compose.yml); a pooler between them would have to
keep each connection's session (PgBouncer's session mode), since prepared statements live there.

PostgreSQL gives their values as the ORM would; SQLite (`make run`) gives a UUID as hex text, a
time as text or a naive datetime (stored in UTC) and a boolean as 0 or 1. The `as_*` functions
make them alike.
"""

import itertools
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Model

# The names of the statements prepared on the current connection, by their text, kept on the
# connection's wrapper (one per thread) with the connection they were prepared on: a new
# connection (CONN_MAX_AGE, or one closed after an error) has none.
_PREPARED = "_portal_prepared_statements"
# A prepared name is used once: a query that failed while being prepared is prepared again under
# a new name, never the old one, which may or may not exist on the server by then.
_serial = itertools.count(1)
_NAMED = re.compile(r"%\((\w+)\)s")


class _Numbered(NamedTuple):
    sql: str  # with $1, $2... for PREPARE
    names: tuple[str, ...] | None  # the mapping's keys in the order of $1, $2...; None: a sequence
    length: int  # how many parameters


# By the text given: each is numbered once per process.
_numbered: dict[str, _Numbered] = {}


def _numbered_sql(name: str, sql: str) -> _Numbered:
    found = _numbered.get(sql)
    if found is not None:
        return found
    names = tuple(dict.fromkeys(_NAMED.findall(sql)))
    if names:
        numbered = _NAMED.sub(lambda match: f"${names.index(match[1]) + 1}", sql)
        found = _Numbered(numbered, names, len(names))
    else:
        pieces = sql.split("%s")
        numbered = pieces[0] + "".join(
            f"${number}{piece}" for number, piece in enumerate(pieces[1:], start=1)
        )
        found = _Numbered(numbered, None, len(pieces) - 1)
    if "%" in numbered:
        raise ValueError(f"{name}: parameters are %s or %(name)s, and no other %")
    _numbered[sql] = found
    return found


def execute(
    cursor: CursorWrapper, name: str, sql: str, parameters: Sequence[Any] | Mapping[str, Any]
) -> None:
    """`cursor.execute(sql, parameters)`, as a statement prepared on this connection.

    `sql` takes its parameters as %s (a sequence) or %(key)s (a mapping) and holds no other %;
    `name` says what it is (pg_prepared_statements shows it). The first run on a connection
    sends PREPARE and EXECUTE in one round trip, later runs EXECUTE alone. SQLite (`make run`)
    runs the text as it is.
    """
    _run(name, sql, parameters, cursor.execute)


def raw[ModelT: Model](
    model: type[ModelT], name: str, sql: str, parameters: Sequence[Any] | Mapping[str, Any]
) -> list[ModelT]:
    """`list(model.objects.raw(sql, parameters))`, prepared as `execute` prepares."""
    return _run(
        name, sql, parameters, lambda text, values: list(model._default_manager.raw(text, values))
    )


def _run[T](
    name: str,
    sql: str,
    parameters: Sequence[Any] | Mapping[str, Any],
    run: Callable[[str, Any], T],
) -> T:
    if connection.vendor != "postgresql":
        return run(sql, parameters)
    numbered = _numbered_sql(name, sql)
    if numbered.names is None:
        values = list(parameters)
    else:
        values = [cast(Mapping[str, Any], parameters)[key] for key in numbered.names]
    if len(values) != numbered.length:
        raise ValueError(f"{name}: {numbered.length} parameters, {len(values)} given")
    connection.ensure_connection()
    raw_connection = connection.connection
    known: tuple[Any, dict[str, str]] | None = getattr(connection, _PREPARED, None)
    if known is None or known[0] is not raw_connection:
        known = (raw_connection, {})
        setattr(connection, _PREPARED, known)
    statements = known[1]
    arguments = "(" + ", ".join(["%s"] * len(values)) + ")" if values else ""
    if sql in statements:
        try:
            return run(f"EXECUTE {statements[sql]}{arguments}", values)
        except Exception:
            # Whatever failed (the statements gone from the server after a DISCARD ALL, a
            # migration that changed a table one reads, a timeout), the next runs prepare every
            # statement again on this connection, under new names.
            statements.clear()
            raise
    prepared = f"{name}_{next(_serial)}"
    found = run(f"PREPARE {prepared} AS {numbered.sql}; EXECUTE {prepared}{arguments}", values)
    statements[sql] = prepared
    return found


def literal(value: str) -> str:
    """`value` as an SQL string literal, for a statement that PostgreSQL should plan for that
    value (prepared once per value and connection). Quoted by the driver on PostgreSQL; on SQLite
    (`make run`), by doubling its single quotes, SQLite's only escape."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        return str(connection.ops.compose_sql("%s", [value]))  # type: ignore[attr-defined]
    return "'" + value.replace("'", "''") + "'"


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def as_uuid_text(value: str) -> str:
    """A UUID's canonical text (8-4-4-4-12) from CAST(uuid AS text): PostgreSQL's is that
    already, SQLite's is 32 hex digits."""
    return value if len(value) == 36 else str(uuid.UUID(value))


def as_utc(value: Any) -> datetime:
    """An aware datetime (UTC where the database gave none)."""
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def as_optional_utc(value: Any) -> datetime | None:
    return None if value is None else as_utc(value)
