"""Pattern counts (issue 17): what an account adds to the counts when it is routed, and what a
withdrawal takes away again.

The counts (intake.models.PatternCount) are cells of month, country, region, age group and kind
of harm, with how many reports fall in each. Nothing in them names a case: which cells an account
added is sealed in the case itself (`Case.pattern_record`, item "pattern-record"), so only the
routing worker (when it counts) and the survivor (with her receipt, when she withdraws) can read
it. Every routed case gets such a record, an empty list when she did not agree to statistics, so
that whether the column is empty says nothing about her choice.

Places are kept in one canonical form, so that "Sudan", " sudan " and "SUDAN" are one cell:
whitespace is collapsed and the text is case-folded (str.casefold) for the key; the coordinators'
page shows it title-cased (intake/caseworker/patterns.py). The month is when it happened as she
said it ("2025-03"; "2025" if she gave only the year; "" if not at all).
"""

import json
import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Greatest

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


def seal_record(case_key: bytes, case: Case, cells: list[Cell]) -> bytes:
    """Seal the cells an account added: her month, places and age group once, and the kinds of
    harm ({} for an account not counted), padded with spaces to RECORD_BYTES."""
    record: dict[str, Any] = {}
    if cells:
        month, country, region, age_group, _harm = cells[0]
        record = {
            "month": month,
            "country": country,
            "region": region,
            "age_group": age_group,
            "harms": [cell[4] for cell in cells],
        }
    plaintext = json.dumps(record, ensure_ascii=False).encode()
    padded = plaintext.ljust(-(-len(plaintext) // RECORD_BYTES) * RECORD_BYTES, b" ")
    return crypto.seal(case_key, case_id=case.case_id, item=PATTERN_RECORD, plaintext=padded)


def open_record(case_key: bytes, case: Case, sealed: bytes) -> list[Cell]:
    record = open_json(case_key, case.case_id, PATTERN_RECORD, sealed)
    if not record:
        return []
    month, country, region, age_group = (str(record[field]) for field in CELL_FIELDS[:4])
    return [(month, country, region, age_group, str(harm)) for harm in record["harms"]]


def count_cases(opened: Iterable[tuple[Case, bytes]]) -> list[tuple[int, bytes]]:
    """Add the cells of every case not counted before, in one statement, and return (case pk,
    sealed record) for each of them: the caller writes those in the same transaction
    (intake/routing/placement.py writes them with its other batch updates).

    Called inside the routing batch's transaction while it holds the cases' routing jobs
    (SELECT ... FOR UPDATE), so no other run can count the same case at the same time; a case
    loaded with a record (routed before, waiting again; a redelivered message) is skipped, so an
    account is counted once at most. A case whose answers do not open is left uncounted (null)
    and logged: routing goes on.
    """
    counts: Counter[Cell] = Counter()
    records = []
    for case, case_key in opened:
        if case.pattern_record is not None:
            continue
        try:
            answers = open_json(case_key, case.case_id, "answers", bytes(case.answers))
            cells = cells_of(answers)
        except (crypto.DecryptionError, ValueError, TypeError, AttributeError):
            logger.exception("case %s: its answers could not be opened for counting", case.pk)
            continue
        counts.update(cells)
        records.append((case.pk, seal_record(case_key, case, cells)))
    add_counts(counts)
    return records


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


def subtract_counts(cells: list[Cell]) -> None:
    """Take one report away from each cell (never below zero), and delete cells left at zero: an
    empty row would still say that someone was once counted there. Sorted, as add_counts."""
    taken: Counter[Cell] = Counter(cells)
    touched = Q(pk__in=[])
    for cell in sorted(taken):
        where = Q(**dict(zip(CELL_FIELDS, cell, strict=True)))
        PatternCount.objects.filter(where).update(count=Greatest(F("count") - taken[cell], 0))
        touched |= where
    if taken:
        PatternCount.objects.filter(touched, count=0).delete()


def record_patterns_read(actor: Any, *, exported: bool = False) -> None:
    """The audit line of a reading of the counts (the page) or of their CSV."""
    audit.record("patterns.exported" if exported else "patterns.viewed", actor=actor)
