"""A caseworker's queue: the cases they hold, and whether they take new ones."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from intake import actions
from intake.access import StaffKeyLocked, may_open_cases, staff_private_key
from intake.caseworker.case_urls import case_url
from intake.caseworker.decorators import staff_required
from intake.caseworker.forms import AvailabilityForm, blank_field_group
from intake.caseworker.summaries import deadline, harm_names, language_name
from intake.models import Case, Message, StaffProfile, plain_sql
from intake.models.plain_sql import as_optional_utc, as_utc, as_uuid_text
from intake.templatetags.staff_time import time_ago, time_due

QUEUE_PAGE_SIZE = 50
# A queue page: the cases this caseworker holds (cases_for_staff's rule, intake/access.py: the
# join on this recipient's wraps, at most one a case), open ones first: urgent, then the nearest
# deadline (routing time plus the deadline); closed ones after them. What a row shows is read as
# plain values, never the sealed account (answers, routing hints, contact), which a list has no
# use for, with the page's counts (all, open, urgent) as window counts over every case held, in
# one query written out: building it and the counts' query with the ORM, and 50 cases with their
# routing jobs as model objects, was a third of the queue's time (docs/performance.md, issue 16).
# The statement is prepared once per connection and caseworker (plain_sql.execute), with her
# recipient and the page size written into it: with the recipient a parameter, PostgreSQL could
# not tell how many cases she holds, so either planned every page again (half its cost) or, told
# to plan once, read every wrap of every caseworker.
_QUEUE_PAGE_SQL = """
SELECT c.id, CAST(c.public_id AS text), c.status, c.urgent, c.created_hour,
       j.urgent, j.available_at, w.id, w.key_id, w.queue_summary,
       COUNT(*) OVER (),
       SUM(CASE WHEN c.status IN ({finished}) THEN 0 ELSE 1 END) OVER (),
       SUM(CASE WHEN c.status IN ({finished}) OR NOT c.urgent THEN 0 ELSE 1 END) OVER ()
FROM intake_case AS c
JOIN intake_keywrap AS w ON w.case_id = c.id AND w.recipient = {recipient}
LEFT JOIN intake_routingjob AS j ON j.case_id = c.id
ORDER BY CASE WHEN c.status IN ({finished}) THEN 1 ELSE 0 END, c.urgent DESC, j.available_at,
         c.created_hour, c.id
