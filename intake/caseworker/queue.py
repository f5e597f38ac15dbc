"""A caseworker's queue: the cases they hold, and whether they take new ones."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case as SqlCase  # not intake's Case
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from intake import actions, crypto
from intake.access import StaffKeyLocked, cases_for_staff, staff_private_key
from intake.caseworker.decorators import staff_required
from intake.caseworker.forms import AvailabilityForm
from intake.caseworker.summaries import acknowledge_by, harm_names, language_name
from intake.models import Case, KeyWrap, Message, StaffProfile

QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueRow:
    """One case in a caseworker's queue: enough to tell it from the others without opening it."""

    case: Case
    acknowledge_by: datetime | None
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
    cases = (
        cases_for_staff(profile)
        .select_related("routing_job")
        .annotate(
            finished=SqlCase(
                When(status__in=finished, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("finished", "-urgent", "routing_job__available_at", "created_hour")
    )
    page = Paginator(cases, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = cases.exclude(status__in=finished).aggregate(
        open=Count("id", distinct=True), urgent=Count("id", distinct=True, filter=Q(urgent=True))
    )
    context = {
        "profile": profile,
        "page": page,
        "rows": queue_rows(request, profile, list(page)),
        "open_count": counts["open"],
        "urgent_count": counts["urgent"],
        "can_receive": profile.vetted_now,
        "availability_form": AvailabilityForm(
            initial={"available": "yes" if profile.available else "no"}
        ),
        "confirmations": [str(message) for message in messages.get_messages(request)],
    }
    return render(request, "caseworker/queue.html", context)


def queue_rows(request: HttpRequest, profile: StaffProfile, cases: list[Case]) -> list[QueueRow]:
    """The rows of one queue page, in two queries whatever its length: this caseworker's sealed
    queue summaries, and the cases where the survivor wrote after the last reply.

    Nothing of the account is opened (no case key is unwrapped, nothing is audited): only the
    summaries sealed to this caseworker, with their private key parsed once for the whole page
    (parsing costs about as much as opening one summary). docs/security.md, section 6.
    """
    ids = [case.pk for case in cases]
    sealed = {
        case_id: (key_id, summary)
        for case_id, key_id, summary in KeyWrap.objects.filter(
            case_id__in=ids, recipient=profile.recipient, queue_summary__isnull=False
        ).values_list("case_id", "key_id", "queue_summary")
    }
    last_reply = (
        Message.objects.filter(case=OuterRef("case"), direction=Message.Direction.TO_SURVIVOR)
        .order_by("-id")
        .values("id")[:1]
    )
    new_messages = set(
        Message.objects.filter(case_id__in=ids, direction=Message.Direction.FROM_SURVIVOR)
        .filter(id__gt=Coalesce(Subquery(last_reply), Value(0)))
        .values_list("case_id", flat=True)
    )
    private_key = None
    if sealed:
        try:
            private_key = crypto.load_private_key(staff_private_key(request))
        except (StaffKeyLocked, crypto.DecryptionError):
            private_key = None  # a login without the key cookie: rows without their summary
    rows = []
    for case in cases:
        summary = None
        if private_key is not None and case.pk in sealed:
            key_id, sealed_summary = sealed[case.pk]
            summary = actions.open_queue_summary(
                sealed_summary, private_key, case=case, recipient=profile.recipient, key_id=key_id
            )
        summary = summary or {}
        language, harms = summary.get("language"), summary.get("harms")
        rows.append(
            QueueRow(
                case=case,
                acknowledge_by=acknowledge_by(case),
                language=language_name(language) if language else None,
                harms=harm_names(harms) if isinstance(harms, list) else None,
                new_message=case.pk in new_messages,
            )
        )
    return rows


@never_cache
@require_POST
@staff_required
def availability(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        actions.set_availability(profile, form.cleaned_data["available"])
    return redirect("caseworker:queue")
