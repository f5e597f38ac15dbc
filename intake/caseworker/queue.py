"""A caseworker's queue: the cases they hold, and whether they take new ones."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case as SqlCase  # not intake's Case
from django.db.models import Count, F, IntegerField, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from intake import actions
from intake.access import StaffKeyLocked, cases_for_staff, staff_private_key
from intake.caseworker.decorators import staff_required
from intake.caseworker.forms import AvailabilityForm, blank_field_group
from intake.caseworker.summaries import deadline, harm_names, language_name
from intake.models import Case, Message, StaffProfile
from intake.templatetags.staff_time import time_ago, time_due

QUEUE_PAGE_SIZE = 50
# What a queue row reads of a case, its routing job and this caseworker's wrap, as plain values:
# never the sealed account (answers, routing hints, contact), which a list has no use for. Plain
# tuples rather than model objects: building 50 cases and their jobs was a fifth of the queue's
# time (docs/performance.md, issue 16).
QUEUE_COLUMNS = (
    "pk",
    "public_id",
    "status",
    "urgent",
    "created_hour",
    "routing_job__urgent",
    "routing_job__available_at",
    "wrap_id",
    "wrap_key_id",
    "sealed_summary",
)
# The case page's URL is reversed once a page, with this id in it, and each row's id put in its
# place: a `{% url %}` a row was 6% of the queue's time (docs/performance.md, issue 16).
_URL_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


class PageCase(NamedTuple):
    """One case of a queue page as the page query reads it (QUEUE_COLUMNS, in order)."""

    pk: int
    public_id: uuid.UUID
    status: str
    urgent: bool
    created_hour: datetime
    job_urgent: bool | None
    job_routed_at: datetime | None
    wrap_id: int
    wrap_key_id: str
    sealed_summary: bytes | memoryview | None


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
    # Open cases first: urgent, then the nearest deadline (routing time plus the deadline); closed
    # ones after them. A page holds QUEUE_PAGE_SIZE rows, and what they show comes in a fixed
    # number of queries however many cases there are (tests/caseworker/test_query_counts.py),
    # so a caseworker who has held hundreds of cases over the years still gets a quick page.
    finished = list(Case.FINISHED)
    mine = cases_for_staff(profile)
    # The paginator's total and the open and urgent counts in one query.
    still_open = ~Q(status__in=finished)
    counts = mine.aggregate(
        total=Count("id"),
        open=Count("id", filter=still_open),
        urgent=Count("id", filter=still_open & Q(urgent=True)),
    )
    cases = (
        mine.annotate(
            finished=SqlCase(
                When(status__in=finished, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            # This caseworker's wrap of each case, with its sealed queue summary: the join
            # cases_for_staff filtered on (this recipient's wraps), not another one.
            wrap_id=F("wraps__id"),
            wrap_key_id=F("wraps__key_id"),
            sealed_summary=F("wraps__queue_summary"),
        )
        .order_by("finished", "-urgent", "routing_job__available_at", "created_hour")
        .values_list(*QUEUE_COLUMNS)
    )
    paginator = Paginator(cases, QUEUE_PAGE_SIZE)
    paginator.count = counts["total"]  # counted above: the paginator does not count again
    page = paginator.get_page(request.GET.get("page"))
    rows = queue_rows(request, profile, [PageCase(*values) for values in page])
    context = {
        "profile": profile,
        "page": page,
        "rows": rows,
        "table_rows": table_rows(rows),
        "open_count": counts["open"],
        "urgent_count": counts["urgent"],
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
    case_url = reverse("caseworker:case", args=[_URL_PLACEHOLDER])
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
        case_id = str(case.public_id)
        rows.append(
            QueueRow(
                url=case_url.replace(_URL_PLACEHOLDER, case_id),
                reference=case_id[:8],
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
# eighth of the queue's time (docs/performance.md, issue 16). Only placeholders in the text.
_NEW_MESSAGES_SQL = """
SELECT DISTINCT message.case_id FROM intake_message AS message
WHERE message.case_id IN ({ids}) AND message.direction = %s AND message.id > COALESCE(
    (SELECT MAX(reply.id) FROM intake_message AS reply
     WHERE reply.case_id = message.case_id AND reply.direction = %s), 0)
"""


def _new_messages(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    sql = _NEW_MESSAGES_SQL.format(ids=", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, Message.Direction.FROM_SURVIVOR, Message.Direction.TO_SURVIVOR])
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
            case_id=str(case.public_id),
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
