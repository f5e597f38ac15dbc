"""Small-cell suppression of the pattern counts (intake/patterns.py), checked on random tables:
no value under the threshold is shown, none can be worked back by subtraction from a total, and
everything shown is exact."""

from collections import defaultdict
from collections.abc import Hashable

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.patterns import DIMENSIONS, Entry, Patterns, one_way, row_key

THRESHOLD = 5
HARMS = ["sexual_violence", "detention", "threats", ""]

counts_strategy = st.lists(
    st.tuples(
        st.sampled_from(["2025-01", "2025-02", "2025", ""]),
        st.sampled_from(["sudan", "chad", ""]),
        st.sampled_from(["darfur", "kordofan", ""]),
        st.sampled_from(["adult", "under_18", ""]),
        st.sampled_from(HARMS),
        # Mostly small numbers, so that most tables need suppressing.
        st.one_of(st.integers(0, 6), st.integers(0, 40)),
    ),
    max_size=25,
)


def truth(counts, dimension: str):
    """The values every table should hold, summed here independently of intake/patterns.py."""
    cells: dict[tuple[Hashable, str], int] = defaultdict(int)
    for month, country, region, age_group, harm, count in counts:
        cells[(row_key(dimension, month, country, region, age_group), harm)] += count
    return cells


def lines_of(patterns: Patterns) -> list[list[Entry]]:
    """Every set of shown entries tied by a sum, read from the tables as a reader sees them."""
    lines = []
    for dimension in DIMENSIONS:
        table = patterns.table(dimension)
        for row in table.rows:
            cells = [table.cells[(row, column)] for column in table.columns]
            lines.append([*cells, table.row_totals[row]])
        for column in table.columns:
            cells = [table.cells[(row, column)] for row in table.rows]
            lines.append([*cells, table.column_totals[column]])
        lines.append([*table.column_totals.values(), table.total])
        lines.append([*table.row_totals.values(), table.total])
    # A country's row is the sum of its regions' rows: a reader can put the two tables together.
    countries, regions = patterns.table("country"), patterns.table("region")
    for country in countries.rows:
        its = [row for row in regions.rows if isinstance(row, tuple) and row[0] == country]
        for column in countries.columns:
            lines.append(
                [regions.cells[(row, column)] for row in its] + [countries.cells[(country, column)]]
            )
        lines.append([regions.row_totals[row] for row in its] + [countries.row_totals[country]])
    return lines


def check_entry(entry: Entry, value: int) -> None:
    if 0 < value < THRESHOLD:
        assert entry == Entry(None, small=True), value
    elif entry.hidden:
        assert entry == Entry(None), value
        assert value >= THRESHOLD
    else:
        assert entry.value == value


@settings(max_examples=300, deadline=None)
@given(counts_strategy)
def test_no_small_value_is_shown_nor_recoverable_and_the_rest_is_exact(counts) -> None:
    patterns = Patterns(counts, THRESHOLD, HARMS)
    for line in lines_of(patterns):
        assert sum(entry.hidden for entry in line) != 1, line
    for dimension in DIMENSIONS:
        table = patterns.table(dimension)
        values = truth(counts, dimension)
        for (row, column), entry in table.cells.items():
            check_entry(entry, values[(row, column)])
        for row, entry in table.row_totals.items():
            check_entry(entry, sum(v for (r, _), v in values.items() if r == row))
        for column, entry in table.column_totals.items():
            check_entry(entry, sum(v for (_, c), v in values.items() if c == column))
        check_entry(table.total, sum(count for *_, count in counts))


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from([f"2025-{m:02d}" for m in range(1, 13)]), st.integers(0, 30))
)
def test_a_one_way_table_hides_a_second_month_when_one_is_small(values) -> None:
    entries, total = one_way(values, THRESHOLD)
    line = [*entries.values(), total]
    assert sum(entry.hidden for entry in line) != 1
    for month, entry in entries.items():
        check_entry(entry, values[month])
    check_entry(total, sum(values.values()))


def test_a_small_cell_takes_the_smallest_other_value_with_it() -> None:
    counts = [
        ("2025-01", "", "", "", "threats", 2),
        ("2025-01", "", "", "", "detention", 9),
        ("2025-01", "", "", "", "sexual_violence", 30),
        ("2025-02", "", "", "", "threats", 7),
        ("2025-02", "", "", "", "detention", 8),
        ("2025-02", "", "", "", "sexual_violence", 40),
    ]
    table = Patterns(counts, THRESHOLD, HARMS).table("month")
    assert table.cells[("2025-01", "threats")] == Entry(None, small=True)
    # January's row (2 + 9 + 30 = 41 shown) would give the 2 back: 9 is hidden too; and the
    # threats column (2 + 7 = 9 shown) would: 7 is hidden too; then February's row has one
    # hidden value, 7, so its smallest other, 8, goes; and the detention column is then even.
    assert table.cells[("2025-01", "detention")] == Entry(None)
    assert table.cells[("2025-02", "threats")] == Entry(None)
    assert table.cells[("2025-02", "detention")] == Entry(None)
    assert table.cells[("2025-01", "sexual_violence")] == Entry(30)
    assert table.row_totals["2025-01"] == Entry(41)
    assert table.total == Entry(96)


def test_zero_is_shown_and_never_a_complement() -> None:
    entries, total = one_way({"2025-01": 3, "2025-02": 0, "2025-03": 12}, THRESHOLD)
    assert entries["2025-02"] == Entry(0)
    assert entries["2025-01"] == Entry(None, small=True)
    assert entries["2025-03"] == Entry(None)  # the only value above zero left to hide
    assert total == Entry(15)
