"""Caseworker pages under /caseworker/: accepting an invitation, the code of conduct, the queue.

Every page needs a signed-in staff member; portal.middleware.RequireStaffMfaMiddleware has already
sent anyone without a second factor to set one up.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake import actions
from intake.access import staff_profile
from intake.forms import ConductForm, SetPasswordForm, SuspendForm, VetForm
from intake.models import KeyWrap, StaffProfile

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Signed in, a staff member (anyone else gets a 404), and the code of conduct accepted."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        profile = staff_profile(request)
        if profile is None:
            raise Http404
        if profile.conduct_accepted_on is None:
            return redirect("caseworker:conduct")
        return view(request, profile, *args, **kwargs)

    return wrapper


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = get_user_model().objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    if (
        user is None
        or not hasattr(user, "staff_profile")
        or not default_token_generator.check_token(user, token)
    ):
        return render(request, "caseworker/invitation_invalid.html", status=404)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        actions.accept_invitation(user, form.cleaned_data["password1"])
        return render(request, "caseworker/invitation_done.html")
    return render(request, "caseworker/invitation.html", {"form": form, "email": user.email})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def conduct(request: HttpRequest) -> HttpResponse:
    profile = staff_profile(request)
    if profile is None:
        raise Http404
    form = ConductForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        profile.conduct_accepted_on = timezone.now().date()
        profile.save(update_fields=["conduct_accepted_on"])
        return redirect("caseworker:queue")
    return render(request, "caseworker/conduct.html", {"form": form})


@never_cache
@require_GET
@staff_required
def queue(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    granted = KeyWrap.objects.filter(recipient=profile.recipient).select_related("case")
    cases = sorted(
        (wrap.case for wrap in granted),
        key=lambda case: (not case.urgent, case.created_hour),
    )
    context = {
        "profile": profile,
        "cases": cases,
        "urgent_count": sum(1 for case in cases if case.urgent),
        "can_receive": profile.vetting == StaffProfile.Vetting.VETTED,
    }
    return render(request, "caseworker/queue.html", context)


def coordinator_required(view: View) -> View:
    """A vetted coordinator; everyone else gets a 404, as if the page did not exist."""

    @staff_required
    @wraps(view)
    def wrapper(
        request: HttpRequest, profile: StaffProfile, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        if not (
            profile.role == StaffProfile.Role.COORDINATOR
            and profile.vetting == StaffProfile.Vetting.VETTED
        ):
            raise Http404
        return view(request, profile, *args, **kwargs)

    return wrapper


@never_cache
@require_GET
@coordinator_required
def team(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    members = StaffProfile.objects.select_related("user")
    # Open cases per staff member: the wraps they hold, counted in one query.
    loads = dict(
        KeyWrap.objects.filter(recipient__startswith="caseworker:")
        .values_list("recipient")
        .annotate(total=Count("id"))
    )
    rows = [(member, loads.get(member.recipient, 0)) for member in members.order_by("user__email")]
    return render(request, "caseworker/team.html", {"rows": rows, "profile": profile})


@never_cache
@require_http_methods(["GET", "POST"])
@coordinator_required
def vet(request: HttpRequest, profile: StaffProfile, user_id: int) -> HttpResponse:
    member = get_object_or_404(StaffProfile.objects.select_related("user"), user_id=user_id)
    form = VetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.vet_staff(
                member,
                by=request.user,
                note=form.cleaned_data["note"],
                months=form.cleaned_data["months"],
            )
        except actions.VettingRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            return redirect("caseworker:team")
    return render(request, "caseworker/vet.html", {"form": form, "member": member})


@never_cache
@require_POST
@coordinator_required
def suspend(request: HttpRequest, profile: StaffProfile, user_id: int) -> HttpResponse:
    member = get_object_or_404(StaffProfile, user_id=user_id)
    form = SuspendForm(request.POST)
    if form.is_valid() and member.user_id != request.user.pk:
        actions.suspend_staff(member, by=request.user, reason=form.cleaned_data["reason"])
    return redirect("caseworker:team")