LIMIT {size} OFFSET %s
"""


class PageCase(NamedTuple):
    """One case of a queue page as _QUEUE_PAGE_SQL reads it (before its counts)."""

    pk: int
    public_id: str  # as text (a queue page prints it three times; never parsed)
    status: str
    urgent: bool
    created_hour: datetime
    job_urgent: bool | None
    job_routed_at: datetime | None
    wrap_id: int
    wrap_key_id: str
    sealed_summary: bytes | memoryview | None


@dataclass(frozen=True)
class QueueCounts:
    total: int
    open: int
    urgent: int


def _page_query(profile: StaffProfile, number: int) -> tuple[list[PageCase], QueueCounts]:
    """Page `number` (from 1) of this caseworker's queue, and the counts; no rows and zero counts
    past the last page."""
    if not may_open_cases(profile):  # none while not vetted, as cases_for_staff
        return [], QueueCounts(0, 0, 0)
    finished: list[str] = [str(status) for status in Case.FINISHED]
    placeholders = ", ".join(["%s"] * len(finished))
    sql = _QUEUE_PAGE_SQL.format(
        finished=placeholders,
        recipient=plain_sql.literal(profile.recipient),
        size=int(QUEUE_PAGE_SIZE),
    )
    parameters: list[str | int] = [*finished, *finished, *finished, (number - 1) * QUEUE_PAGE_SIZE]
    with connection.cursor() as cursor:
        plain_sql.execute(cursor, "queue_page", sql, parameters)
        found = cursor.fetchall()
    if not found:
        return [], QueueCounts(0, 0, 0)
    total, still_open, urgent = found[0][10:]
    return [_page_case(row[:10]) for row in found], QueueCounts(total, int(still_open), int(urgent))


def _page_case(values: tuple[Any, ...]) -> PageCase:
    pk, public_id, status, urgent, created_hour, job_urgent, routed_at, wrap, key_id, summary = (
        values
    )
    return PageCase(
        pk,
        as_uuid_text(public_id),
        status,
        bool(urgent),
        as_utc(created_hour),
        None if job_urgent is None else bool(job_urgent),
        as_optional_utc(routed_at),
        wrap,
        key_id,
        summary,
    )


def _queue_page(profile: StaffProfile, asked: str | None) -> tuple[Page[PageCase], QueueCounts]:
    """The page asked for, as Paginator.get_page gives it (the first for a page number that is
    not one, the last for one past the end), with its cases as PageCase."""
    try:
        number = max(1, int(asked or 1))
    except ValueError:
        number = 1
    cases, counts = _page_query(profile, number)
    if not cases and number > 1:  # past the end (an old link): the last page
        _none, counts = _page_query(profile, 1)
        number = max(1, -(-counts.total // QUEUE_PAGE_SIZE))
        cases, counts = _page_query(profile, number)
    paginator: Paginator[PageCase] = Paginator([], QUEUE_PAGE_SIZE)
    paginator.count = counts.total  # counted by the page query: the paginator does not count
    return Page(cases, number, paginator), counts


@dataclass(frozen=True)
class QueueRow:
    """One case in a caseworker's queue, ready to print: enough to tell it from the others without
    opening it. The view makes every text once a page (the template only prints), since the
    same status, hour or language comes back row after row."""

    url: str
    reference: str  # the first 8 characters of the case's public id
    urgent: bool
    status: str
    received: SafeString  # "<time>5 hours ago</time> (ISO)", intake/templatetags/staff_time.py
    acknowledge_by: SafeString | None  # the same for the deadline, while one runs
    # From the queue summary sealed to this caseworker (intake.actions.queue_summary); None when
    # the wrap has none or this login holds no key.
    language: str | None
    harms: str | None  # joined; "" when the survivor named none
    new_message: bool


@never_cache
@require_GET
@staff_required
def queue(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    # A fixed number of queries whatever the number of cases
    # (tests/caseworker/test_query_counts.py), so a caseworker who has held hundreds of cases
    # over the years still gets a quick page.
    page, counts = _queue_page(profile, request.GET.get("page"))
    rows = queue_rows(request, profile, list(page))
    context = {
        "profile": profile,
        "page": page,
        "rows": rows,
        "table_rows": table_rows(rows),
        "open_count": counts.open,
        "urgent_count": counts.urgent,
        "can_receive": profile.vetted_now,
        "availability_field": blank_field_group(
            AvailabilityForm(initial={"available": "yes" if profile.available else "no"}),
            "available",
        ),
        "confirmations": [str(message) for message in messages.get_messages(request)],
    }
    return render(request, "caseworker/queue.html", context)


def queue_rows(
    request: HttpRequest, profile: StaffProfile, cases: list[PageCase]
) -> list[QueueRow]:
    """The rows of one queue page (as `queue` reads them, with this caseworker's wrap and its
    sealed summary), in one query more whatever its length: the cases where the survivor wrote
    after the last reply.

    Nothing of the account is opened (no case key is unwrapped, nothing is audited): only the
    summaries sealed to this caseworker (actions.open_queue_summaries). docs/security.md,
    section 6.
    """
    new_messages = _new_messages([case.pk for case in cases])
    summaries = _summaries(request, profile, cases)
    # Texts made once a page: rows share statuses, hours (times are kept to the hour),
    # languages and kinds of harm.
    statuses = {code: str(label) for code, label in Case.Status.choices}
    received: dict[datetime, SafeString] = {}
    due: dict[datetime, SafeString] = {}
    languages: dict[str, str] = {}
    harms_texts: dict[tuple[str, ...], str] = {}
    rows = []
    for case in cases:
        summary = summaries.get(case.pk) or {}
        language, harms = summary.get("language"), summary.get("harms")
        by = deadline(case.status, case.job_routed_at, case.job_urgent)
        if case.created_hour not in received:
            received[case.created_hour] = time_ago(case.created_hour)
        if by is not None and by not in due:
            due[by] = time_due(by)
        if language and language not in languages:
            languages[language] = language_name(language)
        if isinstance(harms, list) and tuple(harms) not in harms_texts:
            harms_texts[tuple(harms)] = harm_names(harms)
        rows.append(
            QueueRow(
                url=case_url("case", case.public_id),
                reference=case.public_id[:8],
                urgent=case.urgent,
                status=statuses.get(case.status, case.status),
                received=received[case.created_hour],
                acknowledge_by=due[by] if by is not None else None,
                language=languages[language] if language else None,
                harms=harms_texts[tuple(harms)] if isinstance(harms, list) else None,
                new_message=case.pk in new_messages,
            )
        )
    return rows


# The cases among these where the survivor wrote after the caseworker's last reply. Plain SQL:
# Django took longer to build this query (a subquery, a coalesce) than PostgreSQL to run it, an
# eighth of the queue's time (docs/performance.md, issue 16). The ids are one array, so that the
# text is the same for every page and prepared once (plain_sql.execute); SQLite, which has no
# arrays, gets a list of placeholders.
_NEW_MESSAGES_SQL = """
SELECT DISTINCT message.case_id FROM intake_message AS message
WHERE message.case_id {among} AND message.direction = %s AND message.id > COALESCE(
    (SELECT MAX(reply.id) FROM intake_message AS reply
     WHERE reply.case_id = message.case_id AND reply.direction = %s), 0)
