"""The coordinators' pages besides the team: the cases waiting for a caseworker (and giving one
to someone), missed deadlines, and the audit log. Everyone else gets a 404 on them.
"""

from datetime import timedelta

from allauth.account.decorators import reauthentication_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from intake import actions
from intake.access import CaseNotAvailable, decrypt_case_for_coordinator
from intake.answers import answer_rows
from intake.caseworker.decorators import coordinator_required
from intake.caseworker.forms import ColleagueForm
from intake.models import AuditEntry, RoutingJob, StaffProfile
from intake.routing import overdue_jobs


@never_cache
@require_GET
@coordinator_required
def unassigned(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    jobs = (
        RoutingJob.objects.filter(state=RoutingJob.State.WAITING)
        .select_related("case")
        .order_by("-urgent", "case__created_hour")
    )
    return render(
        request,
        "caseworker/unassigned.html",
        {"jobs": jobs, "holds_key": profile.coordinators_key_share is not None},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@coordinator_required
@reauthentication_required(allow_get=True)
def unassigned_case(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    try:
        case, case_key = decrypt_case_for_coordinator(
            request, profile, public_id, action="case.viewed_by_coordinator"
        )
    except CaseNotAvailable:
        raise Http404 from None
    form = ColleagueForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.grant_from_coordinators(
                case, case_key, form.cleaned_data["colleague"], by=profile.user
            )
        except actions.GrantRefused:
            form.add_error(
                None,
                _(
                    "A caseworker holds this case, so it cannot be given to someone else here. "
                    "They can hand it over from their case page."
                ),
            )
        else:
            return redirect("caseworker:unassigned")
    view = actions.read_case(case, case_key)
    context = {"case": case, "view": view, "rows": answer_rows(view.answers), "form": form}
    return render(request, "caseworker/unassigned_case.html", context)


AUDIT_PAGE_SIZE = 100


@never_cache
@require_GET
@coordinator_required
def audit_log(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    # Recorded first, so the page counts and shows its own entry. The chain is checked by
    # `manage.py verify_audit` (it reads every entry: too slow for each view).
    actions.record_audit_viewed(profile)
    entries = AuditEntry.objects.select_related("actor", "subject").order_by("-id")
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "caseworker/audit.html", {"page": page})


DEADLINE_HISTORY_DAYS = 30


@never_cache
@require_GET
@coordinator_required
def deadlines(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """Cases past their deadline now, and the deadlines missed in the last 30 days."""
    since = timezone.now() - timedelta(days=DEADLINE_HISTORY_DAYS)
    missed = (
        AuditEntry.objects.filter(action="case.deadline_missed", hour__gte=since)
        .select_related("subject")
        .order_by("-id")
    )
    by_person = (
        missed.values("subject__email")
        .annotate(total=Count("id"))
        .order_by("-total", "subject__email")
    )
    context = {
        "overdue": overdue_jobs(),
        "missed": missed[:200],
        "by_person": by_person,
        "days": DEADLINE_HISTORY_DAYS,
    }
    return render(request, "caseworker/deadlines.html", context)
