"""Calendar arithmetic that Python's datetime does not do."""

from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day if it has fewer (31 August + 6 is
    28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has at least 28 days")
