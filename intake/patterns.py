"""Small-cell suppression of the pattern counts (issue 17): what coordinators may see of them.

Pure: no database, no settings, no request; intake/caseworker/patterns.py reads the counts and
the threshold and hands them here, and tests/caseworker/test_suppression.py checks the rules on
random tables.

The counts are shown as two-way tables: rows are one dimension (the month it happened, the
country, the region with its country, or the age group), columns the kinds of harm, with row
totals, column totals and a grand total. Every table, and the chart of reports by month, is cut
from one set of numbers, so the rules run over all of them at once:

1. Primary suppression: a value above zero and under the threshold (PATTERN_SMALL_CELL, 5) is
   hidden and shown as "fewer than N". Zero is shown: no account is there, nothing to protect.
2. Complementary suppression: a "line" is a set of values where one is the sum of the others
   (a row and its total, a column and its total, the totals row and the grand total, the totals
   column and the grand total, the regions of a country and that country's row). If a line has
   exactly one hidden value, subtracting the others from the total gives it back. So, until
   nothing changes: in every line with exactly one hidden value, the smallest value of the line
   above zero that is still shown is hidden too (shown as "not shown").

   Why never a zero as the complement: zero is the one value a reader can often guess without
   being told (no under-18 account of forced marriage in a month nobody reported), and hiding a
   known zero hides nothing: the line's two hidden values still add up to what the subtraction
   gives, one of them 0, so the small one is there in full. The complement must be a value the
   reader cannot know, hence above zero; and since every value from 1 to N - 1 is hidden already,
   a complement is always N or more.

   The tables share values (the column totals and the grand total are the same in every table,
   a country's row is the sum of its regions' rows, the chart's months are the month table's
   row totals), so a value is hidden everywhere or nowhere: otherwise one view would give away
   what another hides.

What this does not protect against (docs/accountability.md): the page read twice, before and
after one account is counted, shows where that account went; and in a line with a known total,
hidden values are known to add up to what the subtraction gives (a 1 hidden with a complement of
exactly N, total N + 1, can be worked out by someone who knows the rules). The threshold and the
coarse dimensions keep this small; the audit log records every reading.
"""

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

DIMENSIONS = ("month", "country", "region", "age_group")
# The margins' place in a key: (dimension, row, column), with TOTAL as row or column.
TOTAL = None
ALL = "all"


@dataclass(frozen=True)
class Entry:
    """One value as it may be shown: `value` is None when it is hidden; `small` says it was
    hidden because it is under the threshold (shown as "fewer than N")."""

    value: int | None
    small: bool = False

    @property
    def hidden(self) -> bool:
        return self.value is None

    def csv(self, threshold: int) -> str:
        if self.value is not None:
            return str(self.value)
        return f"<{threshold}" if self.small else "suppressed"


@dataclass(frozen=True)
class Suppressed:
    values: Mapping[Hashable, int]
    primary: frozenset[Hashable]
    complementary: frozenset[Hashable]

    def entry(self, key: Hashable) -> Entry:
        if key in self.primary:
            return Entry(None, small=True)
        if key in self.complementary:
            return Entry(None)
        return Entry(self.values.get(key, 0))


def suppress(
    values: Mapping[Hashable, int], lines: Iterable[Sequence[Hashable]], threshold: int
) -> Suppressed:
    """Primary and complementary suppression (the module's rules 1 and 2) of `values` (a key
    missing from it is 0), where each line is a set of keys whose values are tied by a sum."""
    listed = [list(line) for line in lines]
    keys = {key for line in listed for key in line} | set(values)
    primary = {key for key in keys if 0 < values.get(key, 0) < threshold}
    hidden = set(primary)
    changed = True
    while changed:
        changed = False
        for line in listed:
            if sum(key in hidden for key in line) != 1:
                continue
            candidates = [key for key in line if key not in hidden and values.get(key, 0) > 0]
            # There is always one: the hidden value is above zero, so the line's total is, and
            # if the total is the hidden one, some part of it is above zero.
            complement = min(candidates, key=lambda key: values.get(key, 0))
            hidden.add(complement)
            changed = True
    return Suppressed(values, frozenset(primary), frozenset(hidden - primary))


