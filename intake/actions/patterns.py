"""Pattern counts (issue 17): what an account adds to the counts when it is routed, and what a
withdrawal takes away again.

The counts (intake.models.PatternCount) are cells of month, country, region, age group and kind
of harm, with how many reports fall in each. Nothing in them names a case: which cells an account
added is sealed in the case itself (`Case.pattern_record`, item "pattern-record"), so only the
routing worker (when it counts) and the survivor (with her receipt, when she withdraws) can read
it. Every routed case gets such a record, an empty list when she did not agree to statistics, so
that whether the column is empty says nothing about her choice.

Routing and withdrawal never write the counts themselves: they add pending changes sealed to the
routing key, which a transaction of its own applies for many accounts at once
(intake/actions/pattern_changes.py).

Places are kept in one canonical form, so that "Sudan", " sudan " and "SUDAN" are one cell:
whitespace is collapsed and the text is case-folded (str.casefold) for the key; the coordinators'
page shows it title-cased (intake/caseworker/patterns.py). The month is when it happened as she
said it ("2025-03"; "2025" if she gave only the year; "" if not at all).
"""

import json
import logging
from collections import Counter
from typing import Any

from django.db import connection

from intake import audit, crypto
from intake.actions.sealed_json import open_json
from intake.models import Case, PatternCount

logger = logging.getLogger(__name__)

PATTERN_RECORD = "pattern-record"
CELL_FIELDS = ("month", "country", "region", "age_group", "harm")
# One cell: month, country, region, age group, kind of harm (as in CELL_FIELDS).
Cell = tuple[str, str, str, str, str]


def _limit(field: str) -> int:
    return int(getattr(PatternCount._meta.get_field(field), "max_length", 0) or 0)


def place(text: object) -> str:
    """A country or region in its canonical form: whitespace collapsed, case-folded, cut to the
    column's length (the survivor's form allows no more than that anyway)."""
    return " ".join(str(text or "").split()).casefold()[: _limit("country")]


def month_of(when: object) -> str:
    """ "YYYY-MM" of what happened, "YYYY" if only the year was given, "" if no year."""
    if not isinstance(when, dict):
        return ""
    year, month = str(when.get("year") or "").strip(), str(when.get("month") or "").strip()
    if not (len(year) == 4 and year.isdigit()):
        return ""
    if month.isdigit() and 1 <= int(month) <= 12:
        return f"{year}-{int(month):02d}"
    return year


def cells_of(answers: dict[str, Any]) -> list[Cell]:
    """The cells an account adds: one per kind of harm she named ("" if none), and none at all
    unless she agreed to be counted (answers["consent"]["statistics"]; older accounts were never
    asked, so they are not counted)."""
    consent = answers.get("consent")
    if not isinstance(consent, dict) or consent.get("statistics", False) is not True:
        return []
    month = month_of(answers.get("when"))
    country, region = place(answers.get("country")), place(answers.get("region"))
    age_group = str(answers.get("age_group") or "")[: _limit("age_group")]
    harms = answers.get("harms") or []
    named = sorted({str(harm)[: _limit("harm")] for harm in harms if harm}) or [""]
    return [(month, country, region, age_group, harm) for harm in named]


# Every record is sealed at this size (or a multiple, which no account reaches: a month, two
# places of 100 characters, an age group and at most ten kinds of harm take under 1.5 KB), so
# that its length says neither whether she agreed nor how many kinds of harm she named.
RECORD_BYTES = 2048


def record_of(cells: list[Cell]) -> dict[str, Any]:
    """Cells as a record: her month, places and age group once, and the kinds of harm ({} for
    an account not counted)."""
    if not cells:
        return {}
    month, country, region, age_group, _harm = cells[0]
    return {
        "month": month,
        "country": country,
        "region": region,
        "age_group": age_group,
        "harms": [cell[4] for cell in cells],
    }


def cells_of_record(record: dict[str, Any]) -> list[Cell]:
    if not record:
        return []
    month, country, region, age_group = (str(record[field]) for field in CELL_FIELDS[:4])
    return [(month, country, region, age_group, str(harm)) for harm in record["harms"]]


def padded(record: dict[str, Any]) -> bytes:
    """The record as JSON, padded with spaces to RECORD_BYTES (or a multiple)."""
    plaintext = json.dumps(record, ensure_ascii=False).encode()
    return plaintext.ljust(-(-len(plaintext) // RECORD_BYTES) * RECORD_BYTES, b" ")


def seal_record(case_key: bytes, case: Case, cells: list[Cell]) -> bytes:
    """Seal the cells an account added, padded to RECORD_BYTES."""
    return crypto.seal(
        case_key, case_id=case.case_id, item=PATTERN_RECORD, plaintext=padded(record_of(cells))
    )


def open_record(case_key: bytes, case: Case, sealed: bytes) -> list[Cell]:
    return cells_of_record(open_json(case_key, case.case_id, PATTERN_RECORD, sealed))


def add_counts(counts: Counter[Cell]) -> None:
    """One INSERT ... ON CONFLICT DO UPDATE for all cells (PostgreSQL, and SQLite for make run).

    The rows go in sorted order, so two batches adding to the same cells lock them in the same
    order and cannot deadlock each other."""
    rows = sorted((*cell, number) for cell, number in counts.items() if number > 0)
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(PatternCount._meta.db_table)
    columns = ", ".join(quote(name) for name in (*CELL_FIELDS, "count"))
    key = ", ".join(quote(name) for name in CELL_FIELDS)
    one_row = "(" + ", ".join(["%s"] * (len(CELL_FIELDS) + 1)) + ")"
    count = quote("count")
    with connection.cursor() as cursor:
        # Only names and placeholders are in the text; every value is a parameter.
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([one_row] * len(rows))} "  # noqa: S608
            f"ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + EXCLUDED.{count}",
            [value for row in rows for value in row],
        )


def subtract_counts(counts: Counter[Cell]) -> None:
    """One UPDATE for all cells, taking each number away (never below zero), then one DELETE of
    the cells left at zero: an empty row would still say that someone was once counted there."""
    rows = sorted((*cell, number) for cell, number in counts.items() if number > 0)
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(PatternCount._meta.db_table)
    count = quote("count")
    taken = f"taken.column{len(CELL_FIELDS) + 1}"
    same_cell = " AND ".join(
        f"{table}.{quote(name)} = taken.column{index}"
        for index, name in enumerate(CELL_FIELDS, start=1)
    )
    one_row = "(" + ", ".join(["%s"] * (len(CELL_FIELDS) + 1)) + ")"
    with connection.cursor() as cursor:
        # Only names and placeholders are in the text; every value is a parameter. CASE, not
        # GREATEST: SQLite (make run) has none.
        cursor.execute(
            f"UPDATE {table} SET {count} = "  # noqa: S608
            f"CASE WHEN {table}.{count} > {taken} THEN {table}.{count} - {taken} ELSE 0 END "
            f"FROM (VALUES {', '.join([one_row] * len(rows))}) AS taken WHERE {same_cell}",
            [value for row in rows for value in row],
        )
    PatternCount.objects.filter(count=0).delete()


def record_patterns_read(actor: Any, *, exported: bool = False) -> None:
    """The audit line of a reading of the counts (the page) or of their CSV."""
    audit.record("patterns.exported" if exported else "patterns.viewed", actor=actor)
