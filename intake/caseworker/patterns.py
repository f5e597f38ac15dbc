"""The coordinators' page of pattern counts (issue 17), and its CSV.

What is shown comes only from intake.models.PatternCount (counts of reports by month, country,
region, age group and kind of harm, of accounts whose survivor agreed), suppressed by
intake/patterns.py: no value under PATTERN_SMALL_CELL is shown, nor any value it could be worked
back from. The page and the CSV show the same cells. Every reading is in the audit log.
"""

import csv
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from intake import actions
from intake.answers import AGE_GROUPS, HARMS
from intake.caseworker.decorators import coordinator_required
from intake.models import PatternCount, StaffProfile
from intake.patterns import DIMENSIONS, Entry, Patterns, Table

# The chart's geometry (user units of its viewBox; it scales to the page's width).
CHART_LABEL_WIDTH = 120
CHART_BAR_WIDTH = 380
CHART_ROW_HEIGHT = 28
# A CSV cell beginning with one of these is read as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def dimension_labels() -> dict[str, str]:
    return {
        "month": _("Month it happened"),
        "country": _("Country"),
        "region": _("Region, with its country"),
        "age_group": _("Age group"),
    }


def place_label(text: str) -> str:
    """Places are stored case-folded (intake/actions/patterns.py place()): shown title-cased."""
    return text.title()


def row_label(dimension: str, row: Any) -> str:
    if dimension == "region":
        country, region = row
        country = place_label(country) or _("Country not said")
        if not region:
            return _("%(country)s, region not said") % {"country": country}
        return _("%(region)s, %(country)s") % {"region": place_label(region), "country": country}
    if not row:
        return _("Not said")
    if dimension == "month":
        return str(row) if "-" in row else _("%(year)s, month not said") % {"year": row}
    if dimension == "age_group":
        return str(dict(AGE_GROUPS).get(row, row))
    return place_label(str(row))


def column_label(harm: str) -> str:
    return str(dict(HARMS).get(harm, harm)) if harm else _("No kind named")


def entry_text(entry: Entry) -> str:
    if entry.value is not None:
        return str(entry.value)
    if entry.small:
        return _("fewer than %(n)s") % {"n": settings.PATTERN_SMALL_CELL}
    return _("not shown")


def read_patterns() -> Patterns:
    counts = PatternCount.objects.filter(count__gt=0).values_list(
        "month", "country", "region", "age_group", "harm", "count"
    )
    return Patterns(counts, settings.PATTERN_SMALL_CELL, [harm for harm, _label in HARMS])


def chosen_dimension(request: HttpRequest) -> str:
    by = request.GET.get("by", "")
    return by if by in DIMENSIONS else "month"


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    y: int
    width: int
    hidden: bool
    small: bool


def chart_bars(months: list[tuple[str, Entry]], threshold: int) -> list[Bar]:
    """Horizontal bars of reports by month. A month under the threshold is drawn as a dashed
    outline as long as the threshold (it is somewhere below it); a month hidden to protect
    another gets no bar at all, only its words."""
    largest = max([entry.value or 0 for _month, entry in months] + [threshold, 1])
    return [
        Bar(
            label=row_label("month", month),
            text=entry_text(entry),
            y=index * CHART_ROW_HEIGHT,
            width=round(
                CHART_BAR_WIDTH * (entry.value or (threshold if entry.small else 0)) / largest
            ),
            hidden=entry.hidden,
            small=entry.small,
        )
        for index, (month, entry) in enumerate(months)
    ]


def table_rows(table: Table) -> list[tuple[str, list[str], str]]:
    return [
        (
            row_label(table.dimension, row),
            [entry_text(table.cells[(row, column)]) for column in table.columns],
            entry_text(table.row_totals[row]),
        )
        for row in table.rows
    ]


@never_cache
@require_GET
@coordinator_required
def patterns(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    actions.record_patterns_read(profile.user)
    dimension = chosen_dimension(request)
    found = read_patterns()
    table = found.table(dimension)
    bars = chart_bars(found.by_month(), settings.PATTERN_SMALL_CELL)
    context = {
        "dimension": dimension,
        "dimensions": list(dimension_labels().items()),
        "dimension_label": dimension_labels()[dimension],
        "columns": [column_label(column) for column in table.columns],
        "rows": table_rows(table),
        "column_totals": [entry_text(table.column_totals[c]) for c in table.columns],
        "total": entry_text(table.total),
        "threshold": settings.PATTERN_SMALL_CELL,
        "flush_min": settings.PATTERN_FLUSH_MIN,
        "bars": bars,
        "chart_height": max(len(bars), 1) * CHART_ROW_HEIGHT,
        "chart_label_width": CHART_LABEL_WIDTH,
        "chart_width": CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 140,
    }
    return render(request, "caseworker/patterns.html", context)


def csv_cell(text: str) -> str:
    """A cell a spreadsheet will not run: text that would start a formula (a country typed as
    "=HYPERLINK(...)") gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@never_cache
@require_GET
@coordinator_required
def patterns_csv(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """The table of the page as CSV: the same cells, "<N" where the page says "fewer than N",
    "suppressed" where it says "not shown"."""
    actions.record_patterns_read(profile.user, exported=True)
    dimension = chosen_dimension(request)
    threshold = settings.PATTERN_SMALL_CELL
    table = read_patterns().table(dimension)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="patterns-by-{dimension}.csv"'
    writer = csv.writer(response)
    header = [dimension_labels()[dimension], *map(column_label, table.columns), _("Total")]
    writer.writerow([csv_cell(text) for text in header])
    for row in table.rows:
        line = [row_label(dimension, row)]
        line += [table.cells[(row, column)].csv(threshold) for column in table.columns]
        line.append(table.row_totals[row].csv(threshold))
        writer.writerow([csv_cell(text) for text in line])
    totals = [_("Total")] + [table.column_totals[c].csv(threshold) for c in table.columns]
    writer.writerow([csv_cell(text) for text in [*totals, table.total.csv(threshold)]])
    return response