def one_way(values: Mapping[str, int], threshold: int) -> tuple[dict[str, Entry], Entry]:
    """A single line of values and its total (reports by month, say): each entry and the total,
    suppressed (a hidden month with a shown total needs a second hidden month)."""
    keys: list[Hashable] = [*values, TOTAL]
    numbers: dict[Hashable, int] = dict(values.items())
    numbers[TOTAL] = sum(values.values())
    result = suppress(numbers, [keys], threshold)
    return {key: result.entry(key) for key in values}, result.entry(TOTAL)


Count = tuple[str, str, str, str, str, int]  # month, country, region, age group, harm, count
# A value's place: (dimension or ALL, row or TOTAL, kind of harm or TOTAL).
Key = tuple[str, Hashable, str | None]


def row_key(dimension: str, month: str, country: str, region: str, age_group: str) -> Hashable:
    return {
        "month": month,
        "country": country,
        "region": (country, region),
        "age_group": age_group,
    }[dimension]


@dataclass(frozen=True)
class Table:
    """One two-way table as it may be shown."""

    dimension: str
    rows: list[Hashable]
    columns: list[str]
    cells: dict[tuple[Hashable, str], Entry]
    row_totals: dict[Hashable, Entry]
    column_totals: dict[str, Entry]
    total: Entry


def _sortable(row: Hashable) -> tuple[str, ...]:
    return tuple(str(part) for part in row) if isinstance(row, tuple) else (str(row),)


class Patterns:
    """Every table of the counts, suppressed together (see the module's note)."""

    def __init__(self, counts: Iterable[Count], threshold: int, harm_order: Sequence[str]) -> None:
        values: dict[Hashable, int] = defaultdict(int)
        rows: dict[str, set[Hashable]] = {dimension: set() for dimension in DIMENSIONS}
        harms: set[str] = set()
        for month, country, region, age_group, harm, count in counts:
            harms.add(harm)
            values[(ALL, TOTAL, harm)] += count
            values[(ALL, TOTAL, TOTAL)] += count
            for dimension in DIMENSIONS:
                row = row_key(dimension, month, country, region, age_group)
                rows[dimension].add(row)
                values[(dimension, row, harm)] += count
                values[(dimension, row, TOTAL)] += count
        order = {harm: index for index, harm in enumerate(harm_order)}
        self.columns = sorted(harms, key=lambda harm: (order.get(harm, len(order)), harm))
        self.rows = {dimension: sorted(found, key=_sortable) for dimension, found in rows.items()}
        self.threshold = threshold
        self.suppressed = suppress(values, self._lines(), threshold)

    def _lines(self) -> list[list[Key]]:
        columns: list[str | None] = [*self.columns, TOTAL]
        lines: list[list[Key]] = [[(ALL, TOTAL, column) for column in columns]]
        for dimension, rows in self.rows.items():
            lines += [[(dimension, row, column) for column in columns] for row in rows]
            lines += [
                [(dimension, row, column) for row in rows] + [(ALL, TOTAL, column)]
                for column in columns
            ]
        # A country's row is the sum of its regions' rows.
        regions: dict[str, list[Hashable]] = defaultdict(list)
        for region in self.rows["region"]:
            if isinstance(region, tuple):  # always: (country, region)
                regions[region[0]].append(region)
        for country, its_regions in regions.items():
            lines += [
                [("region", region, column) for region in its_regions]
                + [("country", country, column)]
                for column in columns
            ]
        return lines

    def table(self, dimension: str) -> Table:
        entry = self.suppressed.entry
        rows = self.rows[dimension]
        return Table(
            dimension=dimension,
            rows=rows,
            columns=self.columns,
            cells={
                (row, column): entry((dimension, row, column))
                for row in rows
                for column in self.columns
            },
            row_totals={row: entry((dimension, row, TOTAL)) for row in rows},
            column_totals={column: entry((ALL, TOTAL, column)) for column in self.columns},
            total=entry((ALL, TOTAL, TOTAL)),
        )

    def by_month(self) -> list[tuple[str, Entry]]:
        """Reports by month for the chart: the month table's row totals, hidden as there."""
        table = self.table("month")
        return [(str(month), table.row_totals[month]) for month in table.rows]