"""


def _new_messages(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    directions = [Message.Direction.FROM_SURVIVOR, Message.Direction.TO_SURVIVOR]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = _NEW_MESSAGES_SQL.format(among="= ANY(%s)")
            plain_sql.execute(cursor, "new_messages", sql, [ids, *directions])
        else:
            sql = _NEW_MESSAGES_SQL.format(among=f"IN ({', '.join(['%s'] * len(ids))})")
            cursor.execute(sql, [*ids, *directions])
        return {case_id for (case_id,) in cursor.fetchall()}


# One row of the queue's table. Rows are put together here rather than in the template's loop:
# Django's template engine resolved some twenty variables and tags a row, half the queue's time
# once everything else was cut; then format_html, which escapes each of its fifteen arguments,
# was a sixth of what remained (docs/performance.md, issue 16). So the labels and tags are
# escaped once a page, and each row escapes only its own texts: the language, the kinds of harm
# and the status (the URL and reference are made of a UUID; the two times come from
# intake/templatetags/staff_time.py, built with format_html itself).
_ROW = (
    "<tr{urgent_class}>"
    '<th scope="row" data-label="{case_label}">'
    '<a href="{url}" class="case-ref">{reference}</a></th>'
    '<td data-label="{language_label}">{language}</td>'
    '<td data-label="{harms_label}">{harms}</td>'
    '<td data-label="{status_label}">{status}{urgent_tag}{new_tag}</td>'
    '<td data-label="{received_label}">{received}</td>'
    '<td data-label="{due_label}">{due}</td>'
    "</tr>\n"
)


def table_rows(rows: list[QueueRow]) -> SafeString:
    """The queue table's rows as HTML, with the column labels (for narrow screens, where each
    cell shows its label) translated once for the page."""
    labels = {
        name: escape(label)
        for name, label in (
            ("case_label", _("Case")),
            ("language_label", _("Reply language")),
            ("harms_label", _("Kinds of harm")),
            ("status_label", _("Status")),
            ("received_label", _("Received")),
            ("due_label", _("Acknowledge by")),
        )
    }
    none_given = escape(_("None given"))
    urgent_class = ' class="urgent"'
    urgent_tag = format_html(' <strong class="tag urgent-tag">{}</strong>', _("Urgent"))
    new_tag = format_html(' <strong class="tag new-tag">{}</strong>', _("New message"))
    escaped: dict[str, str] = {"—": "—"}

    def once(text: str) -> str:
        if text not in escaped:
            escaped[text] = escape(text)
        return escaped[text]

    html = [
        _ROW.format(
            urgent_class=urgent_class if row.urgent else "",
            url=escape(row.url),
            reference=escape(row.reference),
            language=once(row.language or "—"),
            harms="—" if row.harms is None else once(row.harms) if row.harms else none_given,
            status=once(row.status),
            urgent_tag=urgent_tag if row.urgent else "",
            new_tag=new_tag if row.new_message else "",
            received=row.received,
            due=row.acknowledge_by or "—",
            **labels,
        )
        for row in rows
    ]
    return mark_safe("".join(html))  # noqa: S308  # every text escaped above


def _summaries(
    request: HttpRequest, profile: StaffProfile, cases: list[PageCase]
) -> dict[int, dict[str, Any]]:
    """The queue summaries of these cases sealed to this caseworker, by case id; none when this
    login holds no key (a browser without the key cookie: rows without their summary)."""
    try:
        private = staff_private_key(request)
    except StaffKeyLocked:
        return {}
    sealed = [
        actions.SealedSummary(
            case_pk=case.pk,
            case_id=case.public_id,
            wrap_id=case.wrap_id,
            key_id=case.wrap_key_id,
            sealed=case.sealed_summary,
        )
        for case in cases
    ]
    return actions.open_queue_summaries(sealed, private, recipient=profile.recipient)


@never_cache
@require_POST
@staff_required
def availability(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        actions.set_availability(profile, form.cleaned_data["available"])
    return redirect("caseworker:queue")
